use async_trait::async_trait;

use super::{SqlStore, on_pool};
use crate::store::{Retention, StoreError};

/// Each statement deletes one batch chosen by a subquery (SQLite and
/// PostgreSQL both take it; neither takes `DELETE … LIMIT` portably), along
/// an index, so it holds its locks briefly.
async fn delete_batch(store: &SqlStore, sql: &'static str, cutoff: i64, batch: u32) -> Result<u64, StoreError> {
    let deleted = on_pool!(store, pool => sqlx::query(sql)
        .bind(cutoff)
        .bind(i64::from(batch))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(deleted)
}

#[async_trait]
impl Retention for SqlStore {
    async fn prune_refresh_tokens(&self, now: i64, batch: u32) -> Result<u64, StoreError> {
        delete_batch(
            self,
            "DELETE FROM refresh_tokens WHERE token_hash IN \
             (SELECT token_hash FROM refresh_tokens WHERE family_expires_at <= $1 LIMIT $2)",
            now,
            batch,
        )
        .await
    }

    async fn prune_audit_events(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        delete_batch(
            self,
            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 LIMIT $2)",
            before,
            batch,
        )
        .await
    }

    async fn prune_logout_deliveries(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        delete_batch(
            self,
            "DELETE FROM logout_deliveries WHERE id IN (SELECT id FROM logout_deliveries \
             WHERE created_at < $1 AND status IN ('delivered', 'failed') LIMIT $2)",
            before,
            batch,
        )
        .await
    }
}
