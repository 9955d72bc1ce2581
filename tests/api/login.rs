//! The login page: generic failures, CSRF, throttling, cookies and fixation.

use crate::helpers::{Backend, PASSWORD, TestApp, TestClient, location, pkce_challenge, spawn_app, spawn_app_with};

/// Starts an authorization request that shows the login page, even when the
/// browser has a session (`prompt=login`).
async fn begin(app: &TestApp, client: &TestClient) -> (String, String) {
    let challenge = pkce_challenge(&"v".repeat(43));
    let response = app
        .authorize(&[
            ("client_id", &client.client_id),
            ("redirect_uri", &client.redirect_uri),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("prompt", "login"),
        ])
        .await;
    app.open_login(response).await
}

async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let (req, csrf) = begin(&app, &client).await;
    let wrong_password = app.submit_login(&req, &csrf, "alice", "not the password").await;
    let unknown_user = app.submit_login(&req, &csrf, "mallory", "not the password").await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), 401);
    let a = wrong_password.text().await.unwrap();
    let b = unknown_user.text().await.unwrap();
    assert!(a.contains("The username or password is incorrect."));
    assert_eq!(a.replace("alice", "USER"), b.replace("mallory", "USER"));
    // Usernames are case-insensitive; the request is still usable after failures.
    let ok = app.submit_login(&req, &csrf, "Alice", PASSWORD).await;
    assert_eq!(ok.status(), 303);
}

async fn forms_without_the_csrf_token_or_from_another_origin_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let (req, csrf) = begin(&app, &client).await;
    let form = |token: &str| {
        vec![
            ("req", req.clone()),
            ("csrf", token.to_string()),
            ("username", "alice".to_string()),
            ("password", PASSWORD.to_string()),
        ]
    };
    let wrong = app
        .browser
        .post(app.url("/login"))
        .form(&form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let cross_site = app
        .browser
        .post(app.url("/login"))
        .header("Origin", "http://evil.example")
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let fetch_site = app
        .browser
        .post(app.url("/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_site.status(), 403);
    // Another browser (no CSRF cookie) cannot use the token either.
    let other_browser = crate::helpers::browser();
    let response = other_browser
        .post(app.url("/login"))
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // The real form still works.
    let same_origin = app
        .browser
        .post(app.url("/login"))
        .header("Origin", app.issuer.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 303);
}

async fn repeated_failures_are_throttled_with_retry_after(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.login.throttle_free_attempts = 3).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let (req, csrf) = begin(&app, &client).await;
    for _ in 0..3 {
        assert_eq!(
            app.submit_login(&req, &csrf, "alice", "wrong password").await.status(),
            401
        );
    }
    let throttled = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert!(throttled.text().await.unwrap().contains("Too many sign-in attempts"));
}

async fn session_cookie_is_http_only_lax_and_fresh_at_every_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let session_cookie = |response: &reqwest::Response| -> String {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("sesame_session="))
            .expect("a session cookie")
    };
    let (req, csrf) = begin(&app, &client).await;
    let first = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    let first_cookie = session_cookie(&first);
    assert!(first_cookie.contains("HttpOnly"));
    assert!(first_cookie.contains("SameSite=Lax"));
    assert!(first_cookie.contains("Path=/"));
    assert!(!first_cookie.contains("Secure"), "http issuer: no Secure flag");
    assert!(location(&first).starts_with("http://app.example/callback?code="));
    assert_eq!(first.headers()["cache-control"], "no-store");

    let (req, csrf) = begin(&app, &client).await;
    let second = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_ne!(
        session_cookie(&second),
        first_cookie,
        "a fresh session id at each login"
    );
}

async fn https_issuer_uses_host_prefixed_secure_cookies(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.issuer = "https://login.example".into()).await;
    let client = app.add_client(true).await;
    let challenge = pkce_challenge(&"v".repeat(43));
    let response = app
        .authorize(&[
            ("client_id", &client.client_id),
            ("redirect_uri", &client.redirect_uri),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let page = app.browser.get(app.url(&location(&response))).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-sesame_csrf="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
}

async fn a_sign_in_sent_twice_continues_and_an_expired_one_shows_a_clear_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let (req, csrf) = begin(&app, &client).await;
    let first = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_eq!(first.status(), 303);
    // Reload or back button: the form is sent again and still reaches the app.
    let again = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_eq!(again.status(), 303);
    assert_ne!(
        crate::helpers::redirect_params(&again)["code"],
        crate::helpers::redirect_params(&first)["code"]
    );

    let (req, csrf) = begin(&app, &client).await;
    app.clock.advance(601);
    let late = app
        .browser
        .get(app.url(&format!("/login?req={req}")))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 400);
    let html = late.text().await.unwrap();
    assert!(html.contains("This sign-in has expired"));
    assert!(
        html.contains(r#"href="/account""#),
        "the page offers a way to start again"
    );
    assert_eq!(app.submit_login(&req, &csrf, "alice", PASSWORD).await.status(), 400);
}

crate::on_both_backends!(
    unknown_user_and_wrong_password_look_the_same,
    forms_without_the_csrf_token_or_from_another_origin_are_refused,
    repeated_failures_are_throttled_with_retry_after,
    session_cookie_is_http_only_lax_and_fresh_at_every_login,
    https_issuer_uses_host_prefixed_secure_cookies,
    a_sign_in_sent_twice_continues_and_an_expired_one_shows_a_clear_page,
);
