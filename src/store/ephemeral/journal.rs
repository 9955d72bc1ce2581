//! The embedded store that survives restarts: the in-process store, with
//! every write's resulting state appended to a journal file (binary records)
//! that a background task writes and fsyncs every `store_journal_flush_ms`
//! (200 ms by default) and at a graceful stop. Starting again replays the
//! journal — states already expired are dropped, so expiry carries across
//! the restart — and rewrites it as a compact snapshot before serving.
//!
//! A graceful restart loses nothing; a crash loses at most the writes of
//! the last flush interval (and a line cut short, which replay skips).
//! Reads stay in-process map lookups; a write costs the JSON of one entry.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;

use super::MemoryStore;
use crate::clock::SharedClock;
use crate::store::{EphemeralStore, StoreError};

/// The journal is rewritten as a snapshot once it has grown this much
/// beyond twice the last snapshot (every write of a session appends its
/// whole state, so a busy journal grows faster than the data it holds;
/// relative to the snapshot, so compaction stays rare when the data itself
/// grows).
const COMPACT_AFTER_BYTES: u64 = 64 * 1024 * 1024;

pub struct JournaledStore {
    memory: MemoryStore,
    path: PathBuf,
    file: Mutex<std::fs::File>,
    /// Bytes in the journal, and its size right after the last snapshot.
    sizes: Mutex<(u64, u64)>,
    /// One flush at a time, so lines reach the file in the order written.
    flushing: tokio::sync::Mutex<()>,
    /// Held (an exclusive lock on `<journal>.lock`) while the store is open:
    /// two processes appending to one journal would corrupt it, and an
    /// operator's command tells a stopped server from a running one by it.
    _lock: std::fs::File,
}

fn io_error(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> StoreError {
    let context = format!("{what} {}", path.display());
    move |e| StoreError::Backend(format!("{context}: {e}").into())
}

/// Takes the journal's lock (held while the returned file is open), or
/// says who holds it: a running server, or maintenance such as a restore.
pub fn lock(journal: &Path) -> Result<std::fs::File, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut name = journal.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io_error(&path, "opening the lock of the store journal"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Backend(
            format!(
                "the store journal {} is in use by another Sesame process (a server running on it)",
                journal.display()
            )
            .into(),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error(&path, "locking the store journal")(e)),
    }
}

/// Writes `bytes` as the file at `path`, whole or not at all: a temporary
/// file (0600), fsynced, renamed over it, the folder fsynced.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

impl JournaledStore {
    /// Opens (or creates) the journal at `path` and loads what it holds.
    /// Blocking file work: call at start-up.
    pub fn open(path: &Path, clock: SharedClock) -> Result<JournaledStore, StoreError> {
        use std::os::unix::fs::OpenOptionsExt;
        crate::files::create_private_parent(path).map_err(io_error(path, "creating the folder of"))?;
        let lock = lock(path)?;
        let memory = MemoryStore::journaled(clock);
        match std::fs::read(path) {
            Ok(bytes) => {
                let unread = memory.replay(&bytes);
                if unread > 0 {
                    tracing::warn!(
                        path = %path.display(),
                        bytes = unread,
                        "store journal: left out a last write cut short (a crash while writing)"
                    );
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path, "reading the store journal")(e)),
        }
        // What was replayed is state now, not news: start the journal from
        // a snapshot of it.
        memory.drain_journal();
        let snapshot = memory.snapshot();
        replace_file(path, &snapshot).map_err(io_error(path, "writing the store journal"))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(io_error(path, "opening the store journal"))?;
        let size = snapshot.len() as u64;
        Ok(JournaledStore {
            memory,
            path: path.to_path_buf(),
            file: Mutex::new(file),
            sizes: Mutex::new((size, size)),
            flushing: tokio::sync::Mutex::new(()),
            _lock: lock,
        })
    }

    /// Flushes every `every` until the store is dropped.
    pub fn flush_every(self: &Arc<Self>, every: Duration) {
        let store: Weak<JournaledStore> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(store) = store.upgrade() else { return };
                if let Err(e) = store.flush_now().await {
                    tracing::error!(error = %e, "store journal: writing failed; retrying");
                }
            }
        });
    }

    /// Writes and fsyncs what was noted since the last flush; compacts the
    /// journal when it has grown far beyond its last snapshot.
    async fn flush_now(self: &Arc<Self>) -> Result<(), StoreError> {
        let _one_at_a_time = self.flushing.lock().await;
        let pending = self.memory.drain_journal();
        if pending.is_empty() {
            return Ok(());
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write(&pending))
            .await
            .map_err(|e| StoreError::Backend(e.to_string().into()))?
    }

    fn write(&self, pending: &[u8]) -> Result<(), StoreError> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(pending)
            .and_then(|()| file.sync_data())
            .map_err(io_error(&self.path, "writing the store journal"))?;
        let mut sizes = self.sizes.lock().unwrap_or_else(|p| p.into_inner());
        sizes.0 += pending.len() as u64;
        if sizes.0 > sizes.1.saturating_mul(2).saturating_add(COMPACT_AFTER_BYTES) {
            // Lines noted while the snapshot is taken are in it or in the
            // next flush (they are drained after it): none is lost.
            let snapshot = self.memory.snapshot();
            replace_file(&self.path, &snapshot).map_err(io_error(&self.path, "compacting the store journal"))?;
            *file = std::fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(io_error(&self.path, "opening the store journal"))?;
            *sizes = (snapshot.len() as u64, snapshot.len() as u64);
        }
        Ok(())
    }
}

