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

/// The tables that grow with use. A literal list: table names cannot be
/// bound parameters.
const MEASURED: [(&str, &str); 9] = [
    ("users", "SELECT COUNT(*) FROM users"),
    ("clients", "SELECT COUNT(*) FROM clients"),
    ("consents", "SELECT COUNT(*) FROM consents"),
    ("refresh_families", "SELECT COUNT(*) FROM refresh_families"),
    ("refresh_tokens", "SELECT COUNT(*) FROM refresh_tokens"),
    ("audit_events", "SELECT COUNT(*) FROM audit_events"),
    ("logout_deliveries", "SELECT COUNT(*) FROM logout_deliveries"),
    ("webauthn_credentials", "SELECT COUNT(*) FROM webauthn_credentials"),
    ("mail_outbox", "SELECT COUNT(*) FROM mail_outbox"),
];

#[async_trait]
impl Retention for SqlStore {
    async fn table_rows(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let mut rows = Vec::with_capacity(MEASURED.len());
        for (table, sql) in MEASURED {
            let count: i64 = on_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?;
            rows.push((table, u64::try_from(count).unwrap_or(0)));
        }
        Ok(rows)
    }

    /// A family's tokens go with it (`ON DELETE CASCADE`).
    async fn prune_refresh_tokens(&self, now: i64, batch: u32) -> Result<u64, StoreError> {
        delete_batch(
            self,
            "DELETE FROM refresh_families WHERE family_id IN \
             (SELECT family_id FROM refresh_families WHERE family_expires_at <= $1 LIMIT $2)",
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

    async fn prune_mail(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        delete_batch(
            self,
            "DELETE FROM mail_outbox WHERE id IN \
             (SELECT id FROM mail_outbox WHERE created_at < $1 AND status <> 'pending' LIMIT $2)",
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
