//! SSO session lifetime, fixation, the account page and the audit trail.

use crate::helpers::{Backend, PASSWORD, TestApp, TestClient, location, redirect_params, spawn_app, spawn_app_with};

fn request(client: &TestClient) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "none"),
    ]
}

async fn sign_in(app: &TestApp, client: &TestClient, username: &str) {
    let mut params = request(client);
    params.retain(|(n, _)| *n != "prompt");
    params.push(("prompt", "login"));
    let (req, csrf) = app.open_login(app.authorize(&params).await).await;
    let response = app.submit_login(&req, &csrf, username, PASSWORD).await;
    assert!(location(&response).starts_with(&client.redirect_uri));
}

/// Whether a `prompt=none` request is answered from a session.
async fn has_session(app: &TestApp, client: &TestClient) -> bool {
    let response = app.authorize(&request(client)).await;
    redirect_params(&response).contains_key("code")
}

fn session_cookie(app: &TestApp) -> String {
    app.cookie("sesame_session").expect("a session cookie")
}

async fn stored(app: &TestApp, cookie_id: &str) -> bool {
    let records = sesame::store::records::SessionRecords::new(&*app.services.ephemeral);
    records
        .get(&sesame::domain::SessionHandle::of_cookie(cookie_id))
        .await
        .unwrap()
        .is_some()
}

async fn idle_sessions_end_and_leave_the_store(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.session.idle_timeout_secs = 600;
        s.session.absolute_timeout_secs = 3600;
    })
    .await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    sign_in(&app, &client, "alice").await;
    let cookie = session_cookie(&app);
    // Use slides the idle window.
    app.clock.advance(500);
    assert!(has_session(&app, &client).await);
    app.clock.advance(500);
    assert!(has_session(&app, &client).await, "used 500 s ago: still live");
    app.clock.advance(601);
    assert!(!has_session(&app, &client).await, "idle longer than the timeout");
    assert!(
        !stored(&app, &cookie).await,
        "an expired session is removed from the store"
    );
}

async fn sessions_end_at_the_absolute_timeout_however_busy(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.session.idle_timeout_secs = 600;
        s.session.absolute_timeout_secs = 1800;
    })
    .await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    sign_in(&app, &client, "alice").await;
    for _ in 0..5 {
        app.clock.advance(350);
        assert!(has_session(&app, &client).await);
    }
    app.clock.advance(100);
    assert!(!has_session(&app, &client).await, "1850 s after sign-in");
}