#[async_trait]
impl EphemeralStore for Arc<JournaledStore> {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.memory.put(key, value, ttl).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.memory.get(key).await
    }
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.memory.take(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.memory.delete(key).await
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError> {
        self.memory.incr(key, ttl).await
    }
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        self.memory.set_add(key, member, ttl).await
    }
    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        self.memory.set_remove(key, member).await
    }
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        self.memory.set_members(key).await
    }
    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        self.memory.time_to_live(key).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn entry_count(&self) -> Result<Option<u64>, StoreError> {
        self.memory.entry_count().await
    }
    async fn flush(&self) -> Result<(), StoreError> {
        self.flush_now().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MockClock;

    #[tokio::test]
    async fn what_was_flushed_is_there_after_a_restart_and_expiry_carries_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store").join("journal");
        let clock = MockClock::new();
        let store = Arc::new(JournaledStore::open(&path, clock.clone()).unwrap());
        store.put("session", b"alice", Duration::from_secs(100)).await.unwrap();
        store.put("short", b"x", Duration::from_secs(10)).await.unwrap();
        store.put("code", b"c", Duration::from_secs(100)).await.unwrap();
        assert_eq!(store.take("code").await.unwrap(), Some(b"c".to_vec()));
        assert_eq!(store.incr("count", Duration::from_secs(100)).await.unwrap(), 1);
        assert_eq!(store.incr("count", Duration::from_secs(100)).await.unwrap(), 2);
        store.set_add("set", "a", Duration::from_secs(100)).await.unwrap();
        store.set_add("set", "b", Duration::from_secs(100)).await.unwrap();
        store.set_remove("set", "a").await.unwrap();
        // A set that expired and began again holds only its new members.
        store.set_add("index", "stale", Duration::from_secs(5)).await.unwrap();
        clock.advance(6);
        store.set_add("index", "fresh", Duration::from_secs(100)).await.unwrap();
        store.flush().await.unwrap();
        // Not flushed: lost with a crash, as documented.
        store.put("late", b"l", Duration::from_secs(100)).await.unwrap();
        drop(store);

        clock.advance(14);
        let again = Arc::new(JournaledStore::open(&path, clock.clone()).unwrap());
        assert_eq!(again.get("session").await.unwrap(), Some(b"alice".to_vec()));
        assert_eq!(
            again.time_to_live("session").await.unwrap(),
            Some(Duration::from_secs(80))
        );
        assert_eq!(again.get("short").await.unwrap(), None, "expired while stopped");
        assert_eq!(again.get("code").await.unwrap(), None, "a taken code stays taken");
        assert_eq!(again.incr("count", Duration::from_secs(100)).await.unwrap(), 3);
        assert_eq!(again.set_members("set").await.unwrap(), vec!["b".to_string()]);
        assert_eq!(again.set_members("index").await.unwrap(), vec!["fresh".to_string()]);
        assert_eq!(again.get("late").await.unwrap(), None);
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn one_process_at_a_time_has_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let first = JournaledStore::open(&path, MockClock::new()).unwrap();
        let Err(second) = JournaledStore::open(&path, MockClock::new()) else {
            panic!("two stores on one journal")
        };
        assert!(second.to_string().contains("in use"), "{second}");
        drop(first);
        assert!(
            JournaledStore::open(&path, MockClock::new()).is_ok(),
            "free once closed"
        );
    }

    #[tokio::test]
    async fn a_record_cut_short_by_a_crash_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let clock = MockClock::new();
        let store = Arc::new(JournaledStore::open(&path, clock.clone()).unwrap());
        store.put("kept", b"1", Duration::from_secs(100)).await.unwrap();
        store.flush().await.unwrap();
        drop(store);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&[40, 0, 0, 0, 1, 0xff, 0xff])
            .unwrap();
        let again = Arc::new(JournaledStore::open(&path, clock).unwrap());
        assert_eq!(again.get("kept").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(again.get("torn").await.unwrap(), None);
    }
}
