use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::{Role, User, Username};
use crate::store::{StoreError, UserRepository};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    username: String,
    email: Option<String>,
    email_verified: bool,
    display_name: Option<String>,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
    password_hash: String,
    roles: String,
}

/// The user columns, followed by a literal `WHERE` clause.
macro_rules! select_user {
    ($filter:literal) => {
        concat!(
            "SELECT id, username, email, email_verified, display_name, disabled, ",
            "created_at, updated_at, password_hash, roles FROM users ",
            $filter
        )
    };
}

impl UserRow {
    fn into_user(self) -> Result<(User, String), StoreError> {
        let username = Username::parse(&self.username).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let user = User {
            id: self.id,
            username,
            email: self.email,
            email_verified: self.email_verified,
            display_name: self.display_name,
            disabled: self.disabled,
            // An unknown role (written by a newer version) grants nothing.
            roles: self.roles.split_whitespace().filter_map(Role::parse).collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        Ok((user, self.password_hash))
    }
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ")
}

#[async_trait]
impl UserRepository for SqlStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO users (id, username, email, email_verified, display_name, password_hash, \
             disabled, created_at, updated_at, roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(user.id)
        .bind(user.username.as_str())
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(user.display_name.as_deref())
        .bind(password_hash)
        .bind(user.disabled)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(roles_text(&user.roles))
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_as("a user with this username"))?;
        Ok(())
    }

    async fn set_disabled(&self, id: Uuid, disabled: bool, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(disabled)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn set_password_hash(&self, id: Uuid, password_hash: &str, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn set_roles(&self, id: Uuid, roles: &[Role], now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(roles_text(roles))
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn find_by_email(&self, email: &str) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(select_user!("WHERE LOWER(email) = LOWER($1) ORDER BY username LIMIT 10"))
                .bind(email)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(|r| r.into_user().map(|(user, _)| user)).collect()
    }

    async fn delete_user(&self, id: Uuid) -> Result<bool, StoreError> {
        // Consents, second factors and passkeys go with it (ON DELETE CASCADE).
        let deleted = on_pool!(self, pool => sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0))?;
        Ok(deleted)
    }

    async fn set_email(&self, id: Uuid, email: Option<&str>, verified: bool, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE users SET email = $2, email_verified = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(email)
        .bind(verified)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn set_display_name(&self, id: Uuid, name: Option<&str>, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE users SET display_name = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(select_user!("ORDER BY username")).fetch_all(pool).await
        })?;
        rows.into_iter().map(|r| r.into_user().map(|(user, _)| user)).collect()
    }

    async fn search_users(&self, query: &str, after: &str, limit: u32) -> Result<Vec<User>, StoreError> {
        // `query` is matched literally: LIKE's wildcards in it are escaped.
        let escaped: String = query
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let rows: Vec<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(select_user!(
                "WHERE username > $1 AND ($2 = '%%' OR LOWER(username) LIKE $2 ESCAPE '\\' \
                 OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\') ORDER BY username LIMIT $3"
            ))
            .bind(after)
            .bind(&pattern)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(|r| r.into_user().map(|(user, _)| user)).collect()
    }

    async fn find_user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(select_user!("WHERE id = $1")).bind(id).fetch_optional(pool).await
        })?;
        Ok(row.map(UserRow::into_user).transpose()?.map(|(user, _)| user))
    }

    async fn find_credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(select_user!("WHERE username = $1"))
                .bind(username.as_str())
                .fetch_optional(pool)
                .await
        })?;
        row.map(UserRow::into_user).transpose()
    }
}
