//! Token introspection (RFC 7662), for authenticated confidential clients
//! (resource servers).

use serde_json::{Map, Value, json};

use crate::crypto;
use crate::domain::AuthMethod;
use crate::error::ProtocolError;
use crate::oidc::access_token;
use crate::oidc::params::Params;
use crate::oidc::token::client_auth::authenticate_from;
use crate::services::Services;

pub async fn introspect(
    services: &Services,
    params: &Params,
    authorization: Option<&str>,
    client_ip: &str,
) -> Result<Map<String, Value>, ProtocolError> {
    params.reject_repeated()?;
    let client = authenticate_from(services, authorization, params, client_ip).await?;
    if client.auth_method == AuthMethod::None {
        return Err(ProtocolError::invalid_client(
            "introspection is for confidential clients",
        ));
    }
    let token = params.require("token")?;
    let issuer = &services.settings.issuer;
    let now = services.clock.now();
    if let Some(found) = access_token::find(services, token).await? {
        let mut claims = Map::new();
        claims.insert("active".into(), json!(true));
        claims.insert("scope".into(), json!(found.scopes.to_string()));
        claims.insert("client_id".into(), json!(found.client_id));
        claims.insert("token_type".into(), json!("Bearer"));
        claims.insert("exp".into(), json!(found.expires_at));
        claims.insert("iat".into(), json!(found.issued_at));
        claims.insert("aud".into(), json!(found.client_id));
        claims.insert("iss".into(), json!(issuer));
        if let Some(user) = found.user_id {
            claims.insert("sub".into(), json!(user.to_string()));
        }
        if let Some(sid) = found.sid {
            claims.insert("sid".into(), json!(sid));
        }
        return Ok(claims);
    }
    if let Some(found) = services
        .refresh_tokens
        .find_refresh_token(&crypto::digest(token))
        .await?
    {
        let session_ok = match &found.session {
            Some(session) => crate::session::is_live(services, session).await?,
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
    // §2.2: expired, revoked and unknown tokens look alike.
    let mut inactive = Map::new();
    inactive.insert("active".into(), json!(false));
    Ok(inactive)
}
