//! Memory per SSO session: resident memory of this process with 100,000
//! active sessions in the in-process store, and bytes per session in Redis
//! (when one answers at `SESAME_BENCH_REDIS_URL`, default
//! redis://127.0.0.1:6379). Each session is what a sign-in creates (the
//! session record, with a browser user agent, and the user's session index),
//! plus one app joined to it as after an authorization. And what a flood of
//! anonymous authorization requests costs: 20,000 of them, each with `state`,
//! `nonce` and `login_hint` at their byte caps, against the real server in
//! this process (they are sealed into the login link, not stored).
//! `cargo bench --bench memory`.

use std::sync::Arc;

use sesame::clock::{SharedClock, SystemClock};
use sesame::config::{Secret, Settings};
use sesame::session::Origin;
use sesame::startup;
use sesame::startup::Services;

const IN_PROCESS_SESSIONS: usize = 100_000;
const REDIS_SESSIONS: usize = 20_000;
const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

async fn services(dir: &std::path::Path, redis: Option<&str>) -> Services {
    let mut settings = Settings::defaults();
    settings.database_url = Secret::new(format!("sqlite://{}", dir.join("memory.db").display()));
    settings.keys_dir = dir.join("keys");
    settings.store_journal = dir.join("store.journal");
    settings.admin_socket = dir.join("admin.sock");
    if let Some(url) = redis {
        settings.redis_url = Secret::new(url);
        settings.redis_prefix = format!("bench-memory:{}:", uuid::Uuid::new_v4().simple());
    }
    let clock: SharedClock = Arc::new(SystemClock);
    startup::build_services(settings, clock).await.expect("services")
}

async fn create_sessions(services: &Services, count: usize) {
    let origin = Origin {
        user_agent: USER_AGENT,
        client_ip: "203.0.113.42",
    };
    for i in 0..count {
        let user = uuid::Uuid::from_u128(i as u128 + 1);
        let sessions = services.sessions();
        let (_, mut live) = sessions
            .start(user, (vec!["pwd".into()], None), &origin)
            .await
            .expect("session");
        sessions
            .join_client(&mut live, &sesame::domain::ClientId::parse("bench-app").unwrap())
            .await
            .expect("join");
    }
}

async fn redis_used_memory(url: &str) -> Option<u64> {
    let client = redis::Client::open(url).ok()?;
    let mut connection = client.get_multiplexed_async_connection().await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await
        .ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
}

const FLOOD_REQUESTS: usize = 20_000;

/// Anonymous `/authorize` requests at the byte caps, 8 at a time; prints the
/// resident memory of this process and the store's entries before and after.
async fn authorize_flood() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = Settings::defaults();
    settings.issuer = format!("http://127.0.0.1:{port}");
    settings.database_url = Secret::new(format!("sqlite://{}", dir.path().join("flood.db").display()));
    settings.keys_dir = dir.path().join("keys");
    settings.store_journal = dir.path().join("store.journal");
    settings.admin_socket = dir.path().join("admin.sock");
    let clock: SharedClock = Arc::new(SystemClock);
    let services = startup::build_services(settings, clock).await.expect("services");
    let client = sesame::admin::add_client(
        &services.client_admin(),
        sesame::admin::NewClient {
            name: "Flood".into(),
            redirect_uris: vec!["http://127.0.0.1/cb".into()],
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .expect("client")
    .client;
    let app = sesame::http::Application::with_listener(services, listener).expect("app");
    let store = app.services();
    tokio::spawn(app.run());
    let url = reqwest::Url::parse_with_params(
        &format!("http://127.0.0.1:{port}/authorize"),
        &[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", &"s".repeat(2048)),
            ("nonce", &"n".repeat(512)),
            ("login_hint", &"h".repeat(512)),
        ],
    )
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let entries_before = store.ephemeral.entry_count().await.unwrap().unwrap_or(0);
    let before = resident_bytes();
    let mut link_bytes = 0;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                let mut last = 0;
                for _ in 0..FLOOD_REQUESTS / 8 {
                    let response = http.get(url.clone()).send().await.unwrap();
                    assert_eq!(response.status(), 303);
                    last = response.headers()["location"].len();
                }
                last
            })
        })
        .collect();
    for task in tasks {
        link_bytes = task.await.unwrap();
    }
    let after = resident_bytes();
    let entries_after = store.ephemeral.entry_count().await.unwrap().unwrap_or(0);
    println!(
        "authorize flood: {FLOOD_REQUESTS} anonymous requests at the byte caps, resident memory {:.1} MiB → {:.1} MiB, \
         ephemeral store entries {entries_before} → {entries_after}, login link {link_bytes} bytes each",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
    );
}

#[tokio::main]
async fn main() {
    authorize_flood().await;
    let dir = tempfile::tempdir().unwrap();
    let services_in_process = services(dir.path(), None).await;
    let before = resident_bytes();
    create_sessions(&services_in_process, IN_PROCESS_SESSIONS).await;
    let after = resident_bytes();
    println!(
        "in-process store: {IN_PROCESS_SESSIONS} sessions, resident memory {:.1} MiB → {:.1} MiB: {:.0} bytes per session",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        (after.saturating_sub(before)) as f64 / IN_PROCESS_SESSIONS as f64
    );
    // The store journal (the default without Redis) after the sessions:
    // the records written, then the compact snapshot a restart makes.
    services_in_process.ephemeral.flush().await.expect("flush");
    let journal = dir.path().join("store.journal");
    let written = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    drop(services_in_process);
    let reopened = services(dir.path(), None).await;
    let snapshot = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    println!(
        "store journal: {IN_PROCESS_SESSIONS} sessions, {:.1} MiB written, {:.1} MiB after the compaction at restart: {:.1} MiB per 10,000 sessions",
        written as f64 / 1048576.0,
        snapshot as f64 / 1048576.0,
        snapshot as f64 / 1048576.0 / (IN_PROCESS_SESSIONS as f64 / 10_000.0)
    );
    drop(reopened);

    let url = std::env::var("SESAME_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let Some(before) = redis_used_memory(&url).await else {
        println!("NOTICE: no Redis at {url}: bytes per session in Redis not measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let services_redis = services(dir.path(), Some(&url)).await;
    create_sessions(&services_redis, REDIS_SESSIONS).await;
    let after = redis_used_memory(&url).await.unwrap_or(before);
    println!(
        "Redis: {REDIS_SESSIONS} sessions, used_memory +{:.1} MiB: {:.0} bytes per session",
        after.saturating_sub(before) as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / REDIS_SESSIONS as f64
    );
}
