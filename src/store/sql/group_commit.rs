//! Group commit for SQLite's hot writes (a refresh token's rotation, the
//! refresh token a code exchange issues). Each would otherwise be its own
//! transaction with its own fsync of the WAL; here one task takes every
//! write waiting at that moment, runs them in one transaction and one
//! fsync, and answers each caller only after that commit — so an answer a
//! client received is as durable as before (`synchronous = FULL`), with
//! one sync for many requests instead of one each.
//!
//! A statement that fails (a constraint) fails alone: SQLite undoes just
//! that statement and the transaction goes on. A failed commit fails every
//! write of the batch (none of them is answered as done).

use sqlx::sqlite::{Sqlite, SqliteArguments};
use sqlx::{Executor, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::StoreError;

/// A statement with its values bound, ready to run on any connection.
pub type Write = sqlx::query::Query<'static, Sqlite, SqliteArguments>;

/// The most writes committed together.
const MAX_BATCH: usize = 128;

struct Job {
    write: Write,
    /// Rows the statement changed, once committed.
    done: oneshot::Sender<Result<u64, StoreError>>,
}

/// The queue of writes waiting for the next commit.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::UnboundedSender<Job>,
}

impl GroupCommit {
    /// Starts the committing task on the current runtime; it ends when the
    /// last handle is dropped.
    pub fn start(pool: SqlitePool) -> GroupCommit {
        let (jobs, waiting) = mpsc::unbounded_channel();
        tokio::spawn(commit_batches(pool, waiting));
        GroupCommit { jobs }
    }

    /// Runs `write` in the next commit; the rows it changed, once that
    /// commit is durable.
    pub async fn execute(&self, write: Write) -> Result<u64, StoreError> {
        let (done, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the SQLite writer has stopped".into());
        self.jobs.send(Job { write, done }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn commit_batches(pool: SqlitePool, mut waiting: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = waiting.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&pool, &mut batch).await;
    }
}

/// Runs the batch in one transaction and answers each job.
async fn commit(pool: &SqlitePool, batch: &mut Vec<Job>) {
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(e) => {
            let message = e.to_string();
            let unavailable = StoreError::from(e).is_unavailable();
            for job in batch.drain(..) {
                let _ = job.done.send(Err(failure(&message, unavailable)));
            }
            return;
        }
    };
    if batch.len() == 1 {
        let job = batch.remove(0);
        let result = connection.execute(job.write).await;
        let _ = job
            .done
            .send(result.map(|r| r.rows_affected()).map_err(StoreError::from));
        return;
    }
    // IMMEDIATE: the write lock now, so the batch does not fail half way
    // over a reader that became a writer.
    if let Err(e) = connection.execute("BEGIN IMMEDIATE").await {
        let message = e.to_string();
        let unavailable = StoreError::from(e).is_unavailable();
        for job in batch.drain(..) {
            let _ = job.done.send(Err(failure(&message, unavailable)));
        }
        return;
    }
    let mut ran = Vec::with_capacity(batch.len());
    for job in batch.drain(..) {
        let result = connection.execute(job.write).await.map(|r| r.rows_affected());
        ran.push((job.done, result));
    }
    match connection.execute("COMMIT").await {
        Ok(_) => {
            for (done, result) in ran {
                let _ = done.send(result.map_err(StoreError::from));
            }
        }
        Err(e) => {
            // Never back into the pool inside a transaction it may still hold.
            if connection.execute("ROLLBACK").await.is_err() {
                connection.close_on_drop();
            }
            let message = e.to_string();
            let unavailable = StoreError::from(e).is_unavailable();
            for (done, _) in ran {
                let _ = done.send(Err(failure(&message, unavailable)));
            }
        }
    }
}

/// One failure told to every job of a batch.
fn failure(message: &str, unavailable: bool) -> StoreError {
    let cause = format!("committing a batch of writes: {message}").into();
    if unavailable {
        StoreError::Unavailable(cause)
    } else {
        StoreError::Backend(cause)
    }
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;

    async fn pool() -> SqlitePool {
        // One connection: an in-memory database is per connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("pool");
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .execute(&pool)
            .await
            .expect("table");
        pool
    }

    fn insert(key: &str) -> Write {
        sqlx::query("INSERT INTO t (k) VALUES ($1)").bind(key.to_string())
    }

    /// Writes sent together are committed together; one that breaks a
    /// constraint fails alone and the others stay.
    #[tokio::test]
    async fn a_failing_write_fails_alone_and_the_rest_commits() {
        let pool = pool().await;
        let commits = GroupCommit::start(pool.clone());
        let answers =
            futures_util::future::join_all(["a", "b", "a", "c"].map(|key| commits.execute(insert(key)))).await;
        let failed = answers.iter().filter(|a| a.is_err()).count();
        assert_eq!(failed, 1, "{answers:?}");
        assert!(answers.iter().filter_map(|a| a.as_ref().ok()).all(|rows| *rows == 1));
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(count, 3);
    }
}
