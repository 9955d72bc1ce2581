//! Sesame beside panva's `oidc-provider` (OpenID Certified, Node.js), on the
//! same machine, in the same run, with the same load generator:
//!
//! (a) full SSO authorization-code flows (authorize with a session cookie →
//!     code → token with PKCE and an RS256 ID token → userinfo),
//! (b) `client_credentials`, (c) refresh grants (rotating), (d) password
//!     sign-ins (Sesame only: the peer has no account store), (e) JWKS and
//!     discovery, (f) sign-ins with password and an authenticator-app code
//!     (Sesame only; every sign-in is another account, a code being
//!     accepted once), (g) passkey sign-ins (Sesame only, on a server of its
//!     own named `localhost`, as WebAuthn needs a domain; the load
//!     generator's authenticator is `webauthn-authenticator-rs`'s software
//!     passkey).
//!
//! Each server runs as its own process on its default settings (Node is
//! single threaded; Sesame runs a worker per core, with every rate limit and
//! throttle as shipped): Sesame on SQLite and its in-process store,
//! oidc-provider on its in-memory adapter. Every response is checked, so a
//! run that completes had no 429. The figure that matters is requests per
//! CPU-second of the server process (user + system time from /proc), which
//! does not depend on how the two cores are shared with the load generator.
//!
//! `cargo bench --bench peer` (installs the peer with npm on first run; with
//! no Node.js it measures Sesame alone and says so; `BENCH_PEER=off`
//! skips the peer; `BENCH_BACKEND=postgres-redis` runs Sesame on the
//! PostgreSQL and Redis of the test suite instead of its embedded defaults;
//! `BENCH_SCENARIOS=ac` runs only the scenarios listed).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use support::{REDIRECT_URI, free_port, pkce, resident_bytes};

const RUN_FOR: Duration = Duration::from_secs(5);
const CONCURRENCY: usize = 8;
const PASSWORD: &str = "bench password 123";

/// A server under test: its process and how to talk to it.
struct Server {
    process: Child,
    info: ServerInfo,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Server {
    /// User + system CPU time of the server process so far.
    fn cpu_time(&self) -> Duration {
        cpu_time(self.process.id())
    }
}

fn cpu_time(pid: u32) -> Duration {
    process_cpu(pid).expect("/proc/PID/stat")
}

/// User + system CPU time of a process, if it is (still) there.
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / 100.0)) // USER_HZ is 100 on Linux
}

/// With `BENCH_BACKEND=postgres-redis`: the CPU time of every PostgreSQL
/// and Redis process on the machine (the backends, the checkpointer, the
/// WAL writer…), for what an operator pays in total beside Sesame.
fn services_cpu() -> Option<Duration> {
    if !matches!(STORAGE.get(), Some(Storage::PostgresRedis { .. })) {
        return None;
    }
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if matches!(comm.trim(), "postgres" | "redis-server") {
            total += process_cpu(pid).unwrap_or_default();
        }
    }
    Some(total)
}

async fn wait_until_up(issuer: &str) {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(response) = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{issuer} did not come up");
}

