//! What people do, in a real browser (Debian's headless Chromium through
//! chromedriver): single sign-on across two apps and ending the session on
//! the account page; single logout across two demo apps (the
//! `sesame-demo-rp` binary); a developer registering an app on the portal.
//!
//! Chromium and chromedriver must be installed (`bash .ci/services` does it).
//! Set SESAME_SKIP_BROWSER_TESTS=1 to skip these tests locally; they say so.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use fantoccini::Locator;
use sesame::admin::{self, NewClient};

use crate::helpers::chromium::Chromium;
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

/// A relying app's callback page on loopback, so the browser has somewhere to land.
pub(crate) fn start_relying_app() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/html")
                .body("<p id=app>Back at the app</p>")
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    port
}

async fn register(app: &TestApp, name: &str, redirect_uri: &str) -> String {
    let new = NewClient {
        name: name.into(),
        redirect_uris: vec![redirect_uri.into()],
        public: false,
        client_id: None,
        auth_method: None,
        first_party: true,
        id_token_alg: None,
        ..Default::default()
    };
    admin::add_client(&app.services.client_admin(), new, sesame::admin::Via::Cli)
        .await
        .unwrap()
        .client
        .client_id
        .to_string()
}

fn authorize_url(app: &TestApp, client_id: &str, redirect_uri: &str, prompt: Option<&str>) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("state", "browser");
    if let Some(prompt) = prompt {
        url.query_pairs_mut().append_pair("prompt", prompt);
    }
    url.to_string()
}

fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Signs alice in on Sesame's login page, where the browser is now.
async fn sign_in_on_the_login_page(browser: &Chromium) {
    browser.type_into("username", "alice").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
}

async fn two_apps_share_one_login_in_a_real_browser(backend: Backend) {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let rp = start_relying_app();
    let (a_uri, b_uri) = (
        format!("http://127.0.0.1:{rp}/a/callback"),
        format!("http://127.0.0.1:{rp}/b/callback"),
    );
    let a = register(&app, "App A", &a_uri).await;
    let b = register(&app, "App B", &b_uri).await;
    app.add_user("alice").await;

    // App A: the login page, then back at A with a code.
    browser.goto(&authorize_url(&app, &a, &a_uri, None)).await.unwrap();
    assert!(browser.current_url().await.unwrap().path().starts_with("/login"));
    sign_in_on_the_login_page(&browser).await;
    let landed = browser.url_once_at(&a_uri).await;
    assert!(query_param(&landed, "code").is_some());

    // App B: straight back with a code, no login page.
    browser.goto(&authorize_url(&app, &b, &b_uri, None)).await.unwrap();
    let landed = browser.current_url().await.unwrap();
    assert!(
        landed.as_str().starts_with(&b_uri),
        "app B must not show the login page: {landed}"
    );
    assert!(query_param(&landed, "code").is_some());

    // The account page lists both apps.
    browser.goto(&app.url("/account")).await.unwrap();
    let html = browser.source().await.unwrap();
    assert!(html.contains("App A") && html.contains("App B"), "{html}");

    // End the session there; the next prompt=none is login_required.
    browser.click("form[action='/account/sessions/end'] button").await;
    let signed_out = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("signed-out"))
        .await;
    assert!(signed_out.is_ok(), "the signed-out page is shown");
    browser
        .goto(&authorize_url(&app, &a, &a_uri, Some("none")))
        .await
        .unwrap();
    let landed = browser.current_url().await.unwrap();
    assert_eq!(
        query_param(&landed, "error").as_deref(),
        Some("login_required"),
        "{landed}"
    );
    assert_eq!(query_param(&landed, "state").as_deref(), Some("browser"));
    browser.quit().await;
}

/// A `sesame-demo-rp` process (the demo app of the README) on a port it
/// picks, registered for back-channel logout; stopped when dropped.
struct DemoApp {
    base: String,
    client_id: String,
    process: Child,
}

