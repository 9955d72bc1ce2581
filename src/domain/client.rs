use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Alg, ClientId, Scopes};
use crate::clock::UnixTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// Cannot keep a secret (SPA, native app): authenticates with PKCE only.
    Public,
    /// Holds a client secret on a server.
    Confidential,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::Confidential => "confidential",
        }
    }
    pub fn parse(s: &str) -> Option<ClientType> {
        match s {
            "public" => Some(ClientType::Public),
            "confidential" => Some(ClientType::Confidential),
            _ => None,
        }
    }
}

/// `token_endpoint_auth_method` (OIDC Core 9, RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A JWT signed with the client's own key (RFC 7523, OIDC Core 9).
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<AuthMethod> {
        match s {
            "client_secret_basic" => Some(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(AuthMethod::ClientSecretPost),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            "none" => Some(AuthMethod::None),
            _ => None,
        }
    }
}

/// `application_type` (OIDC Registration §2): what kind of redirect URIs the
/// client may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// Runs in a browser or on a server: https redirect URIs.
    Web,
    /// Runs on a device (RFC 8252): private-use schemes, loopback on any port.
    Native,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
    pub fn parse(s: &str) -> Option<ApplicationType> {
        match s {
            "web" => Some(ApplicationType::Web),
            "native" => Some(ApplicationType::Native),
            _ => None,
        }
    }
}

/// What people are shown about an app (RFC 7591 §2), all optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub contacts: Vec<String>,
}

/// A secret replaced by a rotation that keeps working for a grace period, so
/// that an app can be redeployed with the new one without downtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    pub hash: String,
    pub expires_at: UnixTime,
}

/// What only an operator sets on a client: who its access tokens are for,
/// whether it may introspect every access token, whether everyone signing in
/// to it needs a second factor, whether people are asked for consent, what it
/// may do with the management API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAccess {
    pub audiences: Vec<String>,
    pub resource_server: bool,
    pub require_second_factor: bool,
    pub require_verified_email: bool,
    pub first_party: bool,
    pub management: Option<ManagementAccess>,
}

/// What a client's own tokens (`client_credentials`) may do with the
/// management API, like the console's two roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagementAccess {
    /// Read what an auditor reads.
    Read,
    /// Everything an admin does.
    Change,
}

