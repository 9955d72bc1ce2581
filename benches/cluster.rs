//! Three Sesame nodes behind a load balancer, as in production: a soak with
//! a rolling restart.
//!
//! `cargo bench --bench cluster` starts three `sesame serve` processes on one
//! fresh PostgreSQL database and one Redis (127.0.0.1:5432 and :6379, as the
//! test suite uses), sharing the issuer, the key-encryption key and the Redis
//! prefix, behind a round-robin TCP load balancer in this process (what
//! HAProxy does in TCP mode with `option redispatch`: a node that refuses a
//! connection is skipped, and one whose `/readyz` fails gets no new
//! connections). Every request opens a new connection, so each
//! step of a flow lands on another node than the last: authorize on one,
//! token on the next, userinfo and refresh on a third.
//!
//! Eight clients run for `BENCH_CLUSTER_SECS` (default 120): half of them
//! SSO code flows with userinfo, half refresh-token rotations. A third of the
//! way in, node 2 gets SIGTERM (it drains for 2 s with `/readyz` at 503,
//! then must finish what it is serving and exit 0) and is started again 5 s
//! later. Every 10 s it prints operations,
//! errors and each node's resident memory; it ends with the totals, and
//! exits non-zero if any request failed.
//!
//! `BENCH_CLUSTER_FAULT=redis` runs the nodes on a Redis of the bench's own
//! (append-only file, fsync on every write) and, two thirds of the way in,
//! kills it with SIGKILL and starts it again 5 s later: requests may fail
//! while it is gone (and for 3 s after every node is ready again), and none
//! may fail after that: sessions, codes and refresh tokens made before the
//! outage must still work.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use support::{REDIRECT_URI, free_port, pkce, resident_bytes};
use tokio::net::{TcpListener, TcpStream};

const NODES: usize = 3;
const CONCURRENCY: usize = 8;
const PASSWORD: &str = "bench-password-0123456789";

/// What every node shares.
struct Cluster {
    dir: PathBuf,
    database_url: String,
    redis_url: String,
    redis_prefix: String,
    issuer: String,
}

impl Cluster {
    fn command(&self, listen_port: u16) -> Command {
        let mut command = support::sesame_command();
        command
            .current_dir(&self.dir)
            .env("SESAME_DATABASE_URL", &self.database_url)
            .env("SESAME_REDIS_URL", &self.redis_url)
            .env("SESAME_REDIS_PREFIX", &self.redis_prefix)
            .env("SESAME_KEYS_DIR", self.dir.join("keys"))
            .env("SESAME_ISSUER", &self.issuer)
            .env("SESAME_LISTEN", format!("127.0.0.1:{listen_port}"))
            // Longer than the balancer's health check takes to notice.
            .env("SESAME_HTTP__SHUTDOWN_DRAIN_SECS", "2");
        command
    }

    fn cli(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        support::run_cli(self.command(0), args, stdin)
    }

    fn start_node(&self, port: u16) -> Child {
        self.command(port)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    }
}

