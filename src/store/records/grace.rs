//! The response a refresh rotation gave, kept for the grace window under the
//! consumed token's digest, so that a concurrent duplicate gets it too; and
//! a refresh token's row as it was issued, so that the next rotation need
//! not read SQL first (SQL stays the only judge of whether it is current).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{get_json, put_json};
use crate::domain::RefreshToken;
use crate::store::{EphemeralStore, StoreError};

pub struct RefreshGrace<'a> {
    store: &'a dyn EphemeralStore,
}

fn grace_key(token_hash: &str) -> String {
    format!("refresh-grace:{token_hash}")
}

impl<'a> RefreshGrace<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        RefreshGrace { store }
    }

    pub async fn keep<T: Serialize>(&self, token_hash: &str, response: &T, window: Duration) -> Result<(), StoreError> {
        put_json(self.store, &grace_key(token_hash), response, window).await
    }

    pub async fn get<T: DeserializeOwned>(&self, token_hash: &str) -> Result<Option<T>, StoreError> {
        get_json(self.store, &grace_key(token_hash)).await
    }
}

/// Refresh tokens as issued, by digest, for a while: what never changes of
/// one (its family, holder, scopes, session, times). Whether it is still
/// current — not consumed, not revoked, its holder active — is only ever
/// decided by the rotation statement in SQL.
pub struct IssuedRefreshTokens<'a> {
    store: &'a dyn EphemeralStore,
}

fn issued_key(token_hash: &str) -> String {
    format!("refresh-issued:{token_hash}")
}

impl<'a> IssuedRefreshTokens<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        IssuedRefreshTokens { store }
    }

    pub async fn remember(&self, token: &RefreshToken, ttl: Duration) -> Result<(), StoreError> {
        put_json(self.store, &issued_key(&token.token_hash), token, ttl).await
    }

    pub async fn get(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        get_json(self.store, &issued_key(token_hash)).await
    }
}
