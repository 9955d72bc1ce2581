//! Group commit for SQLite's hot writes: the refresh tokens that rotations
//! and code exchanges issue. Each would otherwise be its own transaction
//! with its own fsync of the WAL; here one task takes every write waiting
//! at that moment, inserts them with one statement (with the new families
//! first when code exchanges started some: one transaction, one fsync
//! either way), and answers each caller only after that commit — so an answer a
//! client received is as durable as before (`synchronous = FULL`), with one
//! sync and one round trip to SQLite for many requests instead of several
//! each.
//!
//! The task writes on a connection of its own, kept open, rather than one
//! from the pool: SQLite keeps a page cache per connection and drops it
//! when another connection has written, so the one connection that does
//! the hot writes keeps its pages, and no pooled connection is tested and
//! handed over per batch.
//!
//! The batch's transaction is atomic: when it fails over one write (a
//! constraint), nothing of it was stored and each write is tried again on
//! its own, so that one fails alone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};
use tokio::sync::oneshot;

use super::refresh_tokens::{NewRefreshToken, insert_batch};
use crate::store::StoreError;

/// The most writes committed together (each binds at most 15 values;
/// SQLite takes up to 32,766 in one statement).
const MAX_BATCH: usize = 128;

struct Job {
    write: NewRefreshToken,
    /// Whether the token was stored, once committed.
    done: oneshot::Sender<Result<bool, StoreError>>,
}

/// The writes waiting for the next commit, and the connection that commits
/// them.
#[derive(Clone)]
pub struct GroupCommit {
    shared: Arc<Mutex<Shared>>,
}

