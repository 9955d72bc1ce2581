//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OIDC Core
//! 9): the client signs a short-lived JWT with its own key; each assertion is
//! accepted once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, RS256};

use crate::domain::Client;
use crate::services::Services;
use crate::store::records::AssertionIds;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest lifetime accepted for an assertion (its jti is remembered that long).
const MAX_LIFETIME_SECS: i64 = 600;
/// Clock difference tolerated with the client.
const LEEWAY_SECS: i64 = 30;
/// How long a fetched `jwks_uri` document is reused.
const JWKS_CACHE_SECS: i64 = 300;
const MAX_JWKS_BYTES: usize = 65_536;

/// The client an assertion says it comes from (`sub`, else `iss`), read
/// before verification only to find whose keys verify it.
pub fn claimed_client_id(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims["sub"].as_str().or(claims["iss"].as_str()).map(str::to_string)
}

/// Verifies `assertion` for `client`; `Err` carries the reason, for the log
/// only (the client just hears `invalid_client`).
pub async fn verify(services: &Services, client: &Client, assertion: &str) -> Result<(), String> {
    let header = josekit::jwt::decode_header(assertion).map_err(|e| e.to_string())?;
    let alg = header.claim("alg").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let kid = header.claim("kid").and_then(|v| v.as_str()).map(str::to_string);
    let keys = client_keys(services, client).await?;
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
        .ok_or("no key of the client verifies the assertion (RS256 or ES256)")?;

    // RFC 7523 §3: iss and sub are the client id; aud names this server.
    let id = client.client_id.as_str();
    if payload.issuer() != Some(id) || payload.subject() != Some(id) {
        return Err("iss and sub must both be the client_id".into());
    }
    // draft-ietf-oauth-rfc7523bis (the 2025 audience-injection attack): the
    // server MUST reject an assertion that does not carry its issuer
    // identifier as its sole audience. A token endpoint URL is no longer
    // accepted: a malicious server could have asked the client to sign for
    // a URL that is also ours.
    if !sole_audience_is(&payload, &services.settings.issuer) {
        return Err("aud must be this server's issuer identifier, alone".into());
    }
    let now = services.clock.now();
    let exp = payload
        .claim("exp")
        .and_then(|v| v.as_i64())
        .ok_or("the assertion has no exp")?;
    if exp + LEEWAY_SECS <= now {
        return Err("the assertion expired".into());
    }
    if exp > now + MAX_LIFETIME_SECS {
        return Err("the assertion lives too long".into());
    }
    let jti = payload.jwt_id().ok_or("the assertion has no jti")?;
    // Accepted once: the first to use this jti wins, until it would expire anyway.
    let ttl = Duration::from_secs((exp - now + LEEWAY_SECS).max(1) as u64);
    let first = AssertionIds::new(&*services.ephemeral)
        .first_use(id, jti, ttl)
        .await
        .map_err(|e| e.to_string())?;
    if !first {
        return Err("the assertion's jti was already used".into());
    }
    Ok(())
}

fn sole_audience_is(payload: &josekit::jwt::JwtPayload, issuer: &str) -> bool {
    match payload.claim("aud") {
        Some(serde_json::Value::String(aud)) => aud == issuer,
        // Clients are to send a string; a one-element array means the same.
        Some(serde_json::Value::Array(auds)) => auds.len() == 1 && auds[0].as_str() == Some(issuer),
        _ => false,
    }
}

async fn client_keys(services: &Services, client: &Client) -> Result<JwkSet, String> {
    if let Some(jwks) = &client.jwks {
        return JwkSet::from_bytes(jwks.as_bytes()).map_err(|e| e.to_string());
    }
    let uri = client.jwks_uri.as_deref().ok_or("the client has no keys")?;
    let body = services
        .fetcher
        .get(uri, MAX_JWKS_BYTES, JWKS_CACHE_SECS)
        .await
        .map_err(|e| format!("jwks_uri: {e}"))?;
    JwkSet::from_bytes(body.as_slice()).map_err(|e| e.to_string())
}
