//! Upstream accounts linked to local ones (migration 0020).

use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::LinkedIdentity;
use crate::store::{LinkedIdentityRepository, StoreError};

#[derive(sqlx::FromRow)]
struct LinkRow {
    issuer: String,
    subject: String,
    user_id: Uuid,
    upstream: String,
    linked_at: i64,
}

impl From<LinkRow> for LinkedIdentity {
    fn from(row: LinkRow) -> Self {
        LinkedIdentity {
            issuer: row.issuer,
            subject: row.subject,
            user_id: row.user_id,
            upstream: row.upstream,
            linked_at: row.linked_at,
        }
    }
}

const SELECT_LINKS: &str = "SELECT issuer, subject, user_id, upstream, linked_at FROM linked_identities";

#[async_trait]
impl LinkedIdentityRepository for SqlStore {
    async fn find_link(&self, issuer: &str, subject: &str) -> Result<Option<LinkedIdentity>, StoreError> {
        let row: Option<LinkRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_LINKS} WHERE issuer = $1 AND subject = $2")))
                .bind(issuer)
                .bind(subject)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(LinkedIdentity::from))
    }

    async fn link(&self, link: &LinkedIdentity) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO linked_identities (issuer, subject, user_id, upstream, linked_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&link.issuer)
        .bind(&link.subject)
        .bind(link.user_id)
        .bind(&link.upstream)
        .bind(link.linked_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("this upstream account is linked already"))
    }

    async fn links_of(&self, user_id: Uuid) -> Result<Vec<LinkedIdentity>, StoreError> {
        let rows: Vec<LinkRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT_LINKS} WHERE user_id = $1 ORDER BY linked_at, issuer, subject"
            )))
            .bind(user_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(LinkedIdentity::from).collect())
    }

    async fn unlink(&self, user_id: Uuid, issuer: &str, subject: &str) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "DELETE FROM linked_identities WHERE user_id = $1 AND issuer = $2 AND subject = $3",
        )
        .bind(user_id)
        .bind(issuer)
        .bind(subject)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }
}
