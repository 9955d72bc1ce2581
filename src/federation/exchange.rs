//! Sesame as a relying party to an upstream: the clients (OpenID Connect
//! from discovery, plain OAuth 2.0 from configured endpoints), how Sesame
//! authenticates at their token endpoints, the code exchange, and the
//! claims an answer yields (a verified ID token with userinfo over it, or
//! a plain provider's userinfo).

use openidconnect::core::{CoreClient, CoreGenderClaim};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, Nonce,
    OAuth2TokenResponse, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, TokenResponse,
};
use serde_json::Value;

use super::{Federation, FederationError, Provider, UpstreamSignIn};
use crate::config::UpstreamClientAuth;

/// An OpenID Connect upstream's client, from its discovered metadata.
type UpstreamClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A plain OAuth 2.0 upstream's client (authorization and token endpoints).
type PlainClient = oauth2::basic::BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// An error and its causes in one line.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// openidconnect's HTTP client contract over reqwest.
pub(super) async fn upstream_http(
    client: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder
        .body(response.bytes().await?.to_vec())
        .unwrap_or_else(|_| openidconnect::http::Response::new(Vec::new())))
}

/// Whatever userinfo says beyond the standard claims (`groups`, say): kept,
/// for the claim mapping to read.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, Value>,
}

impl openidconnect::AdditionalClaims for OtherClaims {}

/// The token endpoint said no (its answer is the upstream refusing), or
/// could not be asked.
fn token_failure<E, T>(upstream: &str, error: openidconnect::RequestTokenError<E, T>) -> FederationError
where
    E: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match error {
        openidconnect::RequestTokenError::ServerResponse(answer) => FederationError::Refused {
            upstream: upstream.to_string(),
            cause: answer.to_string(),
        },
        other => FederationError::Unavailable {
            upstream: upstream.to_string(),
            cause: error_chain(&other),
        },
    }
}

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Where the client's credentials go: the form for a JWT (the client id
/// travels beside it), else as configured.
fn auth_type(auth: UpstreamClientAuth) -> oauth2::AuthType {
    match auth {
        UpstreamClientAuth::ClientSecretBasic => oauth2::AuthType::BasicAuth,
        UpstreamClientAuth::ClientSecretPost | UpstreamClientAuth::PrivateKeyJwt => oauth2::AuthType::RequestBody,
    }
}

/// The payload of a JWT whose signature was verified already.
fn payload(jwt: &str) -> Option<Value> {
    let encoded = jwt.split('.').nth(1)?;
    serde_json::from_slice(&crate::crypto::base64url_decode(encoded)?).ok()
}

