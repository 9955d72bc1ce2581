//! Single sign-on: one login serves every app; prompt, max_age and
//! id_token_hint per OIDC Core 3.1.2.1; timeouts; fixation; consent.

use serde_json::{Map, Value};
use sesame::clock::Clock;

use crate::helpers::{Backend, PASSWORD, TestApp, TestClient, location, redirect_params, spawn_app};

fn request<'a>(client: &'a TestClient, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "s"),
        ("nonce", "n"),
    ];
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params
}

/// Signs `username` in for `client` (confidential, no PKCE) through the login page.
async fn sign_in(app: &TestApp, client: &TestClient, username: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let response = app.authorize(&request(client, extra)).await;
    let (req, csrf) = app.open_login(response).await;
    app.submit_login(&req, &csrf, username, PASSWORD).await
}

fn is_login_page(response: &reqwest::Response) -> bool {
    response.status() == 303 && location(response).starts_with("/login?req=")
}

/// Exchanges a code from a callback redirect and returns the ID token claims.
async fn id_token_of(app: &TestApp, client: &TestClient, callback: &reqwest::Response) -> Map<String, Value> {
    let params = redirect_params(callback);
    let code = params.get("code").unwrap_or_else(|| panic!("no code in {params:?}"));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", &client.redirect_uri),
    ];
    let body: Value = app.token(client, &form).await.json().await.unwrap();
    let id_token = body["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no id_token: {body}"));
    app.services.keys.verify(id_token).unwrap().claims_set().clone()
}

async fn a_second_app_gets_a_code_without_the_login_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, b) = (app.add_client(false).await, app.add_client(false).await);
    app.add_user("alice").await;
    let first = sign_in(&app, &a, "alice", &[]).await;
    let claims_a = id_token_of(&app, &a, &first).await;

    let second = app.authorize(&request(&b, &[])).await;
    assert_eq!(second.status(), 303);
    assert!(
        location(&second).starts_with(&b.redirect_uri),
        "no login page for app B"
    );
    assert_eq!(redirect_params(&second)["state"], "s");
    let claims_b = id_token_of(&app, &b, &second).await;
    assert_eq!(claims_a["sub"], claims_b["sub"]);
    assert_eq!(claims_a["auth_time"], claims_b["auth_time"], "one authentication");
    assert_ne!(
        claims_a["sid"], claims_b["sid"],
        "each app has its own relying-party session id"
    );

    // The same app again in the same session keeps its sid.
    let again = app.authorize(&request(&a, &[])).await;
    assert_eq!(id_token_of(&app, &a, &again).await["sid"], claims_a["sid"]);
}

async fn prompt_none_answers_from_the_session_and_never_shows_ui(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let none = app.authorize(&request(&client, &[("prompt", "none")])).await;
    assert_eq!(redirect_params(&none)["error"], "login_required");
    sign_in(&app, &client, "alice", &[]).await;
    let none = app.authorize(&request(&client, &[("prompt", "none")])).await;
    assert!(redirect_params(&none).contains_key("code"));
}

async fn prompt_login_reauthenticates_even_with_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let first = sign_in(&app, &client, "alice", &[]).await;
    let before = id_token_of(&app, &client, &first).await["auth_time"].as_i64().unwrap();
    app.clock.advance(100);
    let forced = app.authorize(&request(&client, &[("prompt", "login")])).await;
    assert!(is_login_page(&forced));
    let (req, csrf) = app.open_login(forced).await;
    let back = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    let after = id_token_of(&app, &client, &back).await["auth_time"].as_i64().unwrap();
    assert_eq!(after, before + 100, "auth_time is the new authentication");
}

async fn max_age_requires_a_recent_authentication(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    sign_in(&app, &client, "alice", &[]).await;
    app.clock.advance(30);
    let recent = app.authorize(&request(&client, &[("max_age", "60")])).await;
    let claims = id_token_of(&app, &client, &recent).await;
    assert!(claims.contains_key("auth_time"), "auth_time is required with max_age");
    app.clock.advance(31);
    assert!(is_login_page(
        &app.authorize(&request(&client, &[("max_age", "60")])).await
    ));
    let none = app
        .authorize(&request(&client, &[("max_age", "60"), ("prompt", "none")]))
        .await;
    assert_eq!(redirect_params(&none)["error"], "login_required");
}

/// An ID token we signed for `user_id`, as an app would hold it.
fn hint_for(app: &TestApp, user_id: uuid::Uuid, exp: i64) -> String {
    let claims = serde_json::json!({ "iss": app.issuer, "sub": user_id.to_string(), "aud": "x", "exp": exp });
    app.services
        .keys
        .sign(&claims, "JWT", sesame::keys::Alg::RS256, app.clock.now())
        .unwrap()
}

