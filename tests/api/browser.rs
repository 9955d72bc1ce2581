//! Single sign-on in a real browser (Debian's headless Chromium through
//! chromedriver): sign in to app A, app B gets a code without the login page,
//! the account page lists both apps, and ending the session there makes the
//! next `prompt=none` answer `login_required`.
//!
//! Chromium and chromedriver must be installed (`bash .ci/services` does it).
//! Set SESAME_SKIP_BROWSER_TESTS=1 to skip this test locally; it says so.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use fantoccini::{Client, ClientBuilder, Locator};
use sesame::admin::{self, NewClient};

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    process: Child,
    _profile: tempfile::TempDir,
    client: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_browser() -> Option<Driver> {
    if std::env::var_os("SESAME_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("NOTICE: browser test skipped because SESAME_SKIP_BROWSER_TESTS is set");
        return None;
    }
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the browser test needs Debian's chromium and chromium-driver: run `bash .ci/services` \
         (or set SESAME_SKIP_BROWSER_TESTS=1 to skip it locally)"
    );
    let port = free_port();
    let process = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.path().display())])
    .collect::<Vec<_>>();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..50 {
        match ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Driver {
                    process,
                    _profile: profile,
                    client,
                });
            }
            Err(e) => last_error = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start a session: {last_error:?}");
}

/// A relying app's callback page on loopback, so the browser has somewhere to land.
fn start_relying_app() -> u16 {
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

/// The browser's URL once it starts with `prefix` (navigation after a click
/// completes asynchronously); fails after ten seconds.
async fn url_once_at(browser: &Client, prefix: &str) -> url::Url {
    for _ in 0..100 {
        let url = browser.current_url().await.unwrap();
        if url.as_str().starts_with(prefix) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the browser never reached {prefix}: at {}",
        browser.current_url().await.unwrap()
    );
}

fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

async fn two_apps_share_one_login_in_a_real_browser(backend: Backend) {
    let Some(driver) = start_browser().await else {
        return;
    };
    let browser = &driver.client;
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
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("alice")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = url_once_at(browser, &a_uri).await;
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
    browser
        .find(Locator::Css("form[action='/account/sessions/end'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
}

/// Two demo apps (the `sesame-demo-rp` code) registered for back-channel logout.
async fn demo_app(app: &TestApp, name: &str) -> (String, String, sesame::demo_rp::DemoApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let created = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: name.into(),
            redirect_uris: vec![format!("{base}/callback")],
            first_party: true,
            post_logout_redirect_uris: vec![format!("{base}/")],
            backchannel_logout_uri: Some(format!("{base}/backchannel-logout")),
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let client_id = created.client.client_id;
    let config = sesame::demo_rp::DemoConfig {
        issuer: app.issuer.clone(),
        client_id: client_id.clone(),
        client_secret: created.secret.unwrap(),
        name: name.into(),
    };
    let demo = sesame::demo_rp::start(config, listener).await.unwrap();
    (base, client_id, demo)
}

/// The demo app's status line; what the page shows instead when it has none
/// (a page still loading under a busy machine, say), so that callers can
/// wait and retry and a failure says what was there.
async fn status_text(browser: &Client) -> String {
    match browser.find(Locator::Id("status")).await {
        Ok(status) => status.text().await.unwrap_or_default(),
        Err(_) => format!("(no status) {}", browser.source().await.unwrap_or_default()),
    }
}

/// Waits (at most ten seconds) until the current page shows `expected`: the
/// URL may already be the app's while its callback is still redirecting.
async fn status_eventually(browser: &Client, expected: &str) -> String {
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
async fn wait_for_status(browser: &Client, url: &str, expected: &str) -> String {
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
    let Some(driver) = start_browser().await else {
        return;
    };
    let browser = &driver.client;
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let (a_base, _, a) = demo_app(&app, "Demo A").await;
    let (b_base, b_client, b) = demo_app(&app, "Demo B").await;
    tokio::spawn(a.server);
    tokio::spawn(b.server);

    // Sign in to A through Sesame's login page.
    browser.goto(&format!("{a_base}/")).await.unwrap();
    browser.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    url_once_at(browser, &app.url("/login")).await;
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("alice")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    url_once_at(browser, &format!("{a_base}/")).await;
    let status = status_eventually(browser, "Signed in as alice").await;
    assert!(status.contains("Signed in as alice"), "{status}");

    // B: single sign-on, no login page.
    browser.goto(&format!("{b_base}/")).await.unwrap();
    browser.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    url_once_at(browser, &format!("{b_base}/")).await;
    let status = status_eventually(browser, "Signed in as alice").await;
    assert!(status.contains("Signed in as alice"), "{status}");

    // Sign out of A; B hears it over the back channel.
    browser.goto(&format!("{a_base}/")).await.unwrap();
    browser
        .find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    url_once_at(browser, &format!("{a_base}/")).await;
    let status = status_eventually(browser, "Not signed in").await;
    assert!(status.contains("Not signed in"), "{status}");
    let b_status = wait_for_status(browser, &format!("{b_base}/"), "Not signed in").await;
    assert!(b_status.contains("Not signed in"), "B still shows: {b_status}");

    // And Sesame itself: prompt=none is login_required.
    browser
        .goto(&authorize_url(
            &app,
            &b_client,
            &format!("{b_base}/callback"),
            Some("none"),
        ))
        .await
        .unwrap();
    let landed = url_once_at(browser, &format!("{b_base}/callback")).await;
    assert_eq!(query_param(&landed, "error").as_deref(), Some("login_required"));
}

async fn type_into(browser: &Client, id: &str, text: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn click(browser: &Client, css: &str) {
    browser.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn text_of(browser: &Client, id: &str) -> String {
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A developer signs in to the portal, registers an app, and the credentials
/// the page shows complete a sign-in to it.
async fn a_developer_registers_an_app_on_the_portal_and_signs_in_with_it(backend: Backend) {
    let Some(driver) = start_browser().await else {
        return;
    };
    let browser = &driver.client;
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
    url_once_at(browser, &app.url("/login?next=")).await;
    type_into(browser, "username", "alice").await;
    type_into(browser, "password", PASSWORD).await;
    click(browser, "button[type=submit]").await;
    url_once_at(browser, &app.url("/developer")).await;
    browser
        .find(Locator::LinkText("Register an application"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    url_once_at(browser, &app.url("/developer/clients/new")).await;

    // A mistake first: the message shows next to the field.
    type_into(browser, "name", "Browser App").await;
    type_into(browser, "redirect_uris", "not a uri").await;
    click(browser, "#save").await;
    assert!(
        text_of(browser, "redirect_uris-error")
            .await
            .contains("not an absolute URI")
    );
    let field = browser.find(Locator::Id("redirect_uris")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&callback).await.unwrap();
    click(browser, "#save").await;
    let client_id = text_of(browser, "client-id").await;
    let secret = text_of(browser, "client-secret").await;

    // Those credentials sign alice in to the app (it is a third-party app:
    // she allows it on the consent page).
    browser
        .goto(&authorize_url(&app, &client_id, &callback, None))
        .await
        .unwrap();
    url_once_at(browser, &app.url("/consent")).await;
    assert!(browser.source().await.unwrap().contains("Browser App"));
    click(browser, "button[value=allow]").await;
    let landed = url_once_at(browser, &callback).await;
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
}

crate::on_both_backends!(
    two_apps_share_one_login_in_a_real_browser,
    logging_out_of_one_demo_app_logs_out_of_both,
    a_developer_registers_an_app_on_the_portal_and_signs_in_with_it,
);
