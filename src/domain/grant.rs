use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ClientId, CodeChallenge, RedirectUri, Scopes, SessionHandle, Sid};

/// What an authorization code stands for: everything the token request must
/// repeat, and what the tokens will say.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub user_id: Uuid,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// The relying-party session id for this client (`sid` in the ID token).
    pub sid: Sid,
    /// The SSO session's handle, so tokens can die with it.
    pub session: SessionHandle,
    /// RFC 8707: the resource the tokens are for, when the request named one.
    #[serde(default)]
    pub resource: Option<String>,
}

/// A grant as stored, with the code's expiry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredGrant {
    #[serde(flatten)]
    pub grant: CodeGrant,
    pub expires_at: i64,
}

/// An access token as recorded (by the digest of its value, opaque or JWT).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    /// The person; `None` for a client's own token (client_credentials).
    pub user_id: Option<Uuid>,
    pub client_id: ClientId,
    pub scopes: Scopes,
    pub sid: Option<Sid>,
    /// The SSO session's handle: the token dies with the session. `None`
    /// for client tokens and tokens refreshed with `offline_access`.
    pub session: Option<SessionHandle>,
    /// Who the token is for (RFC 8707, RFC 9068 `aud`). Empty in records
    /// made before audiences existed: this server.
    #[serde(default)]
    pub audience: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl AccessTokenRecord {
    /// The audience, with records from before audiences meaning this server.
    pub fn audience_or(&self, issuer: &str) -> Vec<String> {
        if self.audience.is_empty() {
            vec![issuer.to_string()]
        } else {
            self.audience.clone()
        }
    }
}
