use async_trait::async_trait;

use super::{SqlStore, on_pool};
use crate::domain::{Alg, StoredKey};
use crate::store::{KeyRepository, StoreError};

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    generation: i64,
    private_key: Vec<u8>,
    kek_id: String,
    public_jwk: String,
    created_at: i64,
    activates_at: i64,
    revoked_at: Option<i64>,
}

#[async_trait]
impl KeyRepository for SqlStore {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT kid, alg, generation, private_key, kek_id, public_jwk, created_at, activates_at, revoked_at \
                 FROM signing_keys ORDER BY alg, generation",
            )
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredKey {
                    alg: Alg::parse(&r.alg)
                        .ok_or_else(|| StoreError::Corrupt(format!("key {}: alg {}", r.kid, r.alg)))?,
                    kid: r.kid,
                    generation: r.generation,
                    private_key: r.private_key,
                    kek_id: r.kek_id,
                    public_jwk: r.public_jwk,
                    created_at: r.created_at,
                    activates_at: r.activates_at,
                    revoked_at: r.revoked_at,
                })
            })
            .collect()
    }

    async fn insert_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        let result = on_pool!(self, pool => sqlx::query(
            "INSERT INTO signing_keys (kid, alg, generation, private_key, kek_id, public_jwk, created_at, activates_at, \
             revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(key.generation)
        .bind(&key.private_key)
        .bind(&key.kek_id)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .bind(key.activates_at)
        .bind(key.revoked_at)
        .execute(pool)
        .await
        .map(|_| ()));
        match result {
            Ok(()) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn revoke_key(&self, kid: &str, now: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE signing_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL",
        )
        .bind(kid)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn delete_key(&self, kid: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
