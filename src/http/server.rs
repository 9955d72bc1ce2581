//! The HTTP server of a node and the work it runs beside it: binding the
//! listeners (the public one, Prometheus's and the admin console's when
//! configured, and without
//! Redis the admin socket), the key schedule, the back-channel delivery
//! worker and the mail worker, and stopping all of it gracefully.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use super::DiscoveryDocument;
use crate::control::socket::AdminSocket;
use crate::keys::rotation;
use crate::startup::Services;

/// Where a node listens: the public address, and when configured
/// Prometheus's and the admin console's own.
pub struct Listeners {
    pub public: TcpListener,
    pub metrics: Option<TcpListener>,
    pub admin: Option<TcpListener>,
}

impl Listeners {
    /// Binds what `settings` name (port 0: any free port).
    pub fn bind(settings: &crate::config::Settings) -> anyhow::Result<Listeners> {
        let optional = |address: &str, what: &str| -> anyhow::Result<Option<TcpListener>> {
            match address {
                "" => Ok(None),
                address => Ok(Some(
                    TcpListener::bind(address).with_context(|| format!("binding {what} on {address}"))?,
                )),
            }
        };
        Ok(Listeners {
            public: TcpListener::bind(&settings.listen).with_context(|| format!("binding {}", settings.listen))?,
            metrics: optional(&settings.metrics.listen, "metrics")?,
            admin: optional(&settings.admin.listen, "the admin console")?,
        })
    }
}

/// Marks the admin listener's requests: with `admin.listen` set, only they
/// reach the console and the management API.
#[derive(Clone, Copy)]
pub struct AdminListener;

/// Whether this request may reach the console: it is enabled and, when it
/// has a listener of its own, came through it.
pub fn console_served_here(req: &actix_web::HttpRequest, services: &Services) -> bool {
    let admin = &services.settings.admin;
    admin.enabled && (admin.listen.is_empty() || req.app_data::<AdminListener>().is_some())
}

/// One node's app: every route, its state and middleware; `$extra` is
/// more app data (the admin listener's mark).
macro_rules! sesame_app {
    ($data:expr, $discovery:expr, $max_body:expr $(, $extra:expr)?) => {
        App::new()
            .app_data($data.clone())
            .app_data($discovery.clone())
            .app_data(web::PayloadConfig::new($max_body))
            $(.app_data($extra))?
            .wrap(actix_web::middleware::from_fn(super::language::choose))
            .wrap(super::security_headers())
            .wrap(actix_web::middleware::from_fn(super::metrics::observe))
            .wrap(TracingLogger::<super::RequestSpan>::new())
            .configure(super::routes)
    };
}

/// A bound, not yet awaited server. Binding first lets tests use port 0.
pub struct Application {
    port: u16,
    server: Server,
    /// The Prometheus listener (`metrics.listen`), when configured.
    metrics: Option<(u16, Server)>,
    /// The admin console's own listener (`admin.listen`), when configured.
    admin: Option<(u16, Server)>,
    delivery_worker: crate::oidc::logout::delivery::Worker,
    mail_worker: crate::mail::worker::Worker,
    /// Where the CLI reaches this node's memory (no Redis).
    admin_socket: Option<AdminSocket>,
    services: web::Data<Services>,
}

impl Application {
    pub async fn build(services: Services) -> anyhow::Result<Application> {
        let listeners = Listeners::bind(&services.settings)?;
        Self::with_listeners(services, listeners)
    }

    pub fn with_listener(services: Services, listener: TcpListener) -> anyhow::Result<Application> {
        let listeners = Listeners {
            public: listener,
            metrics: None,
            admin: None,
        };
        Self::with_listeners(services, listeners)
    }

