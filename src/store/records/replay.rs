//! Replay guards for client assertions: each `jti` is accepted once per
//! client, remembered until the assertion would have expired anyway.

use std::time::Duration;

use crate::crypto;
use crate::domain::ClientId;
use crate::store::{EphemeralStore, StoreError};

pub struct AssertionIds<'a> {
    store: &'a dyn EphemeralStore,
}

impl<'a> AssertionIds<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        AssertionIds { store }
    }

    /// `true` for the first use of `jti` by `client_id` within `ttl`: of
    /// concurrent uses, exactly one.
    pub async fn first_use(&self, client_id: &ClientId, jti: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = format!("assertion-jti:{client_id}:{}", crypto::digest(jti));
        Ok(self.store.incr(&key, ttl).await? == 1)
    }
}
