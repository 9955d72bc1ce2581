//! The `refresh_token` grant (RFC 6749 §6, OIDC Core 12, RFC 9700 §4.14):
//! every use rotates the token; a consumed token presented again within the
//! grace window (two tabs refreshing at once) gets the same successor, and
//! later is taken as stolen: its whole family is revoked.

use std::time::Duration;

use super::TokenResponse;
use super::issue::{self, Grants, UserGrant, new_refresh_token};
use crate::crypto;
use crate::domain::{AuditEvent, Client, RefreshToken, Scopes};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::params::Params;

#[derive(Debug)]
pub struct RefreshRequest {
    /// The presented token's digest (how it is stored); the value itself
    /// is not kept.
    token_hash: String,
    scope: Option<Scopes>,
    resource: Option<String>,
}

impl RefreshRequest {
    pub(super) fn parse(params: &Params) -> Result<RefreshRequest, ProtocolError> {
        Ok(RefreshRequest {
            token_hash: crypto::digest(params.require("refresh_token")?),
            scope: params
                .get("scope")
                .map(Scopes::parse)
                .transpose()
                .map_err(|e| ProtocolError::new(ErrorCode::InvalidScope, e.to_string()))?,
            resource: crate::oidc::resource::requested(params)?,
        })
    }
}

fn invalid() -> ProtocolError {
    ProtocolError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// The token as it was issued, remembered for a while (`None` when it is
/// not, or the store failed: the refresh then reads SQL). Read-only, so the
/// token endpoint asks while it authenticates the client.
pub(super) async fn remembered(grants: &Grants<'_>, request: &RefreshRequest) -> Option<RefreshToken> {
    grants.issued.get(&request.token_hash).await.ok().flatten()
}

/// Rotates the token; `remembered` is what [`remembered`] found of it.
pub(super) async fn refresh(
    grants: &Grants<'_>,
    client: &Client,
    request: RefreshRequest,
    remembered: Option<RefreshToken>,
) -> Result<TokenResponse, ProtocolError> {
    let hash = &request.token_hash;
    // The token as it was issued: no SQL read before the rotation, whose
    // statement alone decides whether it is still current and its holder
    // active. Anything else — a refusal, a rotation that did not happen —
    // is decided again from SQL below, with what that entails (a family
    // revoked, the grace window's answer).
    if let Some(issued) = remembered
        && issued.client_id == client.client_id
        && let Ok(grant) = check(grants, client, &request, &issued).await
        && let Some(response) = rotate(grants, &grant, &issued, hash).await?
    {
        return Ok(response);
    }
    from_sql(grants, client, &request, hash).await
}

/// The refresh, with the token read from SQL first: every refusal, with
/// the family revoked where the token can no longer be trusted.
async fn from_sql(
    grants: &Grants<'_>,
    client: &Client,
    request: &RefreshRequest,
    hash: &str,
) -> Result<TokenResponse, ProtocolError> {
    let now = grants.now();
    let (current, holder_active) = grants
        .refresh_tokens
        .find_refresh_token_and_holder(hash)
        .await?
        .ok_or_else(invalid)?;
    if current.client_id != client.client_id || current.revoked_at.is_some() {
        return Err(invalid());
    }
    if let Some(consumed_at) = current.consumed_at {
        return reused(grants, &current, consumed_at).await;
    }
    if !holder_active {
        grants.refresh_tokens.revoke_family(current.family_id, now).await?;
        return Err(invalid());
    }
    let grant = match check(grants, client, request, &current).await {
        Ok(grant) => grant,
        Err(Refusal::Refused(error)) => return Err(error),
        Err(Refusal::Untrusted(error)) => {
            grants.refresh_tokens.revoke_family(current.family_id, now).await?;
            return Err(error);
        }
    };
    match rotate(grants, &grant, &current, hash).await? {
        Some(response) => Ok(response),
        // Another request rotated it a moment ago: answer as it did. (The
        // access token just made is recorded under the grant, so revoking the
        // family still reaches it; nobody was given it.)
        None => from_grace_window(grants, hash).await,
    }
}

/// Why a refresh is refused before anything is issued.
enum Refusal {
    Refused(ProtocolError),
    /// The grant can no longer be trusted: its family is revoked too.
    Untrusted(ProtocolError),
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal::Refused(e.into())
    }
}

