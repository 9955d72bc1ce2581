//! In-process [`EphemeralStore`] for a single node. Expiry follows the
//! injected clock, so lifetimes can be tested without sleeping.
//!
//! When journaled (see [`super::journal`]), every write also notes the
//! key's state after it — a record of the journal — under the same lock as
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
    /// Journal records not yet written to disk; `None` when not journaled.
    journal: Option<Vec<u8>>,
}

/// Journal records: a key's state after a write, or its removal, as
/// `len:u32 | kind:u8 | expires_at:i64 | key_len:u16 | key | payload`
/// (little-endian; kind 0 removed, 1 bytes, 2 set of `len:u32 | member`),
/// or a change to a set: kind 3 one member added (and the set's new
/// expiry), kind 4 one member removed — a set that grows one member at a
/// time is not written whole each time. Binary, so that noting a write is
/// a copy, not an encoding.
mod record {
    use std::collections::BTreeSet;

    use super::{Entry, Value};
    use crate::clock::UnixTime;

    /// What a record says happened to its key.
    pub(super) enum Change {
        Set(Value, UnixTime),
        Removed,
        MemberAdded(String, UnixTime),
        MemberRemoved(String),
    }

    /// A key and what happened to it.
    pub(super) type Record = (String, Change);

    const REMOVED: u8 = 0;
    const BYTES: u8 = 1;
    const SET: u8 = 2;
    const MEMBER_ADDED: u8 = 3;
    const MEMBER_REMOVED: u8 = 4;

    fn header(out: &mut Vec<u8>, kind: u8, expires_at: UnixTime, key: &str) -> Option<usize> {
        let key_len = u16::try_from(key.len()).ok()?;
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        out.push(kind);
        out.extend_from_slice(&expires_at.to_le_bytes());
        out.extend_from_slice(&key_len.to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        Some(start)
    }

    fn close(out: &mut [u8], start: usize) {
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }

    /// One member added to the set `key`, which now expires at `expires_at`.
    pub(super) fn append_member(out: &mut Vec<u8>, key: &str, member: &str, added: Option<UnixTime>) {
        let (kind, expires_at) = match added {
            Some(at) => (MEMBER_ADDED, at),
            None => (MEMBER_REMOVED, 0),
        };
        if let Some(start) = header(out, kind, expires_at, key) {
            out.extend_from_slice(member.as_bytes());
            close(out, start);
        }
    }

    pub(super) fn append(out: &mut Vec<u8>, key: &str, entry: Option<&Entry>) {
        let (kind, expires_at) = match entry {
            None => (REMOVED, 0),
            Some(e) => (
                match e.value {
                    Value::Bytes(_) => BYTES,
                    Value::Set(_) => SET,
                },
                e.expires_at,
            ),
        };
        let Some(start) = header(out, kind, expires_at, key) else {
            return;
        };
        match entry.map(|e| &e.value) {
            Some(Value::Bytes(bytes)) => out.extend_from_slice(bytes),
            Some(Value::Set(members)) => {
                for member in members {
                    out.extend_from_slice(&(member.len() as u32).to_le_bytes());
                    out.extend_from_slice(member.as_bytes());
                }
            }
            None => {}
        }
        close(out, start);
    }

    /// The records in `bytes`, in order: `(key, Some((value, expiry)))`
    /// or `(key, None)` for a removal. Stops at a record cut short (a crash
    /// while writing); the second value counts what was left unread.
    pub(super) fn read(bytes: &[u8]) -> (Vec<Record>, usize) {
        let mut records = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let Some(record) = rest
                .get(..4)
                .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
            else {
                return (records, rest.len());
            };
            let Some(body) = rest.get(4..4 + record) else {
                return (records, rest.len());
            };
            match parse(body) {
                Some(parsed) => records.push(parsed),
                None => return (records, rest.len()),
            }
            rest = &rest[4 + record..];
        }
        (records, 0)
    }

