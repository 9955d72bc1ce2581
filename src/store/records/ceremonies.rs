//! WebAuthn ceremonies between their two requests (options out, response
//! in), by the digest of a random id the page carries. The state holds the
//! challenge: it is taken once, so a response cannot be replayed, and lives
//! five minutes (the authenticator's own timeout).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{put_json, take_json};
use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

pub const CEREMONY_TTL: Duration = Duration::from_secs(300);
/// A sealed ceremony opens for one to two of these epochs; its finish mark
/// lives as long.
pub const SEALED_CEREMONY_TTL: Duration = Duration::from_secs(600);

pub struct Ceremonies<'a> {
    store: &'a dyn EphemeralStore,
}

fn key(id: &str) -> String {
    format!("webauthn:{}", crypto::digest(id))
}

impl<'a> Ceremonies<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        Ceremonies { store }
    }

    /// Keeps `state` until the response comes; returns the ceremony's id.
    pub async fn start<T: Serialize>(&self, state: &T) -> Result<String, StoreError> {
        let id = crypto::random_token();
        put_json(self.store, &key(&id), state, CEREMONY_TTL).await?;
        Ok(id)
    }

    /// Records that the sealed ceremony `sealed` (carried by a page, not
    /// stored) finished; `false` when it had already. Written only after an
    /// authenticator's answer verified, so only real sign-ins write here.
    pub async fn first_finish(&self, sealed: &str) -> Result<bool, StoreError> {
        let key = format!("webauthn-done:{}", crypto::digest(sealed));
        Ok(self.store.incr(&key, SEALED_CEREMONY_TTL).await? == 1)
    }

    /// Takes the state: a ceremony is finished at most once.
    pub async fn take<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        take_json(self.store, &key(id)).await
    }
}
