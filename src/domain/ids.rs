//! Identifiers that are all strings (or UUIDs) underneath but must never
//! stand in for one another: a session's handle where an app's `sid` is
//! expected would end the wrong session or leak the handle to an app. Each is
//! its own type, so such a mix-up does not compile. They serialise as the
//! bare value, so stored records and tokens read the same as before.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto;

/// An SSO session's handle: the digest of the random id the browser's cookie
/// carries. The session lives in the ephemeral store under it, tokens that die
/// with the session name it, and logs and audit events may show it (the
/// cookie id itself never leaves the cookie).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionHandle(String);

impl SessionHandle {
    /// The handle of the session whose cookie carries `cookie_id`.
    pub fn of_cookie(cookie_id: &str) -> SessionHandle {
        SessionHandle(crypto::digest(cookie_id))
    }

    /// A handle as stored earlier (a token's record, an SQL row, a form
    /// field that names one of the browser's own sessions).
    pub fn from_stored(handle: String) -> SessionHandle {
        SessionHandle(handle)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One relying party's session id within an SSO session: the `sid` claim of
/// OIDC Front-Channel and Back-Channel Logout. Apps see it; it reveals nothing
/// about the SSO session's handle.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sid(String);

impl Sid {
    /// A fresh, unguessable `sid` for an app joining a session.
    pub fn random() -> Sid {
        Sid(crypto::random_token())
    }

    /// A `sid` as stored or as a token Sesame signed carries it.
    pub fn from_stored(sid: String) -> Sid {
        Sid(sid)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A refresh-token family: every token one grant rotated through, and the
/// access tokens issued with them, revoked together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FamilyId(Uuid);

impl FamilyId {
    pub fn from_uuid(id: Uuid) -> FamilyId {
        FamilyId(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_their_bare_value() {
        let handle = SessionHandle::from_stored("h".into());
        assert_eq!(serde_json::to_string(&handle).unwrap(), "\"h\"");
        assert_eq!(serde_json::to_string(&Sid::from_stored("s".into())).unwrap(), "\"s\"");
        let uuid = Uuid::nil();
        assert_eq!(
            serde_json::to_string(&FamilyId::from_uuid(uuid)).unwrap(),
            format!("\"{uuid}\"")
        );
        assert_eq!(serde_json::from_str::<SessionHandle>("\"h\"").unwrap(), handle);
    }

    #[test]
    fn a_handle_is_the_digest_of_its_cookie_id_not_the_id() {
        let handle = SessionHandle::of_cookie("cookie-id");
        assert_ne!(handle.as_str(), "cookie-id");
        assert_eq!(handle, SessionHandle::of_cookie("cookie-id"));
    }
}
