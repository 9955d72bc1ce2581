//! ID tokens (OIDC Core 2 and 3.1.3.6), signed RS256 with the active key.

use serde::Serialize;

use crate::crypto;
use crate::domain::{GroupName, Level};
use crate::keys::{Alg, KeyError};
use crate::oidc::signer::TokenSigner;

#[derive(Debug, Serialize)]
pub struct IdTokenClaims<'a> {
    pub iss: &'a str,
    pub sub: String,
    pub aud: &'a str,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    pub azp: &'a str,
    pub sid: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub amr: &'a [String],
    /// The level the authentication reached (OIDC Core 2), from `amr`.
    pub acr: &'static str,
    /// The person's groups, when the `groups` scope was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<&'a [GroupName]>,
}

/// What an ID token says about an authentication.
pub struct Subject<'a> {
    pub user_id: uuid::Uuid,
    pub client_id: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub sid: &'a str,
    pub amr: &'a [String],
    /// The client's `id_token_signed_response_alg`.
    pub alg: Alg,
    /// With the `groups` scope: the person's groups.
    pub groups: Option<&'a [GroupName]>,
}

/// OIDC Core 3.1.3.6: at_hash is the base64url of the left-most half of the
/// SHA-256 of the access token (the hash of RS256).
pub fn at_hash(access_token: &str) -> String {
    let digest = crypto::sha256(access_token.as_bytes());
    crypto::base64url(&digest[..16])
}

/// Signs an ID token about `subject`, valid `ttl_secs` (`tokens.id_token_ttl_secs`).
pub fn sign(
    signer: &TokenSigner<'_>,
    ttl_secs: u64,
    subject: &Subject<'_>,
    access_token: Option<&str>,
) -> Result<String, KeyError> {
    let now = signer.now();
    let claims = IdTokenClaims {
        iss: signer.issuer,
        sub: subject.user_id.to_string(),
        aud: subject.client_id,
        exp: now + ttl_secs as i64,
        iat: now,
        auth_time: subject.auth_time,
        nonce: subject.nonce,
        at_hash: access_token.map(at_hash),
        azp: subject.client_id,
        sid: subject.sid,
        amr: subject.amr,
        acr: Level::of_amr(subject.amr).acr(),
        groups: subject.groups,
    };
    signer.sign(&claims, "JWT", subject.alg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_oidc_core_example() {
        // OIDC Core Appendix A.3: access_token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