    fn parse(body: &[u8]) -> Option<Record> {
        let kind = *body.first()?;
        let expires_at = UnixTime::from_le_bytes(body.get(1..9)?.try_into().ok()?);
        let key_len = u16::from_le_bytes(body.get(9..11)?.try_into().ok()?) as usize;
        let key = String::from_utf8(body.get(11..11 + key_len)?.to_vec()).ok()?;
        let payload = body.get(11 + key_len..)?;
        let value = match kind {
            REMOVED => return Some((key, Change::Removed)),
            MEMBER_ADDED => {
                return Some((
                    key,
                    Change::MemberAdded(String::from_utf8(payload.to_vec()).ok()?, expires_at),
                ));
            }
            MEMBER_REMOVED => return Some((key, Change::MemberRemoved(String::from_utf8(payload.to_vec()).ok()?))),
            BYTES => Value::Bytes(payload.to_vec()),
            SET => {
                let mut members = BTreeSet::new();
                let mut rest = payload;
                while !rest.is_empty() {
                    let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
                    members.insert(String::from_utf8(rest.get(4..4 + len)?.to_vec()).ok()?);
                    rest = &rest[4 + len..];
                }
                Value::Set(members)
            }
            _ => return None,
        };
        Some((key, Change::Set(value, expires_at)))
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

    /// The journal records noted since the last call.
    pub(super) fn drain_journal(&self) -> Vec<u8> {
        // The buffer keeps its size for the next interval: a busy node's
        // writes do not regrow it from nothing every flush.
        self.with(|inner, _| {
            inner
                .journal
                .as_mut()
                .filter(|journal| !journal.is_empty())
                .map(|journal| std::mem::replace(journal, Vec::with_capacity(journal.capacity())))
                .unwrap_or_default()
        })
    }

    /// Applies journal records (a snapshot, then later writes, in order);
    /// states already expired are dropped. Returns how many bytes at the end
    /// were a record cut short by a crash, and left out.
    pub(super) fn replay(&self, journal: &[u8]) -> usize {
        use record::Change;
        let (records, unread) = record::read(journal);
        self.with(|inner, now| {
            for (key, change) in records {
                match change {
                    Change::Set(value, expires_at) if expires_at > now => {
                        inner.entries.insert(key, Entry { value, expires_at });
                    }
                    Change::Set(..) | Change::Removed => {
                        inner.entries.remove(&key);
                    }
                    Change::MemberAdded(member, expires_at) => {
                        let entry = inner.entries.entry(key).or_insert_with(|| Entry {
                            value: Value::Set(BTreeSet::new()),
                            expires_at,
                        });
                        entry.expires_at = expires_at;
                        match &mut entry.value {
                            Value::Set(set) => {
                                set.insert(member);
                            }
                            other => *other = Value::Set(BTreeSet::from([member])),
                        }
                    }
                    Change::MemberRemoved(member) => {
                        if let Some(Entry {
                            value: Value::Set(set), ..
                        }) = inner.entries.get_mut(&key)
                        {
                            set.remove(&member);
                        }
                    }
                }
            }
            // Sets emptied or expired by the changes replayed go too.
            inner
                .entries
                .retain(|_, e| e.expires_at > now && !matches!(&e.value, Value::Set(set) if set.is_empty()));
        });
        unread
    }

    /// Every live entry as journal records: a snapshot to start a journal from.
    ///
    /// Encoded a slice of keys at a time, the lock let go between slices:
    /// held throughout, every request would wait while the whole map is
    /// encoded (a compaction of 200,000 entries). A change made meanwhile is
    /// in the snapshot, or noted for the journal and drained after it, or
    /// both; replayed in order, each way ends in the same state.
    pub(super) fn snapshot(&self) -> Vec<u8> {
        const SLICE: usize = 1024;
        let keys: Vec<String> = self.with(|inner, _| inner.entries.keys().cloned().collect());
        let mut out = Vec::new();
        for slice in keys.chunks(SLICE) {
            self.with(|inner, now| {
                for key in slice {
                    if let Some(entry) = inner.entries.get(key).filter(|e| e.expires_at > now) {
                        record::append(&mut out, key, Some(entry));
                    }
                }
            });
        }
        out
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
            record::append(journal, key, self.entries.get(key));
        }
    }

    /// Notes one member added to (with the set's new expiry) or removed
    /// from the set `key`.
    fn note_member(&mut self, key: &str, member: &str, added: Option<UnixTime>) {
        if let Some(journal) = self.journal.as_mut() {
            record::append_member(journal, key, member, added);
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
                    inner.note_member(key, member, Some(expires_at));
                }
                _ => {
                    let set = BTreeSet::from([member.to_string()]);
                    let entry = Entry {
                        value: Value::Set(set),
                        expires_at,
                    };
                    inner.entries.insert(key.to_string(), entry);
                    // A new set is journaled whole: replay must not merge it
                    // with an earlier set of that key that had expired.
                    inner.note(key);
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
                inner.note_member(key, member, None);
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

    /// A snapshot taken while writes go on, followed by the journal lines
    /// noted meanwhile (as a compaction and the next flush write them),
    /// replays to exactly the store's state.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_snapshot_taken_under_writes_replays_to_the_same_state() {
        const KEYS: usize = 5_000;
        let clock = MockClock::new();
        let store = Arc::new(MemoryStore::journaled(clock.clone()));
        let minute = Duration::from_secs(60);
        for i in 0..KEYS {
            store.put(&format!("k{i}"), b"first", minute).await.unwrap();
        }
        store.set_add("set", "a", minute).await.unwrap();
        let _written_before = store.drain_journal();
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for round in 0..3 {
                    for i in (round..KEYS).step_by(7) {
                        let key = format!("k{i}");
                        match i % 3 {
                            0 => store.delete(&key).await.unwrap(),
                            1 => store
                                .put(&key, format!("round {round}").as_bytes(), minute)
                                .await
                                .unwrap(),
                            _ => store.set_add("set", &key, minute).await.unwrap(),
                        }
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let snapshot = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.snapshot()).await.unwrap()
        };
        writer.await.unwrap();
        let mut journal = snapshot;
        journal.extend(store.drain_journal());
        let replayed = MemoryStore::new(clock.clone());
        assert_eq!(replayed.replay(&journal), 0);
        for i in 0..KEYS {
            let key = format!("k{i}");
            assert_eq!(
                replayed.get(&key).await.unwrap(),
                store.get(&key).await.unwrap(),
                "{key}"
            );
        }
        let mut members = replayed.set_members("set").await.unwrap();
        let mut expected = store.set_members("set").await.unwrap();
        members.sort();
        expected.sort();
        assert_eq!(members, expected);
    }

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
