use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::RegistrationToken;
use crate::store::{RegistrationTokenRepository, StoreError};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    token_hash: String,
    label: Option<String>,
    created_at: i64,
    expires_at: i64,
    uses_left: i64,
}

impl From<Row> for RegistrationToken {
    fn from(row: Row) -> Self {
        RegistrationToken {
            id: row.id,
            token_hash: row.token_hash,
            label: row.label,
            created_at: row.created_at,
            expires_at: row.expires_at,
            uses_left: row.uses_left,
        }
    }
}

#[async_trait]
impl RegistrationTokenRepository for SqlStore {
    async fn create_registration_token(&self, token: &RegistrationToken) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO registration_tokens (id, token_hash, label, created_at, expires_at, uses_left) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id)
        .bind(&token.token_hash)
        .bind(token.label.as_deref())
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.uses_left)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("this registration token"))?;
        Ok(())
    }

    async fn find_registration_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<RegistrationToken>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, token_hash, label, created_at, expires_at, uses_left FROM registration_tokens \
             WHERE token_hash = $1 AND expires_at > $2 AND uses_left > 0",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(Into::into))
    }

    async fn use_registration_token(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE registration_tokens SET uses_left = uses_left - 1 \
             WHERE token_hash = $1 AND expires_at > $2 AND uses_left > 0",
        )
        .bind(token_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn list_registration_tokens(&self) -> Result<Vec<RegistrationToken>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, token_hash, label, created_at, expires_at, uses_left FROM registration_tokens \
             ORDER BY created_at, id",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn delete_registration_token(&self, id: Uuid) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM registration_tokens WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }
}
