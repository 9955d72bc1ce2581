//! Redis-backed [`EphemeralStore`], shared by every node. Every key is
//! prefixed, so deployments and tests can share one Redis.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use crate::store::{EphemeralStore, StoreError};

/// How long one command may take before the request fails instead of hanging.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// INCR, setting the expiry only when the counter is created, in one step.
const INCR_WITH_TTL: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    incr_script: Script,
}

impl RedisStore {
    /// Connects once (failing if Redis does not answer); the connection
    /// manager reconnects by itself afterwards.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_string(),
            incr_script: Script::new(INCR_WITH_TTL),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn connection(&self) -> ConnectionManager {
        // Cheap: a handle onto one multiplexed connection.
        self.connection.clone()
    }
}

fn millis(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let _: () = self.connection().pset_ex(self.key(key), value, millis(ttl)).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.connection().get(self.key(key)).await?)
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // GETDEL (Redis ≥ 6.2) reads and removes in one atomic command.
        Ok(self.connection().get_del(self.key(key)).await?)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let _: () = self.connection().del(self.key(key)).await?;
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        let mut connection = self.connection();
        Ok(self
            .incr_script
            .key(self.key(key))
            .arg(millis(ttl))
            .invoke_async(&mut connection)
            .await?)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let key = self.key(key);
        let _: () = redis::pipe()
            .atomic()
            .sadd(&key, member)
            .ignore()
            .pexpire(&key, millis(ttl) as i64)
            .ignore()
            .query_async(&mut self.connection())
            .await?;
        Ok(())
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let _: () = self.connection().srem(self.key(key), member).await?;
        Ok(())
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.connection().smembers(self.key(key)).await?)
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        let ms: i64 = self.connection().pttl(self.key(key)).await?;
        Ok(match ms {
            -2 => None,
            -1 => Some(Duration::MAX),
            ms => Some(Duration::from_millis(ms.max(0) as u64)),
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.connection()).await?;
        Ok(())
    }
}