/// What the token (`current`, as issued) allows for this request: the
/// grant its successor and tokens are issued under, or why not.
async fn check<'c>(
    grants: &Grants<'_>,
    client: &'c Client,
    request: &RefreshRequest,
    current: &RefreshToken,
) -> Result<UserGrant<'c>, Refusal> {
    let now = grants.now();
    if current.expires_at <= now || current.family_expires_at <= now {
        return Err(Refusal::Refused(invalid()));
    }
    // A token bound to an SSO session ends with it, however the session ended.
    if let Some(session) = &current.session
        && !grants.sessions.is_live(session).await?
    {
        return Err(Refusal::Untrusted(invalid()));
    }
    // RFC 6749 §6: the scope may be narrowed, never widened.
    let scopes = match &request.scope {
        None => current.scopes.clone(),
        Some(asked) if asked.iter().all(|s| current.scopes.contains(s)) => asked.clone(),
        Some(_) => {
            return Err(Refusal::Refused(ProtocolError::new(
                ErrorCode::InvalidScope,
                "scope exceeds what was originally granted",
            )));
        }
    };
    // RFC 8707 §2.2: a refresh may name one of the resources the grant allows.
    let resource = crate::oidc::resource::check(client, request.resource.as_deref(), current.resource.as_deref())
        .map_err(Refusal::Refused)?;
    // An app restricted to groups admits the holder only while they are in
    // one: taken out of the group, their grant to it ends here.
    if !client.access_groups.is_empty() {
        let theirs = grants.groups.groups_of(current.user_id).await?;
        if !theirs.iter().any(|group| client.access_groups.contains(group)) {
            return Err(Refusal::Untrusted(ProtocolError::invalid_grant(
                "the account is no longer in a group this application admits",
            )));
        }
    }
    Ok(UserGrant {
        client,
        user_id: current.user_id,
        scopes,
        sid: current.sid.clone(),
        session: current.session.clone(),
        // OIDC Core 12.2: auth_time is the original authentication's.
        auth_time: current.auth_time,
        amr: current.amr.clone(),
        nonce: None,
        family_id: current.family_id,
        resource,
    })
}

/// Issues the tokens and rotates `current` (its digest `hash`) to a
/// successor; `None` when the rotation did not happen (the token is no
/// longer current, or its holder no longer active).
async fn rotate(
    grants: &Grants<'_>,
    grant: &UserGrant<'_>,
    current: &RefreshToken,
    hash: &str,
) -> Result<Option<TokenResponse>, ProtocolError> {
    let (value, successor) = new_refresh_token(
        grants,
        grant,
        &current.scopes,
        current.family_expires_at,
        current.resource.clone(),
    );
    // Everything that can fail (the ephemeral store, signing) happens before
    // the rotation commits: a failure leaves the presented token current, so
    // the app simply retries, instead of holding a consumed token it never
    // got the successor of.
    let response = issue::user_tokens(grants, grant, Some(value)).await?;
    if !grants.refresh_tokens.rotate_refresh_token(hash, &successor).await? {
        return Ok(None);
    }
    let grace = Duration::from_secs(grants.settings.refresh_grace_secs.max(1));
    // Two independent writes, sent together (one round trip on Redis).
    let (kept, ()) = tokio::join!(
        grants.grace.keep(hash, &response, grace),
        grants.remember_issued(&successor)
    );
    if let Err(e) = kept {
        // Only a concurrent duplicate within the window needs it; this
        // response is already committed.
        tracing::warn!(error = %e, "keeping the refresh response for the grace window failed");
    }
    Ok(Some(response))
}

/// A consumed token came back: a concurrent duplicate within the grace
/// window, or a replay (the token was stolen) after it.
async fn reused(grants: &Grants<'_>, current: &RefreshToken, consumed_at: i64) -> Result<TokenResponse, ProtocolError> {
    let now = grants.now();
    if now - consumed_at <= grants.settings.refresh_grace_secs as i64 {
        return from_grace_window(grants, &current.token_hash).await;
    }
    grants.refresh_tokens.revoke_family(current.family_id, now).await?;
    grants.access_tokens.revoke_grant(current.family_id).await?;
    crate::observability::refresh_reuse_detected();
    let event = AuditEvent::new("refresh_token_reused", now)
        .user(current.user_id)
        .client(&current.client_id)
        .detail(format!("family {} revoked", current.family_id));
    crate::audit::record(grants.audit, event).await;
    Err(invalid())
}

/// The response the winning rotation gave. It may still be on its way: wait
/// briefly for it rather than fail the duplicate.
async fn from_grace_window(grants: &Grants<'_>, token_hash: &str) -> Result<TokenResponse, ProtocolError> {
    for _ in 0..40 {
        if let Some(response) = grants.grace.get::<TokenResponse>(token_hash).await? {
            return Ok(response);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(invalid())
}
