//! One function per check of an authorization request.

use super::{Prompt, ResponseMode, ResponseTarget};
use crate::domain::{Client, ClientId, ClientType, CodeChallenge, Level, Scopes};
use crate::error::{ErrorCode, ProtocolError};
use crate::keys::KeyRing;
use crate::oidc::id_token_hint;
use crate::oidc::params::Params;
use crate::store::ClientRepository;

/// Longest `state` accepted, in bytes: it travels in the sealed request the
/// pages carry, and back to the app. Room for frameworks that put a signed
/// blob in it.
pub(super) const MAX_STATE_BYTES: usize = 2048;
/// Longest `nonce` accepted, in bytes.
pub(super) const MAX_NONCE_BYTES: usize = 512;
/// Longest `idp_hint` accepted, in bytes (an upstream's configured name).
pub const MAX_IDP_HINT_BYTES: usize = 64;
/// Longest `login_hint` accepted, in bytes (an email address is at most 254).
pub(super) const MAX_LOGIN_HINT_BYTES: usize = 512;

/// RFC 6749 §4.1.2.1: a missing or invalid client identifier is not redirected.
pub(super) async fn known_client(clients: &dyn ClientRepository, params: &Params) -> Result<Client, ProtocolError> {
    if params.is_repeated("client_id") {
        return Err(ProtocolError::invalid_request("client_id is included more than once"));
    }
    let unknown = || ProtocolError::invalid_request("the application (client_id) is not registered here");
    let client_id = ClientId::parse(params.require("client_id")?).map_err(|_| unknown())?;
    clients.find_client(&client_id).await?.ok_or_else(unknown)
}

