//! In-process [`EphemeralStore`] for a single node. Expiry follows the
//! injected clock, so lifetimes can be tested without sleeping.
//!
//! When journaled (see [`super::journal`]), every write also notes the
//! key's state after it — a line of the journal — under the same lock as
//! the write, so the journal's order is the order of the writes.

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
    /// Journal lines not yet written to disk; `None` when not journaled.
    journal: Option<Vec<u8>>,
}

/// One journal line: a key's state after a write (`e` its expiry, and
/// bytes `b` in base64url or set members `s`), or its removal (no `e`).
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Line {
    k: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<UnixTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<Vec<String>>,
}

impl Line {
    fn of(key: &str, entry: Option<&Entry>) -> Line {
        let mut line = Line {
            k: key.to_string(),
            e: None,
            b: None,
            s: None,
        };
        if let Some(entry) = entry {
            line.e = Some(entry.expires_at);
            match &entry.value {
                Value::Bytes(bytes) => line.b = Some(crate::crypto::base64url(bytes)),
                Value::Set(set) => line.s = Some(set.iter().cloned().collect()),
            }
        }
        line
    }

    fn append_to(&self, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }
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
                journal: None,
            }),
            clock,
        }
    }

    /// A store whose writes are noted for a journal ([`Self::drain_journal`]).
    pub(super) fn journaled(clock: SharedClock) -> MemoryStore {
        let store = MemoryStore::new(clock);
        store.with(|inner, _| inner.journal = Some(Vec::new()));
        store
    }

    /// The journal lines noted since the last call.
    pub(super) fn drain_journal(&self) -> Vec<u8> {
        self.with(|inner, _| inner.journal.as_mut().map(std::mem::take).unwrap_or_default())
    }

    /// Applies journal lines (a snapshot, then later writes, in order);
    /// states already expired and lines that do not parse (a write cut
    /// short by a crash) are skipped. Returns how many lines were skipped
    /// as unreadable.
    pub(super) fn replay(&self, lines: &[u8]) -> usize {
        self.with(|inner, now| {
            let mut unreadable = 0;
            for raw in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let Ok(line) = serde_json::from_slice::<Line>(raw) else {
                    unreadable += 1;
                    continue;
                };
                let value = match (&line.b, &line.s) {
                    (Some(b), _) => crate::crypto::base64url_decode(b).map(Value::Bytes),
                    (None, Some(s)) => Some(Value::Set(s.iter().cloned().collect())),
                    (None, None) => None,
                };
                match (line.e, value) {
                    (Some(expires_at), Some(value)) if expires_at > now => {
                        inner.entries.insert(line.k, Entry { value, expires_at });
                    }
                    _ => {
                        inner.entries.remove(&line.k);
                    }
                }
            }
            unreadable
        })
    }

    /// Every live entry as journal lines: a snapshot to start a journal from.
    pub(super) fn snapshot(&self) -> Vec<u8> {
        self.with(|inner, now| {
            let mut out = Vec::new();
            for (key, entry) in inner.entries.iter().filter(|(_, e)| e.expires_at > now) {
                Line::of(key, Some(entry)).append_to(&mut out);
            }
            out
        })
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

    /// Notes `key`'s state for the journal, when there is one.
    fn note(&mut self, key: &str) {
        if let Some(journal) = self.journal.as_mut() {
            Line::of(key, self.entries.get(key)).append_to(journal);
        }
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
            inner.note(key);
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
            let taken = inner.entries.remove(key).and_then(|e| e.bytes());
            inner.note(key);
            taken
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.with(|inner, _| {
            if inner.entries.remove(key).is_some() {
                inner.note(key);
            }
        });
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
            inner.note(key);
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
            inner.note(key);
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
                inner.note(key);
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