impl ManagementAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            ManagementAccess::Read => "read",
            ManagementAccess::Change => "change",
        }
    }
    pub fn parse(s: &str) -> Option<ManagementAccess> {
        match s {
            "read" => Some(ManagementAccess::Read),
            "change" => Some(ManagementAccess::Change),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub client_id: ClientId,
    /// `crypto::digest` of the secret; `None` for public clients.
    pub secret_hash: Option<String>,
    pub client_type: ClientType,
    pub auth_method: AuthMethod,
    pub name: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_scopes: Scopes,
    pub grant_types: Vec<String>,
    /// The operator's own app: people are not asked for consent.
    pub first_party: bool,
    /// Everyone who signs in to this app must present a second factor
    /// (set by the operator).
    pub require_second_factor: bool,
    /// People must have confirmed their email address before this app gets
    /// a code (set by the operator).
    pub require_verified_email: bool,
    /// `id_token_signed_response_alg` (OIDC Registration §2).
    pub id_token_alg: Alg,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// For `private_key_jwt`: the client's JWK Set (JSON), or where to fetch it.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// RFC 9068 JWT access tokens instead of opaque ones.
    pub jwt_access_tokens: bool,
    /// RFC 8707 resource indicators this client may ask access tokens for;
    /// without a `resource` parameter its tokens name all of them (and this
    /// server). Set by an operator only.
    pub audiences: Vec<String>,
    /// May introspect every client's access tokens: a resource server the
    /// operator vouches for. Set by an operator only.
    pub resource_server: bool,
    /// Only members of one of these groups may sign in to it (none: anyone).
    /// Set by an operator only; read with the client (`find_client`).
    pub access_groups: Vec<crate::domain::GroupName>,
    /// What its own tokens may do with the management API (none: nothing).
    /// Set by an operator only.
    pub management: Option<ManagementAccess>,
    pub application_type: ApplicationType,
    pub info: ClientInfo,
    /// The developer who registered it on the portal (or `None`: the CLI or
    /// the registration API).
    pub owner_id: Option<Uuid>,
    /// RFC 7592: digest of the token that reads, updates and deletes this
    /// registration through the API.
    pub registration_token_hash: Option<String>,
    pub previous_secret: Option<PreviousSecret>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl Client {
    /// RFC 9700 §2.1 / OIDC Core 3.1.2.1: redirect URIs are compared by exact
    /// string match against a registered one.
    /// The one exception (RFC 8252 §7.3): a native app's loopback redirect
    /// URI matches on any port, since the app listens where the OS lets it;
    /// the browser then goes to the port asked for.
    pub fn registered_redirect_uri(&self, candidate: &str) -> Option<RedirectUri> {
        let exact = self.redirect_uris.iter().find(|r| r.as_str() == candidate);
        if exact.is_some() || self.application_type != ApplicationType::Native {
            return exact.cloned();
        }
        let without_port = without_loopback_port(candidate)?;
        self.redirect_uris
            .iter()
            .any(|r| without_loopback_port(r.as_str()).as_deref() == Some(without_port.as_str()))
            .then(|| RedirectUri::parse(candidate).ok())
            .flatten()
    }

    pub fn registered_post_logout_uri(&self, candidate: &str) -> Option<&RedirectUri> {
        self.post_logout_redirect_uris.iter().find(|r| r.as_str() == candidate)
    }

    pub fn may_use_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// An `http` loopback IP literal URI with its port removed, for comparison;
/// `None` for anything else.
fn without_loopback_port(uri: &str) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    if url.scheme() != "http" || !is_loopback_ip_host(&url) {
        return None;
    }
    url.set_port(None).ok()?;
    Some(url.to_string())
}

/// `127.0.0.1`-style and `[::1]` hosts (RFC 8252 §7.3: IP literals, not `localhost`).
pub fn is_loopback_ip_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

/// RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
pub fn valid_resource_indicator(input: &str) -> bool {
    input.len() <= 2000
        && !input.chars().any(char::is_control)
        && !input.contains('#')
        && url::Url::parse(input).is_ok()
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRedirectUri {
    #[error("{0:?} contains control characters")]
    ControlCharacters(String),
    #[error("{0:?} is not an absolute URI: {1}")]
    NotAbsolute(String, String),
    #[error("{0:?} must not contain a fragment")]
    Fragment(String),
    #[error("{0:?} is not a usable redirect URI")]
    NotUsable(String),
    #[error("{0:?} uses a forbidden scheme")]
    ForbiddenScheme(String),
}

/// An absolute redirection URI without fragment (RFC 6749 §3.1.2), kept exactly
/// as registered so that comparison is a plain string match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(input: &str) -> Result<RedirectUri, InvalidRedirectUri> {
        let owned = || input.to_string();
        // RFC 3986 has no raw control characters; a parser would quietly
        // drop or encode them, and the stored text would differ from the URL.
        if input.chars().any(char::is_control) {
            return Err(InvalidRedirectUri::ControlCharacters(owned()));
        }
        let url = url::Url::parse(input).map_err(|e| InvalidRedirectUri::NotAbsolute(owned(), e.to_string()))?;
        if url.fragment().is_some() || input.contains('#') {
            return Err(InvalidRedirectUri::Fragment(owned()));
        }
        if url.cannot_be_a_base() && !url.scheme().contains('.') {
            return Err(InvalidRedirectUri::NotUsable(owned()));
        }
        if matches!(url.scheme(), "javascript" | "data" | "file" | "vbscript") {
            return Err(InvalidRedirectUri::ForbiddenScheme(owned()));
        }
        Ok(RedirectUri(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This URI with the given query parameters appended (RFC 6749 §4.1.2:
    /// the query component of a registered URI MUST be retained).
    pub fn with_query(&self, params: &[(&str, &str)]) -> String {
        // Valid since `parse`; a value read back from storage is checked again
        // rather than trusted to be, so a corrupt record cannot panic a request.
        let Ok(mut url) = url::Url::parse(&self.0) else {
            return self.0.clone();
        };
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in params {
                query.append_pair(k, v);
            }
        }
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_absolute_without_fragment() {
        assert!(RedirectUri::parse("https://app.example/cb").is_ok());
        assert!(RedirectUri::parse("com.example.app:/cb").is_ok());
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("https://app.example/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("https://app.example/cb\0").is_err());
        assert!(RedirectUri::parse("https://app.example/c\tb").is_err());
    }

    #[test]
    fn native_loopback_redirects_match_on_any_port() {
        let native = |uri: &str| Client {
            application_type: ApplicationType::Native,
            redirect_uris: vec![RedirectUri::parse(uri).unwrap()],
            ..test_client()
        };
        let app = native("http://127.0.0.1/callback");
        assert!(app.registered_redirect_uri("http://127.0.0.1:51004/callback").is_some());
        assert!(app.registered_redirect_uri("http://127.0.0.1:51004/other").is_none());
        assert!(app.registered_redirect_uri("http://localhost:51004/callback").is_none());
        let web = Client {
            application_type: ApplicationType::Web,
            ..app
        };
        assert!(web.registered_redirect_uri("http://127.0.0.1:51004/callback").is_none());
        assert!(web.registered_redirect_uri("http://127.0.0.1/callback").is_some());
    }

    fn test_client() -> Client {
        crate::domain::tests_support::client()
    }

    #[test]
    fn query_of_registered_uri_is_kept() {
        let uri = RedirectUri::parse("https://app.example/cb?tenant=a").unwrap();
        assert_eq!(
            uri.with_query(&[("code", "x y"), ("state", "s")]),
            "https://app.example/cb?tenant=a&code=x+y&state=s"
        );
    }
}
