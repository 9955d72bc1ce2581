//! Sign-ins between their first factor and their last step, by the digest of
//! the random id the browser's sign-in cookie carries. Each lives
//! `mfa.pending_sign_in_secs` from its start; finishing takes it once.

use std::time::Duration;

use super::{get_json, put_json, take_json};
use crate::crypto;
use crate::domain::PendingSignIn;
use crate::store::{EphemeralStore, StoreError};

pub struct PendingSignIns<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(id: &str) -> String {
    format!("signin:{}", crypto::digest(id))
}

impl<'a> PendingSignIns<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        PendingSignIns { store }
    }

    /// Stores a new sign-in for `ttl`; returns the id for the browser.
    pub async fn start(&self, sign_in: &PendingSignIn, ttl: Duration) -> Result<String, StoreError> {
        let id = crypto::random_token();
        put_json(self.store, &key(&id), sign_in, ttl).await?;
        Ok(id)
    }

    pub async fn get(&self, id: &str) -> Result<Option<PendingSignIn>, StoreError> {
        get_json(self.store, &key(id)).await
    }

    /// Writes progress back, to live until `ttl` from now (the caller keeps
    /// the sign-in's own end).
    pub async fn update(&self, id: &str, sign_in: &PendingSignIn, ttl: Duration) -> Result<(), StoreError> {
        put_json(self.store, &key(id), sign_in, ttl).await
    }

    /// Takes the sign-in: of two requests finishing it, one gets it.
    pub async fn take(&self, id: &str) -> Result<Option<PendingSignIn>, StoreError> {
        take_json(self.store, &key(id)).await
    }

    pub async fn abandon(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete(&key(id)).await
    }
}
