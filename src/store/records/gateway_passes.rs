//! Gateway passes: the token in the portal cookie (set for the protected
//! domains) names, by its digest, the SSO session it stands for and the
//! identity handed to the apps behind the proxy. The session cookie itself
//! never travels to those hosts; a pass is worth nothing once its session
//! has ended, and lives no longer than the session could.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{get_json, put_json};
use crate::crypto;
use crate::domain::SessionHandle;
use crate::store::{EphemeralStore, StoreError};

/// What the apps behind the proxy are told about the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayIdentity {
    pub username: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayPass {
    pub session: SessionHandle,
    pub user_id: Uuid,
    pub identity: GatewayIdentity,
    /// When `identity` was read from the accounts.
    pub read_at: i64,
}

pub struct GatewayPasses<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(token: &str) -> String {
    format!("gateway:{}", crypto::digest(token))
}

impl<'a> GatewayPasses<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        GatewayPasses { store }
    }

    /// A new pass for `ttl`; returns the token for the portal cookie.
    pub async fn issue(&self, pass: &GatewayPass, ttl: Duration) -> Result<String, StoreError> {
        let token = crypto::random_token();
        put_json(self.store, &key(&token), pass, ttl).await?;
        Ok(token)
    }

    pub async fn get(&self, token: &str) -> Result<Option<GatewayPass>, StoreError> {
        get_json(self.store, &key(token)).await
    }

    /// Writes a pass back (its identity read again), for `ttl` more.
    pub async fn update(&self, token: &str, pass: &GatewayPass, ttl: Duration) -> Result<(), StoreError> {
        put_json(self.store, &key(token), pass, ttl).await
    }

    pub async fn remove(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete(&key(token)).await
    }
}
