//! Issuing the tokens of a grant made by a person: an access token, an ID
//! token, and (when the client may refresh) a refresh token.

use std::time::Duration;

use uuid::Uuid;

use super::TokenResponse;
use crate::config::TokenSettings;
use crate::crypto;
use crate::domain::{Client, FamilyId, RefreshToken, Scopes, SessionHandle, Sid};
use crate::error::ProtocolError;
use crate::oidc::access_token::AccessTokens;
use crate::oidc::{access_token, id_token, resource};
use crate::session::Sessions;
use crate::store::records::{Codes, RefreshGrace};
use crate::store::{AuditLog, RefreshTokenRepository, UserRepository};

/// What the grants of the token endpoint touch.
pub struct Grants<'a> {
    pub codes: Codes<'a>,
    pub users: &'a dyn UserRepository,
    /// For the `groups` claim.
    pub groups: &'a dyn crate::store::GroupRepository,
    pub sessions: Sessions<'a>,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
    /// Also the signer of ID tokens and this server's clock.
    pub access_tokens: AccessTokens<'a>,
    pub grace: RefreshGrace<'a>,
    /// Refresh tokens as issued, so a rotation need not read SQL first.
    pub issued: crate::store::records::IssuedRefreshTokens<'a>,
    pub audit: &'a dyn AuditLog,
    pub settings: &'a TokenSettings,
}

impl Grants<'_> {
    pub fn now(&self) -> i64 {
        self.access_tokens.signer.now()
    }

    pub fn issuer(&self) -> &str {
        self.access_tokens.signer.issuer
    }

    /// Remembers a refresh token as issued for its next rotation: for twice
    /// an access token's lifetime (when apps refresh), never past its own
    /// end. Only a shortcut: when it fails or is gone, SQL is read.
    pub async fn remember_issued(&self, token: &RefreshToken) {
        let now = self.now();
        let life = (self.settings.access_token_ttl_secs as i64)
            .saturating_mul(2)
            .min(token.expires_at - now);
        if life > 0
            && let Err(e) = self.issued.remember(token, Duration::from_secs(life as u64)).await
        {
            tracing::debug!(error = %e, "remembering an issued refresh token failed");
        }
    }
}

/// What a person granted, as the code or refresh token carries it.
pub(super) struct UserGrant<'a> {
    pub client: &'a Client,
    pub user_id: Uuid,
    /// The scopes of this access token (a refresh may narrow them).
    pub scopes: Scopes,
    pub sid: Sid,
    /// The SSO session the tokens die with (`None`: offline).
    pub session: Option<SessionHandle>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// OIDC Core 12.2: an ID token from a refresh carries no nonce.
    pub nonce: Option<String>,
    pub family_id: FamilyId,
    /// RFC 8707: the resource this response's access token is for.
    pub resource: Option<String>,
}

/// A new refresh token of `family`, not yet stored.
pub(super) fn new_refresh_token(
    grants: &Grants<'_>,
    grant: &UserGrant<'_>,
    family_scopes: &Scopes,
    family_expires_at: i64,
    family_resource: Option<String>,
) -> (String, RefreshToken) {
    let now = grants.now();
    let value = crypto::random_token();
    let ttl = grants.settings.refresh_token_ttl_secs as i64;
    let row = RefreshToken {
        token_hash: crypto::digest(&value),
        family_id: grant.family_id,
        client_id: grant.client.client_id.clone(),
        user_id: grant.user_id,
        scopes: family_scopes.clone(),
        sid: grant.sid.clone(),
        session: grant.session.clone(),
        auth_time: grant.auth_time,
        amr: grant.amr.clone(),
        resource: family_resource,
        issued_at: now,
        expires_at: (now + ttl).min(family_expires_at),
        family_expires_at,
        consumed_at: None,
        revoked_at: None,
    };
    (value, row)
}

/// Issues the access and ID tokens; `refresh_token` is one already stored.
pub(super) async fn user_tokens(
    grants: &Grants<'_>,
    grant: &UserGrant<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, ProtocolError> {
    let now = grants.now();
    let access_ttl = grants.settings.access_token_ttl_secs;
    let token = crate::domain::AccessTokenRecord {
        user_id: Some(grant.user_id),
        client_id: grant.client.client_id.clone(),
        scopes: grant.scopes.clone(),
        sid: Some(grant.sid.clone()),
        session: grant.session.clone(),
        audience: resource::audience(grant.client, grant.resource.as_deref(), grants.issuer()),
        issued_at: now,
        expires_at: now + access_ttl as i64,
    };
    // Read at issue time: the claim is as current as the token.
    let groups = if grant.scopes.contains("groups") {
        Some(grants.groups.groups_of(grant.user_id).await?)
    } else {
        None
    };
    let format = access_token::Format::of(grant.client);
    let issued = grants
        .access_tokens
        .issue(grant.family_id, token, format, groups.as_deref())
        .await?;
    let Some(access_token) = issued else {
        return Err(ProtocolError::invalid_grant("the grant was revoked"));
    };
    let subject = id_token::Subject {
        groups: groups.as_deref(),
        user_id: grant.user_id,
        client_id: grant.client.client_id.as_str(),
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        sid: grant.sid.as_str(),
        amr: &grant.amr,
        alg: grant.client.id_token_alg,
    };
    let id_token = id_token::sign(
        &grants.access_tokens.signer,
        grants.settings.id_token_ttl_secs,
        &subject,
        Some(&access_token),
    )
    .map_err(|e| ProtocolError::server_error(&e))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: access_ttl,
        id_token: Some(id_token),
        refresh_token,
        scope: grant.scopes.to_string(),
    })
}
