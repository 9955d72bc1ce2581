//! The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core 3.1.3.2,
//! RFC 7636 §4.6).

use std::time::Duration;

use super::TokenResponse;
use crate::crypto;
use crate::domain::{Client, CodeVerifier, FamilyId, StoredGrant};
use crate::error::ProtocolError;
use crate::oidc::params::Params;

use super::issue::{self, Grants, UserGrant, new_refresh_token};
use crate::oidc::resource;

#[derive(Debug)]
pub struct CodeRequest {
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<CodeVerifier>,
    resource: Option<String>,
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
                .map_err(|e| ProtocolError::invalid_request(e.to_string()))?,
            resource: resource::requested(params)?,
        })
    }
}

/// The family id of the tokens a code yields: derived from the code, so
/// nothing else can name it, behind the time of the exchange (a UUIDv7), so
/// that the families stored one after the other sort one after the other:
/// SQLite's indexes on the family (its key, its tokens' family) then grow
/// at their last page instead of writing a random page each per exchange.
fn family_of(code: &str, now: i64) -> FamilyId {
    let digest = crypto::sha256(code.as_bytes());
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(now).unwrap_or(0).saturating_mul(1000);
    FamilyId::from_uuid(uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid())
}

pub(super) async fn redeem(
    grants: &Grants<'_>,
    client: &Client,
    request: CodeRequest,
) -> Result<TokenResponse, ProtocolError> {
    let access_ttl = grants.settings.access_token_ttl_secs;
    let codes = &grants.codes;
    let Some(stored) = codes.take(&request.code).await? else {
        // RFC 6749 §4.1.2: if a code is used more than once, the server MUST
        // deny the request and SHOULD revoke all tokens issued from it.
        if let Some(family) = codes.used_family(&request.code).await? {
            grants.access_tokens.revoke_grant(family).await?;
            grants.refresh_tokens.revoke_family(family, grants.now()).await?;
            tracing::warn!(client_id = %client.client_id, "authorization code replayed; its tokens are revoked");
            return Err(ProtocolError::invalid_grant("the authorization code was already used"));
        }
        return Err(ProtocolError::invalid_grant(
            "the authorization code is invalid or expired",
        ));
    };
    // One family per grant (the code's tokens, and every refresh of them),
    // named after the code so that the mark of its use names it at once.
    let family_id = family_of(&request.code, grants.now());
    let mark_used = codes.mark_used(&request.code, family_id, Duration::from_secs(access_ttl));
    if let Err(refused) = check_code(&stored, client, &request, grants.now()) {
        mark_used.await?;
        return Err(refused);
    }
    let grant = stored.grant;
    // The mark and two independent reads, sent together (one round trip
    // on Redis).
    let ((), user, session_live) = tokio::try_join!(
        mark_used,
        grants.users.find_user(grant.user_id),
        grants.sessions.is_live(&grant.session)
    )?;
    if user.is_none_or(|u| u.disabled) {
        return Err(ProtocolError::invalid_grant("the user is no longer active"));
    }
    // A code outliving its session would give the app an ID token for a
    // `sid` already logged out (and told so by back-channel logout); it is
    // refused, offline_access included: the person signed out before the
    // app finished signing them in.
    if !session_live {
        return Err(ProtocolError::invalid_grant(
            "the session this code was issued in has ended",
        ));
    }

    let resource = resource::check(client, request.resource.as_deref(), grant.resource.as_deref())?;
    let offline = grant.scopes.contains("offline_access");
    let user_grant = UserGrant {
        client,
        user_id: grant.user_id,
        scopes: grant.scopes.clone(),
        sid: grant.sid.clone(),
        // offline_access: the refresh token outlives the SSO session.
        session: (!offline).then(|| grant.session.clone()),
        auth_time: grant.auth_time,
        amr: grant.amr.clone(),
        nonce: grant.nonce.clone(),
        family_id,
        resource,
    };
    // The refresh token is stored before the access token is issued (whose
    // issuance checks the grant's revocation mark), unlike a rotation, which
    // signs first. A replay of this code marks the grant revoked, then
    // revokes the family in SQL: stored first, the token is either in the
    // family the replay revokes, or the mark was set before the access
    // token's check, which refuses the whole response. Stored last, it could
    // land after the replay's revocation and outlive it (RFC 6749 §4.1.2).
    let refresh_token = if client.may_use_grant("refresh_token") {
        let absolute = grants.now() + grants.settings.refresh_token_absolute_ttl_secs as i64;
        let (value, row) = new_refresh_token(grants, &user_grant, &grant.scopes, absolute, grant.resource.clone());
        grants.refresh_tokens.insert_refresh_token(&row).await?;
        Some((value, row))
    } else {
        None
    };
    // The access token of this first response lives and dies with the session.
    let first = UserGrant {
        session: Some(grant.session.clone()),
        ..user_grant
    };
    let Some((value, row)) = refresh_token else {
        return issue::user_tokens(grants, &first, None).await;
    };
    // Remembering the refresh token for its first use goes out with the
    // access token's writes.
    let ((), response) = tokio::join!(
        grants.remember_issued(&row),
        issue::user_tokens(grants, &first, Some(value))
    );
    response
}

/// What the token endpoint asks of a code it holds (RFC 6749 §4.1.3, RFC
/// 7636 §4.6): unexpired, issued to this client, for this redirect URI, and
/// answered with the verifier of its challenge.
fn check_code(stored: &StoredGrant, client: &Client, request: &CodeRequest, now: i64) -> Result<(), ProtocolError> {
    if stored.expires_at <= now {
        return Err(ProtocolError::invalid_grant(
            "the authorization code is invalid or expired",
        ));
    }
    let grant = &stored.grant;
    if grant.client_id != client.client_id {
        return Err(ProtocolError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    // RFC 6749 §4.1.3: redirect_uri is REQUIRED when it was in the
    // authorization request (OIDC always has it), and the values MUST be identical.
    match request.redirect_uri.as_deref() {
        None => return Err(ProtocolError::invalid_request("missing parameter redirect_uri")),
        Some(uri) if uri != grant.redirect_uri.as_str() => {
            return Err(ProtocolError::invalid_grant(
                "redirect_uri differs from the one in the authorization request",
            ));
        }
        Some(_) => {}
    }
    match (&grant.code_challenge, &request.code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.is_satisfied_by(verifier) => Ok(()),
        (Some(_), Some(_)) => Err(ProtocolError::invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(ProtocolError::invalid_grant("code_verifier is required")),
        // RFC 9700 §2.1.1: a code_verifier for a code issued without a
        // challenge MUST be rejected (PKCE downgrade).
        (None, Some(_)) => Err(ProtocolError::invalid_grant(
            "code_verifier sent for a code issued without code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::family_of;

    #[test]
    fn families_sort_by_the_time_of_their_exchange_and_differ_by_code() {
        let earlier = family_of("code-b", 1_800_000_000).as_uuid();
        let later = family_of("code-a", 1_800_000_001).as_uuid();
        // Stored as their 16 bytes: byte order is the order SQLite's
        // indexes keep.
        assert!(earlier.as_bytes() < later.as_bytes());
        assert_eq!(later.get_version_num(), 7);
        assert_ne!(family_of("code-a", 1_800_000_000), family_of("code-b", 1_800_000_000));
        assert_eq!(family_of("code-a", 1_800_000_000), family_of("code-a", 1_800_000_000));
    }
}