async fn wait_until_ready(url: &str) {
    for _ in 0..200 {
        if reqwest::get(format!("{url}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not become ready");
}

/// Round-robin TCP balancing over the backends whose `/readyz` answered
/// 200 at the last check (every 250 ms, as a balancer's health check); a
/// backend that refuses a connection is skipped.
async fn balance(listener: TcpListener, backends: Arc<Vec<u16>>) {
    let healthy: Arc<Vec<AtomicBool>> = Arc::new(backends.iter().map(|_| AtomicBool::new(true)).collect());
    for (i, port) in backends.iter().copied().enumerate() {
        let healthy = healthy.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap();
            loop {
                let ready = http
                    .get(format!("http://127.0.0.1:{port}/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                healthy[i].store(ready, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
    }
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let (backends, healthy, next) = (backends.clone(), healthy.clone(), next.clone());
        tokio::spawn(async move {
            let first = next.fetch_add(1, Ordering::Relaxed);
            let order = (0..backends.len()).map(|i| (first + i) % backends.len());
            // Healthy ones first; the others only if none of those connects.
            let (up, down): (Vec<usize>, Vec<usize>) = order.partition(|&i| healthy[i].load(Ordering::Relaxed));
            for i in up.into_iter().chain(down) {
                if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", backends[i])).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    return;
                }
            }
        });
    }
}

/// A browser that opens a new connection (so, a new node) for every request.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

struct Bench {
    issuer: String,
    app: (String, String),
}

type Step = Result<(), String>;

fn expect(response: &reqwest::Response, status: u16, what: &str) -> Step {
    if response.status().as_u16() == status {
        Ok(())
    } else {
        Err(format!("{what}: {}", response.status()))
    }
}

impl Bench {
    async fn sign_in(&self, browser: &reqwest::Client) -> Step {
        let page = browser
            .get(format!("{}/login", self.issuer))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let marker = r#"name="csrf" value=""#;
        let start = page.find(marker).ok_or("no csrf field")? + marker.len();
        let csrf = &page[start..start + page[start..].find('"').unwrap_or(0)];
        let response = browser
            .post(format!("{}/login", self.issuer))
            .form(&[
                ("req", ""),
                ("csrf", csrf),
                ("username", "bench"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect(&response, 303, "sign-in")
    }

    /// authorize (with the session) → code → token; returns the tokens.
    async fn code_flow(&self, browser: &reqwest::Client) -> Result<serde_json::Value, String> {
        let (verifier, challenge) = pkce();
        let response = browser
            .get(format!("{}/authorize", self.issuer))
            .query(&[
                ("client_id", self.app.0.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "code"),
                ("scope", "openid profile"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("prompt", "none"),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect(&response, 303, "authorize")?;
        let location = response.headers()["location"].to_str().unwrap_or_default();
        let code = reqwest::Url::parse(location)
            .ok()
            .and_then(|url| {
                url.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or_else(|| format!("no code in {location}"))?;
        let response = browser
            .post(format!("{}/token", self.issuer))
            .basic_auth(&self.app.0, Some(&self.app.1))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect(&response, 200, "code exchange")?;
        response.json().await.map_err(|e| e.to_string())
    }

    async fn userinfo(&self, browser: &reqwest::Client, access_token: &str) -> Step {
        let response = browser
            .get(format!("{}/userinfo", self.issuer))
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect(&response, 200, "userinfo")
    }

    async fn refresh(&self, browser: &reqwest::Client, refresh_token: &str) -> Result<String, String> {
        let response = browser
            .post(format!("{}/token", self.issuer))
            .basic_auth(&self.app.0, Some(&self.app.1))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        expect(&response, 200, "refresh")?;
        let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        body["refresh_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "no refresh_token".into())
    }
}

/// A Redis of the bench's own (`BENCH_CLUSTER_FAULT=redis`), persisting
/// every write as a production one would, which it kills and restarts.
struct OwnRedis {
    port: u16,
    dir: PathBuf,
    process: Option<Child>,
}

impl OwnRedis {
    fn start(dir: PathBuf) -> OwnRedis {
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = OwnRedis {
            port: free_port(),
            dir,
            process: None,
        };
        redis.restart();
        redis
    }

    fn restart(&mut self) {
        let process = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server");
        self.process = Some(process);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    /// SIGKILL: nothing gets a chance to flush.
    fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn resident_mib(pid: u32) -> f64 {
    resident_bytes(pid) as f64 / 1_048_576.0
}

#[tokio::main]
async fn main() {
    use sqlx::Connection;
    let length = Duration::from_secs(
        std::env::var("BENCH_CLUSTER_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(120),
    );
    let dir = tempfile::tempdir().unwrap();
    let name = format!("bench_cluster_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut admin)
        .await
        .unwrap();
    let balancer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut own_redis = match std::env::var("BENCH_CLUSTER_FAULT").as_deref() {
        Ok("redis") => Some(OwnRedis::start(dir.path().join("redis"))),
        Ok(other) => panic!("BENCH_CLUSTER_FAULT={other}: only `redis` is known"),
        Err(_) => None,
    };
    let cluster = Cluster {
        dir: dir.path().to_path_buf(),
        database_url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
        redis_url: match &own_redis {
            Some(redis) => format!("redis://127.0.0.1:{}", redis.port),
            None => "redis://127.0.0.1:6379".into(),
        },
        redis_prefix: format!("{name}:"),
        issuer: format!("http://{}", balancer.local_addr().unwrap()),
    };
    cluster.cli(&["migrate"], None);
    cluster.cli(
        &["user", "add", "bench", "--email", "bench@example.com"],
        Some(PASSWORD),
    );
    let app = cluster.cli(
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
    let field = |k: &str| app[k].as_str().unwrap().to_string();
    let ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
    let mut nodes: Vec<Child> = ports.iter().map(|&port| cluster.start_node(port)).collect();
    for port in &ports {
        wait_until_ready(&format!("http://127.0.0.1:{port}")).await;
    }
    tokio::spawn(balance(balancer, Arc::new(ports.clone())));
    let bench = Arc::new(Bench {
        issuer: cluster.issuer.clone(),
        app: (field("client_id"), field("client_secret")),
    });
    println!(
        "{NODES} Sesame nodes on PostgreSQL + Redis behind a round-robin balancer at {}; {CONCURRENCY} clients for {} s",
        bench.issuer,
        length.as_secs()
    );

    let operations = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    // While Redis is down (and a few seconds after), failures are expected
    // and counted apart; outside that window there must be none.
    let in_outage = Arc::new(AtomicBool::new(false));
    let outage_errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CONCURRENCY {
        let (bench, operations, errors) = (bench.clone(), operations.clone(), errors.clone());
        let (in_outage, outage_errors) = (in_outage.clone(), outage_errors.clone());
        tasks.push(tokio::spawn(async move {
            let browser = browser();
            bench.sign_in(&browser).await.expect("sign-in");
            let mut refresh_token = None;
            while started.elapsed() < length {
                let outcome = if i % 2 == 0 {
                    match bench.code_flow(&browser).await {
                        Ok(tokens) => {
                            bench
                                .userinfo(&browser, tokens["access_token"].as_str().unwrap_or_default())
                                .await
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    let current = match refresh_token.take() {
                        Some(token) => Ok(token),
                        None => bench
                            .code_flow(&browser)
                            .await
                            .map(|t| t["refresh_token"].as_str().unwrap_or_default().to_string()),
                    };
                    match current {
                        Ok(token) => bench.refresh(&browser, &token).await.map(|next| {
                            refresh_token = Some(next);
                        }),
                        Err(e) => Err(e),
                    }
                };
                operations.fetch_add(1, Ordering::Relaxed);
                match outcome {
                    Ok(()) => {}
                    Err(e) if in_outage.load(Ordering::Relaxed) => {
                        if outage_errors.fetch_add(1, Ordering::Relaxed) < 4 {
                            println!("during the outage: {e}");
                        }
                        // Don't spin on a dependency that is down.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 10 {
                            println!("error at {:.1} s: {e}", started.elapsed().as_secs_f64());
                        }
                    }
                }
            }
        }));
    }

    let restart_at = length / 3;
    let mut restarted = false;
    let outage_at = length * 2 / 3;
    let mut outage_done = own_redis.is_none();
    let mut next_report = Duration::from_secs(10);
    while started.elapsed() < length {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !restarted && started.elapsed() >= restart_at {
            restarted = true;
            let pid = nodes[1].id().to_string();
            let stopping = Instant::now();
            Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            let status = tokio::task::block_in_place(|| nodes[1].wait().unwrap());
            println!(
                "{:>5.0} s: node 2 stopped by SIGTERM in {:.2} s ({status}); starting it again in 5 s",
                started.elapsed().as_secs_f64(),
                stopping.elapsed().as_secs_f64()
            );
            assert!(status.success(), "a graceful stop exits 0");
            tokio::time::sleep(Duration::from_secs(5)).await;
            nodes[1] = cluster.start_node(ports[1]);
            wait_until_ready(&format!("http://127.0.0.1:{}", ports[1])).await;
            println!("{:>5.0} s: node 2 ready again", started.elapsed().as_secs_f64());
        }
        if !outage_done && started.elapsed() >= outage_at {
            outage_done = true;
            let redis = own_redis.as_mut().unwrap();
            in_outage.store(true, Ordering::Relaxed);
            redis.kill();
            let killed = Instant::now();
            println!(
                "{:>5.0} s: Redis killed (SIGKILL); restarting it in 5 s",
                started.elapsed().as_secs_f64()
            );
            tokio::time::sleep(Duration::from_secs(5)).await;
            tokio::task::block_in_place(|| redis.restart());
            for port in &ports {
                wait_until_ready(&format!("http://127.0.0.1:{port}")).await;
            }
            println!(
                "{:>5.0} s: Redis back, every node ready again {:.1} s after the kill; {} requests failed meanwhile",
                started.elapsed().as_secs_f64(),
                killed.elapsed().as_secs_f64(),
                outage_errors.load(Ordering::Relaxed)
            );
            // Requests already in flight when it came back may still fail.
            tokio::time::sleep(Duration::from_secs(3)).await;
            in_outage.store(false, Ordering::Relaxed);
        }
        if started.elapsed() >= next_report {
            next_report += Duration::from_secs(10);
            let memory: Vec<String> = nodes.iter().map(|n| format!("{:.1}", resident_mib(n.id()))).collect();
            println!(
                "{:>5.0} s: {} operations, {} errors, resident memory per node {} MiB",
                started.elapsed().as_secs_f64(),
                operations.load(Ordering::Relaxed),
                errors.load(Ordering::Relaxed),
                memory.join(" / ")
            );
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    let (operations, errors) = (operations.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    println!(
        "total: {operations} operations in {:.0} s, {errors} errors{}",
        started.elapsed().as_secs_f64(),
        match own_redis {
            Some(_) => format!(
                " outside the Redis outage ({} during it)",
                outage_errors.load(Ordering::Relaxed)
            ),
            None => String::new(),
        }
    );
    for node in &mut nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
    )))
    .execute(&mut admin)
    .await;
    drop(dir);
    if errors > 0 {
        std::process::exit(1);
    }
}
