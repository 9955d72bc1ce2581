//! `spawn_app()`: the real server on port 0 with its own database and Redis
//! key prefix, a [`Browser`] and an API client to talk to it, and the steps
//! of a sign-in and a token request that most tests share.
//!
//! Beside it: [`browser`] (a browser taken step by step), [`chromium`] (a
//! real one), [`relying_party`] (an app that receives logout notices and
//! checks what Sesame signs), [`processes`] (servers a test runs itself).

pub mod browser;
pub mod certificates;
pub mod chromium;
pub mod processes;
pub mod proxies;
pub mod relying_party;
pub mod slapd;
pub mod smtp;
pub mod snapshot;

use std::net::TcpListener;
use std::sync::Arc;

pub use browser::Browser;

use actix_web::web;
use sesame::admin::{self, NewClient, NewUser};
use sesame::clock::{Clock, MockClock};
use sesame::config::{Secret, Settings};
use sesame::domain::AuthMethod;
use sesame::http::Application;
use sesame::startup;
use sesame::startup::Services;
use sqlx::Connection;
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// SQLite file + in-process ephemeral store (the defaults).
    SqliteMemory,
    /// PostgreSQL + Redis (production).
    PostgresRedis,
}

/// Generates one `#[tokio::test]` per backend for each named `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_memory {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::SqliteMemory).await } )*
        }
        mod postgres_redis {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::PostgresRedis).await } )*
        }
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("SESAME_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("SESAME_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub issuer: String,
    pub clock: Arc<MockClock>,
    /// Where `/metrics` is served, when `metrics.listen` was set.
    pub metrics_port: Option<u16>,
    /// Where the console is served, when `admin.listen` was set.
    pub admin_port: Option<u16>,
    pub services: web::Data<Services>,
    /// The person's browser.
    pub browser: Browser,
    /// No cookies: a relying app's back channel.
    pub api: reqwest::Client,
    postgres_database: Option<String>,
    _dir: tempfile::TempDir,
}

pub struct TestClient {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

impl TestClient {
    /// The id as Sesame's own types take it.
    pub fn id(&self) -> sesame::domain::ClientId {
        sesame::domain::ClientId::parse(&self.client_id).unwrap()
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// The server's log lines go to the test's captured output (shown when the
/// test fails), at `SESAME_TEST_LOG` (an env-filter; `warn` by default).
fn capture_server_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("SESAME_TEST_LOG").unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .try_init();
    });
}