async fn discover(issuer: &str) -> serde_json::Value {
    reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Where Sesame keeps its data: its embedded defaults, or (with
/// `BENCH_BACKEND=postgres-redis`) a fresh database on the PostgreSQL at
/// 127.0.0.1:5432 and the Redis at 127.0.0.1:6379, as several nodes would.
#[derive(Clone)]
enum Storage {
    Embedded,
    PostgresRedis { database_url: String, redis_prefix: String },
}

impl Storage {
    async fn from_env() -> Storage {
        if std::env::var("BENCH_BACKEND").as_deref() != Ok("postgres-redis") {
            return Storage::Embedded;
        }
        use sqlx::Connection;
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
            .await
            .expect("PostgreSQL on 127.0.0.1:5432");
        sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut admin)
            .await
            .expect("create the bench database");
        Storage::PostgresRedis {
            database_url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            redis_prefix: format!("{name}:"),
        }
    }

    /// Drops the bench's database, if it made one.
    async fn clean_up(&self) {
        use sqlx::Connection;
        let Storage::PostgresRedis { database_url, .. } = self else {
            return;
        };
        let name = database_url.rsplit('/').next().unwrap_or_default();
        if let Ok(mut admin) = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await {
            let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await;
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Storage::Embedded => "SQLite + in-process store",
            Storage::PostgresRedis { .. } => "PostgreSQL + Redis",
        }
    }
}

static STORAGE: std::sync::OnceLock<Storage> = std::sync::OnceLock::new();

fn sesame_command(dir: &Path, port: u16) -> Command {
    let mut command = support::sesame_command();
    match STORAGE.get().unwrap_or(&Storage::Embedded) {
        Storage::Embedded => {
            command.env(
                "SESAME_DATABASE_URL",
                format!("sqlite://{}", dir.join("bench.db").display()),
            );
        }
        Storage::PostgresRedis {
            database_url,
            redis_prefix,
        } => {
            command
                .env("SESAME_DATABASE_URL", database_url)
                .env("SESAME_REDIS_URL", "redis://127.0.0.1:6379")
                .env("SESAME_REDIS_PREFIX", redis_prefix);
        }
    }
    command
        .current_dir(dir)
        .env("SESAME_KEYS_DIR", dir.join("keys"))
        .env("SESAME_ISSUER", format!("http://127.0.0.1:{port}"))
        .env("SESAME_LISTEN", format!("127.0.0.1:{port}"));
    command
}

fn sesame_cli(dir: &Path, port: u16, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    support::run_cli(sesame_command(dir, port), args, stdin)
}

async fn start_sesame(dir: &Path, extra_env: &[(&str, &str)]) -> Server {
    start_sesame_as(dir, "127.0.0.1", extra_env).await
}

/// Sesame with the issuer `http://{host}:port` (WebAuthn needs a domain
/// name: `localhost`); it listens on 127.0.0.1 either way.
async fn start_sesame_as(dir: &Path, host: &str, extra_env: &[(&str, &str)]) -> Server {
    let port = free_port();
    sesame_cli(
        dir,
        port,
        &["user", "add", "bench", "--email", "bench@example.com"],
        Some(PASSWORD),
    );
    if wanted('f') {
        for i in 0..TOTP_ACCOUNTS {
            sesame_cli(dir, port, &["user", "add", &format!("mfa-{i}")], Some(PASSWORD));
        }
    }
    let app = sesame_cli(
        dir,
        port,
        &[
            "client",
            "add",
            "--name",
            "Bench App",
            "--redirect-uri",
            REDIRECT_URI,
            "--first-party",
            "--json",
        ],
        None,
    );
    let service = sesame_cli(
        dir,
        port,
        &[
            "client",
            "add",
            "--name",
            "Bench Service",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    );
    let process = sesame_command(dir, port)
        .env("SESAME_ISSUER", format!("http://{host}:{port}"))
        .envs(extra_env.iter().copied())
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let issuer = format!("http://{host}:{port}");
    wait_until_up(&issuer).await;
    let field = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
    server(
        "Sesame",
        process,
        issuer,
        (field(&app, "client_id"), field(&app, "client_secret")),
        (field(&service, "client_id"), field(&service, "client_secret")),
    )
    .await
}

async fn server(
    name: &'static str,
    process: Child,
    issuer: String,
    app: (String, String),
    service: (String, String),
) -> Server {
    let metadata = discover(&issuer).await;
    let endpoint = |k: &str| metadata[k].as_str().unwrap().to_string();
    Server {
        info: ServerInfo {
            name,
            authorization_endpoint: endpoint("authorization_endpoint"),
            token_endpoint: endpoint("token_endpoint"),
            userinfo_endpoint: endpoint("userinfo_endpoint"),
            jwks_uri: endpoint("jwks_uri"),
            issuer,
            app,
            service,
        },
        process,
    }
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer")
}

/// Installs the peer (npm, first run only) and starts it; `None` without Node.js.
async fn start_peer() -> Option<Server> {
    let dir = peer_dir();
    if Command::new("node").arg("--version").output().is_err() {
        println!("NOTICE: no Node.js on this machine: the peer (oidc-provider) is not measured");
        return None;
    }
    if !dir.join("node_modules/oidc-provider").exists() {
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .status()
            .ok()?;
        if !status.success() {
            println!("NOTICE: npm install failed: the peer (oidc-provider) is not measured");
            return None;
        }
    }
    let port = free_port();
    let process = Command::new("node")
        .arg(dir.join("server.mjs"))
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let issuer = format!("http://127.0.0.1:{port}");
    wait_until_up(&issuer).await;
    Some(
        server(
            "oidc-provider",
            process,
            issuer,
            ("app".into(), "app-secret-for-the-benchmark-only-0123456789".into()),
            ("service".into(), "service-secret-for-the-benchmark-only-012345".into()),
        )
        .await,
    )
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response, base: &str) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_string()
    }
}

