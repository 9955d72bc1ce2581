//! Schema upgrades: a database left at any schema version this project has
//! shipped upgrades to the current one at start with its accounts and
//! clients intact, on both databases; a binary older than its database's
//! schema refuses to start instead of misreading it.

use sesame::store::sql::{MigrateError, SqlStore};
use sesame::store::{ClientRepository, UserRepository};
use sqlx::Connection;
use uuid::Uuid;

use crate::helpers::{Backend, postgres_admin_url};
use crate::on_both_backends;

/// An empty database of `backend`'s kind, dropped (PostgreSQL) by `cleanup`.
struct Scratch {
    store: SqlStore,
    postgres: Option<String>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    async fn new(backend: Backend) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match backend {
            Backend::SqliteMemory => (format!("sqlite://{}", dir.path().join("old.db").display()), None),
            Backend::PostgresRedis => {
                let name = format!("sesame_migrate_{}", Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
                url.set_path(&name);
                (url.to_string(), Some(name))
            }
        };
        Scratch {
            store: SqlStore::connect(&url, 2).await.unwrap(),
            postgres,
            _dir: dir,
        }
    }

    async fn cleanup(self) {
        self.store.close().await;
        if let Some(name) = self.postgres {
            let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }

    /// Runs `sql` (written for both databases) with a UUID as `$1`.
    async fn execute(&self, sql: &'static str, id: Uuid) {
        self.execute_with(sql, &[id]).await;
    }

    /// Runs `sql` (written for both databases) with `ids` as `$1`, `$2`, …
    async fn execute_with(&self, sql: &'static str, ids: &[Uuid]) {
        match &self.store {
            SqlStore::Sqlite(pool, _) => {
                let mut query = sqlx::query(sql);
                for id in ids {
                    query = query.bind(*id);
                }
                query.execute(pool).await.map(|_| ())
            }
            SqlStore::Postgres(pool) => {
                let mut query = sqlx::query(sql);
                for id in ids {
                    query = query.bind(*id);
                }
                query.execute(pool).await.map(|_| ())
            }
        }
        .unwrap();
    }
}

/// Rows written in the shape of the first schema, which every later one
/// has carried forward.
const FIRST_USER: &str = "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) \
                          VALUES ($1, 'alice', 'alice@example.com', 'not-a-hash', 1, 1)";
const FIRST_CLIENT: &str = "INSERT INTO clients (client_id, secret_hash, client_type, token_endpoint_auth_method, \
                            name, redirect_uris, post_logout_redirect_uris, allowed_scopes, grant_types, \
                            created_at, updated_at) VALUES ('shop', NULL, 'public', 'none', 'Shop', \
                            '[\"https://shop.example/cb\"]', '[]', 'openid', 'authorization_code', 1, 1)";

async fn every_shipped_schema_upgrades_to_the_current_one(backend: Backend) {
    let first = Scratch::new(backend).await;
    let versions: Vec<i64> = first.store.migrations().iter().map(|m| m.version).collect();
    first.cleanup().await;
    assert!(versions.len() >= 15);
    for version in versions {
        let old = Scratch::new(backend).await;
        let migrations = old.store.migrations();
        match &old.store {
            SqlStore::Sqlite(pool, _) => migrations.run_to(version, pool).await.unwrap(),
            SqlStore::Postgres(pool) => migrations.run_to(version, pool).await.unwrap(),
        }
        assert_eq!(old.store.schema_version().await.unwrap(), Some(version));
        let id = Uuid::now_v7();
        old.execute(FIRST_USER, id).await;
        old.execute(FIRST_CLIENT, id).await;

        old.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("from {version}: {e}"));
        let user = old.store.find_user(id).await.unwrap().expect("the account is kept");
        assert_eq!(user.username.as_str(), "alice");
        assert!(!user.disabled && user.roles.is_empty());
        let shop = sesame::domain::ClientId::parse("shop").unwrap();
        let client = old.store.find_client(&shop).await.unwrap().expect("the client is kept");
        assert_eq!(client.redirect_uris.len(), 1);
        assert_eq!(client.redirect_uris[0].as_str(), "https://shop.example/cb");
        assert!(!client.require_second_factor && client.audiences.is_empty());
        old.cleanup().await;
    }
}

/// Refresh tokens in the one-table shape of migrations 0005 – 0020 (user
/// `$1`; a family `$2` whose first token was rotated, and a revoked family
/// `$3`).
const UNSPLIT_REFRESH_TOKENS: &str = "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, \
     sid, session, auth_time, amr, issued_at, expires_at, family_expires_at, consumed_at, revoked_at, parent_hash, \
     resource) VALUES \
     ('first', $2, 'shop', $1, 'openid offline_access', 'sid-1', NULL, 5, 'pwd otp', 10, 4000000000, 4000000000, \
      20, NULL, NULL, 'https://api.example'), \
     ('second', $2, 'shop', $1, 'openid offline_access', 'sid-1', NULL, 5, 'pwd otp', 20, 4000000000, 4000000000, \
      NULL, NULL, 'first', 'https://api.example'), \
     ('revoked', $3, 'shop', $1, 'openid', 'sid-2', 'session-2', 7, 'pwd', 30, 4000000000, 4000000000, \
      NULL, 40, NULL, NULL)";

