//! Verified HTTP Basic credentials at the gateway, cached briefly so a
//! script's every request does not cost an argon2 hash. The key is a keyed
//! digest (HMAC under a key derived from the KEK) of the username and
//! password: whoever reads the store learns neither, and cannot test
//! guesses against it without the key.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{GatewayIdentity, get_json, put_json};
use crate::store::{EphemeralStore, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCredential {
    pub user_id: Uuid,
    /// A digest of the password hash the credential was verified against:
    /// once the password changes, the cached credential is worth nothing.
    pub hash_print: String,
    /// The account's version mark when last compared: while it is the
    /// same, no write has touched the account.
    pub account_mark: Option<String>,
    /// What the apps are told, as read at `read_at`.
    pub identity: GatewayIdentity,
    pub read_at: i64,
    /// When the password was checked; the credential is remembered until
    /// `basic_cache_secs` after, however often it is used.
    pub verified_at: i64,
}

pub struct GatewayCredentials<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(keyed_digest: &str) -> String {
    format!("gateway-basic:{keyed_digest}")
}

impl<'a> GatewayCredentials<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        GatewayCredentials { store }
    }

    pub async fn remember(
        &self,
        keyed_digest: &str,
        credential: &VerifiedCredential,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        put_json(self.store, &key(keyed_digest), credential, ttl).await
    }

    pub async fn recall(&self, keyed_digest: &str) -> Result<Option<VerifiedCredential>, StoreError> {
        get_json(self.store, &key(keyed_digest)).await
    }

    pub async fn forget(&self, keyed_digest: &str) -> Result<(), StoreError> {
        self.store.delete(&key(keyed_digest)).await
    }
}
