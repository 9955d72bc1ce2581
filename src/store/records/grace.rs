//! The response a refresh rotation gave, kept for the grace window under the
//! consumed token's digest, so that a concurrent duplicate gets it too.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{get_json, put_json};
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
