use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::{DeliveryStatus, LogoutDelivery};
use crate::store::{LogoutOutbox, StoreError};

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    client_id: String,
    uri: String,
    subject: String,
    sid: Option<String>,
    created_at: i64,
    give_up_at: i64,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    delivered_at: Option<i64>,
}

impl DeliveryRow {
    fn into_delivery(self) -> Result<LogoutDelivery, StoreError> {
        Ok(LogoutDelivery {
            status: DeliveryStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("delivery {}: status {}", self.id, self.status)))?,
            id: self.id,
            client_id: self.client_id,
            uri: self.uri,
            subject: self.subject,
            sid: self.sid,
            created_at: self.created_at,
            give_up_at: self.give_up_at,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            delivered_at: self.delivered_at,
        })
    }
}

const COLUMNS: &str = "id, client_id, uri, subject, sid, created_at, give_up_at, status, attempts, \
                       next_attempt_at, last_error, delivered_at";

/// Claims due rows. PostgreSQL skips rows another node has locked; SQLite
/// serialises writers, so the plain update is already exclusive.
const CLAIM_POSTGRES: &str = "UPDATE logout_deliveries SET claimed_until = $1 + $2 \
     WHERE id IN (SELECT id FROM logout_deliveries \
                  WHERE status = 'pending' AND next_attempt_at <= $1 \
                    AND (claimed_until IS NULL OR claimed_until <= $1) \
                  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, client_id, uri, subject, sid, created_at, give_up_at, status, attempts, \
               next_attempt_at, last_error, delivered_at";
const CLAIM_SQLITE: &str = "UPDATE logout_deliveries SET claimed_until = $1 + $2 \
     WHERE id IN (SELECT id FROM logout_deliveries \
                  WHERE status = 'pending' AND next_attempt_at <= $1 \
                    AND (claimed_until IS NULL OR claimed_until <= $1) \
                  ORDER BY next_attempt_at LIMIT $3) \
     RETURNING id, client_id, uri, subject, sid, created_at, give_up_at, status, attempts, \
               next_attempt_at, last_error, delivered_at";

#[async_trait]
impl LogoutOutbox for SqlStore {
    async fn enqueue(&self, deliveries: &[LogoutDelivery]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for d in deliveries {
                sqlx::query(
                    "INSERT INTO logout_deliveries (id, client_id, uri, subject, sid, created_at, give_up_at, status, \
                     attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(d.id)
                .bind(&d.client_id)
                .bind(&d.uri)
                .bind(&d.subject)
                .bind(d.sid.as_deref())
                .bind(d.created_at)
                .bind(d.give_up_at)
                .bind(d.status.as_str())
                .bind(d.attempts)
                .bind(d.next_attempt_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn claim_due(&self, now: i64, lease_secs: i64, limit: i64) -> Result<Vec<LogoutDelivery>, StoreError> {
        let rows: Vec<DeliveryRow> = match self {
            SqlStore::Postgres(pool) => {
                sqlx::query_as(CLAIM_POSTGRES)
                    .bind(now)
                    .bind(lease_secs)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
            SqlStore::Sqlite(pool) => {
                sqlx::query_as(CLAIM_SQLITE)
                    .bind(now)
                    .bind(lease_secs)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        };
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    async fn count_by_status(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM logout_deliveries GROUP BY status",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(status, n)| DeliveryStatus::parse(&status).map(|s| (s, n)))
            .collect())
    }

    async fn record_delivered(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE logout_deliveries SET status = 'delivered', delivered_at = $2, attempts = attempts + 1, \
             claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn record_failure(&self, id: Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        let status = if retry_at.is_some() { "pending" } else { "failed" };
        on_pool!(self, pool => sqlx::query(
            "UPDATE logout_deliveries SET status = $2, last_error = $3, attempts = attempts + 1, \
             next_attempt_at = COALESCE($4, next_attempt_at), claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn list_deliveries(&self, limit: i64) -> Result<Vec<LogoutDelivery>, StoreError> {
        let rows: Vec<DeliveryRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM logout_deliveries ORDER BY created_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }
}
