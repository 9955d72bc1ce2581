//! The UserInfo endpoint (OIDC Core 5.3): claims about the person, by scope.

use serde_json::{Map, Value, json};

use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::access_token::AccessTokens;
use crate::store::UserRepository;

/// What the endpoint reads: the token, then the person.
pub struct UserInfo<'a> {
    pub access_tokens: AccessTokens<'a>,
    pub users: &'a dyn UserRepository,
    pub groups: &'a dyn crate::store::GroupRepository,
}

pub async fn claims(info: &UserInfo<'_>, bearer_token: &str) -> Result<Map<String, Value>, ProtocolError> {
    let invalid = || ProtocolError::invalid_token("the access token is invalid or expired");
    let (token, holder) = info
        .access_tokens
        .find_with_holder(bearer_token, Some(info.users))
        .await?
        .ok_or_else(invalid)?;
    let issuer = info.access_tokens.signer.issuer;
    // OIDC Core 5.3: the access token must have been granted with the openid scope.
    if !token.scopes.contains("openid") {
        return Err(ProtocolError::new(
            ErrorCode::InsufficientScope,
            "the access token was not granted the openid scope",
        ));
    }
    // RFC 8707: a token for another resource is not for this endpoint.
    if !token.audience_or(issuer).iter().any(|aud| aud == issuer) {
        return Err(invalid());
    }
    // A client's own token (client_credentials) speaks for no person.
    let user = holder.filter(|u| !u.disabled).ok_or_else(invalid)?;

    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id.to_string()));
    if token.scopes.contains("profile") {
        claims.insert("preferred_username".into(), json!(user.username.as_str()));
        if let Some(name) = &user.display_name {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    if token.scopes.contains("email")
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), json!(email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if token.scopes.contains("groups") {
        claims.insert("groups".into(), json!(info.groups.groups_of(user.id).await?));
    }
    Ok(claims)
}
