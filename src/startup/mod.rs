//! Assembles a node: the only place that knows every concrete type. It
//! connects the stores and loads the keys; `services` is the wiring that
//! holds them and builds the narrow context each use case takes. Serving
//! them is `http::Application`.

pub mod restore;
mod services;

use std::sync::Arc;

use anyhow::Context;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::keys::{KekRing, KeyRing, Sealer};
use crate::store::cache::{CachedClients, CachedUsers, MarkedFactors};
use crate::store::ephemeral::{JournaledStore, MemoryStore, RedisStore};
use crate::store::sql::SqlStore;
use crate::store::{EphemeralStore, HealthCheck};

pub use self::services::Services;

/// Connects the stores, applies migrations and loads the keys.
pub async fn build_services(settings: Settings, clock: SharedClock) -> anyhow::Result<Services> {
    let sql = Arc::new(connect_sql(&settings).await?);
    let (ephemeral, ephemeral_health): (Arc<dyn EphemeralStore>, Arc<dyn HealthCheck>) = match settings.redis_url() {
        Some(url) => {
            let redis = Arc::new(
                RedisStore::connect(url, &settings.redis_prefix, redis_tls_ca(&settings)?)
                    .await
                    .context("connecting to Redis")?,
            );
            (redis.clone(), Arc::new(EphemeralHealth(redis)))
        }
        None if !settings.store_journal.as_os_str().is_empty() => {
            let path = settings.store_journal.clone();
            let journaled = Arc::new(
                tokio::task::spawn_blocking({
                    let clock = clock.clone();
                    move || JournaledStore::open(&path, clock)
                })
                .await
                .context("opening the store journal")?
                .with_context(|| format!("opening the store journal {}", settings.store_journal.display()))?,
            );
            journaled.flush_every(std::time::Duration::from_millis(settings.store_journal_flush_ms));
            tracing::info!(path = %settings.store_journal.display(), "store journal: sessions and codes survive a restart");
            let store = Arc::new(journaled);
            (store.clone(), Arc::new(EphemeralHealth(store)))
        }
        None => {
            let memory = Arc::new(MemoryStore::new(clock.clone()));
            (memory.clone(), Arc::new(EphemeralHealth(memory)))
        }
    };
    let kek =
        KekRing::load(&settings.keys_dir, &settings.keys.encryption_key).context("loading the key-encryption key")?;
    tokio::task::spawn_blocking(crate::auth::password::warm_up);
    let outbound = crate::outbound::client(&settings.outbound).context("building the outbound HTTP client")?;
    let fetcher = crate::outbound::Fetcher::new(
        outbound.clone(),
        crate::outbound::AddressPolicy::from_settings(&settings.outbound),
        clock.clone(),
    );
    let clients = Arc::new(CachedClients::new(sql.clone(), ephemeral.clone(), clock.clone()));
    let users = Arc::new(CachedUsers::new(sql.clone(), ephemeral.clone(), clock.clone()));
    let second_factors = Arc::new(MarkedFactors::new(sql.clone(), ephemeral.clone()));
    let webauthn = relying_party(&settings.issuer);
    let settings_mail = settings.mail.clone();
    let look = Arc::new(look(&settings.ui)?);
    let upstreams = Arc::new(
        crate::federation::Upstreams::new(
            &settings.upstreams,
            std::time::Duration::from_secs(settings.outbound.timeout_secs),
        )
        .context("setting up the upstream providers' HTTP client")?,
    );
    let directory = crate::directory::Directory::new(&settings.ldap)?.map(Arc::new);
    let mut health: Vec<(&'static str, Arc<dyn HealthCheck>)> =
        vec![("database", sql.clone()), ("ephemeral_store", ephemeral_health)];
    if let Some(directory) = &directory {
        health.push(("directory", Arc::new(DirectoryHealth(directory.clone()))));
    }
    let gateway_rules =
        Arc::new(crate::gateway::check_settings(&settings.gateway, &settings.issuer).map_err(|e| anyhow::anyhow!(e))?);
    let services = Services {
        look,
        gateway_rules,
        gateway_assertions: Arc::default(),
        settings,
        clock,
        users,
        clients,
        consents: sql.clone(),
        groups: sql.clone(),
        audit: sql.clone(),
        ephemeral,
        sealer: Arc::new(Sealer::new(kek.clone())),
        keys: Arc::new(KeyRing::new(kek)),
        key_store: sql.clone(),
        outbox: sql.clone(),
        refresh_tokens: sql.clone(),
        registration_tokens: sql.clone(),
        second_factors,
        retention: sql.clone(),
        mail: sql.clone(),
        mail_transport: Arc::new(
            crate::mail::transport::Transport::from_settings(&settings_mail).context("setting up mail")?,
        ),
        webauthn,
        outbound,
        upstreams,
        links: sql.clone(),
        directory,
        fetcher,
        health,
        draining: Default::default(),
    };
    // Keys exist (created on first start) and are loaded before anything signs.
    services.key_rotation().tick().await.context("loading signing keys")?;
    Ok(services)
}

/// The messages and branding pages are made with, read once: a theme that
/// cannot be read stops the start with its path.
pub fn look(ui: &crate::config::UiSettings) -> anyhow::Result<crate::ui::Look> {
    let catalogue = crate::ui::Catalogue::load(&ui.default_language, ui.theme_dir())?;
    let brand = crate::ui::Brand::load(&crate::ui::BrandSettings {
        product_name: &ui.product_name,
        logo: ui.logo(),
        accent_colour: ui.accent_colour(),
        theme_dir: ui.theme_dir(),
    })?;
    Ok(crate::ui::Look { catalogue, brand })
}

/// The WebAuthn relying party for the issuer, or `None` with a warning.
fn relying_party(issuer: &str) -> Option<Arc<webauthn_rs::Webauthn>> {
    match crate::auth::webauthn::relying_party(issuer) {
        Ok(webauthn) => Some(Arc::new(webauthn)),
        Err(reason) => {
            tracing::warn!("{reason}; passkeys and security keys are off");
            None
        }
    }
}

/// Opens the SQL store and applies migrations.
pub async fn connect_sql(settings: &Settings) -> anyhow::Result<SqlStore> {
    let sql = SqlStore::connect(settings.database_url.expose(), settings.database_max_connections)
        .await
        .context("connecting to the database")?;
    sql.migrate().await.context("applying database migrations")?;
    Ok(sql)
}

struct EphemeralHealth<T>(Arc<T>);

#[async_trait::async_trait]
impl<T: EphemeralStore> HealthCheck for EphemeralHealth<T> {
    async fn ping(&self) -> Result<(), crate::store::StoreError> {
        self.0.ping().await
    }
}

struct DirectoryHealth(Arc<crate::directory::Directory>);

#[async_trait::async_trait]
impl HealthCheck for DirectoryHealth {
    async fn ping(&self) -> Result<(), crate::store::StoreError> {
        Ok(self.0.ping().await?)
    }
}

/// The CA certificate `redis_tls_ca_file` names, if any.
fn redis_tls_ca(settings: &Settings) -> anyhow::Result<Option<Vec<u8>>> {
    if settings.redis_tls_ca_file.is_empty() {
        return Ok(None);
    }
    let pem = std::fs::read(&settings.redis_tls_ca_file)
        .with_context(|| format!("reading redis_tls_ca_file {}", settings.redis_tls_ca_file))?;
    Ok(Some(pem))
}
