//! Assembles the application: the only place that knows every concrete type.
//! `services` is the wiring: every store, the keys and the settings, and the
//! narrow context each use case takes, built from them.

mod services;

pub use self::services::Services;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::http;
use crate::http::DiscoveryDocument;
use crate::keys::{KekRing, KeyRing, Sealer, rotation};
use crate::store::cache::{CachedClients, CachedUsers};
use crate::store::ephemeral::{MemoryStore, RedisStore};
use crate::store::sql::SqlStore;
use crate::store::{EphemeralStore, HealthCheck};

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
    let services = Services {
        settings,
        clock,
        users,
        clients,
        consents: sql.clone(),
        audit: sql.clone(),
        ephemeral,
        sealer: Arc::new(Sealer::new(kek.clone())),
        keys: Arc::new(KeyRing::new(kek)),
        key_store: sql.clone(),
        outbox: sql.clone(),
        refresh_tokens: sql.clone(),
        registration_tokens: sql.clone(),
        outbound,
        fetcher,
        health: vec![("database", sql), ("ephemeral_store", ephemeral_health)],
        draining: Default::default(),
    };
    // Keys exist (created on first start) and are loaded before anything signs.
    services.key_rotation().tick().await.context("loading signing keys")?;
    Ok(services)
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

/// A bound, not yet awaited server. Binding first lets tests use port 0.
pub struct Application {
    port: u16,
    server: Server,
    /// The Prometheus listener (`metrics.listen`), when configured.
    metrics: Option<(u16, Server)>,
    delivery_worker: crate::oidc::logout::delivery::Worker,
    services: web::Data<Services>,
}

impl Application {
    pub async fn build(services: Services) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&services.settings.listen)
            .with_context(|| format!("binding {}", services.settings.listen))?;
        let metrics_listener = match services.settings.metrics.listen.as_str() {
            "" => None,
            address => Some(TcpListener::bind(address).with_context(|| format!("binding metrics on {address}"))?),
        };
        Self::with_listeners(services, listener, metrics_listener)
    }

    pub fn with_listener(services: Services, listener: TcpListener) -> anyhow::Result<Application> {
        Self::with_listeners(services, listener, None)
    }

    /// Serves on `listener`, and Prometheus metrics on `metrics_listener`.
    pub fn with_listeners(
        services: Services,
        listener: TcpListener,
        metrics_listener: Option<TcpListener>,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let discovery = web::Data::new(DiscoveryDocument(
            crate::oidc::discovery::document(&services.settings).context("building the discovery document")?,
        ));
        let max_body = services.settings.http.max_body_bytes;
        let workers = services.settings.http.workers;
        let services = web::Data::new(services);
        rotation::spawn(services.key_schedule());
        let delivery_worker = crate::oidc::logout::delivery::spawn(Arc::new(services.courier()));
        let data = services.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(discovery.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .wrap(http::security_headers())
                .wrap(actix_web::middleware::from_fn(crate::http::metrics::observe))
                .wrap(TracingLogger::<http::RequestSpan>::new())
                .configure(http::routes)
        })
        .listen(listener)?
        // Signals are handled in `run`, which drains before stopping.
        .disable_signals();
        if workers > 0 {
            server = server.workers(workers);
        }
        let metrics = match metrics_listener {
            Some(listener) => {
                crate::observability::install_recorder();
                let metrics_port = listener.local_addr()?.port();
                let data = services.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/metrics", web::get().to(crate::http::metrics::scrape))
                })
                .workers(1)
                .listen(listener)?
                .run();
                Some((metrics_port, server))
            }
            None => None,
        };
        Ok(Application {
            port,
            server: server.run(),
            metrics,
            delivery_worker,
            services,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn services(&self) -> web::Data<Services> {
        self.services.clone()
    }

    /// Serves until the process is told to stop. SIGINT/SIGTERM turn
    /// `/readyz` to 503 and keep serving for `http.shutdown_drain_secs`, then
    /// stop accepting connections and let in-flight requests finish (up to
    /// 30 s); then the logout delivery worker finishes the attempts it has
    /// started.
    pub async fn run(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let handle = self.server.handle();
        let services = self.services.clone();
        tokio::spawn(async move {
            if let Err(e) = stop_signal().await {
                tracing::error!(error = %e, "cannot listen for stop signals");
                return;
            }
            services.draining.store(true, std::sync::atomic::Ordering::Relaxed);
            let drain = Duration::from_secs(services.settings.http.shutdown_drain_secs);
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs(),
                    "stop requested: draining (/readyz answers 503)"
                );
                tokio::time::sleep(drain).await;
            }
            handle.stop(true).await;
        });
        let served = self.server.await;
        tracing::info!("stopped accepting requests; finishing background work");
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.delivery_worker.shut_down().await;
        tracing::info!("stopped");
        served
    }
}

/// SIGTERM (an orchestrator stopping the process) or SIGINT (Ctrl-C).
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = interrupt.recv() => tracing::info!("SIGINT received"),
    }
    Ok(())
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