pub async fn spawn_app_with(backend: Backend, customise: impl FnOnce(&mut Settings)) -> TestApp {
    capture_server_logs();
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = Settings::defaults();
    settings.issuer = format!("http://127.0.0.1:{port}");
    settings.listen = format!("127.0.0.1:{port}");
    settings.keys_dir = dir.path().join("keys");
    settings.http.workers = 1;
    // Test apps live at http://app.example and the like.
    settings.registration.http_uris = sesame::config::HttpUris::Any;
    let mut postgres_database = None;
    match backend {
        Backend::SqliteMemory => {
            settings.database_url = Secret::new(format!("sqlite://{}", dir.path().join("sesame.db").display()));
            settings.store_journal = dir.path().join("data").join("sesame-store.journal");
            settings.admin_socket = dir.path().join("data").join("sesame-admin.sock");
        }
        Backend::PostgresRedis => {
            let name = format!("sesame_test_{}", Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
                .await
                .expect("PostgreSQL must run for the PostgreSQL suite (see README)");
            sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                .execute(&mut admin)
                .await
                .unwrap();
            let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
            url.set_path(&name);
            settings.database_url = Secret::new(url.to_string());
            settings.redis_url = Secret::new(redis_url());
            settings.redis_prefix = format!("test:{}:", Uuid::new_v4().simple());
            postgres_database = Some(name);
        }
    }
    customise(&mut settings);
    let clock = MockClock::new();
    seed_signing_keys(&settings, clock.now()).await;
    let services = startup::build_services(settings, clock.clone())
        .await
        .expect("services start");
    let optional = |address: &str| (!address.is_empty()).then(|| TcpListener::bind(address).unwrap());
    let listeners = sesame::http::Listeners {
        public: listener,
        metrics: optional(&services.settings.metrics.listen),
        admin: optional(&services.settings.admin.listen),
    };
    let app = Application::with_listeners(services, listeners).unwrap();
    let services = app.services();
    let metrics_port = app.metrics_port();
    let admin_port = app.admin_port();
    tokio::spawn(app.run());
    // This node's own address; as `localhost` when the issuer is (a test
    // that needs a domain name for WebAuthn).
    let on_localhost = services.settings.issuer.starts_with("http://localhost:");
    let host = if on_localhost { "localhost" } else { "127.0.0.1" };
    let issuer = format!("http://{host}:{port}");
    TestApp {
        browser: Browser::new(&issuer),
        issuer,
        clock,
        services,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        postgres_database,
        metrics_port,
        admin_port,
        _dir: dir,
    }
}

/// RSA key generation costs ~250 ms of CPU; every test app starts with the
/// same pre-generated pair (RS256 and ES256), stored as a first start would.
/// Tests of rotation generate their own on top.
async fn seed_signing_keys(settings: &Settings, now: i64) {
    use sesame::domain::StoredKey;
    use sesame::keys::{Alg, KekRing, KeyMaterial};
    use sesame::store::KeyRepository;
    static PEMS: std::sync::OnceLock<Vec<(Alg, Vec<u8>)>> = std::sync::OnceLock::new();
    let pems = PEMS.get_or_init(|| {
        Alg::ALL
            .iter()
            .map(|alg| (*alg, KeyMaterial::generate(*alg).unwrap().private_pem))
            .collect()
    });
    let sql = startup::connect_sql(settings).await.unwrap();
    let kek = KekRing::load(&settings.keys_dir, &settings.keys.encryption_key).unwrap();
    for (alg, pem) in pems {
        let material = KeyMaterial::from_pem(*alg, pem.clone()).unwrap();
        let (kek_id, private_key) = kek.encrypt(&material.kid, &material.private_pem).unwrap();
        let key = StoredKey {
            kid: material.kid.clone(),
            alg: *alg,
            generation: 1,
            private_key,
            kek_id,
            public_jwk: serde_json::to_string(&material.public_jwk).unwrap(),
            created_at: now,
            activates_at: now,
            revoked_at: None,
        };
        // `false` when another test app on the same database seeded them already.
        sql.insert_key(&key).await.unwrap();
    }
    sql.close().await;
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let Some(name) = self.postgres_database.take() else {
            return;
        };
        // Drop is synchronous; a small runtime on its own thread removes the database.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

impl TestApp {
    /// The value of one of the browser's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.browser.cookie(name)
    }

    /// Another browser (another device, another person), with no cookies.
    pub fn other_browser(&self) -> Browser {
        Browser::new(&self.issuer)
    }

    /// Another browser whose connections come from `address` (any of 127.0.0.0/8).
    pub fn browser_from(&self, address: &str) -> Browser {
        Browser::from_address(&self.issuer, address)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// A group made as an operator would (no members).
    pub async fn add_group(&self, name: &str) -> uuid::Uuid {
        let group = sesame::domain::Group {
            id: uuid::Uuid::now_v7(),
            name: sesame::domain::GroupName::parse(name).unwrap(),
            created_at: 0,
            members: 0,
        };
        self.services.groups.create_group(&group).await.unwrap();
        group.id
    }

    /// The names of the groups a person is in, sorted.
    pub async fn group_names(&self, user_id: uuid::Uuid) -> Vec<String> {
        let groups = self.services.groups.groups_of(user_id).await.unwrap();
        let mut names: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        names.sort();
        names
    }

    pub async fn add_user(&self, username: &str) -> sesame::domain::User {
        admin::add_user(
            &*self.services.users,
            &*self.services.clock,
            NewUser {
                username: username.into(),
                email: Some(format!("{username}@example.com")),
                display_name: Some(format!("{username} Example")),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
    }

    /// Signs `username` in on the browser without the login page: a session
    /// started as a successful sign-in starts it, its cookie set. For tests
    /// where the login page is not under test.
    pub async fn seed_session(&self, username: &str) {
        let (user, _) = self
            .services
            .users
            .find_credentials(&sesame::domain::Username::parse(username).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {username}"));
        let origin = sesame::session::Origin {
            user_agent: "test",
            client_ip: "127.0.0.1",
        };
        let (cookie, _) = self
            .services
            .sessions()
            .start(user.id, (vec!["pwd".into()], None), &origin)
            .await
            .unwrap();
        self.browser.plant_cookie(&format!("sesame_session={cookie}; Path=/"));
    }

    /// A first-party client (no consent page).
    pub async fn add_client(&self, public: bool) -> TestClient {
        self.add_client_with(public, None, true).await
    }

    /// A third-party client: people are asked for consent.
    pub async fn add_third_party_client(&self) -> TestClient {
        self.add_client_with(false, None, false).await
    }

    pub async fn add_client_with(
        &self,
        public: bool,
        auth_method: Option<AuthMethod>,
        first_party: bool,
    ) -> TestClient {
        let redirect_uri = "http://app.example/callback".to_string();
        let created = admin::add_client(
            &self.services.client_admin(),
            NewClient {
                name: "Test App".into(),
                redirect_uris: vec![redirect_uri.clone(), "http://app.example/other?tenant=a".into()],
                public,
                client_id: None,
                auth_method,
                first_party,
                id_token_alg: None,
                ..Default::default()
            },
            sesame::admin::Via::Cli,
        )
        .await
        .unwrap();
        TestClient {
            client_id: created.client.client_id.to_string(),
            secret: created.secret,
            redirect_uri,
        }
    }

    /// GET /authorize with these parameters, from the browser.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.browser.authorize(params).await
    }

    /// Follows an authorize redirect to the login page and returns
    /// `(request id, csrf token)` from its form.
    pub async fn open_login(&self, authorize_response: reqwest::Response) -> (String, String) {
        self.browser.open_login(authorize_response).await
    }

    pub async fn submit_login(
        &self,
        request_id: &str,
        csrf: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.browser.submit_login(request_id, csrf, username, password).await
    }

    /// Signs `username` in through the login page for an authorization
    /// request and returns the response that goes back to the app.
    pub async fn login_through(&self, params: &[(&str, &str)], username: &str) -> reqwest::Response {
        let (request_id, csrf) = self.open_login(self.authorize(params).await).await;
        self.submit_login(&request_id, &csrf, username, PASSWORD).await
    }

    /// Allows the app on the consent page when `response` leads there (a
    /// third-party app); otherwise returns `response` as it is.
    pub async fn through_consent(&self, response: reqwest::Response, request_id: &str) -> reqwest::Response {
        let target = location(&response);
        if !target.starts_with("/consent?") {
            return response;
        }
        let html = self
            .browser
            .get(self.url(&target))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&html, "csrf");
        self.browser
            .post(self.url("/consent"))
            .form(&[("req", request_id), ("csrf", csrf.as_str()), ("decision", "allow")])
            .send()
            .await
            .unwrap()
    }

    /// A standard authorization request from `client` with PKCE, with a
    /// session seeded for `username` when the browser has none; returns the
    /// code and the verifier.
    pub async fn get_code(&self, client: &TestClient, username: &str) -> (String, String) {
        let verifier = "a".repeat(43) + "-verifier";
        let challenge = pkce_challenge(&verifier);
        let params = [
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", "st"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let mut response = self.authorize(&params).await;
        if location(&response).starts_with("/login") {
            self.seed_session(username).await;
            response = self.authorize(&params).await;
        }
        assert_eq!(response.status(), 303);
        let params = redirect_params(&response);
        (params["code"].clone(), verifier)
    }

    /// POST /token with a form, authenticating as `client` (Basic when it has a secret).
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.api.post(self.url("/token"));
        let mut form: Vec<(&str, &str)> = form.to_vec();
        match &client.secret {
            Some(secret) => request = request.basic_auth(&client.client_id, Some(secret)),
            None => form.push(("client_id", &client.client_id)),
        }
        request.form(&form).send().await.unwrap()
    }

    pub async fn redeem(&self, client: &TestClient, code: &str, verifier: &str) -> reqwest::Response {
        self.token(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &client.redirect_uri),
                ("code_verifier", verifier),
            ],
        )
        .await
    }
}

/// A `prompt=none` authorization-code request from `client` with the PKCE
/// challenge of `verifier`: what an app sends to learn whether the browser
/// is signed in.
pub fn silent_request(client: &TestClient, verifier: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client.client_id.clone()),
        ("redirect_uri", client.redirect_uri.clone()),
        ("response_type", "code".into()),
        ("scope", "openid".into()),
        ("code_challenge", pkce_challenge(verifier)),
        ("code_challenge_method", "S256".into()),
        ("prompt", "none".into()),
    ]
}

impl TestApp {
    /// Sends [`silent_request`] and returns the parameters of the redirect
    /// back to the app.
    pub async fn silent_authorize(
        &self,
        client: &TestClient,
        verifier: &str,
    ) -> std::collections::HashMap<String, String> {
        let params = silent_request(client, verifier);
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect_params(&self.authorize(&params).await)
    }
}

pub fn pkce_challenge(verifier: &str) -> String {
    sesame::crypto::base64url(&sesame::crypto::sha256(verifier.as_bytes()))
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location header on {}", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// The query parameters of a redirect back to an app.
pub fn redirect_params(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(&location(response)).unwrap();
    url.query_pairs().into_owned().collect()
}

pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}
