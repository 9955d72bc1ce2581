use uuid::Uuid;

use crate::clock::UnixTime;

/// An initial access token (RFC 7591 §3): lets its holder register clients
/// through the API, until it expires or its uses run out. Stored by digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationToken {
    pub id: Uuid,
    pub token_hash: String,
    pub label: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub uses_left: i64,
}
