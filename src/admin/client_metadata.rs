//! The rules for client metadata (OIDC Dynamic Client Registration 1.0 §2,
//! RFC 7591 §2, RFC 8252 for native apps), written once for the three front
//! doors: the registration API, the developer portal and the CLI. Pure: no
//! storage, no clock.

use crate::config::HttpUris;
use crate::domain::{Alg, ApplicationType, AuthMethod, ClientInfo, RedirectUri, is_loopback_ip_host};

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

fn invalid(field: &'static str, message: impl Into<String>) -> MetadataError {
    MetadataError {
        code: MetadataErrorCode::InvalidClientMetadata,
        field,
        message: message.into(),
    }
}

fn invalid_redirect(message: impl Into<String>) -> MetadataError {
    MetadataError {
        code: MetadataErrorCode::InvalidRedirectUri,
        field: "redirect_uris",
        message: message.into(),
    }
}

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
const MAX_URIS: usize = 20;
const MAX_URI_LEN: usize = 2000;
const MAX_CONTACTS: usize = 10;

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

fn auth_method(new: &NewClient) -> Result<AuthMethod, MetadataError> {
    match (new.public, new.auth_method) {
        (true, None | Some(AuthMethod::None)) => Ok(AuthMethod::None),
        (true, Some(_)) => Err(invalid(
            "token_endpoint_auth_method",
            "a public client has no secret to authenticate with",
        )),
        (false, method) => Ok(method.unwrap_or(AuthMethod::ClientSecretBasic)),
    }
}

fn grant_types(new: &NewClient, auth_method: AuthMethod) -> Result<Vec<String>, MetadataError> {
    let mut grant_types: Vec<String> = if new.grant_types.is_empty() {
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        new.grant_types.clone()
    };
    grant_types.dedup();
    if let Some(unknown) = grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(invalid(
            "grant_types",
            format!(
                "grant type {unknown:?} is not supported (use {})",
                GRANT_TYPES.join(", ")
            ),
        ));
    }
    if auth_method == AuthMethod::None && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(invalid("grant_types", "a public client cannot use client_credentials"));
    }
    if grant_types.iter().all(|g| g == "refresh_token") {
        return Err(invalid("grant_types", "refresh_token needs a grant that issues tokens"));
    }
    Ok(grant_types)
}

/// RFC 7591 §2.1: response types and grant types must agree.
fn response_types(new: &NewClient, code_flow: bool) -> Result<(), MetadataError> {
    if let Some(other) = new.response_types.iter().find(|r| r.as_str() != "code") {
        return Err(invalid(
            "response_types",
            format!("response type {other:?} is not supported (only \"code\")"),
        ));
    }
    match (new.response_types.is_empty(), code_flow) {
        (false, false) => Err(invalid(
            "response_types",
            "response type \"code\" needs the authorization_code grant type",
        )),
        _ => Ok(()),
    }
}

/// A redirect (or post-logout redirect) URI for this kind of app.
fn redirect_uri(http_uris: HttpUris, app: ApplicationType, input: &str) -> Result<RedirectUri, String> {
    if input.len() > MAX_URI_LEN {
        return Err(format!("a URI has at most {MAX_URI_LEN} characters"));
    }
    let uri = RedirectUri::parse(input)?;
    let url = url::Url::parse(input).map_err(|e| format!("{input:?}: {e}"))?;
    let scheme = url.scheme();
    match (app, scheme) {
        (_, "https") => Ok(uri),
        (_, "http") if http_allowed(http_uris, &url) => Ok(uri),
        // RFC 8252 §7.3: loopback IP literals (any port, chosen at run time).
        (ApplicationType::Native, "http") if is_loopback_ip_host(&url) => Ok(uri),
        (ApplicationType::Native, "http") => Err(format!(
            "{input:?}: a native app uses https, http://127.0.0.1 or http://[::1] (RFC 8252 §7.3, §8.3)"
        )),
        (ApplicationType::Web, "http") => Err(format!("{input:?}: web apps use https redirect URIs")),
        // RFC 8252 §7.1: a private-use scheme in reverse domain name form.
        (ApplicationType::Native, _) if scheme.contains('.') => Ok(uri),
        (ApplicationType::Native, _) => Err(format!(
            "{input:?}: a private-use scheme is a reverse domain name, like com.example.app:/callback (RFC 8252 §7.1)"
        )),
        (ApplicationType::Web, _) => Err(format!(
            "{input:?}: web apps use https; a custom scheme is for native apps (application_type native)"
        )),
    }
}

fn http_allowed(http_uris: HttpUris, url: &url::Url) -> bool {
    match http_uris {
        HttpUris::None => false,
        HttpUris::Loopback => is_loopback_ip_host(url) || url.host_str() == Some("localhost"),
        HttpUris::Any => true,
    }
}

