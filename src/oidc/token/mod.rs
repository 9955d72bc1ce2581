//! The token endpoint (RFC 6749 §3.2, OIDC Core 3.1.3): authenticate the
//! client, parse the grant into its typed request, hand it to its grant.

mod authorization_code;
pub mod client_assertion;
pub mod client_auth;
mod client_credentials;
pub mod failed_auth;
pub mod issue;
mod refresh_token;

use serde::{Deserialize, Serialize};

use self::client_auth::ClientAuthenticator;
pub use self::issue::Grants;
use crate::config::RateLimitSettings;
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::params::Params;
use crate::store::records::{Counters, RateSubject};

/// One typed request per grant type.
#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode(authorization_code::CodeRequest),
    RefreshToken(refresh_token::RefreshRequest),
    ClientCredentials(client_credentials::ClientCredentialsRequest),
}

impl TokenRequest {
    pub fn parse(params: &Params) -> Result<TokenRequest, ProtocolError> {
        match params.require("grant_type")? {
            "refresh_token" => Ok(TokenRequest::RefreshToken(refresh_token::RefreshRequest::parse(
                params,
            )?)),
            "client_credentials" => Ok(TokenRequest::ClientCredentials(
                client_credentials::ClientCredentialsRequest::parse(params)?,
            )),
            "authorization_code" => Ok(TokenRequest::AuthorizationCode(authorization_code::CodeRequest::parse(
                params,
            )?)),
            other => Err(ProtocolError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type {other:?} is not supported"),
            )),
        }
    }

    fn grant_type(&self) -> &'static str {
        match self {
            TokenRequest::AuthorizationCode(_) => "authorization_code",
            TokenRequest::RefreshToken(_) => "refresh_token",
            TokenRequest::ClientCredentials(_) => "client_credentials",
        }
    }
}

/// RFC 6749 §5.1 (and OIDC Core 3.1.3.3 for `id_token`).
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// The token endpoint: who the client is, how much it asked, and the grant.
pub struct TokenEndpoint<'a> {
    pub auth: ClientAuthenticator<'a>,
    pub counters: Counters<'a>,
    pub limits: &'a RateLimitSettings,
    pub grants: Grants<'a>,
}

pub async fn exchange(
    endpoint: &TokenEndpoint<'_>,
    params: &Params,
    authorization_header: Option<&str>,
    client_ip: &str,
) -> Result<TokenResponse, ProtocolError> {
    // RFC 6749 §3.2: request and response parameters MUST NOT be included more than once.
    params.reject_repeated()?;
    // Parsed now, refused only once the client is authenticated (an
    // unknown client hears invalid_client whatever else is wrong).
    let request = TokenRequest::parse(params);
    // A refresh token's remembered record is read while the client is
    // authenticated: one round trip for both on Redis.
    let remembered = async {
        match &request {
            Ok(TokenRequest::RefreshToken(refresh)) => refresh_token::remembered(&endpoint.grants, refresh).await,
            _ => None,
        }
    };
    let (client, remembered) = tokio::join!(
        endpoint.auth.authenticate_from(authorization_header, params, client_ip),
        remembered
    );
    let client = client?;
    // Counted once the client has proved who it is: nobody else can spend its allowance.
    let limit = endpoint.limits.token_per_client_per_minute;
    let counters = &endpoint.counters;
    let subject = RateSubject::TokenRequests {
        client_id: client.client_id.as_str(),
    };
    let minute = std::time::Duration::from_secs(60);
    if let Some(wait) = crate::auth::rate_limit::check(counters, subject, limit, minute).await? {
        crate::observability::rate_limited("token");
        return Err(ProtocolError::too_many_requests(wait));
    }
    let request = request?;
    if !client.may_use_grant(request.grant_type()) {
        return Err(ProtocolError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use the {} grant", request.grant_type()),
        ));
    }
    let grant = request.grant_type();
    let response = match request {
        TokenRequest::AuthorizationCode(request) => {
            authorization_code::redeem(&endpoint.grants, &client, request).await
        }
        TokenRequest::RefreshToken(request) => {
            refresh_token::refresh(&endpoint.grants, &client, request, remembered).await
        }
        TokenRequest::ClientCredentials(request) => client_credentials::grant(&endpoint.grants, &client, request).await,
    }?;
    crate::observability::tokens_issued(grant);
    Ok(response)
}
