//! Errors at the authorization endpoint: a page until the client and redirect
//! URI are known (RFC 6749 §4.1.2.1 MUST NOT redirect), a redirect after.

use crate::helpers::{Backend, TestApp, TestClient, location, pkce_challenge, redirect_params, spawn_app};

fn base<'a>(client: &'a TestClient, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(mut params: Vec<(&'a str, &'a str)>, name: &'a str, value: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    params.retain(|(n, _)| *n != name);
    if let Some(value) = value {
        params.push((name, value));
    }
    params
}

async fn assert_error_page(app: &TestApp, params: &[(&str, &str)], expected: &str) {
    let response = app.authorize(params).await;
    assert_eq!(response.status(), 400, "{params:?}");
    assert!(
        response.headers().get("location").is_none(),
        "must not redirect: {params:?}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(expected), "page should mention {expected:?}: {html}");
}

async fn assert_redirected_error(app: &TestApp, params: &[(&str, &str)], error: &str) -> String {
    let response = app.authorize(params).await;
    assert_eq!(response.status(), 303, "{params:?}");
    assert!(location(&response).starts_with("http://app.example/callback?"));
    let query = redirect_params(&response);
    assert_eq!(query["error"], error, "{params:?}");
    assert_eq!(query["state"], "s1", "state MUST be echoed");
    assert_eq!(query["iss"], app.issuer, "RFC 9207 iss");
    query["error_description"].clone()
}

async fn unknown_missing_or_mismatched_client_gets_a_page_not_a_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let p = base(&client, &challenge);
    assert_error_page(&app, &with(p.clone(), "client_id", Some("nope")), "not registered").await;
    assert_error_page(&app, &with(p.clone(), "client_id", None), "missing parameter client_id").await;
    assert_error_page(
        &app,
        &with(p.clone(), "redirect_uri", None),
        "missing parameter redirect_uri",
    )
    .await;
    for bad in [
        "http://evil.example/callback",
        "http://app.example/callback/",
        "http://app.example/callback?x=1",
        "HTTP://app.example/callback",
        "http://app.example/other",
    ] {
        assert_error_page(&app, &with(p.clone(), "redirect_uri", Some(bad)), "does not match").await;
    }
    let mut twice = p.clone();
    twice.push(("redirect_uri", "http://evil.example/cb"));
    assert_error_page(&app, &twice, "more than once").await;
}

async fn registered_uri_with_query_is_kept_on_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let params = with(
        with(
            base(&client, &challenge),
            "redirect_uri",
            Some("http://app.example/other?tenant=a"),
        ),
        "response_type",
        Some("token"),
    );
    let response = app.authorize(&params).await;
    let query = redirect_params(&response);
    assert_eq!(query["tenant"], "a");
    assert_eq!(query["error"], "unsupported_response_type");
}

async fn bad_requests_from_a_known_client_are_redirected_with_the_spec_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let p = base(&client, &challenge);
    assert_redirected_error(
        &app,
        &with(p.clone(), "response_type", Some("token")),
        "unsupported_response_type",
    )
    .await;
    assert_redirected_error(&app, &with(p.clone(), "response_type", None), "invalid_request").await;
    assert_redirected_error(&app, &with(p.clone(), "scope", Some("profile")), "invalid_scope").await;
    assert_redirected_error(&app, &with(p.clone(), "scope", None), "invalid_request").await;
    assert_redirected_error(
        &app,
        &with(p.clone(), "request", Some("eyJ.x.y")),
        "request_not_supported",
    )
    .await;
    assert_redirected_error(
        &app,
        &with(p.clone(), "request_uri", Some("urn:x")),
        "request_uri_not_supported",
    )
    .await;
    assert_redirected_error(&app, &with(p.clone(), "prompt", Some("none login")), "invalid_request").await;
    assert_redirected_error(&app, &with(p.clone(), "max_age", Some("soon")), "invalid_request").await;
    assert_redirected_error(
        &app,
        &with(p.clone(), "response_mode", Some("fragment")),
        "invalid_request",
    )
    .await;
    let mut twice = p.clone();
    twice.push(("scope", "openid email"));
    let description = assert_redirected_error(&app, &twice, "invalid_request").await;
    assert!(description.contains("scope"), "{description}");
}