/// An absolute https URI (http by configuration) without fragment, when given.
fn optional_web_uri(
    http_uris: HttpUris,
    field: &'static str,
    input: &Option<String>,
) -> Result<Option<String>, MetadataError> {
    let Some(input) = input.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if input.len() > MAX_URI_LEN {
        return Err(invalid(field, format!("a URI has at most {MAX_URI_LEN} characters")));
    }
    if input.chars().any(char::is_control) {
        return Err(invalid(field, format!("{input:?} contains control characters")));
    }
    let url = url::Url::parse(input).map_err(|e| invalid(field, format!("{input:?} is not an absolute URI: {e}")))?;
    if url.fragment().is_some() || input.contains('#') {
        return Err(invalid(field, format!("{input:?} must not contain a fragment")));
    }
    match url.scheme() {
        "https" => Ok(Some(input.to_string())),
        "http" if http_allowed(http_uris, &url) => Ok(Some(input.to_string())),
        _ => Err(invalid(field, format!("{input:?} must be an https URI"))),
    }
}

fn contacts(contacts: &[String]) -> Result<Vec<String>, MetadataError> {
    if contacts.len() > MAX_CONTACTS {
        return Err(invalid("contacts", format!("at most {MAX_CONTACTS} contacts")));
    }
    contacts
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| {
            let well_formed = c.len() <= 254
                && !c.chars().any(|ch| ch.is_whitespace() || ch.is_control())
                && matches!(c.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.'));
            if well_formed {
                Ok(c.to_string())
            } else {
                Err(invalid("contacts", format!("{c:?} is not an email address")))
            }
        })
        .collect()
}

