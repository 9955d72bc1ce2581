//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OIDC Core
//! 9): the client signs a short-lived JWT with its own key; each assertion is
//! accepted once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, RS256};

use crate::clock::Clock;
use crate::domain::Client;
use crate::outbound::{FetchError, Fetcher};
use crate::store::StoreError;
use crate::store::records::AssertionIds;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest lifetime accepted for an assertion (its jti is remembered that long).
const MAX_LIFETIME_SECS: i64 = 600;
/// Clock difference tolerated with the client.
const LEEWAY_SECS: i64 = 30;
/// How long a fetched `jwks_uri` document is reused.
const JWKS_CACHE_SECS: i64 = 300;
const MAX_JWKS_BYTES: usize = 65_536;

/// Why an assertion was refused: for the log only (the client just hears
/// `invalid_client`, whatever the reason).
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error("the assertion is not a JWT: {0}")]
    Malformed(String),
    #[error("the client has no keys")]
    NoKeys,
    #[error("jwks_uri: {0}")]
    Keys(#[from] FetchError),
    #[error("the client's JWK Set is unreadable: {0}")]
    BadKeySet(String),
    #[error("no key of the client verifies the assertion (RS256 or ES256)")]
    Signature,
    #[error("iss and sub must both be the client_id")]
    WrongIssuer,
    #[error("aud must be this server's issuer identifier, alone")]
    WrongAudience,
    #[error("the assertion has no exp")]
    NoExpiry,
    #[error("the assertion expired")]
    Expired,
    #[error("the assertion lives too long")]
    TooLong,
    #[error("the assertion has no jti")]
    NoJti,
    #[error("the assertion's jti was already used")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The client an assertion says it comes from (`sub`, else `iss`), read
/// before verification only to find whose keys verify it.
pub fn claimed_client_id(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims["sub"].as_str().or(claims["iss"].as_str()).map(str::to_string)
}

/// Checks client assertions for this issuer.
pub struct AssertionVerifier<'a> {
    pub fetcher: &'a Fetcher,
    pub seen: AssertionIds<'a>,
    pub clock: &'a dyn Clock,
    pub issuer: &'a str,
}

impl AssertionVerifier<'_> {
    /// Verifies `assertion` for `client`.
    pub async fn verify(&self, client: &Client, assertion: &str) -> Result<(), AssertionError> {
        let header = josekit::jwt::decode_header(assertion).map_err(|e| AssertionError::Malformed(e.to_string()))?;
        let alg = header.claim("alg").and_then(|v| v.as_str()).unwrap_or("").to_string();
        let kid = header.claim("kid").and_then(|v| v.as_str()).map(str::to_string);
        let keys = self.client_keys(client).await?;
        let candidates: Vec<&Jwk> = keys
            .keys()
            .into_iter()
            .filter(|k| kid.as_deref().is_none_or(|kid| k.key_id() == Some(kid)))
            .collect();
        let payload = candidates
            .iter()
            .find_map(|jwk| {
                let verified = match alg.as_str() {
                    "RS256" => josekit::jwt::decode_with_verifier(assertion, &RS256.verifier_from_jwk(jwk).ok()?),
                    "ES256" => josekit::jwt::decode_with_verifier(assertion, &ES256.verifier_from_jwk(jwk).ok()?),
                    _ => return None,
                };
                verified.ok().map(|(payload, _)| payload)
            })
            .ok_or(AssertionError::Signature)?;

        // RFC 7523 §3: iss and sub are the client id; aud names this server.
        let id = client.client_id.as_str();
        if payload.issuer() != Some(id) || payload.subject() != Some(id) {
            return Err(AssertionError::WrongIssuer);
        }
        // draft-ietf-oauth-rfc7523bis (the 2025 audience-injection attack): the
        // server MUST reject an assertion that does not carry its issuer
        // identifier as its sole audience. A token endpoint URL is no longer
        // accepted: a malicious server could have asked the client to sign for
        // a URL that is also ours.
        if !sole_audience_is(&payload, self.issuer) {
            return Err(AssertionError::WrongAudience);
        }
        let now = self.clock.now();
        let exp = payload
            .claim("exp")
            .and_then(|v| v.as_i64())
            .ok_or(AssertionError::NoExpiry)?;
        if exp + LEEWAY_SECS <= now {
            return Err(AssertionError::Expired);
        }
        if exp > now + MAX_LIFETIME_SECS {
            return Err(AssertionError::TooLong);
        }
        let jti = payload.jwt_id().ok_or(AssertionError::NoJti)?;
        // Accepted once: the first to use this jti wins, until it would expire anyway.
        let ttl = Duration::from_secs((exp - now + LEEWAY_SECS).max(1) as u64);
        if !self.seen.first_use(&client.client_id, jti, ttl).await? {
            return Err(AssertionError::Replayed);
        }
        Ok(())
    }

    async fn client_keys(&self, client: &Client) -> Result<JwkSet, AssertionError> {
        if let Some(jwks) = &client.jwks {
            return JwkSet::from_bytes(jwks.as_bytes()).map_err(|e| AssertionError::BadKeySet(e.to_string()));
        }
        let uri = client.jwks_uri.as_deref().ok_or(AssertionError::NoKeys)?;
        let body = self.fetcher.get(uri, MAX_JWKS_BYTES, JWKS_CACHE_SECS).await?;
        JwkSet::from_bytes(body.as_slice()).map_err(|e| AssertionError::BadKeySet(e.to_string()))
    }
}

fn sole_audience_is(payload: &josekit::jwt::JwtPayload, issuer: &str) -> bool {
    match payload.claim("aud") {
        Some(serde_json::Value::String(aud)) => aud == issuer,
        // Clients are to send a string; a one-element array means the same.
        Some(serde_json::Value::Array(auds)) => auds.len() == 1 && auds[0].as_str() == Some(issuer),
        _ => false,
    }
}
