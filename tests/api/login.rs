//! The login page: generic failures, CSRF, throttling, cookies and fixation.

use crate::helpers::{
    Backend, PASSWORD, TestApp, TestClient, hidden_field, location, pkce_challenge, spawn_app, spawn_app_with,
};

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
    let other_browser = app.other_browser();
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

async fn a_sign_in_sent_twice_is_answered_once_and_an_expired_one_shows_a_clear_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    app.add_user("alice").await;
    let (req, csrf) = begin(&app, &client).await;
    let first = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_eq!(first.status(), 303);
    assert!(crate::helpers::redirect_params(&first).contains_key("code"));
    // Reload or back button: the form is sent again; the app already has
    // its answer, so the person is told so and no second code goes out.
    let again = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
    assert!(again.text().await.unwrap().contains("This sign-in is already complete"));
    let page = app
        .browser
        .get(app.url(&format!("/login?req={req}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400, "the login page too");

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

async fn audit_count(app: &TestApp, event: &str) -> usize {
    let events = app.services.audit.recent(1000).await.unwrap();
    events.iter().filter(|e| e.event == event).count()
}

/// The attack of the audit: an attacker rotating addresses, spending wrong
/// passwords for alice from each. On default settings, alice signs in with
/// the right password from the browser she used before (even at one of the
/// attacker's addresses) and from a new browser at her own address.
async fn an_attacker_rotating_addresses_cannot_keep_a_person_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let her_laptop = app.browser_from("127.0.0.1");
    assert_eq!(her_laptop.sign_in("alice", PASSWORD).await, 303);

    let free = app.services.settings.login.throttle_free_attempts as usize;
    let addresses: Vec<String> = (2..14).map(|n| format!("127.0.0.{n}")).collect();
    let mut failures = 0;
    for address in &addresses {
        let attacker = app.browser_from(address);
        for attempt in 0..free + 2 {
            let status = attacker.sign_in("alice", "not her password").await;
            if attempt < free {
                assert_eq!(status, 401, "{address} attempt {attempt}");
                failures += 1;
            } else {
                assert_eq!(status, 429, "{address} waits for its own failures");
            }
        }
    }
    // Each time an attacker's wait ends, one more wrong password (only the
    // in-process store follows the test clock; Redis keeps real time).
    if matches!(backend, Backend::SqliteMemory) {
        for round in 0..4 {
            app.clock.advance(1 << round);
            for address in &addresses {
                assert_eq!(app.browser_from(address).sign_in("alice", "wrong").await, 401);
                failures += 1;
            }
        }
    }
    assert_eq!(her_laptop.sign_in("alice", PASSWORD).await, 303, "her own browser");
    // Her laptop on an attacker's network: the same cookies, another address.
    let her_laptop_elsewhere = app.browser_from("127.0.0.2");
    let device = her_laptop.cookie("sesame_device").expect("her browser is known");
    her_laptop_elsewhere.plant_cookie(&format!("sesame_device={device}; Path=/"));
    assert_eq!(
        her_laptop_elsewhere.sign_in("alice", PASSWORD).await,
        303,
        "her browser, even from an attacker's address"
    );
    let new_phone = app.browser_from("127.0.0.200");
    assert_eq!(
        new_phone.sign_in("alice", PASSWORD).await,
        303,
        "a new browser elsewhere"
    );
    // A browser at an attacker's address that never signed in as alice waits:
    // it cannot be told from the attacker. (The first waits are a second or
    // two: only the in-process store, on the test clock, still holds them.)
    if matches!(backend, Backend::SqliteMemory) {
        assert_eq!(app.browser_from("127.0.0.2").sign_in("alice", PASSWORD).await, 429);
    }

    // The account is reported as targeted, once; failures are aggregated,
    // not one row each.
    assert_eq!(audit_count(&app, "account_targeted").await, 1);
    let rows = audit_count(&app, "login_failed").await;
    assert!(rows <= 8, "{rows} login_failed rows for {failures} failures");
    assert_eq!(audit_count(&app, "login_throttled").await, addresses.len());
}

/// A browser that signed in before is judged by its own failures only: its
/// mistakes make it wait, and do not hold back the address.
async fn a_known_browser_waits_for_its_own_failures(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let laptop = app.browser_from("127.0.0.1");
    assert_eq!(laptop.sign_in("alice", PASSWORD).await, 303);
    let free = app.services.settings.login.throttle_free_attempts as usize;
    for _ in 0..free {
        assert_eq!(laptop.sign_in("alice", "typo").await, 401);
    }
    assert_eq!(laptop.sign_in("alice", PASSWORD).await, 429);
    assert_eq!(
        app.browser_from("127.0.0.1").sign_in("alice", PASSWORD).await,
        303,
        "another browser at the same address is not held back"
    );
}

/// Many accounts from one address (a spray) make the address wait; a browser
/// known to its account there is not held back.
async fn a_password_spray_from_one_address_waits(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.login.throttle_address_free_attempts = 3).await;
    app.add_user("alice").await;
    let laptop = app.browser_from("127.0.0.7");
    assert_eq!(laptop.sign_in("alice", PASSWORD).await, 303);
    let sprayer = app.browser_from("127.0.0.7");
    for name in ["bob", "carol", "dave"] {
        assert_eq!(sprayer.sign_in(name, "Winter2026!").await, 401);
    }
    assert_eq!(sprayer.sign_in("erin", "Winter2026!").await, 429);
    assert_eq!(
        sprayer.sign_in("alice", PASSWORD).await,
        429,
        "a browser alice never used"
    );
    assert_eq!(laptop.sign_in("alice", PASSWORD).await, 303, "alice's own browser");
    assert_eq!(
        app.browser_from("127.0.0.8").sign_in("erin", "Winter2026!").await,
        401,
        "another address is not held back"
    );
}

/// The device cookie is long-lived, HttpOnly, Strict, and only our seal is
/// believed: a made-up one is a browser like any other.
async fn the_device_cookie_is_sealed_and_strict(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let page = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    let response = app
        .browser
        .post(app.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("sesame_device="))
        .expect("a device cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age="));
    let forged = app.browser_from("127.0.0.3");
    for _ in 0..app.services.settings.login.throttle_free_attempts {
        let page = forged
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&page, "csrf");
        forged
            .post(app.url("/login"))
            .header("cookie", format!("sesame_csrf={csrf}; sesame_device=made.0.up"))
            .form(&[("csrf", csrf.as_str()), ("username", "alice"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        forged.sign_in("alice", PASSWORD).await,
        429,
        "a forged cookie vouches for nothing"
    );
}

crate::on_both_backends!(
    an_attacker_rotating_addresses_cannot_keep_a_person_out,
    a_known_browser_waits_for_its_own_failures,
    a_password_spray_from_one_address_waits,
    the_device_cookie_is_sealed_and_strict,
    unknown_user_and_wrong_password_look_the_same,
    forms_without_the_csrf_token_or_from_another_origin_are_refused,
    repeated_failures_are_throttled_with_retry_after,
    session_cookie_is_http_only_lax_and_fresh_at_every_login,
    https_issuer_uses_host_prefixed_secure_cookies,
    a_sign_in_sent_twice_is_answered_once_and_an_expired_one_shows_a_clear_page,
);
