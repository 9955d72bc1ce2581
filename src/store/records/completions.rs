//! Authorization requests that have been answered: a sealed request carries
//! itself, so this mark is what makes it complete exactly once.

use std::time::Duration;

use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

pub struct Completions<'a> {
    store: &'a dyn EphemeralStore,
}

impl<'a> Completions<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        Completions { store }
    }

    /// Marks the request `handle` answered; `true` for the first to do so
    /// (of concurrent completions, exactly one). The mark lives `ttl`, as
    /// long as the request could.
    pub async fn complete(&self, handle: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = format!("authreq-done:{}", crypto::digest(handle));
        Ok(self.store.incr(&key, ttl).await? == 1)
    }

    pub async fn is_complete(&self, handle: &str) -> Result<bool, StoreError> {
        let key = format!("authreq-done:{}", crypto::digest(handle));
        Ok(self.store.get(&key).await?.is_some())
    }
}