async fn login_issues_a_fresh_session_id_and_kills_the_old_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    // An id planted before login is never adopted.
    let planted = "A".repeat(43);
    app.browser.plant_cookie(&format!("sesame_session={planted}; Path=/"));
    sign_in(&app, &client, "alice").await;
    let first = session_cookie(&app);
    assert!(!first.contains(&planted));
    sign_in(&app, &client, "alice").await;
    let second = session_cookie(&app);
    assert_ne!(first, second);
    assert!(stored(&app, &second).await);
    assert!(!stored(&app, &first).await, "the old id is dead");
    // Presented by another browser, the old id signs nobody in.
    let thief = app.other_browser();
    let response = thief
        .get(app.url("/account"))
        .header("Cookie", format!("sesame_session={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
}

async fn the_account_page_lists_sessions_and_apps_and_ends_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, b) = (app.add_client(false).await, app.add_client(false).await);
    app.add_user("alice").await;
    sign_in(&app, &a, "alice").await;
    assert!(has_session(&app, &b).await);

    // A second device.
    let laptop = app.other_browser();
    let response = laptop.sign_in_for(&a, "alice").await;
    assert!(location(&response).starts_with(&a.redirect_uri));

    let page = app
        .browser
        .get(app.url("/account"))
        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("alice"));
    assert_eq!(html.matches(r#"class="session""#).count(), 2, "two sessions: {html}");
    assert!(html.contains("this browser"));
    assert!(html.contains("127.0.0.0/24"), "approximate location");
    assert!(html.contains("Test App"), "the apps of each session");

    // End the other device's session.
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let ended = app
        .browser
        .post(app.url("/account/sessions/end-others"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&ended), "/account");
    assert!(!laptop.has_session(&a).await, "the laptop is signed out");
    assert!(has_session(&app, &a).await, "this browser is not");

    // A forged form ends nothing.
    let html = app
        .browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let handle = {
        let marker = r#"name="session" value=""#;
        let start = html.find(marker).unwrap() + marker.len();
        html[start..start + html[start..].find('"').unwrap()].to_string()
    };
    let forged = app
        .browser
        .post(app.url("/account/sessions/end"))
        .form(&[("csrf", "forged"), ("session", handle.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(has_session(&app, &a).await);

    // Sign out here: the next prompt=none is login_required.
    let out = app
        .browser
        .post(app.url("/account/sessions/end"))
        .form(&[("csrf", csrf.as_str()), ("session", handle.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert!(out.text().await.unwrap().contains("You are signed out"));
    let none = app.authorize(&request(&a)).await;
    assert_eq!(redirect_params(&none)["error"], "login_required");
    assert_eq!(
        location(&app.browser.get(app.url("/account")).send().await.unwrap()),
        "/login"
    );
}

async fn signing_in_without_an_app_opens_the_account_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let page = app.browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("to your Sesame account"));
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let response = app.submit_login("", &csrf, "alice", PASSWORD).await;
    assert_eq!(location(&response), "/account");
    let account = app.browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 200);
}

async fn security_events_are_audited_without_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let alice = app.add_user("alice").await;
    let (req, csrf) = app.open_login(app.authorize(&request_with_login(&client)).await).await;
    app.submit_login(&req, &csrf, "alice", "wrong password").await;
    app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    let cookie = session_cookie(&app);
    let events = app.services.audit.recent(20).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    for expected in ["login_failed", "session_created", "login_succeeded"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let success = events.iter().find(|e| e.event == "login_succeeded").unwrap();
    assert_eq!(success.user_id, Some(alice.id));
    assert_eq!(success.client_id.as_deref(), Some(client.client_id.as_str()));
    let dump = format!("{events:?}");
    assert!(!dump.contains(&cookie), "raw session ids never reach the audit log");
    assert!(!dump.contains(PASSWORD) && !dump.contains("wrong password"));
}

fn request_with_login(client: &TestClient) -> Vec<(&str, &str)> {
    let mut params = request(client);
    params.retain(|(n, _)| *n != "prompt");
    params
}

/// Two accounts on one browser (a shared computer): the account page names
/// the other and switches to it; signing one out says so and that the other
/// is still signed in (and it is); "every account" signs both out.
async fn two_accounts_on_one_browser_always_know_who_is_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    app.add_user("bob").await;
    let client = app.add_client(false).await;
    let browser = app.other_browser();
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    assert_eq!(browser.sign_in("bob", PASSWORD).await, 303);
    let page = browser
        .get(browser.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in as <strong>bob</strong>"), "{page}");
    assert!(page.contains("Switch to alice"), "{page}");
    let form = |page: &str, action: &str| -> Vec<(String, String)> {
        let start = page
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("{action}"));
        let rest = &page[start..];
        let rest = &rest[..rest.find("</form>").unwrap()];
        rest.split("<input type=\"hidden\" name=\"")
            .skip(1)
            .map(|field| {
                let (name, after) = field.split_once('"').unwrap();
                let value = after.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
                (name.to_string(), value.to_string())
            })
            .collect()
    };
    let switched = browser
        .post(browser.url("/account/switch"))
        .form(&form(&page, "/account/switch"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&switched), "/account");
    let page = browser
        .get(browser.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in as <strong>alice</strong>"), "{page}");

    // Sign alice out here: the page says bob is still signed in, and he is.
    let this = page.find("this browser</span>").unwrap();
    let end = form(&page[this..], "/account/sessions/end");
    let out = browser
        .post(browser.url("/account/sessions/end"))
        .form(&end)
        .send()
        .await
        .unwrap();
    let text = out.text().await.unwrap();
    assert!(text.contains("alice is signed out"), "{text}");
    assert!(text.contains("Still signed in on this browser: bob."), "{text}");
    assert!(text.contains("Go to the account still signed in"));
    assert!(browser.has_session(&client).await, "bob is still signed in");

    // Every account on this browser.
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    let page = browser
        .get(browser.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let out = browser
        .post(browser.url("/account/sessions/end-browser"))
        .form(&form(&page, "/account/sessions/end-browser"))
        .send()
        .await
        .unwrap();
    let text = out.text().await.unwrap();
    assert!(
        text.contains("are signed out") && text.contains("alice") && text.contains("bob"),
        "{text}"
    );
    assert!(!text.contains("Still signed in"));
    assert!(!browser.has_session(&client).await, "nobody is signed in");
}

crate::on_both_backends!(
    two_accounts_on_one_browser_always_know_who_is_signed_in,
    idle_sessions_end_and_leave_the_store,
    sessions_end_at_the_absolute_timeout_however_busy,
    login_issues_a_fresh_session_id_and_kills_the_old_one,
    the_account_page_lists_sessions_and_apps_and_ends_them,
    signing_in_without_an_app_opens_the_account_page,
    security_events_are_audited_without_secrets,
);
