use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::{ClientId, DeliveryStatus, LogoutDelivery, Sid};
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
            client_id: ClientId::parse(&self.client_id)
                .map_err(|_| StoreError::Corrupt(format!("delivery {}: client id", self.id)))?,
            uri: self.uri,
            subject: self.subject,
            sid: self.sid.map(Sid::from_stored),
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

/// Claims due rows fairly, in one statement both databases run: due rows are
/// ranked within their client (`turn`), a client's rows already claimed and
/// within their lease (`busy`) count against its share, and the first turn
/// of every client comes before anyone's second. Two PostgreSQL nodes
/// racing for a row serialise on its lock, and the re-checked lease lets
/// only the first claim it; SQLite has one writer.
const CLAIM: &str = "UPDATE logout_deliveries SET claimed_until = $1 + $2 \
     WHERE (claimed_until IS NULL OR claimed_until <= $1) AND status = 'pending' AND id IN ( \
       WITH due AS ( \
         SELECT id, client_id, next_attempt_at, \
                ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY next_attempt_at, id) AS turn \
         FROM logout_deliveries \
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) \
       ), busy AS ( \
         SELECT client_id, COUNT(*) AS claimed FROM logout_deliveries \
         WHERE status = 'pending' AND claimed_until > $1 GROUP BY client_id \
       ) \
       SELECT due.id FROM due LEFT JOIN busy ON busy.client_id = due.client_id \
       WHERE due.turn + COALESCE(busy.claimed, 0) <= $4 \
       ORDER BY due.turn, due.next_attempt_at LIMIT $3) \
     RETURNING id, client_id, uri, subject, sid, created_at, give_up_at, status, attempts, \
               next_attempt_at, last_error, delivered_at";

/// A notice is pending unless its client already has `$11` pending.
const ENQUEUE: &str = "INSERT INTO logout_deliveries (id, client_id, uri, subject, sid, created_at, give_up_at, status, \
     attempts, next_attempt_at, last_error) \
     SELECT $1, $2, $3, $4, $5, $6, $7, \
            CASE WHEN pending.n >= $11 THEN 'failed' ELSE $8 END, $9, $10, \
            CASE WHEN pending.n >= $11 THEN 'too many notices pending for this app' ELSE NULL END \
     FROM (SELECT COUNT(*) AS n FROM logout_deliveries WHERE client_id = $2 AND status = 'pending') pending";

#[async_trait]
impl LogoutOutbox for SqlStore {
    async fn enqueue(&self, deliveries: &[LogoutDelivery], max_pending_per_client: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for d in deliveries {
                sqlx::query(ENQUEUE)
                    .bind(d.id)
                    .bind(d.client_id.as_str())
                    .bind(&d.uri)
                    .bind(&d.subject)
                    .bind(d.sid.as_ref().map(Sid::as_str))
                    .bind(d.created_at)
                    .bind(d.give_up_at)
                    .bind(d.status.as_str())
                    .bind(d.attempts)
                    .bind(d.next_attempt_at)
                    .bind(max_pending_per_client)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn claim_due(
        &self,
        now: i64,
        lease_secs: i64,
        limit: i64,
        per_client: i64,
    ) -> Result<Vec<LogoutDelivery>, StoreError> {
        let rows: Vec<DeliveryRow> = on_pool!(self, pool => {
            sqlx::query_as(CLAIM)
                .bind(now)
                .bind(lease_secs)
                .bind(limit)
                .bind(per_client)
                .fetch_all(pool)
                .await
        })?;
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

    async fn retry_delivery_now(&self, id: Uuid, now: i64, give_up_at: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE logout_deliveries SET status = 'pending', next_attempt_at = $2, \
             give_up_at = CASE WHEN give_up_at < $3 THEN $3 ELSE give_up_at END \
             WHERE id = $1 AND status IN ('pending', 'failed') AND (claimed_until IS NULL OR claimed_until < $2)",
        )
        .bind(id)
        .bind(now)
        .bind(give_up_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
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
