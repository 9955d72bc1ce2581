//! Token introspection (RFC 7662), for authenticated confidential clients.
//! §2.1 leaves to the server which tokens a caller may learn about (§4: it
//! must not become a way to scan for valid tokens). Here a client learns
//! about the tokens issued to it; about another client's access tokens only
//! when the operator marked it a resource server, or the token's audience
//! names it; about a refresh token only its own. Anything else is
//! `active: false`, like an unknown token.

use serde_json::{Map, Value, json};

use crate::crypto;
use crate::domain::AccessTokenRecord;
use crate::domain::AuthMethod;
use crate::domain::Client;
use crate::error::ProtocolError;
use crate::oidc::access_token::AccessTokens;
use crate::oidc::params::Params;
use crate::oidc::resource;
use crate::oidc::token::client_auth::ClientAuthenticator;
use crate::session::Sessions;
use crate::store::RefreshTokenRepository;

/// Answers introspection requests (`POST /introspect`).
pub struct Introspection<'a> {
    pub auth: ClientAuthenticator<'a>,
    pub access_tokens: AccessTokens<'a>,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
    pub sessions: Sessions<'a>,
    /// For the `groups` of a token granted that scope.
    pub groups: &'a dyn crate::store::GroupRepository,
}

impl Introspection<'_> {
    pub async fn introspect(
        &self,
        params: &Params,
        authorization: Option<&str>,
        client_ip: &str,
    ) -> Result<Map<String, Value>, ProtocolError> {
        params.reject_repeated()?;
        let client = self.auth.authenticate_from(authorization, params, client_ip).await?;
        if client.auth_method == AuthMethod::None {
            return Err(ProtocolError::invalid_client(
                "introspection is for confidential clients",
            ));
        }
        let token = params.require("token")?;
        let issuer = self.access_tokens.signer.issuer;
        let now = self.access_tokens.signer.now();
        if let Some(found) = self.access_tokens.find(token).await?
            && may_see_access_token(&client, &found)
        {
            let mut claims = Map::new();
            claims.insert("active".into(), json!(true));
            claims.insert("scope".into(), json!(found.scopes.to_string()));
            claims.insert("client_id".into(), json!(found.client_id));
            claims.insert("token_type".into(), json!("Bearer"));
            claims.insert("exp".into(), json!(found.expires_at));
            claims.insert("iat".into(), json!(found.issued_at));
            claims.insert("aud".into(), resource::aud_claim(&found.audience_or(issuer)));
            claims.insert("iss".into(), json!(issuer));
            if let Some(user) = found.user_id {
                claims.insert("sub".into(), json!(user.to_string()));
                // A resource server deciding on group membership reads it here.
                if found.scopes.contains("groups") {
                    claims.insert("groups".into(), json!(self.groups.groups_of(user).await?));
                }
            }
            if let Some(sid) = found.sid {
                claims.insert("sid".into(), json!(sid));
            }
            return Ok(claims);
        }
        if let Some(found) = self
        .refresh_tokens
        .find_refresh_token(&crypto::digest(token))
        .await?
        // A refresh token is for its client alone.
        && found.client_id == client.client_id
        {
            let session_ok = match &found.session {
                Some(session) => self.sessions.is_live(session).await?,
                None => true,
            };
            let usable = found.consumed_at.is_none()
                && found.revoked_at.is_none()
                && found.expires_at > now
                && found.family_expires_at > now
                && session_ok;
            if usable {
                let mut claims = Map::new();
                claims.insert("active".into(), json!(true));
                claims.insert("scope".into(), json!(found.scopes.to_string()));
                claims.insert("client_id".into(), json!(found.client_id));
                claims.insert("token_type".into(), json!("refresh_token"));
                claims.insert("exp".into(), json!(found.expires_at));
                claims.insert("iat".into(), json!(found.issued_at));
                claims.insert("aud".into(), json!(found.client_id));
                claims.insert("iss".into(), json!(issuer));
                claims.insert("sub".into(), json!(found.user_id.to_string()));
                claims.insert("sid".into(), json!(found.sid));
                return Ok(claims);
            }
        }
        // §2.2: expired, revoked, unknown and someone else's tokens look alike.
        let mut inactive = Map::new();
        inactive.insert("active".into(), json!(false));
        Ok(inactive)
    }
}

fn may_see_access_token(caller: &Client, token: &AccessTokenRecord) -> bool {
    token.client_id == caller.client_id
        || caller.resource_server
        || token.audience.iter().any(|aud| aud == caller.client_id.as_str())
}