async fn id_token_hint_selects_its_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let alice = app.add_user("alice").await;
    let bob = app.add_user("bob").await;
    let carol = app.add_user("carol").await;
    sign_in(&app, &client, "alice", &[]).await;
    sign_in(&app, &client, "bob", &[("prompt", "login")]).await;

    // bob is the account in use, but the hint names alice, who is also signed in here.
    let expired_hint = hint_for(&app, alice.id, app.clock.now() - 10);
    let hinted = app
        .authorize(&request(
            &client,
            &[("prompt", "none"), ("id_token_hint", &expired_hint)],
        ))
        .await;
    let claims = id_token_of(&app, &client, &hinted).await;
    assert_eq!(
        claims["sub"],
        alice.id.to_string(),
        "an expired hint we signed is still honoured"
    );
    let plain = app.authorize(&request(&client, &[])).await;
    assert_eq!(
        id_token_of(&app, &client, &plain).await["sub"],
        alice.id.to_string(),
        "alice is now in use"
    );
    let _ = bob;

    // A user not signed in on this browser: login_required without UI, the login page with it.
    let carol_hint = hint_for(&app, carol.id, app.clock.now() + 60);
    let none = app
        .authorize(&request(&client, &[("prompt", "none"), ("id_token_hint", &carol_hint)]))
        .await;
    assert_eq!(redirect_params(&none)["error"], "login_required");
    assert!(is_login_page(
        &app.authorize(&request(&client, &[("id_token_hint", &carol_hint)]))
            .await
    ));

    let forged = app
        .authorize(&request(&client, &[("id_token_hint", "not.a.jwt")]))
        .await;
    assert_eq!(redirect_params(&forged)["error"], "invalid_request");

    // The hint names carol, but bob signs in on the login page: the app hears
    // login_required, not a code for bob.
    let someone_else = sign_in(&app, &client, "bob", &[("id_token_hint", &carol_hint)]).await;
    let params = redirect_params(&someone_else);
    assert_eq!(params["error"], "login_required", "{params:?}");
    assert!(!params.contains_key("code"));
}

async fn max_age_zero_always_signs_in_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    sign_in(&app, &client, "alice", &[]).await;
    // Even within the second of the sign-in (OIDC Core: max_age=0 is prompt=login).
    let again = app.authorize(&request(&client, &[("max_age", "0")])).await;
    assert!(is_login_page(&again));
    let (req, csrf) = app.open_login(again).await;
    let back = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    assert!(id_token_of(&app, &client, &back).await.contains_key("auth_time"));
    let none = app
        .authorize(&request(&client, &[("max_age", "0"), ("prompt", "none")]))
        .await;
    assert_eq!(redirect_params(&none)["error"], "login_required");
}

async fn select_account_offers_every_account_on_the_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let alice = app.add_user("alice").await;
    app.add_user("bob").await;
    sign_in(&app, &client, "alice", &[]).await;
    sign_in(&app, &client, "bob", &[("prompt", "login")]).await;

    let chooser = app.authorize(&request(&client, &[("prompt", "select_account")])).await;
    let path = location(&chooser);
    assert!(path.starts_with("/select-account?req="), "{path}");
    let html = app
        .browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("alice") && html.contains("bob"), "{html}");
    assert!(html.contains("Use another account"));
    // Pick alice (her form is the second: bob is in use and listed first).
    let alice_at = html.find("alice").unwrap();
    let handle_marker = r#"name="account" value=""#;
    let start = html[..alice_at].rfind(handle_marker).unwrap() + handle_marker.len();
    let handle = &html[start..start + html[start..].find('"').unwrap()];
    let req = crate::helpers::hidden_field(&html, "req");
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let picked = app
        .browser
        .post(app.url("/select-account"))
        .form(&[("req", req.as_str()), ("csrf", csrf.as_str()), ("account", handle)])
        .send()
        .await
        .unwrap();
    assert_eq!(id_token_of(&app, &client, &picked).await["sub"], alice.id.to_string());

    // No session on another browser: straight to the login page.
    let other = app.other_browser();
    let response = other
        .get(app.url("/authorize"))
        .query(&request(&client, &[("prompt", "select_account")]))
        .send()
        .await
        .unwrap();
    assert!(is_login_page(&response));
}