async fn pkce_is_required_of_public_clients_and_plain_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let public = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let p = base(&public, &challenge);
    let d = assert_redirected_error(&app, &with(p.clone(), "code_challenge", None), "invalid_request").await;
    assert!(d.contains("code_challenge"), "{d}");
    assert_redirected_error(
        &app,
        &with(p.clone(), "code_challenge_method", Some("plain")),
        "invalid_request",
    )
    .await;
    assert_redirected_error(&app, &with(p.clone(), "code_challenge_method", None), "invalid_request").await;
    assert_redirected_error(
        &app,
        &with(p.clone(), "code_challenge", Some("short")),
        "invalid_request",
    )
    .await;

    // A confidential client may leave PKCE out.
    let confidential = app.add_client(false).await;
    let p = with(
        with(base(&confidential, &challenge), "code_challenge", None),
        "code_challenge_method",
        None,
    );
    let response = app.authorize(&p).await;
    assert!(location(&response).starts_with("/login?req="));
}

async fn prompt_none_without_a_session_is_login_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    assert_redirected_error(
        &app,
        &with(base(&client, &challenge), "prompt", Some("none")),
        "login_required",
    )
    .await;
}

async fn valid_request_parks_and_shows_the_login_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let params = with(base(&client, &challenge), "login_hint", Some("alice"));
    let response = app.authorize(&params).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let login = location(&response);
    let page = app.browser.get(app.url(&login)).send().await.unwrap();
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("Test App"), "the login page names the app");
    assert!(html.contains(r#"value="alice""#), "login_hint pre-fills the username");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");

    // POST /authorize is equivalent (OIDC Core 3.1.2.1).
    let response = app
        .browser
        .post(app.url("/authorize"))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert!(location(&response).starts_with("/login?req="));
}

/// How many entries the test app's ephemeral store holds: the in-process
/// store says; in Redis, the keys under the test's own prefix.
async fn stored_entries(app: &TestApp) -> u64 {
    if let Some(count) = app.services.ephemeral.entry_count().await.unwrap() {
        return count;
    }
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let pattern = format!("{}*", app.services.settings.redis_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut connection)
        .await
        .unwrap();
    keys.len() as u64
}

/// Anonymous authorization requests are sealed into the link to the login
/// page, not stored: a flood of them, each as large as the byte caps allow,
/// leaves the store as it was.
async fn an_authorize_flood_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let state = "s".repeat(2048);
    let nonce = "n".repeat(512);
    let hint = "h".repeat(512);
    let mut params = base(&client, &challenge);
    params = with(params, "state", Some(&state));
    params.extend([("nonce", nonce.as_str()), ("login_hint", hint.as_str())]);
    let before = stored_entries(&app).await;
    let mut login = String::new();
    for _ in 0..500 {
        let response = app.api.get(app.url("/authorize")).query(&params).send().await.unwrap();
        assert_eq!(response.status(), 303);
        login = location(&response);
    }
    assert_eq!(
        stored_entries(&app).await,
        before,
        "nothing stored for anonymous requests"
    );
    // The largest request still fits the 8 KiB request line proxies allow by default.
    assert!(login.len() < 7_000, "the login link is {} bytes", login.len());
    let page = app.browser.get(app.url(&login)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&hint), "the request travels whole");

    // One byte over a cap is the app's error, not a bigger request.
    let long_state = "s".repeat(2049);
    let over = with(base(&client, &challenge), "state", Some(&long_state));
    let response = app.authorize(&over).await;
    assert_eq!(redirect_params(&response)["error"], "invalid_request");
    for (name, len) in [("nonce", 513), ("login_hint", 513)] {
        let value = "x".repeat(len);
        let over = with(base(&client, &challenge), name, Some(&value));
        assert_redirected_error(&app, &over, "invalid_request").await;
    }
    // A sealed request that was tampered with, or made up, opens nothing.
    let handle = login.strip_prefix("/login?req=").unwrap();
    let mut forged = handle.to_string();
    forged.replace_range(forged.len() - 4.., "AAAA");
    for bad in [forged.as_str(), "made-up", "x.1.AAAA"] {
        let page = app
            .browser
            .get(app.url(&format!("/login?req={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 400, "{bad}");
    }
}

crate::on_both_backends!(
    an_authorize_flood_stores_nothing,
    unknown_missing_or_mismatched_client_gets_a_page_not_a_redirect,
    registered_uri_with_query_is_kept_on_redirect,
    bad_requests_from_a_known_client_are_redirected_with_the_spec_error,
    pkce_is_required_of_public_clients_and_plain_is_refused,
    prompt_none_without_a_session_is_login_required,
    valid_request_parks_and_shows_the_login_page,
);
