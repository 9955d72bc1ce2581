use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::{DeliveryStatus, QueuedMail};
use crate::store::{MailOutbox, StoreError};

#[derive(sqlx::FromRow)]
struct MailRow {
    id: Uuid,
    recipient: String,
    kind: String,
    subject: String,
    body_kek_id: Option<String>,
    sealed_body: Option<Vec<u8>>,
    status: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    give_up_at: i64,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

impl MailRow {
    fn into_mail(self) -> Result<QueuedMail, StoreError> {
        Ok(QueuedMail {
            status: DeliveryStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("mail {}: status {}", self.id, self.status)))?,
            id: self.id,
            recipient: self.recipient,
            kind: self.kind,
            subject: self.subject,
            sealed_body: self.body_kek_id.zip(self.sealed_body),
            attempts: self.attempts,
            created_at: self.created_at,
            next_attempt_at: self.next_attempt_at,
            give_up_at: self.give_up_at,
            last_error: self.last_error,
            sent_at: self.sent_at,
        })
    }
}

const COLUMNS: &str = "id, recipient, kind, subject, body_kek_id, sealed_body, status, attempts, created_at, \
                       next_attempt_at, give_up_at, last_error, sent_at";

/// Claims due messages in one statement: two PostgreSQL nodes racing for a
/// row serialise on its lock and the re-checked lease lets only the first
/// claim it; SQLite has one writer.
const CLAIM: &str = "UPDATE mail_outbox SET claimed_until = $1 + $2 \
     WHERE (claimed_until IS NULL OR claimed_until <= $1) AND status = 'pending' AND id IN ( \
       SELECT id FROM mail_outbox \
       WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) \
       ORDER BY next_attempt_at, id LIMIT $3) \
     RETURNING id, recipient, kind, subject, body_kek_id, sealed_body, status, attempts, created_at, \
               next_attempt_at, give_up_at, last_error, sent_at";

#[async_trait]
impl MailOutbox for SqlStore {
    async fn enqueue_mail(&self, mail: &QueuedMail) -> Result<(), StoreError> {
        let (kek_id, sealed) = match &mail.sealed_body {
            Some((kek_id, sealed)) => (Some(kek_id.as_str()), Some(sealed.as_slice())),
            None => (None, None),
        };
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mail_outbox (id, recipient, kind, subject, body_kek_id, sealed_body, status, attempts, \
             created_at, next_attempt_at, give_up_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(mail.id)
        .bind(&mail.recipient)
        .bind(&mail.kind)
        .bind(&mail.subject)
        .bind(kek_id)
        .bind(sealed)
        .bind(mail.status.as_str())
        .bind(mail.attempts)
        .bind(mail.created_at)
        .bind(mail.next_attempt_at)
        .bind(mail.give_up_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn claim_due_mail(&self, now: i64, lease_secs: i64, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows: Vec<MailRow> = on_pool!(self, pool => {
            sqlx::query_as(CLAIM).bind(now).bind(lease_secs).bind(limit).fetch_all(pool).await
        })?;
        rows.into_iter().map(MailRow::into_mail).collect()
    }

    async fn record_mail_sent(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE mail_outbox SET status = 'delivered', sent_at = $2, attempts = attempts + 1, \
             claimed_until = NULL, sealed_body = NULL, body_kek_id = NULL, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn record_mail_failure(&self, id: Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        match retry_at {
            Some(retry_at) => on_pool!(self, pool => sqlx::query(
                "UPDATE mail_outbox SET last_error = $2, attempts = attempts + 1, next_attempt_at = $3, \
                 claimed_until = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .execute(pool)
            .await
            .map(|_| ())),
            None => on_pool!(self, pool => sqlx::query(
                "UPDATE mail_outbox SET status = 'failed', last_error = $2, attempts = attempts + 1, \
                 claimed_until = NULL, sealed_body = NULL, body_kek_id = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .execute(pool)
            .await
            .map(|_| ())),
        }?;
        Ok(())
    }

    async fn retry_mail_now(&self, id: Uuid, now: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < $2)",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn list_mail(&self, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows: Vec<MailRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        let mut mail: Vec<QueuedMail> = rows.into_iter().map(MailRow::into_mail).collect::<Result<_, _>>()?;
        for message in &mut mail {
            message.sealed_body = None;
        }
        Ok(mail)
    }

    async fn count_mail_by_status(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM mail_outbox GROUP BY status",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(status, n)| DeliveryStatus::parse(&status).map(|s| (s, n)))
            .collect())
    }
}
