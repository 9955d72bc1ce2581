//! The rules for client metadata (OIDC Dynamic Client Registration 1.0 §2,
//! RFC 7591 §2, RFC 8252 for native apps), written once for the three front
//! doors: the registration API, the developer portal and the CLI. Pure: no
//! storage, no clock. The grant and response types are checked in
//! `grants`, URIs and contacts in `uris`, a client's public keys in `keys`.

mod grants;
mod keys;
mod uris;

use serde::Deserialize;

use self::grants::{auth_method, grant_types, response_types};
use self::keys::client_keys;
use self::uris::{contacts, optional_web_uri, redirect_uri};
use super::{Alg, ApplicationType, AuthMethod, ClientInfo, RedirectUri};

/// Which http (not https) URIs a client may register (`registration.http_uris`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpUris {
    None,
    Loopback,
    Any,
}

/// Client metadata as a front door received it, before validation. Absent
/// values take the RFC 7591 defaults.
#[derive(Clone, Debug, Default)]
pub struct NewClient {
    pub name: String,
    /// `web` when absent.
    pub application_type: Option<ApplicationType>,
    pub redirect_uris: Vec<String>,
    /// Shorthand for `auth_method: Some(AuthMethod::None)`.
    pub public: bool,
    /// `client_secret_basic` when absent (RFC 7591 §2).
    pub auth_method: Option<AuthMethod>,
    /// Chosen by the operator; generated when absent.
    pub client_id: Option<String>,
    /// The operator's own app: no consent page. Only the CLI may set it.
    pub first_party: bool,
    /// ID token signing algorithm; RS256 when absent.
    pub id_token_alg: Option<Alg>,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout 1.0: where logout tokens are POSTed.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Front-Channel Logout 1.0: loaded in an iframe at logout.
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// `authorization_code` and `refresh_token` when empty.
    pub grant_types: Vec<String>,
    /// `code` when empty and the client uses the code flow.
    pub response_types: Vec<String>,
    /// For `private_key_jwt`: the client's public keys (a JWK Set, JSON)…
    pub jwks: Option<String>,
    /// …or where Sesame fetches them.
    pub jwks_uri: Option<String>,
    /// RFC 9068 JWT access tokens instead of opaque ones.
    pub jwt_access_tokens: bool,
    /// Resource indicators for its access tokens. Only the CLI may set them.
    pub audiences: Vec<String>,
    /// May introspect every access token. Only the CLI may set it.
    pub resource_server: bool,
    /// Signing in to it needs a second factor. Only the CLI may set it.
    pub require_second_factor: bool,
    /// It gets codes only for confirmed addresses. Only the CLI may set it.
    pub require_verified_email: bool,
    pub info: ClientInfo,
    /// The developer registering it on the portal.
    pub owner_id: Option<uuid::Uuid>,
}

/// The two registration error codes (RFC 7591 §3.2.2), with the field at
/// fault so that a form can show the message next to it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MetadataError {
    pub code: MetadataErrorCode,
    pub field: &'static str,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataErrorCode {
    InvalidRedirectUri,
    InvalidClientMetadata,
}

impl MetadataErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            MetadataErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> MetadataError {
    MetadataError {
        code: MetadataErrorCode::InvalidClientMetadata,
        field,
        message: message.into(),
    }
}

pub(super) fn invalid_redirect(message: impl Into<String>) -> MetadataError {
    MetadataError {
        code: MetadataErrorCode::InvalidRedirectUri,
        field: "redirect_uris",
        message: message.into(),
    }
}

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
const MAX_URIS: usize = 20;

/// Metadata that passed every rule, normalised.
#[derive(Clone, Debug)]
pub struct ValidMetadata {
    pub name: String,
    pub application_type: ApplicationType,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<String>,
    pub id_token_alg: Alg,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub info: ClientInfo,
}

impl ValidMetadata {
    /// `code` for the code flow (the only response type Sesame serves).
    pub fn response_types(grant_types: &[String]) -> Vec<&'static str> {
        if grant_types.iter().any(|g| g == "authorization_code") {
            vec!["code"]
        } else {
            Vec::new()
        }
    }
}

/// Applies every rule; the first one broken is the error.
pub fn validate(http_uris: HttpUris, new: &NewClient) -> Result<ValidMetadata, MetadataError> {
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid("client_name", "a client name has 1 to 100 characters"));
    }
    let application_type = new.application_type.unwrap_or(ApplicationType::Web);
    let auth_method = auth_method(new)?;
    let grant_types = grant_types(new, auth_method)?;
    let code_flow = grant_types.iter().any(|g| g == "authorization_code");
    response_types(new, code_flow)?;

    if code_flow && new.redirect_uris.is_empty() {
        return Err(invalid_redirect(
            "at least one redirect URI is required for the authorization code flow",
        ));
    }
    if new.redirect_uris.len() > MAX_URIS || new.post_logout_redirect_uris.len() > MAX_URIS {
        return Err(invalid_redirect(format!("at most {MAX_URIS} URIs")));
    }
    let redirect_uris = new
        .redirect_uris
        .iter()
        .map(|u| redirect_uri(http_uris, application_type, u).map_err(invalid_redirect))
        .collect::<Result<Vec<_>, _>>()?;
    let post_logout_redirect_uris = new
        .post_logout_redirect_uris
        .iter()
        .map(|u| redirect_uri(http_uris, application_type, u).map_err(|m| invalid("post_logout_redirect_uris", m)))
        .collect::<Result<Vec<_>, _>>()?;

    let backchannel_logout_uri = optional_web_uri(http_uris, "backchannel_logout_uri", &new.backchannel_logout_uri)?;
    let frontchannel_logout_uri = optional_web_uri(http_uris, "frontchannel_logout_uri", &new.frontchannel_logout_uri)?;
    if new.backchannel_logout_session_required && backchannel_logout_uri.is_none() {
        return Err(invalid(
            "backchannel_logout_session_required",
            "needs a backchannel_logout_uri",
        ));
    }
    if new.frontchannel_logout_session_required && frontchannel_logout_uri.is_none() {
        return Err(invalid(
            "frontchannel_logout_session_required",
            "needs a frontchannel_logout_uri",
        ));
    }
    let (jwks, jwks_uri) = client_keys(http_uris, new, auth_method)?;
    let info = ClientInfo {
        client_uri: optional_web_uri(http_uris, "client_uri", &new.info.client_uri)?,
        logo_uri: optional_web_uri(http_uris, "logo_uri", &new.info.logo_uri)?,
        policy_uri: optional_web_uri(http_uris, "policy_uri", &new.info.policy_uri)?,
        tos_uri: optional_web_uri(http_uris, "tos_uri", &new.info.tos_uri)?,
        contacts: contacts(&new.info.contacts)?,
    };
    Ok(ValidMetadata {
        name,
        application_type,
        auth_method,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        id_token_alg: new.id_token_alg.unwrap_or(Alg::RS256),
        backchannel_logout_uri,
        backchannel_logout_session_required: new.backchannel_logout_session_required,
        frontchannel_logout_uri,
        frontchannel_logout_session_required: new.frontchannel_logout_session_required,
        jwks,
        jwks_uri,
        info,
    })
}

#[cfg(test)]
mod tests;
