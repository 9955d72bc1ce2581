//! The session gateway's decisions, on default settings with the gateway
//! on and one rule: (1) the decision alone — a pass and its session read
//! from the ephemeral store, a rule matched — counted per CPU-second of
//! this process, on the embedded store and (when one answers) on Redis;
//! on the embedded store also with the signed identity assertion on (one
//! Ed25519 signature more) and for a script's remembered HTTP Basic
//! credential (a keyed digest, the credential and two SQL reads);
//! (2) nginx-style `auth_request` calls over loopback HTTP with keep-alive,
//! from the same process, with their latencies; (3) the same against
//! `sesame serve` as a process of its own, counted per CPU-second of that
//! process alone; (4) browsers' requests through nginx with the documented
//! configuration, nginx's CPU and Sesame's per request, beside the same
//! nginx not asking. `cargo bench --bench gateway`.

// Shared with the benches that run `sesame` as a process; this one uses part of it.
#[allow(dead_code)]
mod support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sesame::admin::{self, NewUser};
use sesame::clock::{SharedClock, SystemClock};
use sesame::config::{GatewayRuleSettings, Secret, Settings};
use sesame::gateway::{Asked, Verdict};
use sesame::http::Application;
use sesame::session::Origin;
use sesame::startup::{self, Services};

const DECISIONS: usize = 200_000;
const RUN_FOR: Duration = Duration::from_secs(5);
const CONCURRENCY: usize = 4;

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    cpu_time_of("self")
}

/// User + system CPU time of process `pid` (or `self`) so far.
fn cpu_time_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / 100.0)
}

fn settings(dir: &std::path::Path, port: u16, redis: Option<&str>) -> Settings {
    let mut settings = Settings::defaults();
    settings.issuer = format!("http://localhost:{port}");
    settings.database_url = Secret::new(format!("sqlite://{}", dir.join("bench.db").display()));
    settings.keys_dir = dir.join("keys");
    settings.store_journal = dir.join("store.journal");
    settings.admin_socket = dir.join("admin.sock");
    if let Some(url) = redis {
        settings.redis_url = Secret::new(url);
        settings.redis_prefix = format!("bench-gateway-{}:", uuid::Uuid::new_v4());
    }
    settings.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    settings.gateway.enabled = true;
    settings.gateway.domains = vec!["localhost".into()];
    settings.gateway.rules = vec![GatewayRuleSettings {
        hosts: vec!["wiki.localhost".into()],
        policy: "one_factor".into(),
        basic: true,
        ..Default::default()
    }];
    settings
}

/// How the person is known to the decision.
#[derive(Clone, Copy)]
enum Credential<'a> {
    Pass(&'a str),
    /// The script's username and password (verified once, then remembered).
    Basic,
}

/// A person signed in, and the pass their browser holds.
async fn signed_in(services: &Services) -> String {
    let user = admin::add_user(
        &*services.users,
        &*services.clock,
        NewUser {
            username: "bench".into(),
            email: None,
            display_name: None,
            password: "bench password".into(),
        },
    )
    .await
    .expect("user");
    let origin = Origin {
        user_agent: "bench",
        client_ip: "127.0.0.1",
    };
    let (_, live) = services
        .sessions()
        .start(user.id, (vec!["pwd".into()], None), &origin)
        .await
        .expect("session");
    services
        .gateway()
        .issue_pass(&live)
        .await
        .expect("pass")
        .expect("a pass")
}

