//! The two [`EphemeralStore`](super::EphemeralStore) implementations, and
//! typed JSON helpers over them.

mod memory;
mod redis;
mod redis_topology;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;
pub use self::redis_topology::{RedisTopology, SentinelTopology, TopologyError};
use super::{EphemeralStore, StoreError};

/// JSON (de)serialisation of records kept in an ephemeral store.
pub async fn put_json<T: Serialize>(
    store: &dyn EphemeralStore,
    key: &str,
    value: &T,
    ttl: Duration,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put(key, &bytes, ttl).await
}

pub async fn get_json<T: DeserializeOwned>(store: &dyn EphemeralStore, key: &str) -> Result<Option<T>, StoreError> {
    decode(store.get(key).await?)
}

pub async fn take_json<T: DeserializeOwned>(store: &dyn EphemeralStore, key: &str) -> Result<Option<T>, StoreError> {
    decode(store.take(key).await?)
}

fn decode<T: DeserializeOwned>(bytes: Option<Vec<u8>>) -> Result<Option<T>, StoreError> {
    bytes
        .map(|b| serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}