struct Shared {
    waiting: Vec<Job>,
    /// `None` while a task is committing with it: one at a time.
    writer: Option<Writer>,
    options: SqliteConnectOptions,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Writes through a connection opened with `options` (a file: an
    /// in-memory database is one per connection) when first needed.
    pub fn new(options: SqliteConnectOptions) -> GroupCommit {
        // A statement per batch size (and count of new families), each
        // prepared once; the sizes seen most stay prepared.
        let options = options.statement_cache_capacity(MAX_BATCH + 16);
        let writer = Writer::new(options.clone());
        GroupCommit {
            shared: Arc::new(Mutex::new(Shared {
                waiting: Vec::new(),
                writer: Some(writer),
                options,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `write` in the next commit: whether it was stored (a
    /// successor is not when its parent is no longer current), once that
    /// commit is durable.
    ///
    /// When no commit is under way, this request's thread starts the task
    /// that commits (it runs there, a spawned task, so a request that goes
    /// away does not cut a commit short); writes that arrive meanwhile wait
    /// for its next batch. No thread of its own: a write wakes only SQLite's
    /// connection thread and, once durable, its request's.
    pub(super) async fn insert(&self, write: NewRefreshToken) -> Result<bool, StoreError> {
        let (done, answer) = oneshot::channel();
        let idle_writer = {
            let mut shared = self.lock();
            shared.waiting.push(Job { write, done });
            shared.writer.take()
        };
        if let Some(writer) = idle_writer {
            tokio::spawn(commit_waiting(self.clone(), writer));
        }
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer stopped before committing".into()))?
    }

    /// The next batch, or the writer handed back when nothing is waiting
    /// (under one lock: a write arriving after this finds the writer idle
    /// and starts the task again).
    fn next_batch(&self, writer: &mut Option<Writer>) -> Vec<Job> {
        let mut shared = self.lock();
        if shared.waiting.is_empty() {
            shared.writer = writer.take();
            return Vec::new();
        }
        let oldest = shared.waiting.len().min(MAX_BATCH);
        shared.waiting.drain(..oldest).collect()
    }
}

/// Commits what is waiting, batch after batch, until nothing is.
async fn commit_waiting(commits: GroupCommit, writer: Writer) {
    let mut held = WriterHeld {
        commits: commits.clone(),
        writer: Some(writer),
    };
    loop {
        // Requests already runnable on this thread go first: their writes
        // join this batch instead of waiting for the next fsync (measured:
        // fewer, larger commits; no wait at all when nothing else runs).
        tokio::task::yield_now().await;
        let mut batch = commits.next_batch(&mut held.writer);
        if batch.is_empty() {
            return;
        }
        let Some(writer) = held.writer.as_mut() else { return };
        commit(writer, &mut batch).await;
    }
}

/// Puts a writer back if the committing task is dropped half way (its
/// runtime shutting down): a fresh one, as the connection may be mid-way
/// through a statement. The writes still waiting are refused rather than
/// left waiting for a task that may never start.
struct WriterHeld {
    commits: GroupCommit,
    writer: Option<Writer>,
}

impl Drop for WriterHeld {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let mut shared = self.commits.lock();
            let options = shared.options.clone();
            shared.writer = Some(Writer::new(options));
            for job in shared.waiting.drain(..) {
                let _ = job.done.send(Err(failure("the server is stopping")));
            }
        }
    }
}

/// The task's own connection, opened when first needed and again after it
/// failed.
struct Writer {
    options: SqliteConnectOptions,
    connection: Option<SqliteConnection>,
}

impl Writer {
    fn new(options: SqliteConnectOptions) -> Writer {
        Writer {
            options,
            connection: None,
        }
    }

    async fn connection(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        let connection = match self.connection.take() {
            Some(open) => open,
            None => self.options.connect().await?,
        };
        Ok(self.connection.insert(connection))
    }

    /// Drops the connection after a failure it may not have recovered
    /// from (a broken file handle); the next batch opens another.
    async fn discard(&mut self) {
        if let Some(connection) = self.connection.take() {
            let _ = connection.close().await;
        }
    }

    /// Inserts `writes` in one transaction: the digests of the tokens stored.
    async fn insert(&mut self, writes: &[&NewRefreshToken]) -> Result<HashSet<String>, StoreError> {
        let connection = self.connection().await?;
        let rows = match insert_batch(writes).fetch_all(&mut *connection).await {
            Ok(rows) => rows,
            Err(e) => {
                // A batch with new families opened a transaction, which
                // must not outlive it (nothing to roll back otherwise).
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                return Err(e.into());
            }
        };
        let stored = rows
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        Ok(stored)
    }
}

/// Stores the batch and answers each job.
async fn commit(writer: &mut Writer, batch: &mut Vec<Job>) {
    // Two rotations of one token in a batch: the statement checks every
    // parent before it inserts anything, so only the first goes in it; the
    // others lose, as they would have one after the other.
    let mut parents = HashSet::new();
    let (contenders, beaten): (Vec<Job>, Vec<Job>) = batch.drain(..).partition(|job| {
        job.write
            .parent
            .as_ref()
            .is_none_or(|parent| parents.insert(parent.clone()))
    });
    let writes: Vec<&NewRefreshToken> = contenders.iter().map(|job| &job.write).collect();
    match writer.insert(&writes).await {
        Ok(stored) => {
            for job in contenders {
                let _ = job.done.send(Ok(stored.contains(&job.write.token.token_hash)));
            }
        }
        Err(e) if e.is_unavailable() => {
            writer.discard().await;
            let message = e.to_string();
            for job in contenders {
                let _ = job.done.send(Err(failure(&message)));
            }
        }
        // One write broke a constraint and nothing was stored: each on its
        // own, so only that one fails.
        Err(_) => {
            for job in contenders {
                let alone = writer.insert(&[&job.write]).await;
                let _ = job
                    .done
                    .send(alone.map(|stored| stored.contains(&job.write.token.token_hash)));
            }
        }
    }
    for job in beaten {
        let _ = job.done.send(Ok(false));
    }
}

/// One failure told to every job of a batch.
fn failure(message: &str) -> StoreError {
    StoreError::Unavailable(format!("committing a batch of writes: {message}").into())
}

#[cfg(test)]
mod tests {
    use crate::domain::{ClientId, FamilyId, RefreshToken, Scopes, Sid};
    use crate::store::RefreshTokenRepository;
    use crate::store::sql::SqlStore;

    fn token(hash: &str) -> RefreshToken {
        RefreshToken {
            token_hash: hash.to_string(),
            family_id: FamilyId::from_uuid(uuid::Uuid::new_v4()),
            client_id: ClientId::parse("app").expect("client id"),
            user_id: uuid::Uuid::new_v4(),
            scopes: Scopes::parse("openid").expect("scopes"),
            sid: Sid::from_stored("sid".into()),
            session: None,
            auth_time: 1,
            amr: vec!["pwd".into()],
            resource: None,
            issued_at: 100,
            expires_at: 200,
            family_expires_at: 200,
            consumed_at: None,
            revoked_at: None,
        }
    }

    /// A store on a database file (where the group commit writes), migrated;
    /// the folder goes with the first.
    async fn file_store() -> (tempfile::TempDir, SqlStore) {
        let folder = tempfile::tempdir().expect("folder");
        let url = format!("sqlite:{}", folder.path().join("sesame.db").display());
        let store = SqlStore::connect(&url, 2).await.expect("store");
        store.migrate().await.expect("schema");
        (folder, store)
    }

    /// Writes sent together are stored together; one that breaks a
    /// constraint (a digest stored twice) fails alone and the others stay.
    #[tokio::test]
    async fn a_failing_write_fails_alone_and_the_rest_is_stored() {
        let (_folder, store) = file_store().await;
        let tokens = ["a", "b", "a", "c"].map(token);
        let answers = futures_util::future::join_all(tokens.iter().map(|t| store.insert_refresh_token(t))).await;
        assert_eq!(answers.iter().filter(|a| a.is_err()).count(), 1, "{answers:?}");
        for hash in ["a", "b", "c"] {
            assert!(store.find_refresh_token(hash).await.expect("read").is_some(), "{hash}");
        }
    }

    /// A batch mixing rotations with new families stores each in its
    /// family; when one new family fails, the transaction the batch opened
    /// is rolled back and the rest are stored one by one.
    #[tokio::test]
    async fn rotations_and_new_families_commit_together() {
        let (_folder, store) = file_store().await;
        let holder = uuid::Uuid::new_v4();
        let SqlStore::Sqlite(pool, _) = &store else {
            unreachable!("a SQLite URL")
        };
        sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) \
             VALUES ($1, 'alice', 'alice@example.com', 'not-a-hash', 1, 1)",
        )
        .bind(holder)
        .execute(pool)
        .await
        .expect("holder");
        let held = |hash: &str| RefreshToken {
            user_id: holder,
            ..token(hash)
        };
        let parents = [held("p1"), held("p2")];
        for parent in &parents {
            store.insert_refresh_token(parent).await.expect("parent");
        }
        let successor = |parent: &RefreshToken, hash: &str| RefreshToken {
            token_hash: hash.into(),
            issued_at: 150,
            ..parent.clone()
        };
        let (s1, s2) = (successor(&parents[0], "s1"), successor(&parents[1], "s2"));
        let (fresh, twice) = (held("fresh"), held("p1"));
        let (r1, r2, new, duplicate) = tokio::join!(
            store.rotate_refresh_token("p1", &s1),
            store.rotate_refresh_token("p2", &s2),
            store.insert_refresh_token(&fresh),
            store.insert_refresh_token(&twice),
        );
        assert!(r1.expect("rotation") && r2.expect("rotation"));
        new.expect("a new family");
        assert!(duplicate.is_err(), "a digest already stored");
        for (hash, family) in [
            ("s1", parents[0].family_id),
            ("s2", parents[1].family_id),
            ("fresh", fresh.family_id),
        ] {
            let found = store.find_refresh_token(hash).await.expect("read").expect(hash);
            assert_eq!(found.family_id, family, "{hash}");
        }
        let consumed = store.find_refresh_token("p1").await.expect("read").expect("p1");
        assert_eq!(consumed.consumed_at, Some(150));
        let families: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_families")
            .fetch_one(pool)
            .await
            .expect("count");
        assert_eq!(families, 3, "the family that failed left nothing");
    }
}
