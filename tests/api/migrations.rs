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
        match &self.store {
            SqlStore::Sqlite(pool, _) => sqlx::query(sql).bind(id).execute(pool).await.map(|_| ()),
            SqlStore::Postgres(pool) => sqlx::query(sql).bind(id).execute(pool).await.map(|_| ()),
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
    a_binary_older_than_its_database_refuses_to_start
);
