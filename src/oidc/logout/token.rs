//! Back-Channel Logout 1.0 §2.4: the logout token.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::crypto;
use crate::domain::ClientId;
use crate::keys::{Alg, KeyError};
use crate::oidc::signer::TokenSigner;

pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

#[derive(Debug, Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    /// Fresh for every attempt: apps reject a replayed jti.
    jti: String,
    events: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    // §2.4: a logout token MUST NOT contain a nonce claim; there is none here.
}

/// Signs a logout token for one app (`typ: logout+jwt`), valid `ttl_secs`
/// (`logout.token_ttl_secs`).
pub fn sign(
    signer: &TokenSigner<'_>,
    ttl_secs: u64,
    client_id: &ClientId,
    subject: &str,
    sid: Option<&str>,
    alg: Alg,
) -> Result<String, KeyError> {
    let now = signer.now();
    let mut events = Map::new();
    events.insert(BACKCHANNEL_LOGOUT_EVENT.into(), Value::Object(Map::new()));
    let claims = LogoutTokenClaims {
        iss: signer.issuer,
        sub: subject,
        aud: client_id.as_str(),
        iat: now,
        exp: now + ttl_secs as i64,
        jti: crypto::random_token(),
        events,
        sid,
    };
    signer.sign(&claims, "logout+jwt", alg)
}
