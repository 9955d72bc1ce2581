//! The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core 3.1.3.2,
//! RFC 7636 §4.6).

use std::time::Duration;

use super::TokenResponse;
use crate::crypto;
use crate::domain::{Client, CodeVerifier};
use crate::error::ProtocolError;
use crate::oidc::params::Params;
use crate::oidc::{access_token, code, id_token};
use crate::services::Services;

#[derive(Debug)]
pub struct CodeRequest {
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<CodeVerifier>,
}

impl CodeRequest {
    pub(super) fn parse(params: &Params) -> Result<CodeRequest, ProtocolError> {
        Ok(CodeRequest {
            code: params.require("code")?.to_string(),
            redirect_uri: params.get("redirect_uri").map(str::to_string),
            code_verifier: params
                .get("code_verifier")
                .map(CodeVerifier::parse)
                .transpose()
                .map_err(ProtocolError::invalid_request)?,
        })
    }
}

/// Marks a code as redeemed, so a second use can be told from a bad code.
fn used_key(grant_id: &str) -> String {
    format!("code-used:{grant_id}")
}

pub(super) async fn redeem(
    services: &Services,
    client: &Client,
    request: CodeRequest,
) -> Result<TokenResponse, ProtocolError> {
    let grant_id = crypto::digest(&request.code);
    let access_ttl = services.settings.tokens.access_token_ttl_secs;
    let Some(stored) = code::take(services, &request.code).await? else {
        // RFC 6749 §4.1.2: if a code is used more than once, the server MUST
        // deny the request and SHOULD revoke all tokens issued from it.
        if services.ephemeral.get(&used_key(&grant_id)).await?.is_some() {
            access_token::revoke_grant(services, &grant_id).await?;
            tracing::warn!(client_id = %client.client_id, "authorization code replayed; its tokens are revoked");
            return Err(ProtocolError::invalid_grant("the authorization code was already used"));
        }
        return Err(ProtocolError::invalid_grant(
            "the authorization code is invalid or expired",
        ));
    };
    services
        .ephemeral
        .put(&used_key(&grant_id), b"1", Duration::from_secs(access_ttl))
        .await?;

    if stored.expires_at <= services.clock.now() {
        return Err(ProtocolError::invalid_grant(
            "the authorization code is invalid or expired",
        ));
    }
    let grant = stored.grant;
    if grant.client_id != client.client_id {
        return Err(ProtocolError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    // RFC 6749 §4.1.3: redirect_uri is REQUIRED when it was in the
    // authorization request (OIDC always has it), and the values MUST be identical.
    match request.redirect_uri.as_deref() {
        None => {
            return Err(ProtocolError::invalid_request("missing parameter redirect_uri"));
        }
        Some(uri) if uri != grant.redirect_uri.as_str() => {
            return Err(ProtocolError::invalid_grant(
                "redirect_uri differs from the one in the authorization request",
            ));
        }
        Some(_) => {}
    }
    match (&grant.code_challenge, &request.code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.is_satisfied_by(verifier) => {}
        (Some(_), Some(_)) => {
            return Err(ProtocolError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        (Some(_), None) => return Err(ProtocolError::invalid_grant("code_verifier is required")),
        // RFC 9700 §2.1.1: a code_verifier for a code issued without a
        // challenge MUST be rejected (PKCE downgrade).
        (None, Some(_)) => {
            return Err(ProtocolError::invalid_grant(
                "code_verifier sent for a code issued without code_challenge",
            ));
        }
        (None, None) => {}
    }
    let user = services.users.find_user(grant.user_id).await?;
    if user.is_none_or(|u| u.disabled) {
        return Err(ProtocolError::invalid_grant("the user is no longer active"));
    }

    let now = services.clock.now();
    let token = access_token::AccessToken {
        user_id: grant.user_id,
        client_id: grant.client_id.clone(),
        scopes: grant.scopes.clone(),
        sid: grant.sid.clone(),
        session: grant.session.clone(),
        issued_at: now,
        expires_at: now + access_ttl as i64,
    };
    let Some(access_token) = access_token::issue(services, &grant_id, token).await? else {
        return Err(ProtocolError::invalid_grant("the authorization code was already used"));
    };
    let subject = id_token::Subject {
        user_id: grant.user_id,
        client_id: &grant.client_id,
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        sid: &grant.sid,
        amr: &grant.amr,
        alg: client.id_token_alg,
    };
    let id_token =
        id_token::sign(services, &subject, Some(&access_token)).map_err(|e| ProtocolError::server_error(&e))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: access_ttl,
        id_token: Some(id_token),
        scope: grant.scopes.to_string(),
    })
}
