use serde::{Deserialize, Serialize};

use super::{Alg, Scopes};
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
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
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl Client {
    /// RFC 9700 §2.1 / OIDC Core 3.1.2.1: redirect URIs are compared by exact
    /// string match against a registered one.
    pub fn registered_redirect_uri(&self, candidate: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|r| r.as_str() == candidate)
    }

    pub fn registered_post_logout_uri(&self, candidate: &str) -> Option<&RedirectUri> {
        self.post_logout_redirect_uris.iter().find(|r| r.as_str() == candidate)
    }

    pub fn may_use_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// An absolute redirection URI without fragment (RFC 6749 §3.1.2), kept exactly
/// as registered so that comparison is a plain string match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(input: &str) -> Result<RedirectUri, String> {
        let url = url::Url::parse(input).map_err(|e| format!("{input:?} is not an absolute URI: {e}"))?;
        if url.fragment().is_some() || input.contains('#') {
            return Err(format!("{input:?} must not contain a fragment"));
        }
        if url.cannot_be_a_base() && !url.scheme().contains('.') {
            return Err(format!("{input:?} is not a usable redirect URI"));
        }
        if matches!(url.scheme(), "javascript" | "data" | "file" | "vbscript") {
            return Err(format!("{input:?} uses a forbidden scheme"));
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
