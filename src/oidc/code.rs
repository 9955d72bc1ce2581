//! Authorization codes: 256-bit random, stored by digest in the ephemeral
//! store with a short lifetime, bound to everything the token request must
//! repeat, and taken exactly once.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto;
use crate::domain::{CodeChallenge, RedirectUri, Scopes};
use crate::services::Services;
use crate::store::StoreError;
use crate::store::ephemeral::{put_json, take_json};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: RedirectUri,
    pub user_id: Uuid,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// The relying-party session id for this client (`sid` in the ID token).
    pub sid: String,
    /// The SSO session's handle, so tokens can die with it.
    pub session: String,
    /// RFC 8707: the resource the tokens are for, when the request named one.
    #[serde(default)]
    pub resource: Option<String>,
}

/// A grant as stored, with the code's expiry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredGrant {
    #[serde(flatten)]
    pub grant: CodeGrant,
    pub expires_at: i64,
}

pub fn code_key(code: &str) -> String {
    format!("code:{}", crypto::digest(code))
}

/// Stores the grant and returns the code to send to the client.
pub async fn issue(services: &Services, grant: CodeGrant) -> Result<String, StoreError> {
    let code = crypto::random_token();
    let ttl = services.settings.tokens.code_ttl_secs;
    let stored = StoredGrant {
        grant,
        expires_at: services.clock.now() + ttl as i64,
    };
    put_json(
        &*services.ephemeral,
        &code_key(&code),
        &stored,
        Duration::from_secs(ttl),
    )
    .await?;
    Ok(code)
}

/// Takes the grant atomically: of concurrent redemptions, exactly one gets it.
pub async fn take(services: &Services, code: &str) -> Result<Option<StoredGrant>, StoreError> {
    take_json(&*services.ephemeral, &code_key(code)).await
}