async fn third_party_apps_ask_for_consent_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_third_party_client().await;
    app.add_user("alice").await;
    let response = app.authorize(&request(&client, &[])).await;
    let (req, csrf) = app.open_login(response).await;
    let after_login = app.submit_login(&req, &csrf, "alice", PASSWORD).await;
    let consent_path = location(&after_login);
    assert!(consent_path.starts_with("/consent?req="), "{consent_path}");
    let html = app
        .browser
        .get(app.url(&consent_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Test App"));
    assert!(html.contains("See your name and username"), "scopes in plain words");
    let allow = app
        .browser
        .post(app.url("/consent"))
        .form(&[("req", req.as_str()), ("csrf", csrf.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert!(redirect_params(&allow).contains_key("code"));

    // Remembered: no consent page next time, nor with prompt=none.
    let next = app.authorize(&request(&client, &[("prompt", "none")])).await;
    assert!(redirect_params(&next).contains_key("code"));
    // More scopes than granted: asked again; prompt=none cannot ask.
    let wider = app
        .authorize(&request(
            &client,
            &[("scope", "openid profile email"), ("prompt", "none")],
        ))
        .await;
    assert_eq!(redirect_params(&wider)["error"], "consent_required");
    // prompt=consent always asks; "deny" tells the app access_denied.
    let ask = app.authorize(&request(&client, &[("prompt", "consent")])).await;
    let path = location(&ask);
    assert!(path.starts_with("/consent?req="));
    let req = path.trim_start_matches("/consent?req=");
    let deny = app
        .browser
        .post(app.url("/consent"))
        .form(&[("req", req), ("csrf", csrf.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    let params = redirect_params(&deny);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "s");
    // A forged consent form is refused.
    let forged = app
        .browser
        .post(app.url("/consent"))
        .form(&[("req", req), ("csrf", "forged"), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

async fn cancelling_the_login_returns_access_denied_to_the_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let response = app.authorize(&request(&client, &[])).await;
    let login = location(&response);
    let req = login.trim_start_matches("/login?req=");
    let page = app
        .browser
        .get(app.url(&login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/authorize/cancel?req={req}")));
    let cancel = app
        .browser
        .get(app.url(&format!("/authorize/cancel?req={req}")))
        .send()
        .await
        .unwrap();
    assert!(location(&cancel).starts_with(&client.redirect_uri));
    assert_eq!(redirect_params(&cancel)["error"], "access_denied");
    // Answered once: the link followed again sends the app nothing more.
    let again = app
        .browser
        .get(app.url(&format!("/authorize/cancel?req={req}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
}

async fn a_login_page_left_open_in_another_tab_continues_once_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let first_tab = app.authorize(&request(&client, &[("state", "one")])).await;
    let second_tab = app.authorize(&request(&client, &[("state", "two")])).await;
    let (req, csrf) = app.open_login(first_tab).await;
    let second_login = location(&second_tab);
    assert!(redirect_params(&app.submit_login(&req, &csrf, "alice", PASSWORD).await).contains_key("code"));
    // "Use another account" in the second tab still shows the form.
    let another = app
        .browser
        .get(app.url(&format!("{second_login}&another=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(another.status(), 200);
    // The second tab reloads its login page: it goes straight back to the app.
    let reload = app.browser.get(app.url(&second_login)).send().await.unwrap();
    let params = redirect_params(&reload);
    assert!(params.contains_key("code"));
    assert_eq!(params["state"], "two");
    // Its request is answered, once: reloading again does not send another code.
    let again = app.browser.get(app.url(&second_login)).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("already complete"));
}

/// The chooser signs an account out and forgets it on this browser: the
/// chooser then lists only the others, and that account's session is over.
async fn the_chooser_forgets_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    app.add_user("bob").await;
    sign_in(&app, &client, "alice", &[]).await;
    sign_in(&app, &client, "bob", &[("prompt", "login")]).await;
    let chooser = app.authorize(&request(&client, &[("prompt", "select_account")])).await;
    let path = location(&chooser);
    let html = app
        .browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sign out and forget"), "{html}");
    // bob is listed first (in use); his forget form is the first.
    let forget_at = html.find("action=\"/select-account/forget\"").unwrap();
    let handle = crate::helpers::hidden_field(&html[forget_at..], "account");
    let req = crate::helpers::hidden_field(&html, "req");
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let forgot = app
        .browser
        .post(app.url("/select-account/forget"))
        .form(&[
            ("req", req.as_str()),
            ("csrf", csrf.as_str()),
            ("account", handle.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&forgot), format!("/select-account?req={req}"));
    let html = app
        .browser
        .get(app.url(&location(&forgot)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // By the rendered names: a random token may spell "bob".
    assert!(
        html.contains("<span>alice</span>") && !html.contains("<span>bob</span>"),
        "{html}"
    );
}

crate::on_both_backends!(
    the_chooser_forgets_an_account,
    a_login_page_left_open_in_another_tab_continues_once_signed_in,
    a_second_app_gets_a_code_without_the_login_page,
    prompt_none_answers_from_the_session_and_never_shows_ui,
    prompt_login_reauthenticates_even_with_a_session,
    max_age_requires_a_recent_authentication,
    max_age_zero_always_signs_in_again,
    id_token_hint_selects_its_user,
    select_account_offers_every_account_on_the_browser,
    third_party_apps_ask_for_consent_once,
    cancelling_the_login_returns_access_denied_to_the_app,
);