    /// Serves on the public listener, Prometheus metrics and the admin
    /// console on theirs when given.
    pub fn with_listeners(services: Services, listeners: Listeners) -> anyhow::Result<Application> {
        let Listeners {
            public: listener,
            metrics: metrics_listener,
            admin: admin_listener,
        } = listeners;
        let port = listener.local_addr()?.port();
        let discovery = web::Data::new(DiscoveryDocument(
            crate::oidc::discovery::document(&services.settings).context("building the discovery document")?,
        ));
        let max_body = services.settings.http.max_body_bytes;
        let workers = services.settings.http.workers;
        let services = web::Data::new(services);
        let admin_socket = match services.settings.redis_url() {
            None if !services.settings.admin_socket.as_os_str().is_empty() => Some(AdminSocket::bind(
                &services.settings.admin_socket,
                services.clone().into_inner(),
            )?),
            _ => None,
        };
        rotation::spawn(services.key_schedule());
        spawn_pruning(services.clone());
        let delivery_worker = crate::oidc::logout::delivery::spawn(Arc::new(services.courier()));
        let mail_worker = crate::mail::worker::spawn(Arc::new(services.postman()));
        let admin = match admin_listener {
            Some(listener) => {
                let admin_port = listener.local_addr()?.port();
                let (data, discovery) = (services.clone(), discovery.clone());
                // The whole app, so that signing in works on its address too.
                let server = HttpServer::new(move || sesame_app!(data, discovery, max_body, AdminListener))
                    .workers(1)
                    .listen(listener)?
                    .disable_signals()
                    .run();
                Some((admin_port, server))
            }
            None => None,
        };
        let data = services.clone();
        let mut server = HttpServer::new(move || sesame_app!(data, discovery, max_body))
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
                        .route("/metrics", web::get().to(super::metrics::scrape))
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
            admin,
            delivery_worker,
            mail_worker,
            admin_socket,
            services,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn admin_port(&self) -> Option<u16> {
        self.admin.as_ref().map(|(port, _)| *port)
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
        let admin = self.admin.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        // Stop signals are caught before the node says it serves: a SIGTERM
        // right after start is a graceful stop too, never a kill.
        let stop = StopSignals::install()?;
        tracing::info!(
            port = self.port,
            issuer = %self.services.settings.issuer,
            "Sesame is serving"
        );
        let handle = self.server.handle();
        let admin_handle = admin.as_ref().map(|(handle, _)| handle.clone());
        let services = self.services.clone();
        tokio::spawn(async move {
            stop.received().await;
            services.draining.store(true, std::sync::atomic::Ordering::Relaxed);
            let drain = Duration::from_secs(services.settings.http.shutdown_drain_secs);
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs(),
                    "stop requested: draining (/readyz answers 503)"
                );
                tokio::time::sleep(drain).await;
            }
            if let Some(admin) = admin_handle {
                admin.stop(true).await;
            }
            handle.stop(true).await;
        });
        let served = self.server.await;
        // Operators' commands stop with the requests: what they change must
        // be in the journal written below.
        drop(self.admin_socket);
        tracing::info!("stopped accepting requests; finishing background work");
        for (handle, task) in metrics.into_iter().chain(admin) {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.delivery_worker.shut_down().await;
        self.mail_worker.shut_down().await;
        if let Err(e) = self.services.ephemeral.flush().await {
            tracing::error!(error = %e, "the store journal could not be written at the stop");
        }
        tracing::info!("stopped");
        served
    }
}

/// Prunes what has served its purpose every `retention.every_secs`, then
/// measures the tables; the first time a minute after start (not in the
/// rush of a restart).
fn spawn_pruning(services: web::Data<Services>) {
    tokio::spawn(async move {
        let every = Duration::from_secs(services.settings.retention.every_secs.max(60));
        tokio::time::sleep(Duration::from_secs(60)).await;
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match services.pruner().prune().await {
                Ok(pruned) => tracing::debug!(?pruned, "pruned"),
                Err(e) => tracing::warn!(error = %e, "pruning failed; trying again later"),
            }
            if let Err(e) = services.pruner().measure().await {
                tracing::warn!(error = %e, "measuring the tables failed; trying again later");
            }
        }
    });
}

/// SIGTERM (an orchestrator stopping the process) or SIGINT (Ctrl-C).
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    async fn received(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => tracing::info!("SIGTERM received"),
            _ = self.interrupt.recv() => tracing::info!("SIGINT received"),
        }
    }
}
