//! Token endpoint throughput on default settings (a worker per core, limits
//! as shipped): the `client_credentials` grant and the `refresh_token` grant
//! (each refresh rotates the token in SQL and signs an RS256 ID token). The
//! load comes from the same process over loopback HTTP; every response is
//! checked. `cargo bench --bench grants`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sesame::admin::{self, NewClient, NewUser};
use sesame::clock::{SharedClock, SystemClock};
use sesame::config::{Secret, Settings};
use sesame::http::Application;
use sesame::startup;

const RUN_FOR: Duration = Duration::from_secs(5);
const CONCURRENCY: usize = 4;

struct Stats {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn stats(mut latencies: Vec<Duration>, elapsed: Duration) -> Stats {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Stats {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn report(name: &str, s: &Stats) {
    println!(
        "{name}: {:.0} requests/s on default settings (p50 {:.2} ms, p99 {:.2} ms)",
        s.per_second,
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("port").port();
    let mut settings = Settings::defaults();
    settings.issuer = format!("http://127.0.0.1:{port}");
    settings.database_url = Secret::new(format!("sqlite://{}", dir.path().join("bench.db").display()));
    settings.keys_dir = dir.path().join("keys");
    settings.store_journal = dir.path().join("store.journal");
    settings.admin_socket = dir.path().join("admin.sock");
    let clock: SharedClock = Arc::new(SystemClock);
    let services = startup::build_services(settings, clock).await.expect("services");
    let created = admin::add_client(
        &services.client_admin(),
        NewClient {
            name: "Bench".into(),
            redirect_uris: vec!["https://bench.example/cb".into()],
            first_party: true,
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            ..Default::default()
        },
        admin::Via::Cli,
    )
    .await
    .expect("client");
    admin::add_user(
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
    let app = Application::with_listener(services, listener).expect("app");
    tokio::spawn(app.run());
    let base = format!("http://127.0.0.1:{port}");
    let (id, secret) = (created.client.client_id.to_string(), created.secret.expect("secret"));

    // client_credentials
    let http = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, base, id, secret) = (http.clone(), base.clone(), id.clone(), secret.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < RUN_FOR {
                    let t = Instant::now();
                    let response = http
                        .post(format!("{base}/token"))
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "client_credentials")])
                        .send()
                        .await
                        .expect("request");
                    assert!(response.status().is_success());
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
    report("client_credentials", &stats(all, started.elapsed()));

    // refresh_token: one family per concurrent client, each refresh rotating it.
    let mut refresh_tokens = Vec::new();
    for _ in 0..CONCURRENCY {
        refresh_tokens.push(first_refresh_token(&base, &id, &secret).await);
    }
    let started = Instant::now();
    let tasks: Vec<_> = refresh_tokens
        .into_iter()
        .map(|mut token| {
            let (http, base, id, secret) = (http.clone(), base.clone(), id.clone(), secret.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < RUN_FOR {
                    let t = Instant::now();
                    let body: serde_json::Value = http
                        .post(format!("{base}/token"))
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                        .send()
                        .await
                        .expect("request")
                        .json()
                        .await
                        .expect("json");
                    token = body["refresh_token"].as_str().expect("rotated").to_string();
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
    report("refresh_token (RS256 ID token each)", &stats(all, started.elapsed()));
}

/// A refresh token from a full code flow.
async fn first_refresh_token(base: &str, id: &str, secret: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let authorize = browser
        .get(format!("{base}/authorize"))
        .query(&[
            ("client_id", id),
            ("redirect_uri", "https://bench.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("prompt", "login"),
        ])
        .send()
        .await
        .expect("authorize");
    let login = authorize.headers()["location"].to_str().expect("location").to_string();
    let html = browser
        .get(format!("{base}{login}"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    let field = |name: &str| {
        let marker = format!(r#"name="{name}" value=""#);
        let start = html.find(&marker).expect("field") + marker.len();
        html[start..start + html[start..].find('"').expect("end")].to_string()
    };
    let back = browser
        .post(format!("{base}/login"))
        .form(&[
            ("req", field("req").as_str()),
            ("csrf", field("csrf").as_str()),
            ("username", "bench"),
            ("password", "bench password"),
        ])
        .send()
        .await
        .expect("login");
    let location = url::Url::parse(back.headers()["location"].to_str().expect("location")).expect("url");
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .to_string();
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://bench.example/cb"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    body["refresh_token"].as_str().expect("refresh token").to_string()
}
