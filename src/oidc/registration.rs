//! Dynamic client registration (OIDC Dynamic Client Registration 1.0,
//! RFC 7591) and its management protocol (RFC 7592), as the protocol sees
//! it: reading metadata from JSON, who may register and manage a
//! registration, and the metadata shown back. The rules for the metadata
//! itself are `domain::client_metadata` (shared with the portal and the
//! CLI); registering is `admin::registration`.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::config::RegistrationPolicy;
use crate::config::RegistrationSettings;
use crate::crypto;
use crate::domain::client_metadata::{MetadataError, MetadataErrorCode, NewClient, ValidMetadata};
use crate::domain::{Alg, ApplicationType, AuthMethod, Client, ClientId, ClientInfo};
use crate::error::ProtocolError;
use crate::store::records::{Counters, RateSubject};
use crate::store::{ClientRepository, RegistrationTokenRepository};

/// What the registration API touches.
pub struct RegistrationApi<'a> {
    pub clients: &'a dyn ClientRepository,
    pub tokens: &'a dyn RegistrationTokenRepository,
    pub counters: Counters<'a>,
    pub settings: &'a RegistrationSettings,
    pub issuer: &'a str,
    pub clock: &'a dyn Clock,
}

impl RegistrationApi<'_> {
    /// Where a client's registration is read, updated and deleted (RFC 7592).
    pub fn registration_client_uri(&self, client_id: &str) -> String {
        let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
        format!("{}/register/{id}", self.issuer)
    }
}

fn metadata_error(field: &'static str, message: impl Into<String>) -> ProtocolError {
    MetadataError {
        code: MetadataErrorCode::InvalidClientMetadata,
        field,
        message: message.into(),
    }
    .into()
}

/// The request body's metadata. Unknown fields are ignored (RFC 7591 §2),
/// as are `client_id` and secrets, which only the server assigns; a known
/// field of the wrong type is `invalid_client_metadata`.
pub fn parse_metadata(body: &[u8]) -> Result<NewClient, ProtocolError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ProtocolError::invalid_request(format!("the body is not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(ProtocolError::invalid_request("the body must be a JSON object"));
    };
    let reader = Fields(&fields);
    let application_type = match reader.string("application_type")? {
        None => None,
        Some(t) => Some(
            ApplicationType::parse(&t)
                .ok_or_else(|| metadata_error("application_type", format!("{t:?} is not web or native")))?,
        ),
    };
    let auth_method = match reader.string("token_endpoint_auth_method")? {
        None => None,
        Some(m) => Some(AuthMethod::parse(&m).ok_or_else(|| {
            metadata_error(
                "token_endpoint_auth_method",
                format!("{m:?} is not supported (client_secret_basic, client_secret_post, private_key_jwt, none)"),
            )
        })?),
    };
    let id_token_alg = match reader.string("id_token_signed_response_alg")? {
        None => None,
        Some(a) => Some(Alg::parse_jws(&a).ok_or_else(|| {
            metadata_error(
                "id_token_signed_response_alg",
                format!("{a:?} is not supported (RS256, ES256)"),
            )
        })?),
    };
    let jwks = match fields.get("jwks") {
        None | Some(Value::Null) => None,
        Some(value @ Value::Object(_)) => Some(value.to_string()),
        Some(_) => return Err(metadata_error("jwks", "jwks is a JWK Set object")),
    };
    Ok(NewClient {
        name: reader.string("client_name")?.unwrap_or_default(),
        application_type,
        redirect_uris: reader.strings("redirect_uris")?,
        auth_method,
        id_token_alg,
        post_logout_redirect_uris: reader.strings("post_logout_redirect_uris")?,
        backchannel_logout_uri: reader.string("backchannel_logout_uri")?,
        backchannel_logout_session_required: reader.boolean("backchannel_logout_session_required")?,
        frontchannel_logout_uri: reader.string("frontchannel_logout_uri")?,
        frontchannel_logout_session_required: reader.boolean("frontchannel_logout_session_required")?,
        grant_types: reader.strings("grant_types")?,
        response_types: reader.strings("response_types")?,
        jwks,
        jwks_uri: reader.string("jwks_uri")?,
        info: ClientInfo {
            client_uri: reader.string("client_uri")?,
            logo_uri: reader.string("logo_uri")?,
            policy_uri: reader.string("policy_uri")?,
            tos_uri: reader.string("tos_uri")?,
            contacts: reader.strings("contacts")?,
        },
        ..NewClient::default()
    })
}

