//! The `client_credentials` grant (RFC 6749 §4.4): a confidential client's
//! own access token, with no person, no ID token and no refresh token.

use super::TokenResponse;
use super::issue::Grants;
use crate::domain::scope;
use crate::domain::{Client, ClientType, Scopes};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::access_token;
use crate::oidc::params::Params;

#[derive(Debug)]
pub struct ClientCredentialsRequest {
    scope: Option<Scopes>,
    resource: Option<String>,
}

impl ClientCredentialsRequest {
    pub(super) fn parse(params: &Params) -> Result<ClientCredentialsRequest, ProtocolError> {
        Ok(ClientCredentialsRequest {
            scope: params
                .get("scope")
                .map(Scopes::parse)
                .transpose()
                .map_err(|e| ProtocolError::new(ErrorCode::InvalidScope, e.to_string()))?,
            resource: crate::oidc::resource::requested(params)?,
        })
    }
}

pub(super) async fn grant(
    grants: &Grants<'_>,
    client: &Client,
    request: ClientCredentialsRequest,
) -> Result<TokenResponse, ProtocolError> {
    // §4.4: the client_credentials grant MUST only be used by confidential clients.
    if client.client_type != ClientType::Confidential {
        return Err(ProtocolError::new(
            ErrorCode::UnauthorizedClient,
            "only confidential clients may use client_credentials",
        ));
    }
    // Scopes that speak of a person are meaningless without one.
    let allowed = Scopes::from_list(client.allowed_scopes.iter().filter(|s| !scope::is_about_a_person(s)));
    let scopes = match request.scope {
        None => allowed,
        Some(asked) if asked.iter().all(|s| allowed.contains(s)) => asked,
        Some(_) => {
            return Err(ProtocolError::new(
                ErrorCode::InvalidScope,
                "scope includes what this client may not have",
            ));
        }
    };
    let resource = crate::oidc::resource::check(client, request.resource.as_deref(), None)?;
    let now = grants.now();
    let ttl = grants.settings.access_token_ttl_secs;
    let token = crate::domain::AccessTokenRecord {
        user_id: None,
        client_id: client.client_id.clone(),
        scopes: scopes.clone(),
        sid: None,
        session: None,
        audience: crate::oidc::resource::audience(client, resource.as_deref(), grants.issuer()),
        issued_at: now,
        expires_at: now + ttl as i64,
    };
    let access_token = grants
        .access_tokens
        .issue_for_client(token, access_token::Format::of(client))
        .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ttl,
        id_token: None,
        refresh_token: None,
        scope: scopes.to_string(),
    })
}
