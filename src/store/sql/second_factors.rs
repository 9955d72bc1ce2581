use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::{CredentialKind, RecoveryCode, TotpFactor, WebauthnCredential};
use crate::store::{SecondFactorRepository, StoreError};

#[derive(sqlx::FromRow)]
struct TotpRow {
    user_id: Uuid,
    secret: Vec<u8>,
    kek_id: String,
    last_step: i64,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RecoveryRow {
    code_hash: String,
    created_at: i64,
    used_at: Option<i64>,
}

#[async_trait]
impl SecondFactorRepository for SqlStore {
    async fn find_totp(&self, user_id: Uuid) -> Result<Option<TotpFactor>, StoreError> {
        let row: Option<TotpRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT user_id, secret, kek_id, last_step, created_at, last_used_at FROM totp_factors \
                 WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|r| TotpFactor {
            user_id: r.user_id,
            sealed_secret: r.secret,
            kek_id: r.kek_id,
            last_step: r.last_step,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }))
    }

    async fn insert_totp(&self, factor: &TotpFactor) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, kek_id, last_step, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(factor.user_id)
        .bind(&factor.sealed_secret)
        .bind(&factor.kek_id)
        .bind(factor.last_step)
        .bind(factor.created_at)
        .bind(factor.last_used_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("an authenticator for this account"))?;
        Ok(())
    }

    async fn delete_totp(&self, user_id: Uuid) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn accept_totp_step(&self, user_id: Uuid, step: i64, now: i64) -> Result<bool, StoreError> {
        // One conditional UPDATE: the row lock (PostgreSQL) or the write lock
        // (SQLite) makes the check and the write one step.
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE totp_factors SET last_step = $2, last_used_at = $3 WHERE user_id = $1 AND last_step < $2",
        )
        .bind(user_id)
        .bind(step)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn replace_recovery_codes(&self, user_id: Uuid, code_hashes: &[String], now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for hash in code_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                    .bind(user_id)
                    .bind(hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    async fn use_recovery_code(&self, user_id: Uuid, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn recovery_codes(&self, user_id: Uuid) -> Result<Vec<RecoveryCode>, StoreError> {
        let rows: Vec<RecoveryRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT code_hash, created_at, used_at FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| RecoveryCode {
                code_hash: r.code_hash,
                created_at: r.created_at,
                used_at: r.used_at,
            })
            .collect())
    }

    async fn delete_recovery_codes(&self, user_id: Uuid) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn insert_webauthn(&self, credential: &WebauthnCredential) -> Result<(), StoreError> {
        self.insert_webauthn_row(credential).await
    }

    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnCredential>, StoreError> {
        self.webauthn_rows(user_id).await
    }

    async fn find_webauthn(&self, credential_id: &str) -> Result<Option<WebauthnCredential>, StoreError> {
        self.webauthn_row(credential_id).await
    }

    async fn webauthn_used(&self, id: Uuid, credential: &str, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE webauthn_credentials SET credential = $2, last_used_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(credential)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn delete_webauthn(&self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn delete_all_webauthn(&self, user_id: Uuid) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM webauthn_credentials WHERE user_id = $1")
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct CredentialRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    name: String,
    credential_id: String,
    credential: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl CredentialRow {
    fn into_credential(self) -> Result<WebauthnCredential, StoreError> {
        Ok(WebauthnCredential {
            kind: CredentialKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("credential {}: kind {}", self.id, self.kind)))?,
            id: self.id,
            user_id: self.user_id,
            name: self.name,
            credential_id: self.credential_id,
            credential: self.credential,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        })
    }
}

const CREDENTIAL_COLUMNS: &str = "id, user_id, kind, name, credential_id, credential, created_at, last_used_at";

impl SqlStore {
    pub(super) async fn insert_webauthn_row(&self, c: &WebauthnCredential) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO webauthn_credentials (id, user_id, kind, name, credential_id, credential, created_at, \
             last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id)
        .bind(c.user_id)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(&c.credential_id)
        .bind(&c.credential)
        .bind(c.created_at)
        .bind(c.last_used_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("this credential"))?;
        Ok(())
    }

    pub(super) async fn webauthn_rows(&self, user_id: Uuid) -> Result<Vec<WebauthnCredential>, StoreError> {
        let rows: Vec<CredentialRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at"
            )))
            .bind(user_id)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(CredentialRow::into_credential).collect()
    }

    pub(super) async fn webauthn_row(&self, credential_id: &str) -> Result<Option<WebauthnCredential>, StoreError> {
        let row: Option<CredentialRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE credential_id = $1"
            )))
            .bind(credential_id)
            .fetch_optional(pool)
            .await
        })?;
        row.map(CredentialRow::into_credential).transpose()
    }
}
