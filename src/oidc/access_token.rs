//! Opaque access tokens: 256-bit random, stored by digest with their lifetime
//! in the ephemeral store, and grouped per grant so that a replayed code can
//! revoke what its first use issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto;
use crate::domain::Scopes;
use crate::services::Services;
use crate::store::StoreError;
use crate::store::ephemeral::{get_json, put_json};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessToken {
    /// The person; `None` for a client's own token (client_credentials).
    pub user_id: Option<Uuid>,
    pub client_id: String,
    pub scopes: Scopes,
    pub sid: Option<String>,
    /// The SSO session's handle: the token dies with the session. `None`
    /// for client tokens and tokens refreshed with `offline_access`.
    pub session: Option<String>,
    /// Who the token is for (RFC 8707, RFC 9068 `aud`). Empty in records
    /// made before audiences existed: this server.
    #[serde(default)]
    pub audience: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl AccessToken {
    /// The audience, with records from before audiences meaning this server.
    pub fn audience_or(&self, issuer: &str) -> Vec<String> {
        if self.audience.is_empty() {
            vec![issuer.to_string()]
        } else {
            self.audience.clone()
        }
    }
}

fn token_key(token_digest: &str) -> String {
    format!("at:{token_digest}")
}
/// A grant's tokens are indexed in one set per access-token lifetime
/// ("bucket"), each kept two lifetimes: a token issued in bucket k is dead
/// before bucket k + 2 begins, so revoking reads the current bucket and the
/// one before, and a family refreshed for months holds at most two
/// lifetimes' worth of digests instead of every one it ever had.
fn grant_tokens_key(grant_id: &str, bucket: i64) -> String {
    format!("grant:{grant_id}:tokens:{bucket}")
}

fn bucket(services: &Services, at: i64) -> i64 {
    at.div_euclid(services.settings.tokens.access_token_ttl_secs.max(1) as i64)
}
fn session_tokens_key(session: &str) -> String {
    format!("session:{session}:tokens")
}
fn grant_revoked_key(grant_id: &str) -> String {
    format!("grant:{grant_id}:revoked")
}

fn ttl(services: &Services) -> Duration {
    Duration::from_secs(services.settings.tokens.access_token_ttl_secs)
}

/// How the token travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// 256-bit random, meaningful only to this server.
    Opaque,
    /// RFC 9068: a JWT (`typ: at+jwt`) resource servers validate locally.
    Jwt,
}

impl Format {
    /// The format a client registered for.
    pub fn of(client: &crate::domain::Client) -> Format {
        if client.jwt_access_tokens {
            Format::Jwt
        } else {
            Format::Opaque
        }
    }
}

/// RFC 9068 §2.2.
#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    exp: i64,
    aud: serde_json::Value,
    sub: &'a str,
    client_id: &'a str,
    iat: i64,
    jti: String,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
}

