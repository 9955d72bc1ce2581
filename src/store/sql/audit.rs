use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::AuditEvent;
use crate::store::{AuditFilter, AuditLog, StoreError};

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    at: i64,
    event: String,
    user_id: Option<Uuid>,
    client_id: Option<String>,
    session: Option<String>,
    client_ip: Option<String>,
    detail: Option<String>,
}

#[async_trait]
impl AuditLog for SqlStore {
    async fn record(&self, e: &AuditEvent) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO audit_events (id, at, event, user_id, client_id, session, client_ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.id)
        .bind(e.at)
        .bind(&e.event)
        .bind(e.user_id)
        .bind(e.client_id.as_deref())
        .bind(e.session.as_deref())
        .bind(e.client_ip.as_deref())
        .bind(e.detail.as_deref())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn recent(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, event, user_id, client_id, session, client_ip, detail \
                 FROM audit_events ORDER BY at DESC, id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(AuditRow::into_event).collect())
    }

    async fn search(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        let (mut before_at, mut before_id) = filter.before.unwrap_or((i64::MAX, Uuid::max()));
        // `until` is one more bound on the same keyset: strictly before it.
        if let Some(until) = filter.until
            && until <= before_at
        {
            (before_at, before_id) = (until, Uuid::nil());
        }
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, event, user_id, client_id, session, client_ip, detail FROM audit_events \
                 WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR client_id = $2) \
                 AND ($3 IS NULL OR event = $3) AND (at < $4 OR (at = $4 AND id < $5)) AND at >= $7 \
                 ORDER BY at DESC, id DESC LIMIT $6",
            )
            .bind(filter.user_id)
            .bind(filter.client_id.as_deref())
            .bind(filter.event.as_deref())
            .bind(before_at)
            .bind(before_id)
            .bind(i64::from(limit))
            .bind(filter.since.unwrap_or(i64::MIN))
            .bind(filter.since.unwrap_or(i64::MIN))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(AuditRow::into_event).collect())
    }
}

impl AuditRow {
    fn into_event(self) -> AuditEvent {
        let r = self;
        AuditEvent {
            id: r.id,
            at: r.at,
            event: r.event,
            user_id: r.user_id,
            client_id: r.client_id,
            session: r.session,
            client_ip: r.client_ip,
            detail: r.detail,
        }
    }
}
