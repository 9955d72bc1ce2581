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

const INSERT: &str = "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, sid, session, \
     auth_time, amr, issued_at, expires_at, family_expires_at, resource) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// Rotation in one statement on PostgreSQL: the UPDATE takes the parent's row
/// lock, so of two concurrent rotations the second finds it consumed and
/// inserts nothing.
const ROTATE_POSTGRES: &str = "WITH parent AS (UPDATE refresh_tokens SET consumed_at = $10 \
     WHERE token_hash = $13 AND consumed_at IS NULL AND revoked_at IS NULL \
     AND EXISTS (SELECT 1 FROM users u WHERE u.id = refresh_tokens.user_id AND NOT u.disabled) RETURNING token_hash) \
     INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, sid, session, auth_time, amr, \
     issued_at, expires_at, family_expires_at, parent_hash, resource) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, token_hash, $14 FROM parent";

static FIND: LazyLock<String> = LazyLock::new(|| format!("SELECT {COLUMNS} FROM refresh_tokens WHERE token_hash = $1"));

/// A LEFT JOIN: a token whose account was deleted is found, unusable. (No
/// column of `refresh_tokens` has a name that `users` also has.)
static FIND_WITH_HOLDER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS}, (u.id IS NOT NULL AND NOT u.disabled) AS holder_active \
         FROM refresh_tokens LEFT JOIN users u ON u.id = refresh_tokens.user_id WHERE token_hash = $1"
    )
});

const COLUMNS: &str = "token_hash, family_id, client_id, user_id, scopes, sid, session, auth_time, amr, resource, \
     issued_at, expires_at, family_expires_at, consumed_at, revoked_at";

/// Binds a token's columns to `INSERT`.
macro_rules! bind_token {
    ($query:expr, $t:expr) => {
        $query
            .bind(&$t.token_hash)
            .bind($t.family_id.as_uuid())
            .bind($t.client_id.as_str())
            .bind($t.user_id)
            .bind($t.scopes.to_string())
            .bind($t.sid.as_str())
            .bind($t.session.as_ref().map(SessionHandle::as_str))
            .bind($t.auth_time)
            .bind($t.amr.join(" "))
            .bind($t.issued_at)
            .bind($t.expires_at)
            .bind($t.family_expires_at)
    };
}

/// A refresh token for the group commit to store: with `parent`, a
/// rotation (stored only while the parent is current and its holder
/// active, consuming the parent).
#[derive(Debug)]
pub(super) struct NewRefreshToken {
    pub token: RefreshToken,
    pub parent: Option<String>,
}

/// One statement storing every token of a batch, on SQLite: a successor
/// only while its parent is current and its holder active (the trigger of
/// migration 0009 consumes the parent), all under the write lock the
/// statement takes first; the digests of the tokens stored come back. Every
/// parent is checked before anything is inserted, so a batch must not name
/// a parent twice.
pub(super) fn insert_batch(writes: &[&NewRefreshToken]) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    use std::fmt::Write;
    const VALUES_PER_TOKEN: usize = 14;
    let mut sql = String::from(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, sid, session, auth_time, \
         amr, issued_at, expires_at, family_expires_at, parent_hash, resource) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, \
         v.column10, v.column11, v.column12, v.column13, v.column14 FROM (VALUES ",
    );
    for row in 0..writes.len() {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for value in 1..=VALUES_PER_TOKEN {
            let separator = if value == 1 { "" } else { ", " };
            let _ = write!(sql, "{separator}${}", row * VALUES_PER_TOKEN + value);
        }
        sql.push(')');
    }
    sql.push_str(
        ") AS v WHERE v.column13 IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens p \
         WHERE p.token_hash = v.column13 AND p.consumed_at IS NULL AND p.revoked_at IS NULL \
         AND EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND NOT u.disabled)) \
         RETURNING token_hash",
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for write in writes {
        query = bind_token!(query, write.token)
            .bind(write.parent.clone())
            .bind(write.token.resource.clone());
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
        on_pool!(self, pool => bind_token!(sqlx::query(INSERT), token)
            .bind(token.resource.as_deref())
            .execute(pool)
            .await
            .map(|_| ()))?;
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
            SqlStore::Postgres(pool) => bind_token!(sqlx::query(ROTATE_POSTGRES), successor)
                .bind(old_hash)
                .bind(successor.resource.as_deref())
                .execute(pool)
                .await?
                .rows_affected(),
        };
        Ok(inserted == 1)
    }

    async fn revoke_family(&self, family_id: FamilyId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
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
            "UPDATE refresh_tokens SET revoked_at = $3 \
             WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(user_id)
        .bind(client_id.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(distinct_families(families))
    }

    async fn revoke_client_tokens(&self, client_id: &ClientId, now: i64) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(client_id.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(distinct_families(families))
    }

    async fn revoke_user_tokens(
        &self,
        user_id: Uuid,
        now: i64,
        include_offline: bool,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_tokens SET revoked_at = $2 \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($3 OR session IS NOT NULL) RETURNING family_id",
        )
        .bind(user_id)
        .bind(now)
        .bind(include_offline)
        .fetch_all(pool)
        .await)?;
        Ok(distinct_families(families))
    }

    async fn revoke_session_tokens(&self, session: &SessionHandle, now: i64) -> Result<Vec<FamilyId>, StoreError> {
        let families: Vec<(Uuid,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE session = $1 AND revoked_at IS NULL RETURNING family_id",
        )
        .bind(session.as_str())
        .bind(now)
        .fetch_all(pool)
        .await)?;
        Ok(distinct_families(families))
    }
}

/// The families of the rows a revocation touched, each once.
fn distinct_families(rows: Vec<(Uuid,)>) -> Vec<FamilyId> {
    let mut families: Vec<Uuid> = rows.into_iter().map(|(f,)| f).collect();
    families.sort();
    families.dedup();
    families.into_iter().map(FamilyId::from_uuid).collect()
}
