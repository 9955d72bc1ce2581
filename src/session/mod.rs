//! The single sign-on session. The browser's cookie carries only a 256-bit
//! random id; the state lives in the ephemeral store under the id's digest.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto;
use crate::services::Services;
use crate::store::StoreError;
use crate::store::ephemeral::put_json;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SsoSession {
    pub user_id: Uuid,
    /// When the person last authenticated (OIDC Core `auth_time`).
    pub auth_time: i64,
    /// Authentication methods (RFC 8176), e.g. `pwd`.
    pub amr: Vec<String>,
    /// The session id relying apps see (`sid`); never the cookie value.
    pub sid: String,
    pub created_at: i64,
    pub expires_at: i64,
}

fn key(cookie_value: &str) -> String {
    format!("sso:{}", crypto::digest(cookie_value))
}

/// Starts a session for a person who just authenticated, under a fresh id
/// (never the one the browser came with: session fixation), and ends the
/// browser's previous session. Returns the cookie value and the session.
pub async fn start(
    services: &Services,
    user_id: Uuid,
    previous_cookie: Option<&str>,
) -> Result<(String, SsoSession), StoreError> {
    if let Some(previous) = previous_cookie {
        services.ephemeral.delete(&key(previous)).await?;
    }
    let now = services.clock.now();
    let lifetime = services.settings.session.absolute_timeout_secs;
    let session = SsoSession {
        user_id,
        auth_time: now,
        amr: vec!["pwd".into()],
        sid: crypto::random_token(),
        created_at: now,
        expires_at: now + lifetime as i64,
    };
    let cookie_value = crypto::random_token();
    put_json(
        &*services.ephemeral,
        &key(&cookie_value),
        &session,
        Duration::from_secs(lifetime),
    )
    .await?;
    tracing::info!(session = %crypto::digest(&cookie_value), user = %user_id, "session created");
    Ok((cookie_value, session))
}
