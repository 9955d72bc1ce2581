//! Signing out where the person signed in. An upstream's logout token
//! (Back-Channel Logout 1.0) ends the Sesame sessions its session signed in
//! — each of their apps told, as at any sign-out — and signing out of a
//! session that came from an upstream offers signing out there too
//! (RP-Initiated Logout 1.0).

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::JwsVerifier;
use josekit::jwt::JwtPayload;
use openidconnect::core::CoreIdToken;
use openidconnect::{ClientId, LogoutRequest};
use serde_json::Value;

use super::{FederationError, KEYS_REFETCH_SECS, Provider, Upstreams, error_chain};
use crate::config::UpstreamKind;
use crate::domain::{AuditEvent, UpstreamSession};
use crate::oidc::logout::fanout::Fanout;
/// §2.4: the member of `events` that makes a JWT a logout token.
use crate::oidc::logout::token::BACKCHANNEL_LOGOUT_EVENT as LOGOUT_EVENT;
use crate::store::records::{UPSTREAM_SIGN_IN_TTL, UpstreamAnswers};
use crate::store::{AuditLog, LinkedIdentityRepository};

/// Clocks may differ this much between the upstream and Sesame.
const LEEWAY_SECS: i64 = 60;

/// Why a logout token is not one to act on (§2.6).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoutTokenError {
    #[error("not a signed JWT: {0}")]
    Malformed(String),
    #[error("no key of the upstream verifies its signature")]
    Signature,
    #[error("issued by another issuer")]
    WrongIssuer,
    #[error("not addressed to this client")]
    WrongAudience,
    #[error("iat missing, in the future or too old")]
    Stale,
    #[error("expired")]
    Expired,
    #[error("no backchannel-logout event")]
    NotALogout,
    #[error("carries a nonce (§2.6: it must not)")]
    Nonce,
    #[error("names neither sub nor sid")]
    NoSubject,
    #[error("no jti")]
    NoJti,
    #[error("already used")]
    Replayed,
}

/// The session a valid logout token names: its subject, its session id, or both.
#[derive(Debug, PartialEq, Eq)]
pub struct LoggedOut {
    pub subject: Option<String>,
    pub sid: Option<String>,
    pub jti: String,
}

