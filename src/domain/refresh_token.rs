use uuid::Uuid;

use super::{ClientId, FamilyId, Scopes, SessionHandle, Sid};

/// A refresh token as stored (by digest), one of a family: the chain of
/// tokens that one grant rotated through.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: FamilyId,
    pub client_id: ClientId,
    pub user_id: Uuid,
    pub scopes: Scopes,
    pub sid: Sid,
    /// The SSO session it dies with; `None` when granted `offline_access`.
    pub session: Option<SessionHandle>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// RFC 8707: the resource the family's access tokens are for, if one was asked.
    pub resource: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub family_expires_at: i64,
    pub consumed_at: Option<i64>,
    pub revoked_at: Option<i64>,
}