async fn decisions(label: &str, services: &Services, credential: Credential<'_>, count: usize) {
    let asked = Asked {
        host: "wiki.localhost",
        path: "/page",
        method: "GET",
        client: "127.0.0.1".parse().ok(),
    };
    let gateway = services.gateway();
    let basic = services.gateway_basic();
    let decide = || async {
        match credential {
            Credential::Pass(pass) => gateway.decide(&asked, Some(pass)).await,
            Credential::Basic => {
                gateway
                    .decide_basic(&basic, &asked, ("bench", "bench password"), "127.0.0.1")
                    .await
            }
        }
        .expect("decision")
    };
    // The first Basic decision verifies the password (argon2): not counted.
    assert!(matches!(decide().await.verdict, Verdict::Allow { .. }));
    let (cpu, wall) = (cpu_time(), Instant::now());
    for _ in 0..count {
        let answer = decide().await;
        assert!(matches!(answer.verdict, Verdict::Allow { .. }));
    }
    let (cpu, wall) = (cpu_time() - cpu, wall.elapsed());
    println!(
        "{label}: {:.0} decisions per CPU-second ({:.0} per second on one task, {:.1} µs each)",
        count as f64 / cpu.as_secs_f64().max(0.01),
        count as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / count as f64
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("port").port();
    let clock: SharedClock = Arc::new(SystemClock);
    let services = startup::build_services(settings(dir.path(), port, None), clock.clone())
        .await
        .expect("services");
    let pass = signed_in(&services).await;
    decisions(
        "embedded store (journaled), in process",
        &services,
        Credential::Pass(&pass),
        DECISIONS,
    )
    .await;
    decisions(
        "embedded store, HTTP Basic remembered, in process",
        &services,
        Credential::Basic,
        DECISIONS / 4,
    )
    .await;
    let signing_dir = tempfile::tempdir().expect("temp dir");
    let mut signing = settings(signing_dir.path(), port, None);
    signing.gateway.assertion = true;
    let signing = startup::build_services(signing, clock.clone()).await.expect("services");
    let signed_pass = signed_in(&signing).await;
    decisions(
        "embedded store with the signed assertion, in process",
        &signing,
        Credential::Pass(&signed_pass),
        DECISIONS / 4,
    )
    .await;

    let redis_url = std::env::var("SESAME_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis_dir = tempfile::tempdir().expect("temp dir");
    match startup::build_services(settings(redis_dir.path(), port, Some(&redis_url)), clock.clone()).await {
        Ok(on_redis) => {
            let pass = signed_in(&on_redis).await;
            decisions(
                "Redis on loopback, in process",
                &on_redis,
                Credential::Pass(&pass),
                DECISIONS,
            )
            .await;
        }
        Err(e) => println!("Redis at {redis_url} did not answer ({e:#}): its figure is left out"),
    }

    // Over HTTP, as nginx's auth_request asks.
    let app = Application::with_listener(services, listener).expect("app");
    tokio::spawn(app.run());
    let url = format!("http://127.0.0.1:{port}/gateway/auth-request");
    let (cpu, started) = (cpu_time(), Instant::now());
    let all = load(&url, &pass).await;
    let (cpu, elapsed) = (cpu_time() - cpu, started.elapsed());
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    println!(
        "auth-request over loopback HTTP ({CONCURRENCY} connections, client in the same process): {:.0} requests/s, \
         {:.0} per CPU-second of server and client together (p50 {:.2} ms, p99 {:.2} ms)",
        all.len() as f64 / elapsed.as_secs_f64(),
        all.len() as f64 / cpu.as_secs_f64().max(0.01),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
    server_process_alone().await;
}

/// Latencies of `auth_request` calls with `pass` for `RUN_FOR`, from
/// `CONCURRENCY` keep-alive connections.
async fn load(url: &str, pass: &str) -> Vec<Duration> {
    load_with(url, pass, |request| {
        request
            .header("X-Original-URL", "http://wiki.localhost/page")
            .header("X-Original-Method", "GET")
    })
    .await
}

/// Latencies of GETs of `url` with the pass, shaped by `shape`, for
/// `RUN_FOR` from `CONCURRENCY` keep-alive connections.
async fn load_with(
    url: &str,
    pass: &str,
    shape: fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, url, pass) = (http.clone(), url.to_string(), pass.to_string());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < RUN_FOR {
                    let t = Instant::now();
                    let request = shape(http.get(&url)).header("Cookie", format!("sesame_gateway={pass}"));
                    let response = request.send().await.expect("request");
                    assert_eq!(response.status(), 200);
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    all.sort();
    all
}

/// `sesame serve` on default settings with the gateway on, as its own
/// process: a person signs in over HTTP, takes a pass at /gateway/start,
/// and the load counts against that process's CPU alone.
async fn server_process_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = support::free_port();
    let d = dir.path().display();
    let config = dir.path().join("sesame.toml");
    std::fs::write(
        &config,
        format!(
            "issuer = \"http://localhost:{port}\"\nlisten = \"127.0.0.1:{port}\"\n\
             database_url = \"sqlite://{d}/bench.db\"\nkeys_dir = \"{d}/keys\"\n\
             store_journal = \"{d}/store.journal\"\nadmin_socket = \"{d}/admin.sock\"\n\
             [http]\ntrusted_proxies = [\"127.0.0.1\"]\n\
             [gateway]\nenabled = true\ndomains = [\"localhost\"]\n\
             [[gateway.rules]]\nhosts = [\"wiki.localhost\"]\npolicy = \"one_factor\"\n"
        ),
    )
    .expect("config");
    let config = config.to_str().expect("path").to_string();
    let mut add = support::sesame_command();
    add.args(["--config", &config]);
    support::run_cli(add, &["user", "add", "bench"], Some("bench password 123"));
    let mut server = support::sesame_command()
        .args(["--config", &config, "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sesame serve");
    let base = format!("http://127.0.0.1:{port}");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut up = false;
    for _ in 0..300 {
        if browser.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "sesame serve did not come up");
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("text");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_string();
    let signed_in = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "bench"),
            ("password", "bench password 123"),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 303);
    let start = browser
        .get(format!("{base}/gateway/start?rd=http%3A%2F%2Fwiki.localhost%2F"))
        .send()
        .await
        .expect("start");
    let pass = start
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("sesame_gateway="))
        .and_then(|c| c.split(';').next())
        .expect("a pass")
        .to_string();
    let pid = server.id().to_string();
    let (cpu, started) = (cpu_time_of(&pid), Instant::now());
    let all = load(&format!("{base}/gateway/auth-request"), &pass).await;
    let (cpu, elapsed) = (cpu_time_of(&pid) - cpu, started.elapsed());
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    println!(
        "auth-request to `sesame serve` as its own process ({CONCURRENCY} connections): {:.0} requests/s, \
         {:.0} per CPU-second of the server process (p50 {:.2} ms, p99 {:.2} ms)",
        all.len() as f64 / elapsed.as_secs_f64(),
        all.len() as f64 / cpu.as_secs_f64().max(0.01),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
    behind_nginx(port, &pass, &pid).await;
    let _ = server.kill();
    let _ = server.wait();
}

/// Debian's nginx (when installed) with `docs/gateway/nginx.conf` in front
/// of the server at `sesame_port` and a do-nothing app (a second server
/// block of the same nginx), once asking Sesame about every request and
/// once not (`auth_request off`): what nginx itself spends, beside Sesame.
async fn behind_nginx(sesame_port: u16, pass: &str, sesame_pid: &str) {
    if std::process::Command::new("nginx").arg("-v").output().is_err() {
        println!("nginx is not installed (bash .ci/services installs it): its figures are left out");
        return;
    }
    let documented = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gateway/nginx.conf"))
        .expect("docs/gateway/nginx.conf");
    for asks in [true, false] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (port, app_port) = (support::free_port(), support::free_port());
        let mut site = documented
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{sesame_port}"))
            .replace("127.0.0.1:3000", &format!("127.0.0.1:{app_port}"))
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace("server_name wiki.example.com;", "server_name wiki.localhost;");
        if !asks {
            site = site.replace("auth_request /sesame-auth;", "auth_request off;");
        }
        let t = dir.path().display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {t}/nginx.pid;\nerror_log {t}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {t}/body;\n  proxy_temp_path {t}/proxy;\n  \
             fastcgi_temp_path {t}/fastcgi;\n  uwsgi_temp_path {t}/uwsgi;\n  scgi_temp_path {t}/scgi;\n{site}\n  \
             server {{ listen 127.0.0.1:{app_port}; location / {{ return 200 \"app\\n\"; }} }}\n}}\n"
        );
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).expect("nginx.conf");
        let mut nginx = std::process::Command::new("nginx")
            .args(["-e", &format!("{t}/error.log"), "-c", file.to_str().expect("path")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx");
        let url = format!("http://127.0.0.1:{port}/page");
        let wiki = |request: reqwest::RequestBuilder| request.header("Host", "wiki.localhost");
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..100 {
            if wiki(http.get(&url)).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "nginx did not come up");
        let nginx_pid = nginx.id().to_string();
        let (nginx_cpu, sesame_cpu, started) = (cpu_time_of(&nginx_pid), cpu_time_of(sesame_pid), Instant::now());
        let all = load_with(&url, pass, wiki).await;
        let (nginx_cpu, sesame_cpu, elapsed) = (
            cpu_time_of(&nginx_pid) - nginx_cpu,
            cpu_time_of(sesame_pid) - sesame_cpu,
            started.elapsed(),
        );
        let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        let per_request = |cpu: Duration| cpu.as_secs_f64() * 1e6 / all.len() as f64;
        println!(
            "through nginx ({}): {:.0} requests/s; nginx {:.1} µs CPU per request, Sesame {:.1} µs \
             (p50 {:.2} ms, p99 {:.2} ms)",
            if asks {
                "asking Sesame each request"
            } else {
                "auth_request off"
            },
            all.len() as f64 / elapsed.as_secs_f64(),
            per_request(nginx_cpu),
            per_request(sesame_cpu),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        );
        let _ = nginx.kill();
        let _ = nginx.wait();
    }
}
