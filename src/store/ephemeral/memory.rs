//! In-process [`EphemeralStore`] for a single node. Expiry follows the
//! injected clock, so lifetimes can be tested without sleeping.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{SharedClock, UnixTime};
use crate::store::{EphemeralStore, StoreError};

/// Expired entries are swept on every this many writes.
const SWEEP_EVERY_WRITES: u64 = 1024;

enum Value {
    Bytes(Vec<u8>),
    Set(BTreeSet<String>),
}

struct Entry {
    value: Value,
    expires_at: UnixTime,
}

impl Entry {
    fn bytes(&self) -> Option<Vec<u8>> {
        match &self.value {
            Value::Bytes(b) => Some(b.clone()),
            Value::Set(_) => None,
        }
    }
}

struct Inner {
    entries: HashMap<String, Entry>,
    writes: u64,
}

pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: SharedClock,
}

impl MemoryStore {
    pub fn new(clock: SharedClock) -> MemoryStore {
        MemoryStore {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                writes: 0,
            }),
            clock,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner, UnixTime) -> R) -> R {
        let now = self.clock.now();
        // A panic while holding the lock cannot leave an entry half-written
        // (every mutation is a single map operation), so a poisoned lock is safe to reuse.
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner, now)
    }
}

fn expiry(now: UnixTime, ttl: Duration) -> UnixTime {
    now.saturating_add(ttl.as_secs().max(1) as i64)
}

impl Inner {
    fn live(&mut self, key: &str, now: UnixTime) -> Option<&mut Entry> {
        if self.entries.get(key).is_some_and(|e| e.expires_at <= now) {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    fn wrote(&mut self, now: UnixTime) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY_WRITES) {
            self.entries.retain(|_, e| e.expires_at > now);
        }
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.with(|inner, now| {
            inner.entries.insert(
                key.to_string(),
                Entry {
                    value: Value::Bytes(value.to_vec()),
                    expires_at: expiry(now, ttl),
                },
            );
            inner.wrote(now);
        });
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.with(|inner, now| inner.live(key, now).and_then(|e| e.bytes())))
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.with(|inner, now| {
            inner.live(key, now)?;
            inner.entries.remove(key).and_then(|e| e.bytes())
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.with(|inner, _| inner.entries.remove(key));
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        self.with(|inner, now| {
            let count = match inner.live(key, now) {
                Some(entry) => {
                    let n = entry.bytes().map_or(0, |b| parse_count(&b)) + 1;
                    entry.value = Value::Bytes(n.to_string().into_bytes());
                    n
                }
                None => {
                    inner.entries.insert(
                        key.to_string(),
                        Entry {
                            value: Value::Bytes(b"1".to_vec()),
                            expires_at: expiry(now, ttl),
                        },
                    );
                    1
                }
            };
            inner.wrote(now);
            Ok(count)
        })
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        self.with(|inner, now| {
            let expires_at = expiry(now, ttl);
            match inner.live(key, now) {
                Some(Entry {
                    value: Value::Set(set),
                    expires_at: at,
                }) => {
                    set.insert(member.to_string());
                    *at = expires_at;
                }
                _ => {
                    let set = BTreeSet::from([member.to_string()]);
                    let entry = Entry {
                        value: Value::Set(set),
                        expires_at,
                    };
                    inner.entries.insert(key.to_string(), entry);
                }
            }
            inner.wrote(now);
        });
        Ok(())
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        self.with(|inner, now| {
            if let Some(Entry {
                value: Value::Set(set), ..
            }) = inner.live(key, now)
            {
                set.remove(member);
                if set.is_empty() {
                    inner.entries.remove(key);
                }
            }
        });
        Ok(())
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|inner, now| match inner.live(key, now) {
            Some(Entry {
                value: Value::Set(set), ..
            }) => set.iter().cloned().collect(),
            _ => Vec::new(),
        }))
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        Ok(self.with(|inner, now| {
            inner
                .live(key, now)
                .map(|e| Duration::from_secs((e.expires_at - now).max(0) as u64))
        }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn entry_count(&self) -> Result<Option<u64>, StoreError> {
        Ok(Some(self.with(|inner, now| {
            inner.entries.retain(|_, e| e.expires_at > now);
            inner.entries.len() as u64
        })))
    }
}

fn parse_count(bytes: &[u8]) -> u64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::MockClock;

    #[tokio::test]
    async fn entries_expire_with_the_clock() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock.clone());
        store.put("k", b"v", Duration::from_secs(10)).await.unwrap();
        clock.advance(9);
        assert_eq!(store.get("k").await.unwrap(), Some(b"v".to_vec()));
        clock.advance(1);
        assert_eq!(store.get("k").await.unwrap(), None);
        assert_eq!(store.take("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn counters_expire_from_their_first_increment() {
        let clock = MockClock::new();
        let store = Arc::new(MemoryStore::new(clock.clone()));
        assert_eq!(store.incr("c", Duration::from_secs(10)).await.unwrap(), 1);
        clock.advance(5);
        assert_eq!(store.incr("c", Duration::from_secs(10)).await.unwrap(), 2);
        clock.advance(5);
        assert_eq!(store.incr("c", Duration::from_secs(10)).await.unwrap(), 1);
    }
}
