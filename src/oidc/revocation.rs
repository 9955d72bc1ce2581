//! Token revocation (RFC 7009).

use crate::crypto;
use crate::domain::Client;
use crate::error::ProtocolError;
use crate::oidc::params::Params;
use crate::oidc::token::client_auth::authenticate_from;
use crate::services::Services;
use crate::store::StoreError;

/// Revokes the token if it is one of the client's. §2.2: the answer is the
/// same (200) for an unknown, invalid or foreign token.
pub async fn revoke(
    services: &Services,
    params: &Params,
    authorization: Option<&str>,
    client_ip: &str,
) -> Result<(), ProtocolError> {
    params.reject_repeated()?;
    let client = authenticate_from(services, authorization, params, client_ip).await?;
    let token = params.require("token")?;
    // The hint only says where to look first.
    if params.get("token_type_hint") == Some("refresh_token") {
        if !revoke_refresh_token(services, &client, token).await? {
            revoke_access_token(services, &client, token).await?;
        }
    } else if !revoke_access_token(services, &client, token).await? {
        revoke_refresh_token(services, &client, token).await?;
    }
    Ok(())
}

async fn revoke_access_token(services: &Services, client: &Client, token: &str) -> Result<bool, StoreError> {
    match services.access_tokens().find(token).await? {
        Some(found) if found.client_id == client.client_id => services.access_tokens().revoke(token).await,
        _ => Ok(false),
    }
}

/// §2.1: revoking a refresh token revokes its family and the access tokens
/// issued from it.
async fn revoke_refresh_token(services: &Services, client: &Client, token: &str) -> Result<bool, StoreError> {
    match services
        .refresh_tokens
        .find_refresh_token(&crypto::digest(token))
        .await?
    {
        Some(found) if found.client_id == client.client_id => {
            services
                .refresh_tokens
                .revoke_family(found.family_id, services.clock.now())
                .await?;
            services
                .access_tokens()
                .revoke_grant(&found.family_id.to_string())
                .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
