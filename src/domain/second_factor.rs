//! Second factors as stored, and a sign-in that is part way through.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Level, SessionHandle};

/// An account's TOTP authenticator (RFC 6238). The secret is encrypted under
/// a key-encryption key; `last_step` is the newest time step accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpFactor {
    pub user_id: Uuid,
    pub sealed_secret: Vec<u8>,
    pub kek_id: String,
    pub last_step: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// One recovery code as stored: its digest and when it was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryCode {
    pub code_hash: String,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

/// What a WebAuthn credential is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// Discoverable and user-verified: signs in on its own, no password.
    Passkey,
    /// A second factor after the password.
    SecurityKey,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Passkey => "passkey",
            CredentialKind::SecurityKey => "security_key",
        }
    }

    pub fn parse(value: &str) -> Option<CredentialKind> {
        match value {
            "passkey" => Some(CredentialKind::Passkey),
            "security_key" => Some(CredentialKind::SecurityKey),
            _ => None,
        }
    }

    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            CredentialKind::Passkey => "Passkey",
            CredentialKind::SecurityKey => "Security key",
        }
    }

    /// The message (`templates/locales`) naming it on pages.
    pub fn message_id(self) -> &'static str {
        match self {
            CredentialKind::Passkey => "kind-passkey",
            CredentialKind::SecurityKey => "kind-security-key",
        }
    }
}

/// A registered WebAuthn credential. `credential` is the library's own
/// serialised form (public key, signature counter, flags), opaque here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebauthnCredential {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: CredentialKind,
    /// The person's name for it ("work laptop").
    pub name: String,
    /// The credential id, base64url.
    pub credential_id: String,
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A sign-in past its first factor (or a signed-in person stepping up),
/// waiting for the steps the account and the request still need. It lives
/// in the ephemeral store under the digest of a random id that only the
/// browser's cookie carries, for a few minutes; no SSO session exists (or
/// changes) until it is complete.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub user_id: Uuid,
    /// The methods presented so far (RFC 8176).
    pub amr: Vec<String>,
    /// The level the sign-in must reach before it completes.
    pub required: Level,
    pub started_at: i64,
    /// The session being stepped up; `None` when a new one starts at the end.
    pub step_up: Option<SessionHandle>,
    /// The sealed authorization request this sign-in continues, if any.
    pub request_id: Option<String>,
    /// For a sign-in without an app: the page of ours that follows.
    pub next: String,
    /// Wrong second-factor codes sent within this sign-in.
    pub failures: u32,
    /// The upstream session the sign-in began with, for the new session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<super::UpstreamSession>,
}

impl PendingSignIn {
    pub fn level(&self) -> Level {
        Level::of_amr(&self.amr)
    }

    pub fn is_complete(&self) -> bool {
        self.level() >= self.required
    }
}
