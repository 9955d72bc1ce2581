//! The signed identity assertion: what the app behind the proxy is told,
//! as a PASETO `v4.public` token it can verify with the keys published at
//! `/gateway/keys`, so it need not trust that nobody else could set the
//! identity headers. It is for one host (`aud`) and one minute. Each node
//! reuses an assertion for the same person, host, identity and key for half
//! its life ([`AssertionCache`]): a signature per person and host every
//! half minute, not one per request.

use std::collections::HashMap;
use std::sync::Mutex;

use pasetors::claims::Claims;
use uuid::Uuid;

use crate::clock::iso8601;
use crate::store::records::GatewayIdentity;

/// How long an assertion may be believed: enough for the request it rides
/// on, too short to be worth stealing.
pub const LIFETIME_SECS: i64 = 60;

/// Why no assertion could be made (a claim pasetors refused: only an empty
/// issuer or host, which the configuration and the proxy rule out).
#[derive(Debug, thiserror::Error)]
#[error("identity assertion claims: {0}")]
pub struct ClaimsError(String);

/// The claims of an assertion about `user_id` for `host`, made at `now`.
pub fn claims(
    issuer: &str,
    host: &str,
    user_id: Uuid,
    identity: &GatewayIdentity,
    now: i64,
) -> Result<Claims, ClaimsError> {
    let refused = |e: pasetors::errors::Error| ClaimsError(e.to_string());
    let mut claims = Claims::new().map_err(refused)?;
    claims.issuer(issuer).map_err(refused)?;
    claims.subject(&user_id.to_string()).map_err(refused)?;
    claims.audience(host).map_err(refused)?;
    claims.issued_at(&iso8601(now)).map_err(refused)?;
    claims.not_before(&iso8601(now)).map_err(refused)?;
    claims.expiration(&iso8601(now + LIFETIME_SECS)).map_err(refused)?;
    claims
        .add_additional("preferred_username", identity.username.as_str())
        .map_err(refused)?;
    if let Some(name) = &identity.name {
        claims.add_additional("name", name.as_str()).map_err(refused)?;
    }
    if let Some(email) = &identity.email {
        claims.add_additional("email", email.as_str()).map_err(refused)?;
    }
    claims
        .add_additional("groups", identity.groups.clone())
        .map_err(refused)?;
    Ok(claims)
}

/// How long a node hands out the same assertion: half its life, so every
/// copy an app receives has at least half a minute left.
const REUSE_SECS: i64 = LIFETIME_SECS / 2;
/// Entries kept before the cache starts over (one per person and host
/// seen in the last half minute).
const MAX_ENTRIES: usize = 10_000;

struct Made {
    identity: GatewayIdentity,
    kid: String,
    made_at: i64,
    token: String,
}

/// Assertions this node signed recently, by person and host.
#[derive(Default)]
pub struct AssertionCache {
    made: Mutex<HashMap<String, Made>>,
}

fn cache_key(user_id: Uuid, host: &str) -> String {
    format!("{user_id} {host}")
}

impl AssertionCache {
    /// The assertion made for `user_id` at `host` with this `identity` by
    /// the key `kid`, while younger than [`REUSE_SECS`].
    pub fn reuse(&self, user_id: Uuid, host: &str, identity: &GatewayIdentity, kid: &str, now: i64) -> Option<String> {
        let made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        let entry = made.get(&cache_key(user_id, host))?;
        let young = entry.made_at <= now && now < entry.made_at + REUSE_SECS;
        (young && entry.kid == kid && entry.identity == *identity).then(|| entry.token.clone())
    }

    pub fn keep(&self, user_id: Uuid, host: &str, identity: &GatewayIdentity, kid: &str, now: i64, token: &str) {
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        if made.len() >= MAX_ENTRIES {
            made.clear();
        }
        made.insert(
            cache_key(user_id, host),
            Made {
                identity: identity.clone(),
                kid: kid.to_string(),
                made_at: now,
                token: token.to_string(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_names_the_host_the_person_and_a_minute() {
        let identity = GatewayIdentity {
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            name: None,
            groups: vec!["staff".into(), "ops".into()],
        };
        let user = Uuid::new_v4();
        let claims = claims(
            "https://id.example.com",
            "wiki.example.com",
            user,
            &identity,
            1_800_000_000,
        )
        .unwrap();
        let text = claims.to_string().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["iss"], "https://id.example.com");
        assert_eq!(json["aud"], "wiki.example.com");
        assert_eq!(json["sub"], user.to_string());
        assert_eq!(json["iat"], "2027-01-15T08:00:00Z");
        assert_eq!(json["exp"], "2027-01-15T08:01:00Z");
        assert_eq!(json["preferred_username"], "alice");
        assert_eq!(json["email"], "alice@example.com");
        assert_eq!(json["groups"], serde_json::json!(["staff", "ops"]));
        assert!(json.get("name").is_none(), "nothing to say, no claim");
    }

    #[test]
    fn an_assertion_is_reused_for_half_its_life_for_the_same_person_host_and_key() {
        let cache = AssertionCache::default();
        let identity = GatewayIdentity {
            username: "alice".into(),
            email: None,
            name: None,
            groups: vec![],
        };
        let user = Uuid::new_v4();
        cache.keep(user, "wiki.example.com", &identity, "k1", 100, "token");
        assert_eq!(
            cache.reuse(user, "wiki.example.com", &identity, "k1", 129).as_deref(),
            Some("token")
        );
        assert_eq!(
            cache.reuse(user, "wiki.example.com", &identity, "k1", 130),
            None,
            "half a minute on"
        );
        assert_eq!(cache.reuse(user, "other.example.com", &identity, "k1", 110), None);
        assert_eq!(
            cache.reuse(user, "wiki.example.com", &identity, "k2", 110),
            None,
            "another key signs now"
        );
        let renamed = GatewayIdentity {
            name: Some("Alice".into()),
            ..identity.clone()
        };
        assert_eq!(cache.reuse(user, "wiki.example.com", &renamed, "k1", 110), None);
        assert_eq!(
            cache.reuse(Uuid::new_v4(), "wiki.example.com", &identity, "k1", 110),
            None
        );
    }
}