/// Checks a logout token's claims (its signature verified already) for
/// `issuer` and `client_id` at `now` (§2.6, steps 3–7).
pub fn check_claims(
    payload: &JwtPayload,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> Result<LoggedOut, LogoutTokenError> {
    if payload.issuer() != Some(issuer) {
        return Err(LogoutTokenError::WrongIssuer);
    }
    if !payload.audience().is_some_and(|aud| aud.contains(&client_id)) {
        return Err(LogoutTokenError::WrongAudience);
    }
    let iat = payload
        .claim("iat")
        .and_then(Value::as_i64)
        .ok_or(LogoutTokenError::Stale)?;
    let oldest = now - UPSTREAM_SIGN_IN_TTL.as_secs() as i64;
    if iat > now + LEEWAY_SECS || iat < oldest {
        return Err(LogoutTokenError::Stale);
    }
    if let Some(exp) = payload.claim("exp")
        && exp.as_i64().is_none_or(|exp| exp + LEEWAY_SECS <= now)
    {
        return Err(LogoutTokenError::Expired);
    }
    let is_logout = payload
        .claim("events")
        .and_then(|events| events.get(LOGOUT_EVENT))
        .is_some_and(Value::is_object);
    if !is_logout {
        return Err(LogoutTokenError::NotALogout);
    }
    if payload.claim("nonce").is_some() {
        return Err(LogoutTokenError::Nonce);
    }
    let text = |name: &str| {
        payload
            .claim(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (subject, sid) = (text("sub"), text("sid"));
    if subject.is_none() && sid.is_none() {
        return Err(LogoutTokenError::NoSubject);
    }
    let jti = text("jti").ok_or(LogoutTokenError::NoJti)?;
    Ok(LoggedOut { subject, sid, jti })
}

/// A verifier for the algorithms upstreams sign with; never `none`, never
/// an HMAC (the key would be the client secret, which Sesame does not
/// accept as a signature of the upstream's).
fn verifier(alg: &str, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    use josekit::jws::{ES256, ES384, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
    Some(match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
        "RS384" => Box::new(RS384.verifier_from_jwk(jwk).ok()?),
        "RS512" => Box::new(RS512.verifier_from_jwk(jwk).ok()?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).ok()?),
        "PS384" => Box::new(PS384.verifier_from_jwk(jwk).ok()?),
        "PS512" => Box::new(PS512.verifier_from_jwk(jwk).ok()?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
        "ES384" => Box::new(ES384.verifier_from_jwk(jwk).ok()?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    })
}

/// The token's payload when a key of `keys` verifies its signature.
fn verified_payload(token: &str, keys: &JwkSet) -> Result<JwtPayload, LogoutTokenError> {
    let header = josekit::jwt::decode_header(token).map_err(|e| LogoutTokenError::Malformed(e.to_string()))?;
    let alg = header.claim("alg").and_then(Value::as_str).unwrap_or("");
    let kid = header.claim("kid").and_then(Value::as_str);
    keys.keys()
        .into_iter()
        .filter(|k| kid.is_none_or(|kid| k.key_id() == Some(kid)))
        .find_map(|jwk| {
            let verifier = verifier(alg, jwk)?;
            josekit::jwt::decode_with_verifier(token, &*verifier)
                .ok()
                .map(|(payload, _)| payload)
        })
        .ok_or(LogoutTokenError::Signature)
}

/// An offer to sign out at the upstream too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamSignOut {
    pub display_name: String,
    /// The upstream's end-session endpoint with `id_token_hint` and `client_id`.
    pub url: String,
}

impl Upstreams {
    /// The upstream's public keys, discovered again when older than
    /// `max_age`.
    async fn keys(&self, provider: &Provider, now: i64, max_age: i64) -> Result<(JwkSet, String), FederationError> {
        let metadata = self.metadata_within(provider, now, max_age).await?;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: provider.settings.name.clone(),
            cause,
        };
        let json = serde_json::to_vec(metadata.jwks()).map_err(|e| unavailable(e.to_string()))?;
        let keys = JwkSet::from_bytes(&json).map_err(|e| unavailable(error_chain(&e)))?;
        Ok((keys, metadata.issuer().to_string()))
    }

    /// Where to sign out of the upstream session `session` came through,
    /// when the upstream has an end-session endpoint (and can be reached).
    pub async fn sign_out(&self, session: &UpstreamSession, now: i64) -> Option<UpstreamSignOut> {
        let provider = self.provider(&session.upstream).ok()?;
        if provider.settings.kind == UpstreamKind::OAuth2 {
            return None;
        }
        let metadata = self.metadata(provider, now).await.ok()?;
        let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut request =
            LogoutRequest::from(endpoint).set_client_id(ClientId::new(provider.settings.client_id.clone()));
        if let Ok(id_token) = session.id_token.parse::<CoreIdToken>() {
            request = request.set_id_token_hint(&id_token);
        }
        Some(UpstreamSignOut {
            display_name: provider.settings.display_name.clone(),
            url: request.http_get_url().to_string(),
        })
    }
}

/// What an upstream's logout touches.
pub struct UpstreamLogout<'a> {
    pub upstreams: &'a Upstreams,
    pub answers: UpstreamAnswers<'a>,
    pub links: &'a dyn LinkedIdentityRepository,
    /// Ends the sessions and tells their apps; also the sessions and clock.
    pub fanout: Fanout<'a>,
    pub audit: &'a dyn AuditLog,
}

impl UpstreamLogout<'_> {
    /// Upstream `name`'s logout token (§2.6): verified against its keys
    /// (fetched again once when none verifies: it may have rotated), used
    /// once; then every Sesame session signed in through the session it
    /// names ends. Returns how many did (none is no error: §2.7, signing
    /// out twice is not a failure).
    pub async fn log_out(&self, name: &str, token: &str) -> Result<usize, FederationError> {
        let provider = self.upstreams.provider(name)?;
        let now = self.fanout.sessions.clock.now();
        let refused = |e: LogoutTokenError| FederationError::Refused {
            upstream: name.to_string(),
            cause: format!("logout token: {e}"),
        };
        if provider.settings.kind == UpstreamKind::OAuth2 {
            return Err(FederationError::Refused {
                upstream: name.to_string(),
                cause: "a plain OAuth 2.0 upstream sends no logout tokens".into(),
            });
        }
        let (keys, issuer) = self.upstreams.keys(provider, now, super::METADATA_SECS).await?;
        let payload = match verified_payload(token, &keys) {
            Err(LogoutTokenError::Signature) => {
                let (keys, _) = self.upstreams.keys(provider, now, KEYS_REFETCH_SECS).await?;
                verified_payload(token, &keys)
            }
            verified => verified,
        }
        .map_err(refused)?;
        let logged_out = check_claims(&payload, &issuer, &provider.settings.client_id, now).map_err(refused)?;
        if !self.answers.first_logout(name, &logged_out.jti).await? {
            return Err(refused(LogoutTokenError::Replayed));
        }
        let user = match (&logged_out.subject, &logged_out.sid) {
            (Some(subject), _) => self.links.find_link(&issuer, subject).await?.map(|l| l.user_id),
            (None, Some(sid)) => self.fanout.sessions.records.user_of_upstream_sid(name, sid).await?,
            (None, None) => None,
        };
        let Some(user) = user else {
            return Ok(0);
        };
        let mut ended = 0;
        for live in self.fanout.sessions.list_for_user(user).await? {
            let Some(came_from) = &live.session.upstream else {
                continue;
            };
            let same = came_from.upstream == name
                && logged_out.subject.as_ref().is_none_or(|s| *s == came_from.subject)
                && logged_out
                    .sid
                    .as_ref()
                    .is_none_or(|sid| came_from.sid.as_ref() == Some(sid));
            if same {
                let reason = format!("signed out at {name}");
                self.fanout.end_session(&live, &reason).await?;
                ended += 1;
            }
        }
        if ended > 0 {
            let event = AuditEvent::new("upstream_logout", now)
                .user(user)
                .detail(format!("{name} signed the person out: {ended} session(s) ended"));
            crate::audit::record(self.audit, event).await;
        }
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn payload(claims: Value) -> JwtPayload {
        let Value::Object(map) = claims else { unreachable!() };
        JwtPayload::from_map(map).expect("payload")
    }

    fn logout(extra: Value) -> JwtPayload {
        let mut claims = json!({
            "iss": "https://corp.example",
            "aud": "sesame",
            "iat": NOW,
            "jti": "j1",
            "sid": "s1",
            "events": { LOGOUT_EVENT: {} },
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        payload(claims)
    }

    fn check(extra: Value) -> Result<LoggedOut, LogoutTokenError> {
        check_claims(&logout(extra), "https://corp.example", "sesame", NOW)
    }

    #[test]
    fn a_logout_token_names_its_session() {
        assert_eq!(
            check(json!({"sub": "u1"})),
            Ok(LoggedOut {
                subject: Some("u1".into()),
                sid: Some("s1".into()),
                jti: "j1".into()
            })
        );
        assert!(check(json!({"aud": ["other", "sesame"], "exp": NOW + 120})).is_ok());
    }

    #[test]
    fn each_rule_of_section_2_6_refuses() {
        use LogoutTokenError::*;
        assert_eq!(check(json!({"iss": "https://evil.example"})), Err(WrongIssuer));
        assert_eq!(check(json!({"aud": "other"})), Err(WrongAudience));
        assert_eq!(check(json!({"iat": null})), Err(Stale));
        assert_eq!(check(json!({"iat": NOW + 3600})), Err(Stale));
        assert_eq!(check(json!({"iat": NOW - 3600})), Err(Stale));
        assert_eq!(check(json!({"exp": NOW - 3600})), Err(Expired));
        assert_eq!(check(json!({"events": null})), Err(NotALogout));
        assert_eq!(check(json!({"events": {LOGOUT_EVENT: "yes"}})), Err(NotALogout));
        assert_eq!(check(json!({"events": {"http://other/event": {}}})), Err(NotALogout));
        assert_eq!(check(json!({"nonce": "n"})), Err(Nonce));
        assert_eq!(check(json!({"sid": null})), Err(NoSubject));
        assert_eq!(check(json!({"jti": null})), Err(NoJti));
    }

    #[test]
    fn only_a_key_of_the_upstream_verifies_and_never_none() {
        let key = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).expect("key");
        let mut public = key.to_jwk_public_key();
        public.set_key_id("k1");
        let mut keys = JwkSet::new();
        keys.push_key(public);
        let mut header = josekit::jws::JwsHeader::new();
        header.set_key_id("k1");
        let claims = logout(json!({}));
        let signer = josekit::jws::RS256
            .signer_from_jwk(&key.to_jwk_private_key())
            .expect("signer");
        let token = josekit::jwt::encode_with_signer(&claims, &header, &signer).expect("token");
        assert!(verified_payload(&token, &keys).is_ok());

        let other = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).expect("key");
        let forged_signer = josekit::jws::RS256
            .signer_from_jwk(&other.to_jwk_private_key())
            .expect("signer");
        let forged = josekit::jwt::encode_with_signer(&claims, &header, &forged_signer).expect("token");
        assert!(matches!(
            verified_payload(&forged, &keys),
            Err(LogoutTokenError::Signature)
        ));

        let unsigned = josekit::jwt::encode_unsecured(&claims, &header).expect("token");
        assert!(matches!(
            verified_payload(&unsigned, &keys),
            Err(LogoutTokenError::Signature)
        ));
        assert!(matches!(
            verified_payload("junk", &keys),
            Err(LogoutTokenError::Malformed(_))
        ));
    }
}