/// The last schema that kept every refresh token's grant on its own row.
const LAST_UNSPLIT_SCHEMA: i64 = 20261204000020;

/// Refresh tokens issued before families got a table of their own keep
/// working after the upgrade: current ones rotate, consumed ones stay
/// consumed (a replay is still seen) and revoked ones stay revoked.
async fn refresh_tokens_survive_the_split_into_families(backend: Backend) {
    use sesame::store::RefreshTokenRepository;
    let old = Scratch::new(backend).await;
    let migrations = old.store.migrations();
    match &old.store {
        SqlStore::Sqlite(pool, _) => migrations.run_to(LAST_UNSPLIT_SCHEMA, pool).await.unwrap(),
        SqlStore::Postgres(pool) => migrations.run_to(LAST_UNSPLIT_SCHEMA, pool).await.unwrap(),
    }
    let (user, family, revoked_family) = (Uuid::now_v7(), Uuid::new_v4(), Uuid::new_v4());
    old.execute(FIRST_USER, user).await;
    old.execute(FIRST_CLIENT, user).await;
    old.execute_with(UNSPLIT_REFRESH_TOKENS, &[user, family, revoked_family])
        .await;
    old.store.migrate().await.unwrap();

    let store = &old.store;
    let current = store.find_refresh_token("second").await.unwrap().expect("kept");
    assert_eq!(current.family_id.as_uuid(), family);
    assert_eq!((current.client_id.as_str(), current.user_id), ("shop", user));
    assert_eq!(current.scopes.to_string(), "openid offline_access");
    assert_eq!((current.sid.as_str(), current.session.is_none()), ("sid-1", true));
    assert_eq!((current.auth_time, current.amr.join(" ")), (5, "pwd otp".to_string()));
    assert_eq!(current.resource.as_deref(), Some("https://api.example"));
    assert_eq!(
        (current.issued_at, current.consumed_at, current.revoked_at),
        (20, None, None)
    );
    let first = store.find_refresh_token("first").await.unwrap().expect("kept");
    assert_eq!(first.consumed_at, Some(20), "a replay of it is still recognised");
    let revoked = store.find_refresh_token("revoked").await.unwrap().expect("kept");
    assert_eq!(revoked.revoked_at, Some(40));
    assert_eq!(revoked.session.as_ref().map(|s| s.as_str()), Some("session-2"));

    let successor = |hash: &str, of: &sesame::domain::RefreshToken| sesame::domain::RefreshToken {
        token_hash: hash.into(),
        issued_at: 50,
        consumed_at: None,
        ..of.clone()
    };
    assert!(
        store
            .rotate_refresh_token("second", &successor("third", &current))
            .await
            .unwrap()
    );
    assert_eq!(
        store.find_refresh_token("second").await.unwrap().unwrap().consumed_at,
        Some(50)
    );
    assert!(
        !store
            .rotate_refresh_token("first", &successor("fork", &first))
            .await
            .unwrap()
    );
    assert!(
        !store
            .rotate_refresh_token("revoked", &successor("after", &revoked))
            .await
            .unwrap()
    );
    old.cleanup().await;
}

async fn a_binary_older_than_its_database_refuses_to_start(backend: Backend) {
    let newer = Scratch::new(backend).await;
    newer.store.migrate().await.unwrap();
    let future = newer.store.migrations().iter().map(|m| m.version).max().unwrap() + 1;
    match &newer.store {
        SqlStore::Sqlite(pool, _) => sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, 'from the future', TRUE, x'00', 0)",
        )
        .bind(future)
        .execute(pool)
        .await
        .map(|_| ()),
        SqlStore::Postgres(pool) => sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, 'from the future', TRUE, '\\x00', 0)",
        )
        .bind(future)
        .execute(pool)
        .await
        .map(|_| ()),
    }
    .unwrap();
    let refused = newer.store.migrate().await.expect_err("a newer schema is refused");
    assert!(matches!(refused, MigrateError::NewerSchema { database, .. } if database == future));
    assert!(refused.to_string().contains("upgraded by a newer Sesame"), "{refused}");
    newer.cleanup().await;
}

on_both_backends!(
    every_shipped_schema_upgrades_to_the_current_one,
    refresh_tokens_survive_the_split_into_families,
    a_binary_older_than_its_database_refuses_to_start
);
