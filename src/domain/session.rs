use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ClientId, Sid};

/// A single sign-on session as kept in the ephemeral store, under the digest
/// of the id its cookie carries (its *handle*).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SsoSession {
    pub user_id: Uuid,
    /// When the person last authenticated (OIDC Core `auth_time`).
    pub auth_time: i64,
    /// Authentication methods (RFC 8176), e.g. `pwd`.
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
    pub user_agent: String,
    /// The client address cut to its network (/24 or /48): enough to
    /// recognise a place, not to identify a device.
    pub ip_prefix: String,
    /// The apps signed in through this session.
    pub clients: Vec<RpSession>,
    /// The upstream provider the person signed in with, if any: its logout
    /// ends this session, and signing out here offers signing out there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamSession>,
}

/// The session at an upstream provider a Sesame session was signed in
/// with (Back-Channel Logout 1.0 names it by `sub` and `sid`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamSession {
    /// The configured upstream's name.
    pub upstream: String,
    /// The upstream's subject for the person.
    pub subject: String,
    /// The upstream's session id (its ID token's `sid`), when it sent one.
    pub sid: Option<String>,
    /// The upstream's ID token, for `id_token_hint` when signing out there.
    pub id_token: String,
}

/// One relying party's session within the SSO session (OIDC Front- and
/// Back-Channel Logout `sid`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RpSession {
    pub client_id: ClientId,
    pub sid: Sid,
    pub first_auth_at: i64,
    pub last_auth_at: i64,
}

/// How long sessions last: `session.idle_timeout_secs` and
/// `session.absolute_timeout_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLifetime {
    pub idle_secs: u64,
    pub absolute_secs: u64,
}

impl SsoSession {
    /// When the session ends if not used again: the earlier of its idle and
    /// its absolute end.
    pub fn expires_at(&self, lifetime: SessionLifetime) -> i64 {
        let absolute = self.created_at.saturating_add(lifetime.absolute_secs as i64);
        let idle = self.last_seen.saturating_add(lifetime.idle_secs as i64);
        absolute.min(idle)
    }

    pub fn rp_session(&self, client_id: &ClientId) -> Option<&RpSession> {
        self.clients.iter().find(|c| &c.client_id == client_id)
    }
}
