use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::sqlite::{Sqlite, SqliteArguments};
use uuid::Uuid;

use super::{SqlStore, on_pool};
use crate::domain::{ClientId, FamilyId, RefreshToken, Scopes, SessionHandle, Sid};
use crate::store::{RefreshTokenRepository, StoreError};

#[derive(sqlx::FromRow)]
struct Row {
    token_hash: String,
    family_id: Uuid,
    client_id: String,
    user_id: Uuid,
    scopes: String,
    sid: String,
    session: Option<String>,
    auth_time: i64,
    amr: String,
    resource: Option<String>,
    issued_at: i64,
    expires_at: i64,
    family_expires_at: i64,
    consumed_at: Option<i64>,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    #[sqlx(flatten)]
    token: Row,
    holder_active: bool,
}

impl Row {
    fn into_token(self) -> Result<RefreshToken, StoreError> {
        Ok(RefreshToken {
            scopes: Scopes::parse(&self.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            amr: self.amr.split_whitespace().map(str::to_string).collect(),
            token_hash: self.token_hash,
            family_id: FamilyId::from_uuid(self.family_id),
            client_id: ClientId::parse(&self.client_id)
                .map_err(|_| StoreError::Corrupt("a refresh token's client id".into()))?,
            user_id: self.user_id,
            sid: Sid::from_stored(self.sid),
            session: self.session.map(SessionHandle::from_stored),
            auth_time: self.auth_time,
            resource: self.resource,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            family_expires_at: self.family_expires_at,
            consumed_at: self.consumed_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A new family's row (what its tokens share).
const INSERT_FAMILY: &str = "INSERT INTO refresh_families (family_id, client_id, user_id, scopes, sid, session, \
     auth_time, amr, resource, family_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// A new family's first token, on a pool: `$1` is its family.
const INSERT_FIRST_TOKEN: &str =
    "INSERT INTO refresh_tokens (family_id, token_hash, issued_at, expires_at) VALUES ($1, $11, $12, $13)";

/// A new family and its first token in one statement on PostgreSQL (the
/// token's foreign key is checked at the statement's end, family in place).
static INSERT_POSTGRES: LazyLock<String> =
    LazyLock::new(|| format!("WITH family AS ({INSERT_FAMILY}) {INSERT_FIRST_TOKEN}"));

/// Rotation in one statement on PostgreSQL: the UPDATE takes the parent's row
/// lock, so of two concurrent rotations the second finds it consumed and
/// inserts nothing.
const ROTATE_POSTGRES: &str = "WITH parent AS (UPDATE refresh_tokens p SET consumed_at = $3 \
     WHERE p.family_id = $1 AND p.token_hash = $5 AND p.consumed_at IS NULL \
     AND EXISTS (SELECT 1 FROM refresh_families f JOIN users u ON u.id = f.user_id \
     WHERE f.family_id = p.family_id AND f.revoked_at IS NULL AND NOT u.disabled) RETURNING p.token_hash) \
     INSERT INTO refresh_tokens (family_id, token_hash, issued_at, expires_at, parent_hash) \
     SELECT $1, $2, $3, $4, token_hash FROM parent";

/// A token with its family's columns, found by digest.
static FIND: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM {JOINED} WHERE t.token_hash = $1"));

/// A LEFT JOIN: a token whose account was deleted is found, unusable.
static FIND_WITH_HOLDER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS}, (u.id IS NOT NULL AND NOT u.disabled) AS holder_active \
         FROM {JOINED} LEFT JOIN users u ON u.id = f.user_id WHERE t.token_hash = $1"
    )
});

const JOINED: &str = "refresh_tokens t JOIN refresh_families f ON f.family_id = t.family_id";

const COLUMNS: &str = "t.token_hash, t.family_id, f.client_id, f.user_id, f.scopes, f.sid, f.session, f.auth_time, \
     f.amr, f.resource, t.issued_at, t.expires_at, f.family_expires_at, t.consumed_at, f.revoked_at";

/// Binds a token's family columns to `INSERT_FAMILY` (`$1` … `$10`).
macro_rules! bind_family {
    ($query:expr, $t:expr) => {
        $query
            .bind($t.family_id.as_uuid())
            .bind($t.client_id.as_str())
            .bind($t.user_id)
            .bind($t.scopes.to_string())
            .bind($t.sid.as_str())
            .bind($t.session.as_ref().map(SessionHandle::as_str))
            .bind($t.auth_time)
            .bind($t.amr.join(" "))
            .bind($t.resource.clone())
            .bind($t.family_expires_at)
    };
}

/// Binds a new family and its first token (`$1` … `$13`): what
/// `INSERT_FAMILY` and `INSERT_FIRST_TOKEN` take.
macro_rules! bind_first_token {
    ($query:expr, $t:expr) => {
        bind_family!($query, $t)
            .bind(&$t.token_hash)
            .bind($t.issued_at)
            .bind($t.expires_at)
    };
}

/// A refresh token for the group commit to store: with `parent`, a
/// rotation (stored only while the parent is current, its family not
/// revoked and its holder active, consuming the parent); without, the
/// first token of a new family.
#[derive(Debug)]
pub(super) struct NewRefreshToken {
    pub token: RefreshToken,
    pub parent: Option<String>,
}

/// The statement storing every token of a batch, on SQLite: a successor
/// only while its parent is current, its family not revoked and its holder
/// active (the trigger of migration 0021 consumes the parent); the digests
/// of the tokens stored come back. Every parent is checked before anything
/// is inserted, so a batch must not name a parent twice.
///
/// A batch with new families inserts them first, in an explicit
/// transaction with the tokens (one commit either way); when it fails, that
/// transaction is left open for the caller to roll back.
pub(super) fn insert_batch(writes: &[&NewRefreshToken]) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    use std::fmt::Write;
    const FAMILY_VALUES: usize = 10;
    const TOKEN_VALUES: usize = 5;
    let families: Vec<&RefreshToken> = writes.iter().filter(|w| w.parent.is_none()).map(|w| &w.token).collect();
    let mut next_parameter = 0;
    let mut values = |sql: &mut String, rows: usize, per_row: usize| {
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for value in 0..per_row {
                next_parameter += 1;
                let separator = if value == 0 { "" } else { ", " };
                let _ = write!(sql, "{separator}${next_parameter}");
            }
            sql.push(')');
        }
    };
    let mut sql = String::new();
    if !families.is_empty() {
        sql.push_str(
            "BEGIN IMMEDIATE; INSERT INTO refresh_families (family_id, client_id, user_id, scopes, sid, session, \
             auth_time, amr, resource, family_expires_at) VALUES ",
        );
        values(&mut sql, families.len(), FAMILY_VALUES);
        sql.push_str("; ");
    }
    sql.push_str(
        "INSERT INTO refresh_tokens (family_id, token_hash, issued_at, expires_at, parent_hash) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM (VALUES ",
    );
    values(&mut sql, writes.len(), TOKEN_VALUES);
    sql.push_str(
        ") AS v WHERE v.column5 IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens p \
         JOIN refresh_families f ON f.family_id = p.family_id JOIN users u ON u.id = f.user_id \
         WHERE p.family_id = v.column1 AND p.token_hash = v.column5 AND p.consumed_at IS NULL \
         AND f.revoked_at IS NULL AND NOT u.disabled) \
         RETURNING token_hash",
    );
    if !families.is_empty() {
        sql.push_str("; COMMIT");
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for family in families {
        query = bind_family!(query, family);
    }
    for write in writes {
        query = query
            .bind(write.token.family_id.as_uuid())
            .bind(write.token.token_hash.clone())
            .bind(write.token.issued_at)
            .bind(write.token.expires_at)
            .bind(write.parent.clone());
    }
    query
}