fn jwt(services: &Services, token: &AccessToken) -> Result<String, StoreError> {
    let subject = token.user_id.map(|u| u.to_string());
    let claims = JwtClaims {
        iss: &services.settings.issuer,
        exp: token.expires_at,
        aud: crate::oidc::resource::aud_claim(&token.audience_or(&services.settings.issuer)),
        // §2.2: without a person, sub names the client.
        sub: subject.as_deref().unwrap_or(&token.client_id),
        client_id: &token.client_id,
        iat: token.issued_at,
        jti: crypto::random_token(),
        scope: token.scopes.to_string(),
        sid: token.sid.as_deref(),
    };
    services
        .keys
        .sign(&claims, "at+jwt", crate::keys::Alg::RS256, services.clock.now())
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Makes the token's value (a JWT or 256 random bits) and its digest.
fn mint(services: &Services, token: &AccessToken, format: Format) -> Result<(String, String), StoreError> {
    let value = match format {
        Format::Opaque => crypto::random_token(),
        Format::Jwt => jwt(services, token)?,
    };
    let digest = crypto::digest(&value);
    Ok((value, digest))
}

/// Records the token by digest (a JWT like an opaque one, so that
/// revocation, logout and introspection treat both alike), indexed by its SSO
/// session so that it ends with it. The two writes are independent and go
/// out together (one round trip's wait, and batched on the connection).
async fn record(services: &Services, token: &AccessToken, digest: &str) -> Result<(), StoreError> {
    let store = &*services.ephemeral;
    let session_index = async {
        match &token.session {
            Some(session) => store.set_add(&session_tokens_key(session), digest, ttl(services)).await,
            None => Ok(()),
        }
    };
    let key = token_key(digest);
    tokio::try_join!(put_json(store, &key, token, ttl(services)), session_index)?;
    Ok(())
}

/// A new token under a person's grant (a code and its refresh family),
/// indexed by the grant; `Ok(None)` when the grant was revoked meanwhile (a
/// replay raced this issuance).
pub async fn issue(
    services: &Services,
    grant_id: &str,
    token: AccessToken,
    format: Format,
) -> Result<Option<String>, StoreError> {
    let (value, digest) = mint(services, &token, format)?;
    let store = &*services.ephemeral;
    // The grant index is written before the revocation check; `revoke_grant`
    // writes its mark before reading the index, so either side sees the other.
    let current = bucket(services, services.clock.now());
    let index_key = grant_tokens_key(grant_id, current);
    let grant_index = store.set_add(&index_key, &digest, ttl(services) * 2);
    tokio::try_join!(record(services, &token, &digest), grant_index)?;
    if store.get(&grant_revoked_key(grant_id)).await?.is_some() {
        store.delete(&token_key(&digest)).await?;
        return Ok(None);
    }
    Ok(Some(value))
}

/// A client's own token (`client_credentials`). No grant index: a service
/// may take thousands of tokens a minute, and nothing revokes them as a
/// group; they end one by one (RFC 7009), by expiry, or with the client.
pub async fn issue_for_client(services: &Services, token: AccessToken, format: Format) -> Result<String, StoreError> {
    let (value, digest) = mint(services, &token, format)?;
    record(services, &token, &digest).await?;
    Ok(value)
}

/// Revokes every token issued under `grant_id`.
pub async fn revoke_grant(services: &Services, grant_id: &str) -> Result<(), StoreError> {
    let store = &*services.ephemeral;
    store.put(&grant_revoked_key(grant_id), b"1", ttl(services)).await?;
    let current = bucket(services, services.clock.now());
    for key in [
        grant_tokens_key(grant_id, current - 1),
        grant_tokens_key(grant_id, current),
    ] {
        for digest in store.set_members(&key).await? {
            store.delete(&token_key(&digest)).await?;
        }
    }
    Ok(())
}

/// Revokes one token (RFC 7009); `false` when there is no such live token.
pub async fn revoke(services: &Services, value: &str) -> Result<bool, StoreError> {
    let key = token_key(&crypto::digest(value));
    Ok(services.ephemeral.take(&key).await?.is_some())
}

/// Revokes every access token issued within the SSO session `session`.
pub async fn revoke_session(services: &Services, session: &str) -> Result<(), StoreError> {
    let store = &*services.ephemeral;
    for digest in store.set_members(&session_tokens_key(session)).await? {
        store.delete(&token_key(&digest)).await?;
    }
    store.delete(&session_tokens_key(session)).await
}

fn client_revoked_key(client_id: &str) -> String {
    format!("client:{client_id}:revoked")
}

/// Ends every access token of a deleted client: a mark, kept as long as any
/// of its tokens could live, that `find` honours.
pub async fn revoke_client(services: &Services, client_id: &str) -> Result<(), StoreError> {
    services
        .ephemeral
        .put(&client_revoked_key(client_id), b"1", ttl(services))
        .await
}

/// The live token for `value`, if any.
pub async fn find(services: &Services, value: &str) -> Result<Option<AccessToken>, StoreError> {
    let token: Option<AccessToken> = get_json(&*services.ephemeral, &token_key(&crypto::digest(value))).await?;
    let Some(token) = token.filter(|t| t.expires_at > services.clock.now()) else {
        return Ok(None);
    };
    if services
        .ephemeral
        .get(&client_revoked_key(&token.client_id))
        .await?
        .is_some()
    {
        return Ok(None);
    }
    Ok(Some(token))
}
