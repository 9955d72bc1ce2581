//! RFC 8707 resource indicators, and the audience of access tokens (RFC
//! 9068 §3, RFC 7662 `aud`). What a client's tokens may reach is the
//! operator's decision: the client's configured audiences. A request names
//! one of them with `resource` (one per request: repeated parameters are
//! refused), or none and gets them all.

use crate::domain::{Client, valid_resource_indicator};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::params::Params;

fn invalid_target(description: &'static str) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidTarget, description)
}

/// The `resource` parameter (RFC 8707 §2): an absolute URI without a fragment.
pub fn requested(params: &Params) -> Result<Option<String>, ProtocolError> {
    match params.get("resource") {
        None => Ok(None),
        Some(resource) if valid_resource_indicator(resource) => Ok(Some(resource.to_string())),
        Some(_) => Err(invalid_target("resource must be an absolute URI without a fragment")),
    }
}

/// The resource the tokens of this request are for: the one `requested`,
/// which must be among the client's audiences and, when the grant was made
/// for a resource, that same one; else the one the grant was made for.
pub fn check(client: &Client, requested: Option<&str>, granted: Option<&str>) -> Result<Option<String>, ProtocolError> {
    let Some(requested) = requested else {
        return Ok(granted.map(str::to_string));
    };
    if !client.audiences.iter().any(|a| a == requested) {
        return Err(invalid_target(
            "this application may not ask for tokens for that resource",
        ));
    }
    if granted.is_some_and(|g| g != requested) {
        return Err(invalid_target("the grant was made for another resource"));
    }
    Ok(Some(requested.to_string()))
}

/// The audience of an access token: the resource it is for; else every
/// audience the client has, and this server (so that the token still serves
/// userinfo); else this server alone.
pub fn audience(client: &Client, resource: Option<&str>, issuer: &str) -> Vec<String> {
    match resource {
        Some(resource) => vec![resource.to_string()],
        None => {
            let mut audience = client.audiences.clone();
            audience.push(issuer.to_string());
            audience
        }
    }
}

/// `aud` as RFC 7519 writes it: a string when there is one, an array otherwise.
pub fn aud_claim(audience: &[String]) -> serde_json::Value {
    match audience {
        [one] => serde_json::Value::String(one.clone()),
        many => serde_json::json!(many),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(audiences: &[&str]) -> Client {
        let mut client = crate::domain::tests_support::client();
        client.audiences = audiences.iter().map(|a| a.to_string()).collect();
        client
    }

    #[test]
    fn only_configured_resources_and_never_a_wider_one() {
        let c = client(&["https://api.example", "https://files.example"]);
        assert_eq!(check(&c, None, None), Ok(None));
        assert_eq!(
            check(&c, Some("https://api.example"), None),
            Ok(Some("https://api.example".into()))
        );
        assert!(check(&c, Some("https://evil.example"), None).is_err());
        assert!(check(&c, Some("https://files.example"), Some("https://api.example")).is_err());
        assert_eq!(
            check(&c, None, Some("https://api.example")),
            Ok(Some("https://api.example".into()))
        );
        assert_eq!(
            audience(&c, None, "https://id.example"),
            vec!["https://api.example", "https://files.example", "https://id.example"]
        );
        assert_eq!(
            audience(&c, Some("https://api.example"), "https://id.example"),
            vec!["https://api.example"]
        );
        assert_eq!(
            audience(&client(&[]), None, "https://id.example"),
            vec!["https://id.example"]
        );
    }

    #[test]
    fn a_resource_is_an_absolute_uri_without_fragment() {
        for bad in ["relative/path", "https://api.example/#x", "https://api.example/\0"] {
            let query = format!(
                "resource={}",
                url::form_urlencoded::byte_serialize(bad.as_bytes()).collect::<String>()
            );
            let error = requested(&Params::parse(&query).unwrap()).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidTarget, "{bad}");
        }
    }
}