/// Typed access to the metadata object; `null` counts as absent.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn string(&self, field: &'static str) -> Result<Option<String>, ProtocolError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(metadata_error(field, "must be a string")),
        }
    }

    fn strings(&self, field: &'static str) -> Result<Vec<String>, ProtocolError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(metadata_error(field, "must be an array of strings")),
                })
                .collect(),
            Some(_) => Err(metadata_error(field, "must be an array of strings")),
        }
    }

    fn boolean(&self, field: &'static str) -> Result<bool, ProtocolError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(metadata_error(field, "must be true or false")),
        }
    }
}

/// A client's registered metadata (RFC 7591 §3.2.1), without secrets.
pub fn metadata_json(client: &Client) -> Value {
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            out.insert(key.to_string(), value);
        }
    };
    put("client_id", json!(client.client_id));
    put("client_id_issued_at", json!(client.created_at));
    put("client_name", json!(client.name));
    put("application_type", json!(client.application_type.as_str()));
    put("redirect_uris", json!(client.redirect_uris));
    put("post_logout_redirect_uris", json!(client.post_logout_redirect_uris));
    put("token_endpoint_auth_method", json!(client.auth_method.as_str()));
    put("grant_types", json!(client.grant_types));
    put(
        "response_types",
        json!(ValidMetadata::response_types(&client.grant_types)),
    );
    put("scope", json!(client.allowed_scopes.to_string()));
    put("id_token_signed_response_alg", json!(client.id_token_alg.as_str()));
    put("backchannel_logout_uri", json!(client.backchannel_logout_uri));
    if client.backchannel_logout_uri.is_some() {
        put(
            "backchannel_logout_session_required",
            json!(client.backchannel_logout_session_required),
        );
    }
    put("frontchannel_logout_uri", json!(client.frontchannel_logout_uri));
    if client.frontchannel_logout_uri.is_some() {
        put(
            "frontchannel_logout_session_required",
            json!(client.frontchannel_logout_session_required),
        );
    }
    put("client_uri", json!(client.info.client_uri));
    put("logo_uri", json!(client.info.logo_uri));
    put("policy_uri", json!(client.info.policy_uri));
    put("tos_uri", json!(client.info.tos_uri));
    if !client.info.contacts.is_empty() {
        put("contacts", json!(client.info.contacts));
    }
    put(
        "jwks",
        client
            .jwks
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or(Value::Null),
    );
    put("jwks_uri", json!(client.jwks_uri));
    Value::Object(out)
}

/// The RFC 7591 §3.2.1 response to a registration (and to an RFC 7592
/// update that issued a secret): the metadata, the credentials (shown once)
/// and where to manage the registration.
pub fn registration_response(
    api: &RegistrationApi<'_>,
    client: &Client,
    secret: Option<&str>,
    registration_token: Option<&str>,
) -> Value {
    let mut body = metadata_json(client);
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        // Secrets do not expire on their own; they are rotated.
        body["client_secret_expires_at"] = json!(0);
    }
    if let Some(token) = registration_token {
        body["registration_access_token"] = json!(token);
    }
    body["registration_client_uri"] = json!(api.registration_client_uri(client.client_id.as_str()));
    body
}

/// Whether this caller may register (the configured policy), before the body
/// is looked at. Returns the initial access token's digest to take a use from
/// once the registration succeeds.
pub async fn check_initial_access(
    api: &RegistrationApi<'_>,
    bearer: Option<&str>,
) -> Result<Option<String>, ProtocolError> {
    if api.settings.policy == RegistrationPolicy::Open {
        return Ok(None);
    }
    let Some(token) = bearer else {
        return Err(ProtocolError::invalid_token(
            "registration needs an initial access token",
        ));
    };
    let digest = crypto::digest(token);
    let now = api.clock.now();
    match api.tokens.find_registration_token(&digest, now).await? {
        Some(_) => Ok(Some(digest)),
        None => Err(ProtocolError::invalid_token(
            "the initial access token is unknown, expired or used up",
        )),
    }
}

