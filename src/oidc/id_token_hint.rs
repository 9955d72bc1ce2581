//! An `id_token_hint` (OIDC Core 3.1.2.1, RP-Initiated Logout 1.0 §2): an
//! ID token this server issued, sent back by an app as a hint about the
//! person. It is accepted even when expired, as long as a key still
//! published signed it. One check, for `/authorize` and `/end_session`.

use uuid::Uuid;

use crate::domain::Sid;
use crate::keys::KeyRing;

/// What a valid hint says.
#[derive(Clone, Debug)]
pub struct IdTokenHint {
    pub subject: Uuid,
    pub sid: Option<Sid>,
    pub audiences: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HintError {
    #[error("id_token_hint is not an ID token issued here")]
    NotOurs,
    #[error("id_token_hint was issued by another server")]
    OtherIssuer,
    #[error("id_token_hint has no valid subject")]
    NoSubject,
}

/// Verifies `hint` against the published keys and `issuer`.
pub fn verify(keys: &KeyRing, issuer: &str, hint: &str) -> Result<IdTokenHint, HintError> {
    let payload = keys.verify(hint).ok_or(HintError::NotOurs)?;
    if payload.issuer() != Some(issuer) {
        return Err(HintError::OtherIssuer);
    }
    let subject = payload
        .subject()
        .and_then(|s| s.parse().ok())
        .ok_or(HintError::NoSubject)?;
    let sid = payload
        .claim("sid")
        .and_then(|v| v.as_str())
        .map(|sid| Sid::from_stored(sid.into()));
    let audiences = payload
        .audience()
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(IdTokenHint {
        subject,
        sid,
        audiences,
    })
}
