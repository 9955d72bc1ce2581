//! Token revocation (RFC 7009).

use crate::crypto;
use crate::domain::Client;
use crate::error::ProtocolError;
use crate::oidc::access_token::AccessTokens;
use crate::oidc::params::Params;
use crate::oidc::token::client_auth::ClientAuthenticator;
use crate::store::{RefreshTokenRepository, StoreError};

/// Answers revocation requests (`POST /revoke`).
pub struct Revocation<'a> {
    pub auth: ClientAuthenticator<'a>,
    pub access_tokens: AccessTokens<'a>,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
}

impl Revocation<'_> {
    /// Revokes the token if it is one of the client's. §2.2: the answer is
    /// the same (200) for an unknown, invalid or foreign token.
    pub async fn revoke(
        &self,
        params: &Params,
        authorization: Option<&str>,
        client_ip: &str,
    ) -> Result<(), ProtocolError> {
        params.reject_repeated()?;
        let client = self.auth.authenticate_from(authorization, params, client_ip).await?;
        let token = params.require("token")?;
        // The hint only says where to look first.
        if params.get("token_type_hint") == Some("refresh_token") {
            if !self.revoke_refresh_token(&client, token).await? {
                self.revoke_access_token(&client, token).await?;
            }
        } else if !self.revoke_access_token(&client, token).await? {
            self.revoke_refresh_token(&client, token).await?;
        }
        Ok(())
    }

    async fn revoke_access_token(&self, client: &Client, token: &str) -> Result<bool, StoreError> {
        match self.access_tokens.find(token).await? {
            Some(found) if found.client_id == client.client_id => self.access_tokens.revoke(token).await,
            _ => Ok(false),
        }
    }

    /// §2.1: revoking a refresh token revokes its family and the access
    /// tokens issued from it.
    async fn revoke_refresh_token(&self, client: &Client, token: &str) -> Result<bool, StoreError> {
        match self.refresh_tokens.find_refresh_token(&crypto::digest(token)).await? {
            Some(found) if found.client_id == client.client_id => {
                let now = self.access_tokens.signer.now();
                self.refresh_tokens.revoke_family(found.family_id, now).await?;
                self.access_tokens.revoke_grant(found.family_id).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