/// `Some(wait)` when this address registered too often in the last hour.
pub async fn rate_limited(api: &RegistrationApi<'_>, client_ip: &str) -> Result<Option<Duration>, ProtocolError> {
    let limit = api.settings.max_per_hour;
    let counters = &api.counters;
    let subject = RateSubject::Registration { client_ip };
    Ok(crate::auth::rate_limit::check(counters, subject, limit, Duration::from_secs(3600)).await?)
}

/// The client a registration access token manages (RFC 7592 §2). An unknown
/// client and a wrong token are the same 401, compared in constant time.
pub async fn authenticate_registration(
    api: &RegistrationApi<'_>,
    client_id: &str,
    bearer: Option<&str>,
) -> Result<Client, ProtocolError> {
    let Some(token) = bearer else {
        return Err(ProtocolError::invalid_token("the registration access token is missing"));
    };
    let client = match ClientId::parse(client_id) {
        Ok(id) => api.clients.find_client(&id).await?,
        Err(_) => None,
    };
    let stand_in = crypto::digest("no registration token");
    let stored = client.as_ref().and_then(|c| c.registration_token_hash.as_deref());
    let matches = crypto::constant_time_eq(&crypto::digest(token), stored.unwrap_or(&stand_in)) && stored.is_some();
    match client {
        Some(client) if matches => Ok(client),
        _ => Err(ProtocolError::invalid_token(
            "the registration access token is not valid for this client",
        )),
    }
}

/// RFC 7592 §2.2: the request carries the whole metadata again, with the
/// client's own id (and secret, if it sends one, unchanged). Returns the
/// metadata to replace the registration with.
pub fn update_request(client: &Client, body: &[u8]) -> Result<NewClient, ProtocolError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ProtocolError::invalid_request(format!("the body is not JSON: {e}")))?;
    match value.get("client_id") {
        Some(Value::String(id)) if id == client.client_id.as_str() => {}
        _ => {
            return Err(ProtocolError::invalid_request(
                "the body must carry this client's client_id",
            ));
        }
    }
    if let Some(secret) = value.get("client_secret") {
        let presented = secret.as_str().map(crypto::digest).unwrap_or_default();
        let same = client
            .secret_hash
            .as_deref()
            .is_some_and(|stored| crypto::constant_time_eq(&presented, stored));
        if !same {
            return Err(ProtocolError::invalid_request(
                "client_secret does not match; rotate secrets with the CLI or the developer portal",
            ));
        }
    }
    let mut metadata = parse_metadata(body)?;
    metadata.owner_id = client.owner_id;
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_wrong_types_refused() {
        let parsed = parse_metadata(
            br#"{"client_name":"A","redirect_uris":["https://a.example/cb"],"client_id":"mine",
                 "client_name#ja-Jpan-JP":"x","software_version":"1","tos_uri":null}"#,
        )
        .unwrap();
        assert_eq!(parsed.name, "A");
        assert_eq!(parsed.client_id, None);
        assert_eq!(parsed.info.tos_uri, None);
        for (body, code) in [
            (
                &br#"{"redirect_uris":"https://a.example/cb"}"#[..],
                "invalid_client_metadata",
            ),
            (br#"{"redirect_uris":[1]}"#, "invalid_client_metadata"),
            (br#"{"application_type":"desktop"}"#, "invalid_client_metadata"),
            (
                br#"{"token_endpoint_auth_method":"client_secret_jwt"}"#,
                "invalid_client_metadata",
            ),
            (br#"{"id_token_signed_response_alg":"none"}"#, "invalid_client_metadata"),
            (br#"{"jwks":"text"}"#, "invalid_client_metadata"),
            (br#"[1]"#, "invalid_request"),
            (br#"not json"#, "invalid_request"),
        ] {
            assert_eq!(parse_metadata(body).unwrap_err().code.as_str(), code);
        }
    }
}
