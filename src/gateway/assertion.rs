//! The signed identity assertion: what the app behind the proxy is told,
//! as a PASETO `v4.public` token it can verify with the keys published at
//! `/gateway/keys`, so it need not trust that nobody else could set the
//! identity headers. It is for one host (`aud`) and one minute.

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
}