#[async_trait]
impl RefreshTokenRepository for SqlStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        if let SqlStore::Sqlite(_, Some(commits)) = self {
            let write = NewRefreshToken {
                token: token.clone(),
                parent: None,
            };
            return match commits.insert(write).await? {
                true => Ok(()),
                // Without a parent nothing holds it back; never seen.
                false => Err(StoreError::Backend("a new refresh token was not stored".into())),
            };
        }
        match self {
            SqlStore::Postgres(pool) => {
                bind_first_token!(sqlx::query(sqlx::AssertSqlSafe(INSERT_POSTGRES.as_str())), token)
                    .execute(pool)
                    .await?;
            }
            // In memory, no group commit: both rows in one transaction.
            SqlStore::Sqlite(pool, _) => {
                let mut transaction = pool.begin().await?;
                bind_first_token!(sqlx::query(INSERT_FAMILY), token)
                    .execute(&mut *transaction)
                    .await?;
                bind_first_token!(sqlx::query(INSERT_FIRST_TOKEN), token)
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
            }
        }
        Ok(())
    }

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(FIND.as_str()))
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })?;
        row.map(Row::into_token).transpose()
    }

    async fn find_refresh_token_and_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, bool)>, StoreError> {
        let row: Option<HolderRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(FIND_WITH_HOLDER.as_str()))
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })?;
        row.map(|r| Ok((r.token.into_token()?, r.holder_active))).transpose()
    }

    async fn rotate_refresh_token(&self, old_hash: &str, successor: &RefreshToken) -> Result<bool, StoreError> {
        let write = || NewRefreshToken {
            token: successor.clone(),
            parent: Some(old_hash.to_string()),
        };
        let inserted = match self {
            // The parent is consumed by the trigger the insert fires, in the
            // same statement: one write, committed with its neighbours.
            SqlStore::Sqlite(_, Some(commits)) => return commits.insert(write()).await,
            // In memory, no group commit: the same statement for one token.
            SqlStore::Sqlite(pool, None) => insert_batch(&[&write()]).fetch_all(pool).await?.len() as u64,
            SqlStore::Postgres(pool) => sqlx::query(ROTATE_POSTGRES)
                .bind(successor.family_id.as_uuid())
                .bind(&successor.token_hash)
                .bind(successor.issued_at)
                .bind(successor.expires_at)
                .bind(old_hash)
                .execute(pool)
                .await?
                .rows_affected(),
        };
        Ok(inserted == 1)
    }

    async fn revoke_family(&self, family_id: FamilyId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id.as_uuid())
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn revoke_user_client_tokens(
        &self,
        user_id: Uuid,
        client_id: &ClientId,
        now: i64,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_families SET revoked_at = $3 \
             WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(revoked_families(families))
    }

    async fn revoke_client_tokens(&self, client_id: &ClientId, now: i64) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(client_id.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(revoked_families(families))
    }

    async fn revoke_user_tokens(
        &self,
        user_id: Uuid,
        now: i64,
        include_offline: bool,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_families SET revoked_at = $2 \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($3 OR session IS NOT NULL) RETURNING family_id",
        )
        .bind(user_id)
        .bind(now)
        .bind(include_offline)
        .fetch_all(pool)
        .await)?;
        Ok(revoked_families(families))
    }

    async fn revoke_session_tokens(&self, session: &SessionHandle, now: i64) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_families SET revoked_at = $2 WHERE session = $1 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(session.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(revoked_families(families))
    }
}

/// The families a revocation touched (each a row of its own).
fn revoked_families(rows: Vec<(Uuid,)>) -> Vec<FamilyId> {
    rows.into_iter().map(|(family,)| FamilyId::from_uuid(family)).collect()
}
