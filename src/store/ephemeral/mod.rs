//! The two [`EphemeralStore`](super::EphemeralStore) implementations: in
//! process, and Redis (one server, Cluster or Sentinel). What is kept in
//! them, under which keys, is [`super::records`].

mod journal;
mod memory;
mod redis;
mod redis_topology;

pub use self::journal::{JournaledStore, lock as lock_journal};
pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;
pub use self::redis_topology::{RedisTopology, SentinelTopology, TopologyError};