impl DemoApp {
    async fn start(app: &TestApp, name: &str) -> DemoApp {
        // Registered first (the app needs its credentials to start), its
        // URIs set once it has a port, as an operator would.
        let new = |base: &str| NewClient {
            name: name.into(),
            redirect_uris: vec![format!("{base}/callback")],
            first_party: true,
            post_logout_redirect_uris: vec![format!("{base}/")],
            backchannel_logout_uri: Some(format!("{base}/backchannel-logout")),
            ..Default::default()
        };
        let admin = app.services.client_admin();
        let created = admin::add_client(&admin, new("http://127.0.0.1:9"), admin::Via::Cli)
            .await
            .unwrap();
        let client_id = created.client.client_id.to_string();
        let mut process = Command::new(env!("CARGO_BIN_EXE_sesame-demo-rp"))
            .args(["--port", "0", "--issuer", &app.issuer, "--name", name])
            .args(["--client-id", &client_id])
            .env("DEMO_RP_CLIENT_SECRET", created.secret.unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the sesame-demo-rp binary runs");
        // Its first line: "<name> on http://127.0.0.1:<port>/". Read off
        // this test's runtime, which goes on serving Sesame meanwhile (the
        // app asks Sesame's discovery before it prints it).
        let stdout = process.stdout.take().unwrap();
        let first_line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let Some(base) = first_line.split(" on ").nth(1) else {
            // It said why on stderr before it exited.
            let mut why = String::new();
            if let Some(mut stderr) = process.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut why);
            }
            panic!("sesame-demo-rp did not start: {first_line:?} {why}");
        };
        let base = base.trim().trim_end_matches('/').to_string();
        // Drained from now on, so that a chatty app never blocks on a full pipe.
        if let Some(mut stderr) = process.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        }
        admin::update_client(&admin, &created.client.client_id, new(&base))
            .await
            .unwrap();
        DemoApp {
            base,
            client_id,
            process,
        }
    }
}