/// OIDC Core 3.1.2.1: redirect_uri is REQUIRED and MUST exactly match one of
/// the client's registered redirection URIs.
pub(super) fn response_target(client: &Client, params: &Params) -> Result<ResponseTarget, ProtocolError> {
    if params.is_repeated("redirect_uri") {
        return Err(ProtocolError::invalid_request(
            "redirect_uri is included more than once",
        ));
    }
    let requested = params.require("redirect_uri")?;
    let redirect_uri = client.registered_redirect_uri(requested).ok_or_else(|| {
        ProtocolError::invalid_request("redirect_uri does not match any URI registered for this application")
    })?;
    // An unsupported response_mode is itself an error, answered in the default mode.
    let response_mode = match params.get("response_mode") {
        Some("form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    // Cut here so that the error for a state too long can still carry one;
    // `no_request_objects` refuses the request when it was cut.
    let state = params.get("state").map(|s| truncate(s, MAX_STATE_BYTES));
    let target = ResponseTarget {
        redirect_uri,
        response_mode,
        state,
    };
    Ok(target)
}

/// At most `max` bytes of `value`, cut at a character boundary.
fn truncate(value: &str, max: usize) -> String {
    let mut end = value.len().min(max);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_string()
}

/// Runs after the target is known, so its errors are redirected.
pub(super) fn no_request_objects(params: &Params) -> Result<(), ProtocolError> {
    match params.get("response_mode") {
        None | Some("query") | Some("form_post") => {}
        Some(other) => {
            return Err(ProtocolError::invalid_request(format!(
                "response_mode {other:?} is not supported; use query or form_post"
            )));
        }
    }
    if params.get("request").is_some() {
        return Err(ProtocolError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(ProtocolError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    if params.get("state").is_some_and(|s| s.len() > MAX_STATE_BYTES) {
        return Err(ProtocolError::invalid_request("state is too long"));
    }
    Ok(())
}

/// Only the authorization code flow is offered (RFC 9700 §2.1.2: no implicit).
pub(super) fn response_type_is_code(params: &Params) -> Result<(), ProtocolError> {
    match params.require("response_type")? {
        "code" => Ok(()),
        other => Err(ProtocolError::new(
            ErrorCode::UnsupportedResponseType,
            format!("response_type {other:?} is not supported; use code"),
        )),
    }
}

/// OIDC Core 3.1.2.1: scope MUST contain `openid`. Scopes the client may not
/// have are dropped (RFC 6749 §3.3 lets the server grant fewer).
pub(super) fn scopes(client: &Client, params: &Params) -> Result<Scopes, ProtocolError> {
    let requested = Scopes::parse(params.require("scope")?)
        .map_err(|e| ProtocolError::new(ErrorCode::InvalidScope, e.to_string()))?;
    if !requested.contains("openid") {
        return Err(ProtocolError::new(ErrorCode::InvalidScope, "scope must include openid"));
    }
    let granted = requested.intersect(&client.allowed_scopes);
    if !granted.contains("openid") {
        return Err(ProtocolError::new(
            ErrorCode::InvalidScope,
            "this application may not use the openid scope",
        ));
    }
    Ok(granted)
}

/// RFC 7636 and RFC 9700 §2.1.1: S256 is required of public clients and
/// accepted from confidential ones; `plain` is refused.
pub(super) fn pkce(client: &Client, params: &Params) -> Result<Option<CodeChallenge>, ProtocolError> {
    let method = params.get("code_challenge_method");
    let Some(challenge) = params.get("code_challenge") else {
        if method.is_some() {
            return Err(ProtocolError::invalid_request(
                "code_challenge_method without code_challenge",
            ));
        }
        if client.client_type == ClientType::Public {
            return Err(ProtocolError::invalid_request(
                "code_challenge is required (PKCE with S256) for public clients",
            ));
        }
        return Ok(None);
    };
    match method {
        Some("S256") => {}
        // RFC 7636 §4.3: absent means plain, which is not supported.
        None | Some("plain") => {
            return Err(ProtocolError::invalid_request(
                "code_challenge_method must be S256; plain is not supported",
            ));
        }
        Some(other) => {
            return Err(ProtocolError::invalid_request(format!(
                "code_challenge_method {other:?} is not supported; use S256"
            )));
        }
    }
    CodeChallenge::parse_s256(challenge)
        .map(Some)
        .map_err(|e| ProtocolError::invalid_request(e.to_string()))
}

/// An optional free-text parameter of at most `max_bytes`.
pub(super) fn bounded(params: &Params, name: &str, max_bytes: usize) -> Result<Option<String>, ProtocolError> {
    match params.get(name) {
        Some(v) if v.len() > max_bytes => Err(ProtocolError::invalid_request(format!(
            "{name} is too long (at most {max_bytes} bytes)"
        ))),
        v => Ok(v.map(str::to_string)),
    }
}

/// OIDC Core 3.1.2.1: `none` with any other value is an error.
pub(super) fn prompt(params: &Params) -> Result<Prompt, ProtocolError> {
    let mut prompt = Prompt::default();
    let Some(values) = params.get("prompt") else {
        return Ok(prompt);
    };
    for value in values.split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            other => {
                return Err(ProtocolError::invalid_request(format!(
                    "prompt value {other:?} is unknown"
                )));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(ProtocolError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

/// OIDC Core 3.1.2.1: an ID token we issued, passed as a hint about the
/// signed-in user; accepted even when expired, as long as we signed it.
pub(super) fn id_token_hint(
    keys: &KeyRing,
    issuer: &str,
    params: &Params,
) -> Result<Option<uuid::Uuid>, ProtocolError> {
    let Some(hint) = params.get("id_token_hint") else {
        return Ok(None);
    };
    id_token_hint::verify(keys, issuer, hint)
        .map(|hint| Some(hint.subject))
        .map_err(|_| ProtocolError::invalid_request("id_token_hint is not an ID token issued here"))
}

/// At most this many bytes of `acr_values`.
const MAX_ACR_VALUES_BYTES: usize = 512;

/// OIDC Core 3.1.2.1 `acr_values`: the level the app asks for, if it names
/// one Sesame knows (the claim is voluntary: unknown values are ignored).
pub(super) fn acr_values(params: &Params) -> Result<Option<Level>, ProtocolError> {
    Ok(bounded(params, "acr_values", MAX_ACR_VALUES_BYTES)?.and_then(|values| Level::requested(&values)))
}

pub(super) fn max_age(params: &Params) -> Result<Option<u64>, ProtocolError> {
    params
        .get("max_age")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| ProtocolError::invalid_request("max_age must be a non-negative integer of seconds"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(q).unwrap()
    }

    #[test]
    fn prompt_none_alone_only() {
        assert!(prompt(&params("prompt=none")).unwrap().none);
        assert!(prompt(&params("prompt=login%20consent")).unwrap().consent);
        assert!(prompt(&params("prompt=none%20login")).is_err());
        assert!(prompt(&params("prompt=bogus")).is_err());
    }

    #[test]
    fn lengths_are_counted_in_bytes() {
        // 600 two-byte characters: 600 characters, 1,200 bytes.
        let nonce = "é".repeat(600);
        let query = format!(
            "nonce={}",
            url::form_urlencoded::byte_serialize(nonce.as_bytes()).collect::<String>()
        );
        assert!(bounded(&params(&query), "nonce", MAX_NONCE_BYTES).is_err());
        assert_eq!(truncate("aé", 2), "a", "never inside a character");
    }

    #[test]
    fn max_age_must_be_a_number() {
        assert_eq!(max_age(&params("max_age=30")).unwrap(), Some(30));
        assert!(max_age(&params("max_age=-1")).is_err());
        assert!(max_age(&params("max_age=soon")).is_err());
    }
}
