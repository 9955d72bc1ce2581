use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::AuditEvent;
use crate::store::{AuditLog, StoreError};

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
        Ok(rows
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: r.at,
                event: r.event,
                user_id: r.user_id,
                client_id: r.client_id,
                session: r.session,
                client_ip: r.client_ip,
                detail: r.detail,
            })
            .collect())
    }
}