impl Drop for DemoApp {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The demo app's status line; what the page shows instead when it has none
/// (a page still loading under a busy machine, say), so that callers can
/// wait and retry and a failure says what was there.
async fn status_text(browser: &Chromium) -> String {
    match browser.find(Locator::Id("status")).await {
        Ok(status) => status.text().await.unwrap_or_default(),
        Err(_) => format!("(no status) {}", browser.source().await.unwrap_or_default()),
    }
}

/// Waits (at most ten seconds) until the current page shows `expected`: the
/// URL may already be the app's while its callback is still redirecting.
async fn status_eventually(browser: &Chromium, expected: &str) -> String {
    let mut status = String::new();
    for _ in 0..50 {
        status = status_text(browser).await;
        if status.contains(expected) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    status
}

/// Waits (at most ten seconds) until the page at `url` shows `expected`.
async fn wait_for_status(browser: &Chromium, url: &str, expected: &str) -> String {
    let mut status = String::new();
    for _ in 0..50 {
        browser.goto(url).await.unwrap();
        status = status_text(browser).await;
        if status.contains(expected) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    status
}

async fn logging_out_of_one_demo_app_logs_out_of_both(backend: Backend) {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let a = DemoApp::start(&app, "Demo A").await;
    let b = DemoApp::start(&app, "Demo B").await;
    let (a_home, b_home) = (format!("{}/", a.base), format!("{}/", b.base));

    // Sign in to A through Sesame's login page.
    browser.goto(&a_home).await.unwrap();
    browser.click("#login").await;
    browser.url_once_at(&app.url("/login")).await;
    sign_in_on_the_login_page(&browser).await;
    browser.url_once_at(&a_home).await;
    let status = status_eventually(&browser, "Signed in as alice").await;
    assert!(status.contains("Signed in as alice"), "{status}");

    // B: single sign-on, no login page.
    browser.goto(&b_home).await.unwrap();
    browser.click("#login").await;
    browser.url_once_at(&b_home).await;
    let status = status_eventually(&browser, "Signed in as alice").await;
    assert!(status.contains("Signed in as alice"), "{status}");

    // Sign out of A; B hears it over the back channel.
    browser.goto(&a_home).await.unwrap();
    browser.click("#logout").await;
    browser.url_once_at(&a_home).await;
    let status = status_eventually(&browser, "Not signed in").await;
    assert!(status.contains("Not signed in"), "{status}");
    let b_status = wait_for_status(&browser, &b_home, "Not signed in").await;
    assert!(b_status.contains("Not signed in"), "B still shows: {b_status}");

    // And Sesame itself: prompt=none is login_required.
    let b_callback = format!("{}/callback", b.base);
    browser
        .goto(&authorize_url(&app, &b.client_id, &b_callback, Some("none")))
        .await
        .unwrap();
    let landed = browser.url_once_at(&b_callback).await;
    assert_eq!(query_param(&landed, "error").as_deref(), Some("login_required"));
    browser.quit().await;
}

/// A developer signs in to the portal, registers an app, and the credentials
/// the page shows complete a sign-in to it.
async fn a_developer_registers_an_app_on_the_portal_and_signs_in_with_it(backend: Backend) {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let rp = start_relying_app();
    let callback = format!("http://127.0.0.1:{rp}/callback");
    app.add_user("alice").await;
    admin::set_user_role(
        &app.services.user_admin(),
        "alice",
        sesame::domain::Role::Developer,
        true,
    )
    .await
    .unwrap();

    browser.goto(&app.url("/developer")).await.unwrap();
    browser.url_once_at(&app.url("/login?next=")).await;
    sign_in_on_the_login_page(&browser).await;
    browser.url_once_at(&app.url("/developer")).await;
    browser
        .find(Locator::LinkText("Register an application"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.url_once_at(&app.url("/developer/clients/new")).await;

    // A mistake first: the message shows next to the field.
    browser.type_into("name", "Browser App").await;
    browser.type_into("redirect_uris", "not a uri").await;
    browser.click("#save").await;
    assert!(
        browser
            .text_of("redirect_uris-error")
            .await
            .contains("not an absolute URI")
    );
    let field = browser.find(Locator::Id("redirect_uris")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&callback).await.unwrap();
    browser.click("#save").await;
    let client_id = browser.text_of("client-id").await;
    let secret = browser.text_of("client-secret").await;

    // Those credentials sign alice in to the app (it is a third-party app:
    // she allows it on the consent page).
    browser
        .goto(&authorize_url(&app, &client_id, &callback, None))
        .await
        .unwrap();
    browser.url_once_at(&app.url("/consent")).await;
    assert!(browser.source().await.unwrap().contains("Browser App"));
    browser.click("button[value=allow]").await;
    let landed = browser.url_once_at(&callback).await;
    let code = query_param(&landed, "code").expect("a code");
    let tokens = app
        .api
        .post(app.url("/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200);
    let body: serde_json::Value = tokens.json().await.unwrap();
    assert!(body["id_token"].is_string());
    browser.quit().await;
}

crate::on_both_backends!(
    two_apps_share_one_login_in_a_real_browser,
    logging_out_of_one_demo_app_logs_out_of_both,
    a_developer_registers_an_app_on_the_portal_and_signs_in_with_it,
);

/// How far the page scrolls sideways (0 when it fits).
async fn overflow(browser: &Chromium) -> i64 {
    let script = "return document.documentElement.scrollWidth - window.innerWidth;";
    browser.execute(script, vec![]).await.unwrap().as_i64().unwrap()
}

/// The pages fit a 320 px phone in light and dark mode (no horizontal
/// scrolling), and axe-core finds no WCAG 2.2 AA violation on any of them:
/// home, sign-in (and its error), forgot password, sign-up, the account and
/// profile pages, consent, the developer portal, a 404 and a 405, in
/// English and German.
#[tokio::test]
async fn pages_fit_a_small_phone_and_pass_an_accessibility_check() {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteMemory, |s| {
        s.signup.mode = sesame::config::SignupMode::Open;
        s.admin.enabled = true;
    })
    .await;
    let alice = app.add_user("alice").await;
    let now = sesame::clock::Clock::now(&*app.clock);
    app.services
        .users
        .set_roles(alice.id, &[sesame::domain::Role::Admin], now)
        .await
        .unwrap();
    app.services.group_admin().create("staff").await.unwrap();
    app.services.group_admin().add_member("staff", "alice").await.unwrap();
    let client = app.add_third_party_client().await;
    browser.set_window_size(320, 700).await.unwrap();
    // Every page is checked before the test fails, so one run lists all.
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut check = |label: String, overflow: i64, violations: Vec<String>| {
        if overflow > 0 {
            failures.push(format!("{label} scrolls sideways at 320 px"));
        }
        failures.extend(violations.into_iter().map(|v| format!("{label}: {v}")));
    };
    for scheme in ["light", "dark"] {
        browser.prefer_colour_scheme(scheme).await;
        for path in ["/", "/login", "/login/forgot", "/signup", "/nowhere", "/token"] {
            browser.goto(&app.url(path)).await.unwrap();
            check(
                format!("{path} ({scheme})"),
                overflow(&browser).await,
                browser.accessibility_violations().await,
            );
            checked.push(path);
        }
    }
    // A wrong password: the error is announced and tied to the fields.
    browser.goto(&app.url("/login")).await.unwrap();
    browser.type_into("username", "alice").await;
    browser.type_into("password", "not the password").await;
    browser.click("button[type=submit]").await;
    browser.once_page_has("login-error").await;
    let focused = browser
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "login-error", "focus moves to the error");
    check(
        "/login with an error".into(),
        overflow(&browser).await,
        browser.accessibility_violations().await,
    );

    browser.type_into("password", crate::helpers::PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/account")).await;
    for path in [
        "/account",
        "/account/profile",
        "/account/totp",
        "/developer",
        "/admin/users",
        "/admin/user?u=alice",
        "/admin/groups",
        "/admin/group?g=staff",
        "/admin/audit",
        "/admin/keys",
        "/admin/clients",
        "/admin/deliveries",
        "/admin/registration-tokens",
    ] {
        browser.goto(&app.url(path)).await.unwrap();
        check(
            path.to_string(),
            overflow(&browser).await,
            browser.accessibility_violations().await,
        );
    }
    // The consent page of a third-party app.
    let consent = format!(
        "/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid%20email&ui_locales=de",
        client.client_id,
        url::form_urlencoded::byte_serialize(client.redirect_uri.as_bytes()).collect::<String>()
    );
    browser.goto(&app.url(&consent)).await.unwrap();
    let html = browser.once_page_has("consent").await;
    assert!(html.contains("lang=\"de\"") && html.contains("erlauben?"), "{html}");
    check(
        "/consent (de)".into(),
        overflow(&browser).await,
        browser.accessibility_violations().await,
    );
    browser.goto(&app.url("/account")).await.unwrap();
    check(
        "/account (de)".into(),
        overflow(&browser).await,
        browser.accessibility_violations().await,
    );
    browser.quit().await;
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked.len() >= 12);
}

/// With only a browser, an operator creates a person in the admin console,
/// makes a group and puts them in it; the person then signs in to the demo
/// app, which shows the group from its ID token.
#[tokio::test]
async fn an_operator_creates_a_user_in_the_console_and_the_app_sees_their_group() {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(Backend::SqliteMemory, |s| s.admin.enabled = true).await;
    let root = app.add_user("root").await;
    let now = sesame::clock::Clock::now(&*app.clock);
    app.services
        .users
        .set_roles(root.id, &[sesame::domain::Role::Admin], now)
        .await
        .unwrap();
    let demo = DemoApp::start(&app, "Demo").await;

    browser.goto(&app.url("/login?next=/admin")).await.unwrap();
    browser.type_into("username", "root").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/admin/users")).await;
    browser.type_into("new-username", "carol").await;
    browser.type_into("new-password", PASSWORD).await;
    browser.click("#create-user").await;
    browser.url_once_at(&app.url("/admin/user?u=carol")).await;
    browser.goto(&app.url("/admin/groups")).await.unwrap();
    browser.type_into("group-name", "staff").await;
    browser.click("#create-group").await;
    browser.url_once_at(&app.url("/admin/groups?done")).await;
    browser.goto(&app.url("/admin/user?u=carol")).await.unwrap();
    browser.click("#join").await;
    browser.url_once_at(&app.url("/admin/user?u=carol&done=join")).await;
    let html = browser.source().await.unwrap();
    assert!(html.contains("href=\"/admin/group?g=staff\""), "{html}");

    // The operator leaves; carol signs in to the app on this browser.
    browser.delete_all_cookies().await.unwrap();
    let home = format!("{}/", demo.base);
    browser.goto(&home).await.unwrap();
    browser.click("#login").await;
    browser.url_once_at(&app.url("/login")).await;
    browser.type_into("username", "carol").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&home).await;
    let status = status_eventually(&browser, "Signed in as carol").await;
    assert!(status.contains("Signed in as carol"), "{status}");
    let groups = browser.text_of("groups").await;
    assert_eq!(groups, "Groups: staff");
    browser.quit().await;
}

/// The gateway's "done when", in Chromium: a person signs in once to an
/// OIDC app and then reaches an app behind nginx and one behind Caddy (the
/// README's configurations) without signing in again; signing out of the
/// OIDC app (RP-initiated logout) sends the next proxied request to the
/// sign-in page. Sesame is `id.sesame.localhost`, the apps
/// `wiki.sesame.localhost` (Chromium finds any `*.localhost` on this
/// machine; a bare `localhost` could not carry a domain cookie).
#[tokio::test]
async fn one_sign_in_reaches_an_oidc_app_and_apps_behind_nginx_and_caddy() {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app_with(Backend::SqliteMemory, |s| {
        crate::gateway::guarding(s);
        s.issuer = s.issuer.replace("localhost", "id.sesame.localhost");
        s.gateway.domains = vec!["sesame.localhost".into()];
        s.gateway.rules = vec![sesame::config::GatewayRuleSettings {
            hosts: vec!["wiki.sesame.localhost".into()],
            policy: "one_factor".into(),
            ..Default::default()
        }];
    })
    .await;
    // As the browser reaches it (the test's own calls go to 127.0.0.1).
    let issuer = app.services.settings.issuer.clone();
    app.add_user("alice").await;
    let rp = start_relying_app();
    let callback = format!("http://127.0.0.1:{rp}/callback");
    let client = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: "OIDC app".into(),
            redirect_uris: vec![callback.clone()],
            first_party: true,
            ..Default::default()
        },
        admin::Via::Cli,
    )
    .await
    .unwrap();
    let echo = crate::helpers::proxies::EchoApp::start();
    let dir = tempfile::tempdir().unwrap();
    let sesame_port: u16 = issuer.rsplit(':').next().unwrap().parse().unwrap();
    let host = "wiki.sesame.localhost";
    let nginx = crate::helpers::proxies::nginx(dir.path(), sesame_port, echo.port, host);
    let caddy = crate::helpers::proxies::caddy(dir.path(), sesame_port, echo.port, host);

    // The OIDC app: signed in through Sesame's login page.
    let mut authorize = url::Url::parse(&format!("{issuer}/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", client.client.client_id.as_str())
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid");
    browser.goto(authorize.as_str()).await.unwrap();
    browser.url_once_at(&format!("{issuer}/login")).await;
    sign_in_on_the_login_page(&browser).await;
    let landed = browser.url_once_at(&callback).await;
    let code = query_param(&landed, "code").expect("a code");
    let tokens: serde_json::Value = app
        .api
        .post(app.url("/token"))
        .basic_auth(client.client.client_id.as_str(), client.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token").to_string();

    // The proxied apps: no sign-in page, the identity reaches the app.
    for port in [nginx.port, caddy.port] {
        let page = format!("http://{host}:{port}/page");
        browser.goto(&page).await.unwrap();
        browser.url_once_at(&page).await;
        let body = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
        assert!(body.contains("\"remote-user\":\"alice\""), "{port}: {body}");
    }

    // Signing out of the OIDC app closes the proxied ones.
    browser
        .goto(&format!("{issuer}/end_session?id_token_hint={id_token}"))
        .await
        .unwrap();
    browser.url_once_at(&format!("{issuer}/end_session")).await;
    browser
        .goto(&format!("http://{host}:{}/page", nginx.port))
        .await
        .unwrap();
    browser.url_once_at(&format!("{issuer}/login")).await;
    browser.quit().await;
    drop((nginx, caddy));
    echo.stop().await;
}

/// "Sign in with Corp SSO" in a real browser: the button on the login page
/// (which passes the accessibility check at 320 px with it), the upstream
/// Sesame's own login page, and back signed in to an account made for the
/// person, whose account page lists the linked provider; later, that
/// account (no password) confirms it is them by signing in there again.
#[tokio::test]
async fn signing_in_with_an_upstream_account_in_a_real_browser() {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    // The upstream's logout notices leave when the test sends them.
    let (upstream, downstream) = crate::federation::federated_pair_with(
        Backend::SqliteMemory,
        sesame::config::Provisioning::Allowed,
        crate::federation::upstream_sends_when_told,
    )
    .await;
    browser.set_window_size(320, 700).await.unwrap();
    browser.goto(&downstream.url("/login")).await.unwrap();
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "/login with an upstream: {violations:?}");
    assert_eq!(overflow(&browser).await, 0);
    browser.click("#upstream-corp").await;
    // The upstream's login page (it is another Sesame).
    browser.url_once_at(&upstream.url("/login")).await;
    sign_in_on_the_login_page(&browser).await;
    browser.url_once_at(&downstream.url("/account")).await;
    let page = browser.once_page_has("Accounts elsewhere").await;
    assert!(page.contains("alice"), "{page}");
    assert!(page.contains("Corp SSO"), "{page}");
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "/account with a linked upstream: {violations:?}");

    // Later, a change that needs a recent sign-in: the account has no
    // password, so it is confirmed at the upstream, asked to sign in again.
    let later = downstream.services.settings.mfa.recent_authentication_secs as i64 + 1;
    upstream.clock.advance(later);
    downstream.clock.advance(later);
    browser.goto(&downstream.url("/account/totp")).await.unwrap();
    browser.url_once_at(&downstream.url("/account/confirm")).await;
    let page = browser.once_page_has("Sign in again with Corp SSO").await;
    assert!(!page.contains("id=\"password\""), "{page}");
    let violations = browser.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "/account/confirm with an upstream: {violations:?}"
    );
    assert_eq!(overflow(&browser).await, 0);
    browser.click("#confirm-with-corp").await;
    browser.url_once_at(&upstream.url("/login")).await;
    sign_in_on_the_login_page(&browser).await;
    browser.url_once_at(&downstream.url("/account")).await;
    browser.once_page_has("Accounts elsewhere").await;
    // The upstream ended its old session (the person signed in there
    // again) and tells this Sesame: the session here came through the new one.
    crate::federation::send_upstream_notices(&upstream).await;
    browser.goto(&downstream.url("/account/totp")).await.unwrap();
    browser.url_once_at(&downstream.url("/account/totp")).await;
    browser.quit().await;
}