impl Federation<'_> {
    pub(super) fn client(
        &self,
        provider: &Provider,
        metadata: &ProviderMetadataWithLogout,
    ) -> Result<UpstreamClient, FederationError> {
        let secret = provider.settings.client_secret.expose();
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| FederationError::Unavailable {
            upstream: provider.settings.name.clone(),
            cause: e.to_string(),
        })?;
        let secret = (provider.settings.client_auth != UpstreamClientAuth::PrivateKeyJwt && !secret.is_empty())
            .then(|| ClientSecret::new(secret.to_string()));
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.settings.client_id.clone()),
            secret,
        )
        .set_auth_type(auth_type(provider.settings.client_auth))
        .set_redirect_uri(redirect))
    }

    /// For `private_key_jwt`: a client assertion (RFC 7523 §2.2) for
    /// `audience` (the upstream's issuer identifier, the sole audience
    /// draft-ietf-oauth-rfc7523bis asks for), signed with Sesame's RS256
    /// key, living a minute.
    fn client_assertion(&self, provider: &Provider, audience: &str) -> Result<Option<String>, FederationError> {
        if provider.settings.client_auth != UpstreamClientAuth::PrivateKeyJwt {
            return Ok(None);
        }
        let now = self.clock.now();
        let id = &provider.settings.client_id;
        let claims = serde_json::json!({
            "iss": id, "sub": id, "aud": audience,
            "iat": now, "exp": now + 60, "jti": crate::crypto::random_token(),
        });
        self.keys
            .sign(&claims, "JWT", crate::domain::Alg::RS256, now)
            .map(Some)
            .map_err(|e| FederationError::Internal(e.to_string()))
    }

    /// A plain OAuth 2.0 upstream's client, from its configured endpoints.
    pub(super) fn plain_client(&self, provider: &Provider) -> Result<PlainClient, FederationError> {
        let settings = &provider.settings;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: settings.name.clone(),
            cause,
        };
        let mut client = oauth2::basic::BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_auth_uri(
                oauth2::AuthUrl::new(settings.authorization_endpoint.clone())
                    .map_err(|e| unavailable(e.to_string()))?,
            )
            .set_token_uri(
                oauth2::TokenUrl::new(settings.token_endpoint.clone()).map_err(|e| unavailable(e.to_string()))?,
            )
            .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| unavailable(e.to_string()))?);
        let secret = settings.client_secret.expose();
        if !secret.is_empty() && settings.client_auth != UpstreamClientAuth::PrivateKeyJwt {
            client = client.set_client_secret(ClientSecret::new(secret.to_string()));
        }
        Ok(client.set_auth_type(auth_type(settings.client_auth)))
    }

    /// The ID token's claims (verified: signature, issuer, audience, expiry,
    /// nonce), with userinfo's over them when the upstream has it; and the
    /// ID token.
    pub(super) async fn verified_claims(
        &self,
        provider: &Provider,
        code: &str,
        waiting: &UpstreamSignIn,
    ) -> Result<(Value, String), FederationError> {
        let name = &provider.settings.name;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: name.clone(),
            cause,
        };
        let refused = |cause: String| FederationError::Refused {
            upstream: name.clone(),
            cause,
        };
        let metadata = self.upstreams.metadata(provider, self.clock.now()).await?;
        let client = self.client(provider, &metadata)?;
        let http = self.upstreams.http.clone();
        let send = |request| upstream_http(http.clone(), request);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(waiting.pkce_verifier.clone()));
        if let Some(assertion) = self.client_assertion(provider, metadata.issuer().as_str())? {
            request = request
                .add_extra_param("client_assertion_type", JWT_BEARER)
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&send)
            .await
            .map_err(|e| token_failure(&provider.settings.name, e))?;
        let id_token = tokens.id_token().ok_or_else(|| refused("no ID token".into()))?;
        let verified = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(waiting.nonce.clone()))
            .map_err(|e| refused(error_chain(&e)))?;
        let id_token = id_token.to_string();
        let mut claims = payload(&id_token).ok_or_else(|| refused("unreadable ID token".into()))?;
        if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(verified.subject().clone())) {
            let info: openidconnect::UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                .request_async(&send)
                .await
                .map_err(|e| unavailable(error_chain(&e)))?;
            if let (Ok(Value::Object(info)), Value::Object(into)) = (serde_json::to_value(&info), &mut claims) {
                for (key, value) in info {
                    // The ID token's own identity (and when the person
                    // signed in) stays what was verified.
                    if !matches!(key.as_str(), "iss" | "sub" | "aud" | "auth_time") {
                        into.insert(key, value);
                    }
                }
            }
        }
        Ok((claims, id_token))
    }

    /// A plain OAuth 2.0 upstream's answer: the code exchanged (with the
    /// PKCE verifier), the person read from `userinfo_endpoint` with the
    /// access token; `sub` is the configured subject claim (a number is
    /// read as its digits), `iss` the configured issuer.
    pub(super) async fn plain_claims(
        &self,
        provider: &Provider,
        code: &str,
        waiting: &UpstreamSignIn,
    ) -> Result<Value, FederationError> {
        let settings = &provider.settings;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: settings.name.clone(),
            cause,
        };
        let refused = |cause: String| FederationError::Refused {
            upstream: settings.name.clone(),
            cause,
        };
        let client = self.plain_client(provider)?;
        let http = self.upstreams.http.clone();
        let send = |request| upstream_http(http.clone(), request);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(waiting.pkce_verifier.clone()));
        if let Some(assertion) = self.client_assertion(provider, &settings.token_endpoint)? {
            request = request
                .add_extra_param("client_assertion_type", JWT_BEARER)
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&send)
            .await
            .map_err(|e| token_failure(&provider.settings.name, e))?;
        let response = self
            .upstreams
            .http
            .get(&settings.userinfo_endpoint)
            .bearer_auth(tokens.access_token().secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(refused(format!("userinfo answered {}", response.status())));
        }
        let mut claims: Value = response.json().await.map_err(|e| refused(error_chain(&e)))?;
        let Value::Object(map) = &mut claims else {
            return Err(refused("userinfo is not a JSON object".into()));
        };
        let subject = match map.get(&settings.claims.subject) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(refused(format!("userinfo has no {:?}", settings.claims.subject))),
        };
        map.insert("iss".into(), Value::String(settings.issuer.clone()));
        map.insert("sub".into(), Value::String(subject));
        Ok(claims)
    }
}
