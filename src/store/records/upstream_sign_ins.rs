//! Answers from upstream identity providers already used: the sign-in
//! itself travels sealed in the browser's cookie (nothing is stored for a
//! sign-in that is only begun, so nobody can fill the store by beginning
//! them), and its `state` is marked here when the answer is taken, so a
//! replayed answer finds it spent — on every node. Logout tokens from
//! upstreams are accepted once each, the same way.

use std::time::Duration;

use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

/// As long as a sign-in at an upstream may take (its sealed cookie expires
/// with it).
pub const UPSTREAM_SIGN_IN_TTL: Duration = Duration::from_secs(600);

pub struct UpstreamAnswers<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(state: &str) -> String {
    format!("upstream-used:{}", crypto::digest(state))
}

fn logout_key(upstream: &str, jti: &str) -> String {
    format!("upstream-logout:{}", crypto::digest(&format!("{upstream}\n{jti}")))
}

impl<'a> UpstreamAnswers<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        UpstreamAnswers { store }
    }

    /// Marks the answer for `state` used; `true` the first time only.
    pub async fn first_use(&self, state: &str) -> Result<bool, StoreError> {
        Ok(self.store.incr(&key(state), UPSTREAM_SIGN_IN_TTL).await? == 1)
    }

    /// Marks upstream `upstream`'s logout token `jti` used (logout tokens
    /// older than [`UPSTREAM_SIGN_IN_TTL`] are refused anyway); `true` the
    /// first time only.
    pub async fn first_logout(&self, upstream: &str, jti: &str) -> Result<bool, StoreError> {
        Ok(self
            .store
            .incr(&logout_key(upstream, jti), UPSTREAM_SIGN_IN_TTL)
            .await?
            == 1)
    }
}
