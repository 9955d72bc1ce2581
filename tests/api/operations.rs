//! Running Sesame: metrics, request ids, and what happens when a dependency
//! goes away and comes back.

use std::process::{Command, Stdio};
use std::time::Duration;

use sesame::config::Secret;

use crate::helpers::processes::{RedisProcess, on_a_free_port};
use crate::helpers::{Backend, TestApp, TestClient, spawn_app, spawn_app_with};

async fn scrape(app: &TestApp) -> String {
    let port = app.metrics_port.expect("metrics listener");
    reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the first sample whose line starts with `prefix`.
fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn metrics_count_requests_logins_and_tokens(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.metrics.listen = "127.0.0.1:0".into()).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    app.browser.sign_in_for(&client, "alice").await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    assert_eq!(app.redeem(&client, &code, &verifier).await.status(), 200);

    let metrics = scrape(&app).await;
    // The recorder is shared by every app in this test process: counts are at least ours.
    assert!(sample(&metrics, r#"sesame_tokens_issued_total{grant="authorization_code"}"#) >= 1.0);
    assert!(sample(&metrics, r#"sesame_logins_total{outcome="succeeded"}"#) >= 1.0);
    assert!(
        metrics.contains(r#"route="/token""#),
        "requests are counted per route pattern"
    );
    assert!(metrics.contains("sesame_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("sesame_password_hash_seconds_bucket"));
    assert!(sample(&metrics, r#"sesame_logout_deliveries{status="pending"}"#) >= 0.0);
    assert!(sample(&metrics, r#"sesame_signing_key_age_seconds{alg="RS256"}"#) >= 0.0);
    assert!(!metrics.contains("/authorize?"), "never a raw path or query as a label");

    // Not on the public port.
    let public = app.api.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
}

async fn every_response_carries_a_request_id_that_error_pages_show(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let response = app.authorize(&[("client_id", "nobody")]).await;
    assert_eq!(response.status(), 400);
    let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID");
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"id="request-id">{id}<"#)), "{html}");
    let other = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), id);
}

/// An HTTP client whose connections come from `address` (any of 127.0.0.0/8).
pub fn from_address(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(address.parse().unwrap()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn service_client(app: &TestApp) -> TestClient {
    let created = sesame::admin::add_client(
        &app.services.client_admin(),
        sesame::admin::NewClient {
            name: "Service".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: String::new(),
    }
}

async fn client_credentials(http: &reqwest::Client, app: &TestApp, client_id: &str, secret: Option<&str>) -> u16 {
    let mut request = http.post(app.url("/token"));
    let mut form = vec![("grant_type", "client_credentials")];
    match secret {
        Some(secret) => request = request.basic_auth(client_id, Some(secret)),
        None => form.push(("client_id", client_id)),
    }
    request.form(&form).send().await.unwrap().status().as_u16()
}

/// Client ids are public. Junk sent with a victim app's id, from several
/// addresses and from the app's own, makes the senders wait, never the app:
/// its correct secret is accepted throughout. On default settings.
async fn nobody_can_lock_an_app_out_of_the_token_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = service_client(&app).await;
    let secret = victim.secret.clone().unwrap();
    let limit = app
        .services
        .settings
        .rate_limits
        .failed_client_auth_per_client_and_address_per_minute as usize;
    let own_address = from_address("127.0.0.1");
    for attacker in ["127.0.0.2", "127.0.0.3", "127.0.0.1"] {
        let http = from_address(attacker);
        for attempt in 0..limit + 3 {
            let guess = format!("guess-{attempt}");
            let wrong = if attempt % 2 == 0 { Some(guess.as_str()) } else { None };
            let status = client_credentials(&http, &app, &victim.client_id, wrong).await;
            let expected = if attempt < limit { 401 } else { 429 };
            assert_eq!(status, expected, "attempt {attempt} from {attacker}");
            if attempt % 10 == 0 {
                assert_eq!(
                    client_credentials(&own_address, &app, &victim.client_id, Some(&secret)).await,
                    200,
                    "the app's own secret, while {attacker} guesses"
                );
            }
        }
    }
    // Over the limit, the guesser's answer carries Retry-After, and the app
    // still gets its tokens, from the very address that is waiting.
    let waiting = from_address("127.0.0.2")
        .post(app.url("/token"))
        .basic_auth(&victim.client_id, Some("still guessing"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(waiting.status(), 429);
    let wait: u64 = waiting.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(
        waiting.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
    );
    for address in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        assert_eq!(
            client_credentials(&from_address(address), &app, &victim.client_id, Some(&secret)).await,
            200,
            "from {address}"
        );
    }
    // The same holds at introspection and revocation.
    let introspect = own_address
        .post(app.url("/introspect"))
        .basic_auth(&victim.client_id, Some(&secret))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    assert_eq!(introspect.status(), 200);
    // A spray of made-up client ids from one address ends in 429 too; an
    // app behind that address is still served.
    let sprayer = from_address("127.0.0.4");
    let per_address = app
        .services
        .settings
        .rate_limits
        .failed_client_auth_per_address_per_minute as usize;
    let mut statuses = Vec::new();
    for n in 0..per_address + 2 {
        statuses.push(client_credentials(&sprayer, &app, &format!("made-up-{n}"), Some("x")).await);
    }
    assert!(statuses[..per_address].iter().all(|s| *s == 401));
    assert_eq!(statuses[per_address..], [429, 429]);
    assert_eq!(
        client_credentials(&sprayer, &app, &victim.client_id, Some(&secret)).await,
        200
    );
    // A minute later the guessers may try again (Redis counts real time;
    // the in-process store follows the test's clock).
    if matches!(backend, Backend::SqliteMemory) {
        app.clock.advance(61);
        assert_eq!(client_credentials(&sprayer, &app, "made-up", Some("x")).await, 401);
    }
}

/// The optional per-client volume limit counts only requests the client
/// authenticated: junk with its id spends none of its allowance.
async fn the_per_client_volume_limit_counts_authenticated_requests_only(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limits.token_per_client_per_minute = 3).await;
    let client = service_client(&app).await;
    let secret = client.secret.clone().unwrap();
    let http = from_address("127.0.0.1");
    for _ in 0..10 {
        assert_eq!(
            client_credentials(&from_address("127.0.0.9"), &app, &client.client_id, Some("junk")).await,
            401
        );
    }
    for _ in 0..3 {
        assert_eq!(
            client_credentials(&http, &app, &client.client_id, Some(&secret)).await,
            200
        );
    }
    assert_eq!(
        client_credentials(&http, &app, &client.client_id, Some(&secret)).await,
        429
    );
    let other = service_client(&app).await;
    assert_eq!(
        client_credentials(&http, &app, &other.client_id, other.secret.as_deref()).await,
        200,
        "another client is not limited"
    );
}

/// `/` says what this service is and where to go; an unknown path is a page
/// for a browser and JSON for an API client, never an empty answer.
async fn a_home_page_and_real_not_found_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let home = app.browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("href=\"/account\"") && html.contains("href=\"/developer\""),
        "{html}"
    );
    assert!(
        html.contains("<h1>127.0.0.1</h1>"),
        "named after the issuer's host: {html}"
    );
    let page = app
        .browser
        .get(app.url("/no/such/page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));
    let api = app.api.post(app.url("/no/such/endpoint")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

crate::on_both_backends!(
    a_home_page_and_real_not_found_answers,
    nobody_can_lock_an_app_out_of_the_token_endpoint,
    the_per_client_volume_limit_counts_authenticated_requests_only,
    metrics_count_requests_logins_and_tokens,
    every_response_carries_a_request_id_that_error_pages_show,
);

/// A Redis of the test's own, which it can kill and start again on the
/// same port; it keeps its data on disk (every write synced) as a
/// production Redis would.
struct OwnRedis {
    dir: tempfile::TempDir,
    process: RedisProcess,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let dir = tempfile::tempdir().unwrap();
        let process = RedisProcess::start(dir.path(), false, |port| Self::arguments(dir.path(), port));
        OwnRedis { dir, process }
    }

    fn arguments(dir: &std::path::Path, port: u16) -> Vec<String> {
        let port = port.to_string();
        let dir = dir.display().to_string();
        ["--bind", "127.0.0.1", "--port", &port, "--save", ""]
            .into_iter()
            .chain(["--appendonly", "yes", "--appendfsync", "always", "--dir", &dir])
            .map(str::to_string)
            .collect()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.process.port)
    }

    /// Killed, not shut down: nothing gets a chance to flush.
    fn kill(&mut self) {
        self.process.kill();
    }

    fn restart(&mut self) {
        let port = self.process.port;
        self.process = RedisProcess::spawn(self.dir.path(), port, false, &Self::arguments(self.dir.path(), port))
            .unwrap_or_else(|| panic!("port {port} was taken while Redis was down"));
    }
}

async fn ready(app: &TestApp) -> u16 {
    app.api.get(app.url("/readyz")).send().await.unwrap().status().as_u16()
}

/// Polls `/readyz` (for up to about 30 s) until the server says it is ready.
async fn ready_again(app: &TestApp) -> bool {
    for _ in 0..300 {
        if ready(app).await == 200 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Losing Redis costs availability while it is gone and nothing else: fast
/// 503s (never a 500), `/readyz` unready, then recovery on its own, with a
/// code issued before the outage still redeemable after it.
#[tokio::test]
async fn losing_redis_costs_availability_and_nothing_else() {
    let mut redis = OwnRedis::start();
    let url = redis.url();
    let app = spawn_app_with(Backend::PostgresRedis, move |s| {
        s.redis_url = Secret::new(url);
        s.admin.enabled = true;
        crate::gateway::guarding(s);
        s.issuer = s.issuer.replace("localhost", "127.0.0.1");
        s.gateway.domains = vec!["127.0.0.1".into()];
    })
    .await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (first_code, first_verifier) = app.get_code(&client, "alice").await;
    let issued: serde_json::Value = app
        .redeem(&client, &first_code, &first_verifier)
        .await
        .json()
        .await
        .unwrap();
    let refresh_token = issued["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let refresh = || app.token(&client, &form);
    let (code, verifier) = app.get_code(&client, "alice").await;
    assert_eq!(ready(&app).await, 200);

    redis.kill();
    let token = app.redeem(&client, &code, &verifier).await;
    assert_eq!(token.status(), 503);
    assert!(token.headers().contains_key("retry-after"));
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let login = app.browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(login.status(), 503, "a clear page, not a 500");
    assert!(login.text().await.unwrap().contains("briefly unavailable"));
    assert_eq!(refresh().await.status(), 503);
    assert_eq!(ready(&app).await, 503);
    // The console, the management API and the gateway say so too, never
    // "sign in" (a store outage is not a signed-out person).
    let console = app.browser.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(console.status(), 503);
    let api = app.browser.get(app.url("/admin/api/users")).send().await.unwrap();
    assert_eq!(api.status(), 503);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let gateway = app
        .api
        .get(app.url("/gateway/auth-request"))
        .header("X-Original-URL", "http://wiki.localhost/")
        .header("Cookie", "sesame_gateway=some-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(gateway.status(), 503);
    let challenge = crate::helpers::pkce_challenge(&verifier);
    let authorize = app
        .authorize(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .await;
    // The client's record is checked against a version mark in Redis, so the
    // request cannot be validated: a page, never a redirect or a 500.
    assert_eq!(authorize.status(), 503);
    assert!(!authorize.headers().contains_key("location"));

    redis.restart();
    assert!(ready_again(&app).await, "ready again once Redis is back");
    let token = app.redeem(&client, &code, &verifier).await;
    assert_eq!(token.status(), 200, "the code issued before the outage survived it");
    let refreshed = refresh().await;
    assert_eq!(
        refreshed.status(),
        200,
        "the refresh that failed during the outage left the token current"
    );
}

/// A PostgreSQL server of the test's own (Debian's binaries, run as the
/// `postgres` user), which it can stop hard and start again.
struct OwnPostgres {
    port: u16,
    data: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries under /usr/lib/postgresql (bash .ci/services installs them)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|p| p.join("pg_ctl").exists())
            .expect("pg_ctl");
        let data = tempfile::tempdir().unwrap();
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(data.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let mut postgres = OwnPostgres { port: 0, data, bin };
        let init = postgres
            .as_postgres(&postgres.bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(postgres.data.path().join("db"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(init.success(), "initdb");
        // pg_ctl fails when the server cannot bind its port: another is tried.
        let port = on_a_free_port("PostgreSQL", |port| {
            postgres.port = port;
            postgres.try_pg_ctl(&["start", "-w"]).then_some(port)
        });
        postgres.port = port;
        postgres
    }

    fn as_postgres(&self, program: &std::path::Path) -> Command {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    }

    fn pg_ctl(&self, args: &[&str]) {
        assert!(self.try_pg_ctl(args), "pg_ctl {args:?}");
    }

    fn try_pg_ctl(&self, args: &[&str]) -> bool {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.data.path().display()
        );
        let status = self
            .as_postgres(&self.bin.join("pg_ctl"))
            .args(args)
            .arg("-D")
            .arg(self.data.path().join("db"))
            .args(["-o", &options, "-l"])
            .arg(self.data.path().join("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        status.success()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Immediate shutdown: connections cut, no checkpoint (a crash, as far as
    /// clients can tell).
    fn crash(&self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
    }

    fn restart(&self) {
        self.pg_ctl(&["start", "-w"]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .as_postgres(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.data.path().join("db"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Losing the database: fast 503s at the token endpoint and the sign-in
/// page, `/readyz` unready, recovery on its own, and the refresh token that
/// failed to rotate during the outage still current after it.
#[tokio::test]
async fn losing_the_database_costs_availability_and_nothing_else() {
    let postgres = OwnPostgres::start();
    let url = postgres.url();
    let app = spawn_app_with(Backend::PostgresRedis, move |s| s.database_url = Secret::new(url)).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let issued: serde_json::Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    let refresh_token = issued["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let person = app.other_browser();
    let login_page = person
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_field(&login_page, "csrf");

    postgres.crash();
    let refresh = app.token(&client, &form).await;
    assert_eq!(refresh.status(), 503);
    let body: serde_json::Value = refresh.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let sign_in = person
        .post(app.url("/login"))
        .form(&[
            ("req", ""),
            ("csrf", csrf.as_str()),
            ("username", "alice"),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 503, "a clear page, not a 500");
    assert!(sign_in.text().await.unwrap().contains("briefly unavailable"));
    assert_eq!(ready(&app).await, 503);

    postgres.restart();
    assert!(ready_again(&app).await, "ready again once the database is back");
    let refreshed = app.token(&client, &form).await;
    assert_eq!(
        refreshed.status(),
        200,
        "the refresh token survived the outage unconsumed"
    );
}

/// The SQLite file holds password hashes and encrypted keys: created for its
/// owner only, in a folder only its owner can list.
#[tokio::test]
async fn the_sqlite_file_and_its_folder_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("sesame.db");
    let store = sesame::store::sql::SqlStore::connect(&format!("sqlite://{}", path.display()), 1)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let wal = path.with_extension("db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    store.close().await;
}