/// `private_key_jwt` needs the client's public keys: exactly one of an inline
/// JWK Set (public keys only) or an https URI.
fn client_keys(
    http_uris: HttpUris,
    new: &NewClient,
    auth_method: AuthMethod,
) -> Result<(Option<String>, Option<String>), MetadataError> {
    let wants_keys = auth_method == AuthMethod::PrivateKeyJwt;
    match (&new.jwks, &new.jwks_uri) {
        (None, None) if wants_keys => Err(invalid("jwks", "private_key_jwt needs jwks or jwks_uri")),
        (Some(_), Some(_)) => Err(invalid("jwks", "give jwks or jwks_uri, not both")),
        (Some(_), None) | (None, Some(_)) if !wants_keys => Err(invalid(
            "jwks",
            "jwks and jwks_uri are for the private_key_jwt auth method",
        )),
        (Some(jwks), None) => {
            let set = josekit::jwk::JwkSet::from_bytes(jwks.as_bytes())
                .map_err(|e| invalid("jwks", format!("not a JWK Set: {e}")))?;
            if set.keys().is_empty() {
                return Err(invalid("jwks", "the JWK Set holds no key"));
            }
            // A private part ("d") or a symmetric key ("oct", all secret) has
            // no place in a set of public keys.
            if set
                .keys()
                .iter()
                .any(|k| k.parameter("d").is_some() || !matches!(k.key_type(), "RSA" | "EC"))
            {
                return Err(invalid("jwks", "the JWK Set must hold public RSA or EC keys only"));
            }
            Ok((Some(jwks.clone()), None))
        }
        (None, Some(_)) => Ok((None, optional_web_uri(http_uris, "jwks_uri", &new.jwks_uri)?)),
        (None, None) => Ok((None, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(redirect: &str) -> NewClient {
        NewClient {
            name: "App".into(),
            redirect_uris: vec![redirect.into()],
            ..NewClient::default()
        }
    }

    fn native(redirect: &str) -> NewClient {
        NewClient {
            application_type: Some(ApplicationType::Native),
            public: true,
            ..web(redirect)
        }
    }

    fn code(result: Result<ValidMetadata, MetadataError>) -> Option<(&'static str, &'static str)> {
        result.err().map(|e| (e.code.as_str(), e.field))
    }

    #[test]
    fn web_redirects_are_https_with_loopback_http_by_configuration() {
        assert!(validate(HttpUris::None, &web("https://app.example/cb")).is_ok());
        for loopback in ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8/cb"] {
            assert!(validate(HttpUris::Loopback, &web(loopback)).is_ok(), "{loopback}");
            assert_eq!(
                code(validate(HttpUris::None, &web(loopback))),
                Some(("invalid_redirect_uri", "redirect_uris"))
            );
        }
        assert!(validate(HttpUris::Loopback, &web("http://app.example/cb")).is_err());
        assert!(validate(HttpUris::Any, &web("http://app.example/cb")).is_ok());
        for bad in [
            "com.example.app:/cb",
            "https://app.example/cb#frag",
            "/relative",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                code(validate(HttpUris::Any, &web(bad))),
                Some(("invalid_redirect_uri", "redirect_uris")),
                "{bad}"
            );
        }
    }

    #[test]
    fn native_apps_use_reverse_domain_schemes_or_loopback_ip_literals() {
        for good in [
            "com.example.app:/cb",
            "http://127.0.0.1/cb",
            "http://[::1]/cb",
            "https://app.example/cb",
        ] {
            assert!(validate(HttpUris::None, &native(good)).is_ok(), "{good}");
        }
        for bad in ["myapp:/cb", "http://localhost/cb", "http://app.example/cb"] {
            assert_eq!(
                code(validate(HttpUris::None, &native(bad))),
                Some(("invalid_redirect_uri", "redirect_uris")),
                "{bad}"
            );
        }
    }

    #[test]
    fn grant_and_response_types_must_agree() {
        let with = |grants: &[&str], responses: &[&str]| NewClient {
            grant_types: grants.iter().map(|s| s.to_string()).collect(),
            response_types: responses.iter().map(|s| s.to_string()).collect(),
            ..web("https://app.example/cb")
        };
        assert!(validate(HttpUris::None, &with(&["authorization_code"], &["code"])).is_ok());
        assert!(validate(HttpUris::None, &with(&["client_credentials"], &[])).is_ok());
        for (grants, responses, field) in [
            (&["client_credentials"][..], &["code"][..], "response_types"),
            (&["authorization_code"], &["token"], "response_types"),
            (&["implicit"], &[], "grant_types"),
            (&["refresh_token"], &[], "grant_types"),
        ] {
            assert_eq!(
                code(validate(HttpUris::None, &with(grants, responses))),
                Some(("invalid_client_metadata", field))
            );
        }
        let public_service = NewClient {
            public: true,
            ..with(&["client_credentials"], &[])
        };
        assert!(validate(HttpUris::None, &public_service).is_err());
    }

    #[test]
    fn code_flow_needs_a_redirect_uri_and_a_service_does_not() {
        let none = NewClient {
            redirect_uris: vec![],
            ..web("https://x.example")
        };
        assert_eq!(
            code(validate(HttpUris::None, &none)),
            Some(("invalid_redirect_uri", "redirect_uris"))
        );
        let service = NewClient {
            grant_types: vec!["client_credentials".into()],
            ..none
        };
        assert!(validate(HttpUris::None, &service).is_ok());
    }

    #[test]
    fn logout_and_page_uris_are_https_and_contacts_are_addresses() {
        let cases: Vec<(NewClient, &str)> = vec![
            (
                NewClient {
                    backchannel_logout_uri: Some("http://app.example/bc".into()),
                    ..web("https://app.example/cb")
                },
                "backchannel_logout_uri",
            ),
            (
                NewClient {
                    frontchannel_logout_uri: Some("https://app.example/fc#x".into()),
                    ..web("https://app.example/cb")
                },
                "frontchannel_logout_uri",
            ),
            (
                NewClient {
                    post_logout_redirect_uris: vec!["ftp://app.example/bye".into()],
                    ..web("https://app.example/cb")
                },
                "post_logout_redirect_uris",
            ),
            (
                NewClient {
                    info: ClientInfo {
                        logo_uri: Some("not a uri".into()),
                        ..ClientInfo::default()
                    },
                    ..web("https://app.example/cb")
                },
                "logo_uri",
            ),
            (
                NewClient {
                    info: ClientInfo {
                        contacts: vec!["nobody".into()],
                        ..ClientInfo::default()
                    },
                    ..web("https://app.example/cb")
                },
                "contacts",
            ),
            (
                NewClient {
                    name: " ".into(),
                    ..web("https://app.example/cb")
                },
                "client_name",
            ),
            (
                NewClient {
                    backchannel_logout_session_required: true,
                    ..web("https://app.example/cb")
                },
                "backchannel_logout_session_required",
            ),
        ];
        for (new, field) in cases {
            assert_eq!(
                code(validate(HttpUris::Loopback, &new)),
                Some(("invalid_client_metadata", field))
            );
        }
        let full = NewClient {
            backchannel_logout_uri: Some("https://app.example/bc".into()),
            backchannel_logout_session_required: true,
            frontchannel_logout_uri: Some("http://localhost/fc".into()),
            info: ClientInfo {
                client_uri: Some("https://app.example".into()),
                logo_uri: Some("https://app.example/logo.png".into()),
                policy_uri: Some("https://app.example/privacy".into()),
                tos_uri: Some("https://app.example/terms".into()),
                contacts: vec!["dev@app.example".into()],
            },
            ..web("https://app.example/cb")
        };
        let valid = validate(HttpUris::Loopback, &full).unwrap();
        assert_eq!(valid.info, full.info);
        assert_eq!(valid.auth_method, AuthMethod::ClientSecretBasic);
    }
}
