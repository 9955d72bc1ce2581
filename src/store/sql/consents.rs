use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::{ClientId, Scopes};
use crate::store::{Consent, ConsentRepository, StoreError};

#[async_trait]
impl ConsentRepository for SqlStore {
    async fn granted_scopes(&self, user_id: Uuid, client_id: &ClientId) -> Result<Option<Scopes>, StoreError> {
        let scopes: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id.as_str())
                .fetch_optional(pool)
                .await
        })?;
        scopes
            .map(|(s,)| Scopes::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    async fn grant(&self, user_id: Uuid, client_id: &ClientId, scopes: &Scopes, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, granted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(scopes.to_string())
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn consents_of(&self, user_id: Uuid) -> Result<Vec<Consent>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_id, scopes, granted_at, updated_at FROM consents WHERE user_id = $1 ORDER BY client_id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(client_id, scopes, granted_at, updated_at)| {
                let corrupt = |e: String| StoreError::Corrupt(format!("consent of {user_id}: {e}"));
                Ok(Consent {
                    client_id: ClientId::parse(&client_id).map_err(|e| corrupt(e.to_string()))?,
                    scopes: Scopes::parse(&scopes).map_err(|e| corrupt(e.to_string()))?,
                    granted_at,
                    updated_at,
                })
            })
            .collect()
    }

    async fn revoke_consent(&self, user_id: Uuid, client_id: &ClientId) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id.as_str())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected > 0)
    }
}
