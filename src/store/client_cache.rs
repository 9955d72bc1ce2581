//! Client records cached in the process, because every token request and
//! every authorization reads one. A cached record is used only while its
//! version mark in the shared ephemeral store is unchanged: every write to a
//! client (through any node) replaces the mark, so an update, a new secret or
//! a deletion takes effect at once on every node. Writes that do not reach
//! the shared store (the CLI beside a server without Redis) are seen within
//! [`MAX_AGE_SECS`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use super::{ClientRepository, EphemeralStore, StoreError};
use crate::clock::SharedClock;
use crate::crypto;
use crate::domain::{Client, PreviousSecret};

/// The longest a cached record is used without reading it again.
pub const MAX_AGE_SECS: i64 = 5;

/// How long a version mark is kept (longer than any cache entry lives).
const MARK_TTL: Duration = Duration::from_secs(86_400);

struct Cached {
    client: Client,
    version: Option<Vec<u8>>,
    loaded_at: i64,
}

pub struct CachedClients {
    inner: Arc<dyn ClientRepository>,
    marks: Arc<dyn EphemeralStore>,
    clock: SharedClock,
    entries: Mutex<HashMap<String, Cached>>,
}

fn version_key(client_id: &str) -> String {
    format!("client-version:{}", crypto::digest(client_id))
}

impl CachedClients {
    pub fn new(inner: Arc<dyn ClientRepository>, marks: Arc<dyn EphemeralStore>, clock: SharedClock) -> Self {
        CachedClients {
            inner,
            marks,
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // Every operation under the lock is a single map call: a poisoned
        // lock cannot hold a half-made entry.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After a write: a new mark for every node, and nothing cached here.
    async fn changed(&self, client_id: &str) -> Result<(), StoreError> {
        self.entries().remove(client_id);
        self.marks
            .put(&version_key(client_id), crypto::random_token().as_bytes(), MARK_TTL)
            .await
    }
}

#[async_trait]
impl ClientRepository for CachedClients {
    async fn create_client(&self, client: &Client) -> Result<(), StoreError> {
        self.inner.create_client(client).await?;
        self.changed(&client.client_id).await
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        // The mark is read before the record: a write that lands in between
        // leaves this entry with the old mark, so it is read again next time.
        let version = self.marks.get(&version_key(client_id)).await?;
        let now = self.clock.now();
        if let Some(cached) = self.entries().get(client_id)
            && cached.version == version
            && now - cached.loaded_at < MAX_AGE_SECS
        {
            return Ok(Some(cached.client.clone()));
        }
        let found = self.inner.find_client(client_id).await?;
        match &found {
            Some(client) => {
                self.entries().insert(
                    client_id.to_string(),
                    Cached {
                        client: client.clone(),
                        version,
                        loaded_at: now,
                    },
                );
            }
            None => {
                self.entries().remove(client_id);
            }
        }
        Ok(found)
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.inner.list_clients().await
    }

    async fn list_clients_by_owner(&self, owner_id: Uuid) -> Result<Vec<Client>, StoreError> {
        self.inner.list_clients_by_owner(owner_id).await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let updated = self.inner.update_client(client).await?;
        self.changed(&client.client_id).await?;
        Ok(updated)
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        previous: Option<&PreviousSecret>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let set = self
            .inner
            .set_client_secret(client_id, secret_hash, previous, now)
            .await?;
        self.changed(client_id).await?;
        Ok(set)
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_client(client_id).await?;
        self.changed(client_id).await?;
        Ok(deleted)
    }
}