/// A browser with a session at the server.
async fn signed_in_browser(info: &ServerInfo) -> reqwest::Client {
    let browser = browser();
    if info.name == "Sesame" {
        sesame_login(&browser, info).await;
    } else {
        // The peer's interaction signs the bench account in at once.
        let (_, challenge) = pkce();
        code_flow_code(&browser, info, &challenge).await;
    }
    browser
}

async fn sesame_login(browser: &reqwest::Client, info: &ServerInfo) {
    let page = browser
        .get(format!("{}/login", info.issuer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let response = browser
        .post(format!("{}/login", info.issuer))
        .form(&[
            ("req", ""),
            ("csrf", csrf.as_str()),
            ("username", "bench"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "sign-in");
}

/// Accounts with an authenticator app for (f): `sesame user add` makes them
/// before the server starts.
const TOTP_ACCOUNTS: usize = 320;
/// (f) runs this long: about a third of the accounts at (d)'s pace.
const TOTP_RUN_FOR: Duration = Duration::from_secs(2);

struct TotpAccount {
    username: String,
    secret: sesame::auth::totp::TotpSecret,
    /// The step its enrolment code used: sign-ins use a later one.
    enrolled_step: i64,
    /// A browser with no cookies for its timed sign-in, made beforehand
    /// (building an HTTP client loads the system's CA roots: slow, and the
    /// load generator's cost, not the server's).
    fresh_browser: reqwest::Client,
}

type TotpAccounts = Arc<std::sync::Mutex<Vec<TotpAccount>>>;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn element_text(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).expect("the element");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..open + rest[open..].find('<').unwrap()].trim().to_string()
}

/// Signs each (f) account in with its password and sets up its
/// authenticator app on the account page, eight at a time.
async fn enrol_totp_accounts(info: &ServerInfo) -> Vec<TotpAccount> {
    let names: Vec<String> = (0..TOTP_ACCOUNTS).map(|i| format!("mfa-{i}")).collect();
    let mut tasks = Vec::new();
    for chunk in names.chunks(TOTP_ACCOUNTS.div_ceil(CONCURRENCY)) {
        let (chunk, info) = (chunk.to_vec(), info.clone());
        tasks.push(tokio::spawn(async move {
            let mut enrolled = Vec::new();
            for username in chunk {
                let browser = browser();
                password_step(&browser, &info, &username).await;
                let page = browser
                    .get(format!("{}/account/totp", info.issuer))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let secret = sesame::auth::totp::TotpSecret::from_base32(&element_text(&page, "totp-secret")).unwrap();
                let at = now();
                let response = browser
                    .post(format!("{}/account/totp", info.issuer))
                    .form(&[
                        ("csrf", hidden(&page, "csrf")),
                        ("enrolment", hidden(&page, "enrolment")),
                        ("code", secret.code_at(at).unwrap()),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "TOTP set up");
                enrolled.push(TotpAccount {
                    username,
                    secret,
                    enrolled_step: at.div_euclid(30),
                    fresh_browser: self::browser(),
                });
            }
            enrolled
        }));
    }
    let mut accounts = Vec::new();
    for task in tasks {
        accounts.extend(task.await.unwrap());
    }
    accounts
}

/// The login page and its form: the first factor of `username`.
async fn password_step(browser: &reqwest::Client, info: &ServerInfo, username: &str) -> reqwest::Response {
    let page = browser
        .get(format!("{}/login", info.issuer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = browser
        .post(format!("{}/login", info.issuer))
        .form(&[
            ("req", ""),
            ("csrf", hidden(&page, "csrf").as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "password");
    response
}

/// A whole sign-in with password and code, as a new browser.
async fn sesame_totp_login(info: &ServerInfo, account: &TotpAccount) {
    let browser = &account.fresh_browser;
    let step = password_step(browser, info, &account.username).await;
    let next = location(&step, &info.issuer);
    assert!(next.contains("/login/second-factor"), "{next}");
    let page = browser.get(&next).send().await.unwrap().text().await.unwrap();
    // A step after the one its set-up used, within the ±1 step accepted.
    let code_step = (account.enrolled_step + 1).max(now().div_euclid(30));
    let code = account.secret.code_at(code_step * 30).unwrap();
    let response = browser
        .post(format!("{}/login/second-factor", info.issuer))
        .form(&[
            ("req", ""),
            ("csrf", hidden(&page, "csrf").as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}: second step", account.username);
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// One scenario: `CONCURRENCY` tasks repeat `step` for `RUN_FOR`.
struct Outcome {
    operations: usize,
    wall: Duration,
    cpu: Duration,
    /// PostgreSQL's and Redis's CPU meanwhile (on that backend, for Sesame).
    services_cpu: Option<Duration>,
    p50: Duration,
    p99: Duration,
}

impl Outcome {
    fn per_cpu_second(&self) -> f64 {
        self.operations as f64 / self.cpu.as_secs_f64().max(1e-9)
    }
    fn per_second(&self) -> f64 {
        self.operations as f64 / self.wall.as_secs_f64()
    }
}

async fn measure<S, F, Fut>(server: &Server, states: Vec<S>, step: F) -> Outcome
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = S> + Send,
{
    measure_for(server, states, step, RUN_FOR).await
}

/// `measure` for `run_for` instead of the usual five seconds.
async fn measure_for<S, F, Fut>(server: &Server, states: Vec<S>, step: F, run_for: Duration) -> Outcome
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = S> + Send,
{
    let step = Arc::new(step);
    let services_before = (server.info.name == "Sesame").then(services_cpu).flatten();
    let cpu_before = server.cpu_time();
    let started = Instant::now();
    let tasks: Vec<_> = states
        .into_iter()
        .map(|mut state| {
            let step = step.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < run_for {
                    let t = Instant::now();
                    state = step(state).await;
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let wall = started.elapsed();
    let cpu = server.cpu_time().saturating_sub(cpu_before);
    let services_cpu = services_before.and_then(|before| Some(services_cpu()?.saturating_sub(before)));
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Outcome {
        operations: latencies.len(),
        wall,
        cpu,
        services_cpu,
        p50: at(0.5),
        p99: at(0.99),
    }
}

type Shared = Arc<(reqwest::Client, ServerInfo)>;

/// What a step needs of a server, cheap to clone into tasks.
#[derive(Clone)]
struct ServerInfo {
    name: &'static str,
    issuer: String,
    app: (String, String),
    service: (String, String),
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
}

/// Whether scenario `letter` runs: all of them, or those listed in
/// `BENCH_SCENARIOS` (`BENCH_SCENARIOS=ac` for (a) and (c), say).
fn wanted(letter: char) -> bool {
    std::env::var("BENCH_SCENARIOS").map_or(true, |only| only.contains(letter))
}

async fn scenarios(server: &Server) -> Vec<(&'static str, Outcome)> {
    let info = server.info.clone();
    let mut results = Vec::new();

    // (a) SSO code flow: authorize with the session → code → token → userinfo.
    if wanted('a') {
        let mut states = Vec::new();
        for _ in 0..CONCURRENCY {
            states.push(Arc::new((signed_in_browser(&info).await, info.clone())));
        }
        let outcome = measure(server, states, |shared: Shared| async move {
            let (browser, info) = (&shared.0, &shared.1);
            let (verifier, challenge) = pkce();
            let code = code_flow_code(browser, info, &challenge).await;
            let tokens = redeem(info, browser, &code, &verifier).await;
            let access = tokens["access_token"].as_str().unwrap();
            assert!(tokens["id_token"].is_string());
            let userinfo = browser
                .get(&info.userinfo_endpoint)
                .bearer_auth(access)
                .send()
                .await
                .unwrap();
            assert!(
                userinfo.status().is_success(),
                "{}: userinfo {}",
                info.name,
                userinfo.status()
            );
            shared
        })
        .await;
        results.push(("(a) SSO code flow (authorize+token+userinfo)", outcome));
    }

    // (b) client_credentials.
    let http = reqwest::Client::new();
    if wanted('b') {
        let states = (0..CONCURRENCY)
            .map(|_| Arc::new((http.clone(), info.clone())))
            .collect();
        let outcome = measure(server, states, |shared: Shared| async move {
            let (http, info) = (&shared.0, &shared.1);
            let response = http
                .post(&info.token_endpoint)
                .basic_auth(&info.service.0, Some(&info.service.1))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{}: client_credentials {}",
                info.name,
                response.status()
            );
            shared
        })
        .await;
        results.push(("(b) client_credentials", outcome));
    }

    // (c) refresh_token: one rotating family per task.
    if wanted('c') {
        let mut states = Vec::new();
        for _ in 0..CONCURRENCY {
            let browser = signed_in_browser(&info).await;
            let (verifier, challenge) = pkce();
            let code = code_flow_code(&browser, &info, &challenge).await;
            let tokens = redeem(&info, &browser, &code, &verifier).await;
            let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token").to_string();
            states.push((Arc::new((reqwest::Client::new(), info.clone())), refresh_token));
        }
        let outcome = measure(server, states, |(shared, token): (Shared, String)| async move {
            let (http, info) = (&shared.0, &shared.1);
            let response = http
                .post(&info.token_endpoint)
                .basic_auth(&info.app.0, Some(&info.app.1))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success(),
                "{}: refresh {}",
                info.name,
                response.status()
            );
            let body: serde_json::Value = response.json().await.unwrap();
            let next = body["refresh_token"].as_str().unwrap_or(&token).to_string();
            (shared, next)
        })
        .await;
        results.push(("(c) refresh_token (rotating, ID token)", outcome));
    }

    // (d) password sign-ins: Sesame only.
    if info.name == "Sesame" && wanted('d') {
        let states = (0..CONCURRENCY).map(|_| Arc::new((browser(), info.clone()))).collect();
        let outcome = measure(server, states, |shared: Shared| async move {
            sesame_login(&shared.0, &shared.1).await;
            shared
        })
        .await;
        results.push(("(d) password sign-in (login page + argon2id)", outcome));
    }

    // (f) password + TOTP sign-ins: Sesame only. A TOTP code is accepted
    // once per account and 30-second step, so every sign-in is a different
    // account, set up (untimed) just before.
    if info.name == "Sesame" && wanted('f') {
        let accounts = Arc::new(std::sync::Mutex::new(enrol_totp_accounts(&info).await));
        let states = (0..CONCURRENCY)
            .map(|_| Arc::new((accounts.clone(), info.clone())))
            .collect();
        let outcome = measure_for(
            server,
            states,
            |shared: Arc<(TotpAccounts, ServerInfo)>| async move {
                let account = shared
                    .0
                    .lock()
                    .unwrap()
                    .pop()
                    .expect("enough bench accounts for the run");
                sesame_totp_login(&shared.1, &account).await;
                shared
            },
            TOTP_RUN_FOR,
        )
        .await;
        results.push(("(f) password + TOTP sign-in (two pages)", outcome));
    }

    // (e) JWKS and discovery, alternately.
    if wanted('e') {
        // A client of its own: connections pooled during (b) have idled past
        // the server's keep-alive, and one closing as it is reused would fail
        // a request.
        let http = reqwest::Client::new();
        let states = (0..CONCURRENCY)
            .map(|i| (Arc::new((http.clone(), info.clone())), i % 2 == 0))
            .collect();
        let outcome = measure(server, states, |(shared, jwks): (Shared, bool)| async move {
            let (http, info) = (&shared.0, &shared.1);
            let url = if jwks {
                info.jwks_uri.clone()
            } else {
                format!("{}/.well-known/openid-configuration", info.issuer)
            };
            let response = http.get(url).send().await.unwrap();
            assert!(response.status().is_success());
            let _ = response.bytes().await;
            (shared, !jwks)
        })
        .await;
        results.push(("(e) JWKS / discovery", outcome));
    }
    results
}

/// Follows redirects from an authorization request until the app's
/// redirect URI; returns the code.
async fn code_flow_code(browser: &reqwest::Client, info: &ServerInfo, challenge: &str) -> String {
    let mut url = reqwest::Url::parse(&info.authorization_endpoint).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &info.app.0)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("state", "bench-state")
        .append_pair("nonce", "bench-nonce")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    let mut next = url.to_string();
    for _ in 0..8 {
        let response = browser.get(&next).send().await.unwrap();
        assert!(response.status().is_redirection(), "{next}: {}", response.status());
        next = location(&response, &info.issuer);
        if next.starts_with(REDIRECT_URI) {
            let url = reqwest::Url::parse(&next).unwrap();
            return url
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("no code in {next}"));
        }
    }
    panic!("no code after eight redirects");
}

async fn redeem(info: &ServerInfo, http: &reqwest::Client, code: &str, verifier: &str) -> serde_json::Value {
    let response = http
        .post(&info.token_endpoint)
        .basic_auth(&info.app.0, Some(&info.app.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}: code exchange {}",
        info.name,
        response.status()
    );
    response.json().await.unwrap()
}

/// `BENCH_SOAK_SECS=N`: SSO code flows and client_credentials against Sesame
/// for N seconds; prints the error count and the server's resident memory
/// every ten seconds (it should level off, not climb).
async fn soak(server: &Server, length: Duration) {
    let info = server.info.clone();
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let operations = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CONCURRENCY {
        let (info, errors, operations) = (info.clone(), errors.clone(), operations.clone());
        let browser = signed_in_browser(&info).await;
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < length {
                let ok = if i % 2 == 0 {
                    let (verifier, challenge) = pkce();
                    let code = code_flow_code(&browser, &info, &challenge).await;
                    let tokens = redeem(&info, &browser, &code, &verifier).await;
                    browser
                        .get(&info.userinfo_endpoint)
                        .bearer_auth(tokens["access_token"].as_str().unwrap_or(""))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                } else {
                    browser
                        .post(&info.token_endpoint)
                        .basic_auth(&info.service.0, Some(&info.service.1))
                        .form(&[("grant_type", "client_credentials")])
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                };
                operations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !ok {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    let pid = server.process.id();
    while started.elapsed() < length {
        tokio::time::sleep(Duration::from_secs(10)).await;
        println!(
            "{:>5.0} s: {} operations, {} errors, resident memory {:.1} MiB",
            started.elapsed().as_secs_f64(),
            operations.load(std::sync::atomic::Ordering::Relaxed),
            errors.load(std::sync::atomic::Ordering::Relaxed),
            resident_bytes(pid) as f64 / 1048576.0
        );
    }
    for task in tasks {
        let _ = task.await;
    }
}

fn print_row(server: &str, scenario: &str, o: &Outcome) {
    println!(
        "{server:<14} {scenario:<46} {:>9.0} {:>12.0} {:>8.2} {:>8.2} {:>8.2}",
        o.per_second(),
        o.per_cpu_second(),
        o.cpu.as_secs_f64() / o.wall.as_secs_f64(),
        o.p50.as_secs_f64() * 1e3,
        o.p99.as_secs_f64() * 1e3
    );
    if let Some(services) = o.services_cpu {
        let per_op = |cpu: Duration| cpu.as_secs_f64() * 1e6 / o.operations.max(1) as f64;
        println!(
            "{:<14} {:<46} Sesame {:.0} µs + PostgreSQL/Redis {:.0} µs CPU per op: {:.0} ops per CPU-second in all",
            "",
            "",
            per_op(o.cpu),
            per_op(services),
            o.operations as f64 / (o.cpu + services).as_secs_f64().max(1e-9)
        );
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::from_env().await;
    let _ = STORAGE.set(storage.clone());
    println!("Sesame storage: {}", storage.label());
    if let Some(secs) = std::env::var("BENCH_SOAK_SECS").ok().and_then(|s| s.parse().ok()) {
        // Access tokens live a minute, so that the soak reaches the steady
        // state in which as many records expire as are made.
        let sesame = start_sesame(dir.path(), &[("SESAME_TOKENS__ACCESS_TOKEN_TTL_SECS", "60")]).await;
        soak(&sesame, Duration::from_secs(secs)).await;
        drop(sesame);
        storage.clean_up().await;
        return;
    }
    println!(
        "{:<14} {:<46} {:>9} {:>12} {:>8} {:>8} {:>8}",
        "server", "scenario", "ops/s", "ops/CPU-s", "cores", "p50 ms", "p99 ms"
    );
    let sesame = start_sesame(dir.path(), &[]).await;
    let ours = scenarios(&sesame).await;
    for (scenario, outcome) in &ours {
        print_row("Sesame", scenario, outcome);
    }
    drop(sesame);
    if wanted('g') {
        passkey_sign_ins(&storage).await;
    }
    storage.clean_up().await;
    if std::env::var("BENCH_PEER").as_deref() == Ok("off") {
        return;
    }
    let Some(peer) = start_peer().await else {
        return;
    };
    let theirs = scenarios(&peer).await;
    for (scenario, outcome) in &theirs {
        print_row("oidc-provider", scenario, outcome);
    }
    println!();
    for (scenario, outcome) in &ours {
        if let Some((_, peer)) = theirs.iter().find(|(s, _)| s == scenario) {
            println!(
                "{scenario:<46} Sesame / oidc-provider per CPU-second: {:.2}×",
                outcome.per_cpu_second() / peer.per_cpu_second()
            );
        }
    }
}

/// (g) Passkey sign-ins: "Sign in with a passkey" on the login page, no
/// password and no argon2. Each task has an account with a passkey held by a
/// software authenticator (`SoftPasskey`, which keeps no resident keys: the
/// load generator lists the credential in the request and names the account
/// in the answer, as a phone's passkey would itself). Embedded storage only:
/// with PostgreSQL the second server would share the first one's accounts.
async fn passkey_sign_ins(storage: &Storage) {
    if !matches!(storage, Storage::Embedded) {
        println!("NOTICE: (g) passkey sign-in runs on the embedded storage only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port_dir = dir.path();
    for i in 0..CONCURRENCY {
        sesame_cli(port_dir, 0, &["user", "add", &format!("passkey-{i}")], Some(PASSWORD));
    }
    let server = start_sesame_as(port_dir, "localhost", &[]).await;
    let mut states = Vec::new();
    for i in 0..CONCURRENCY {
        states.push(Arc::new(tokio::sync::Mutex::new(
            PasskeyHolder::enrol(&server.info, &format!("passkey-{i}")).await,
        )));
    }
    let info = server.info.clone();
    let outcome = measure(
        &server,
        states,
        move |holder: Arc<tokio::sync::Mutex<PasskeyHolder>>| {
            let info = info.clone();
            async move {
                holder.lock().await.sign_in(&info).await;
                holder
            }
        },
    )
    .await;
    print_row("Sesame", "(g) passkey sign-in (no password)", &outcome);
}

struct PasskeyHolder {
    browser: reqwest::Client,
    authenticator: webauthn_authenticator_rs::softpasskey::SoftPasskey,
    credential_id: String,
    user_handle: String,
}

impl PasskeyHolder {
    /// Signs `username` in with its password and adds a passkey on the account page.
    async fn enrol(info: &ServerInfo, username: &str) -> PasskeyHolder {
        use webauthn_authenticator_rs::WebauthnAuthenticator;
        let browser = browser();
        password_step(&browser, info, username).await;
        let account = browser
            .get(format!("{}/account", info.issuer))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&account, "csrf");
        let started: serde_json::Value = browser
            .post(format!("{}/account/webauthn/start", info.issuer))
            .form(&[("csrf", csrf.as_str()), ("kind", "passkey"), ("name", "bench")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut options = started["options"].clone();
        // The software authenticator keeps no resident keys.
        options["publicKey"]["authenticatorSelection"]["residentKey"] = "discouraged".into();
        options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = false.into();
        let user_handle = options["publicKey"]["user"]["id"].as_str().unwrap().to_string();
        let mut authenticator = webauthn_authenticator_rs::softpasskey::SoftPasskey::new(true);
        let origin = url::Url::parse(&info.issuer).unwrap();
        let created = authenticator
            .do_registration(origin, serde_json::from_value(options).unwrap())
            .expect("the software passkey registers");
        let credential_id = serde_json::to_value(&created).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let response = browser
            .post(format!("{}/account/webauthn/finish", info.issuer))
            .form(&[
                ("csrf", csrf.as_str()),
                ("ceremony", started["ceremony"].as_str().unwrap()),
                ("credential", serde_json::to_string(&created).unwrap().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "passkey registered");
        PasskeyHolder {
            browser,
            authenticator,
            credential_id,
            user_handle,
        }
    }

    /// The login page, the passkey ceremony, the answer: signed in.
    async fn sign_in(&mut self, info: &ServerInfo) {
        use webauthn_authenticator_rs::WebauthnAuthenticator;
        let page = self
            .browser
            .get(format!("{}/login", info.issuer))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let started: serde_json::Value = self
            .browser
            .post(format!("{}/login/passkey/start", info.issuer))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut options = started["options"].clone();
        options["publicKey"]["allowCredentials"] =
            serde_json::json!([{ "type": "public-key", "id": self.credential_id }]);
        let origin = url::Url::parse(&info.issuer).unwrap();
        let asserted = self
            .authenticator
            .do_authentication(origin, serde_json::from_value(options).unwrap())
            .expect("the software passkey signs");
        let mut answer = serde_json::to_value(&asserted).unwrap();
        answer["response"]["userHandle"] = self.user_handle.clone().into();
        let response = self
            .browser
            .post(format!("{}/login/passkey/finish", info.issuer))
            .form(&[
                ("csrf", csrf.as_str()),
                ("ceremony", started["ceremony"].as_str().unwrap()),
                ("credential", answer.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "signed in with the passkey");
    }
}
