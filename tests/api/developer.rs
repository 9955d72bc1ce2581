//! The developer portal over HTTP: who may use it, registering, editing,
//! re-keying and deleting clients, with the same rules as the API.

use sesame::domain::Role;

use crate::helpers::{Backend, Browser, PASSWORD, TestApp, hidden_field, location, spawn_app};

/// A browser signed in as `username` through the account sign-in, which
/// comes back to the portal.
async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let browser = app.other_browser();
    let first = browser.get(app.url("/developer")).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(location(&first), "/login?next=/developer");
    let page = browser
        .get(app.url(&location(&first)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    assert_eq!(hidden_field(&page, "next"), "/developer");
    let response = browser
        .post(app.url("/login"))
        .form(&[
            ("req", ""),
            ("next", "/developer"),
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/developer");
    browser
}

async fn developer(app: &TestApp, username: &str, role: Role) -> Browser {
    app.add_user(username).await;
    sesame::admin::set_user_role(&app.services.user_admin(), username, role, true)
        .await
        .unwrap();
    signed_in(app, username).await
}

async fn page(browser: &Browser, app: &TestApp, path: &str) -> (u16, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(browser: &Browser, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// The text of the element with this id.
fn element(html: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}">"#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} in {html}")) + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_string()
}

/// Whether these credentials authenticate at the token endpoint: a bogus
/// grant is `invalid_grant` (400) for a known client, 401 otherwise.
async fn authenticates(app: &TestApp, client_id: &str, secret: &str) -> bool {
    let response = app
        .api
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "bogus")])
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        400 => true,
        401 => false,
        other => panic!("unexpected {other}"),
    }
}

async fn only_developers_use_the_portal(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("dave").await;
    let dave = signed_in(&app, "dave").await;
    let (status, html) = page(&dave, &app, "/developer").await;
    assert_eq!(status, 403);
    assert!(html.contains("signed in as <strong>dave</strong>"), "{html}");
    assert!(
        !html.contains("sesame user"),
        "no shell command for an end user: {html}"
    );
    // The account page links to the portal for developers only.
    let (_, account) = page(&dave, &app, "/account").await;
    assert!(!account.contains("/developer"));
    sesame::admin::set_user_role(&app.services.user_admin(), "dave", Role::Developer, true)
        .await
        .unwrap();
    let (status, html) = page(&dave, &app, "/developer").await;
    assert_eq!(status, 200);
    assert!(html.contains("No applications yet"));
    let (_, account) = page(&dave, &app, "/account").await;
    assert!(account.contains(r#"href="/developer""#));
    // `next` only ever names Sesame's own pages.
    let (_, login) = page(&app.other_browser(), &app, "/login?next=https://evil.example/").await;
    assert_eq!(hidden_field(&login, "next"), "/account");
}

async fn developers_register_edit_rekey_and_delete_their_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = developer(&app, "alice", Role::Developer).await;
    let (_, form) = page(&alice, &app, "/developer/clients/new").await;
    let csrf = hidden_field(&form, "csrf");

    // Inline validation: the form comes back as typed, the message by the field.
    let refused = post(
        &alice,
        &app,
        "/developer/clients",
        &[
            ("csrf", &csrf),
            ("name", "Alice's App"),
            ("kind", "web"),
            ("redirect_uris", "https://alice.example/cb#section"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"id="redirect_uris-error""#), "{html}");
    assert!(element(&html, "redirect_uris-error").contains("fragment"));
    assert!(
        html.contains("Alice&#39;s App") || html.contains("Alice&#x27;s App"),
        "{html}"
    );
    assert!(app.services.clients.list_clients().await.unwrap().is_empty());

    // Without the CSRF token: refused.
    let forged = post(
        &alice,
        &app,
        "/developer/clients",
        &[
            ("name", "X"),
            ("kind", "web"),
            ("redirect_uris", "https://x.example/cb"),
        ],
    )
    .await;
    assert_eq!(forged.status(), 403);

    let created = post(
        &alice,
        &app,
        "/developer/clients",
        &[
            ("csrf", &csrf),
            ("name", "Alice's App"),
            ("kind", "web"),
            ("redirect_uris", "https://alice.example/cb\nhttps://alice.example/other"),
            ("tos_uri", "https://alice.example/terms"),
            ("contacts", "alice@alice.example"),
        ],
    )
    .await;
    assert_eq!(created.status(), 200);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let html = created.text().await.unwrap();
    let client_id = element(&html, "client-id");
    let secret = element(&html, "client-secret");
    assert!(authenticates(&app, &client_id, &secret).await);
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let alice_id = app
        .services
        .users
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == "alice")
        .unwrap()
        .id;
    assert_eq!(stored.owner_id, Some(alice_id));
    assert_eq!(stored.redirect_uris.len(), 2);
    assert_eq!(stored.info.tos_uri.as_deref(), Some("https://alice.example/terms"));
    assert!(!stored.first_party);
    let (_, list) = page(&alice, &app, "/developer").await;
    assert!(list.contains(&client_id));

    // Edit.
    let path = format!("/developer/clients/{client_id}");
    let (status, edit) = page(&alice, &app, &path).await;
    assert_eq!(status, 200);
    assert!(edit.contains("https://alice.example/other"));
    let saved = post(
        &alice,
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("name", "Alice's Renamed App"),
            ("kind", "web"),
            ("redirect_uris", "https://alice.example/cb"),
            ("backchannel_logout_uri", "https://alice.example/logout"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), format!("{path}?saved=1"));
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Alice's Renamed App");
    assert_eq!(
        stored.backchannel_logout_uri.as_deref(),
        Some("https://alice.example/logout")
    );
    assert_eq!(stored.info.tos_uri, None, "a field emptied on the form is cleared");
    assert!(
        authenticates(&app, &client_id, &secret).await,
        "editing keeps the secret"
    );
    let bad_edit = post(
        &alice,
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("name", ""),
            ("kind", "web"),
            ("redirect_uris", "https://alice.example/cb"),
        ],
    )
    .await;
    assert_eq!(bad_edit.status(), 422);
    assert!(bad_edit.text().await.unwrap().contains(r#"id="name-error""#));
    assert_eq!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .unwrap(),
        stored
    );

    // A new secret, the old one valid for an hour.
    let rotated = post(
        &alice,
        &app,
        &format!("{path}/rotate-secret"),
        &[("csrf", &csrf), ("grace", "3600")],
    )
    .await;
    assert_eq!(rotated.status(), 200);
    let html = rotated.text().await.unwrap();
    let new_secret = element(&html, "client-secret");
    assert!(html.contains("keeps working for 1 hour"));
    assert!(authenticates(&app, &client_id, &new_secret).await);
    assert!(
        authenticates(&app, &client_id, &secret).await,
        "the old secret during the grace period"
    );
    app.clock.advance(3601);
    assert!(
        !authenticates(&app, &client_id, &secret).await,
        "the old secret after it"
    );
    assert!(authenticates(&app, &client_id, &new_secret).await);

    // Delete: confirmed, or not at all.
    let unconfirmed = post(&alice, &app, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(unconfirmed.status(), 422);
    assert!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .is_some()
    );
    let deleted = post(
        &alice,
        &app,
        &format!("{path}/delete"),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted), "/developer?deleted=1");
    assert!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(!authenticates(&app, &client_id, &new_secret).await);
}

async fn developers_see_their_own_clients_and_admins_see_all(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = developer(&app, "alice", Role::Developer).await;
    let bob = developer(&app, "bob", Role::Developer).await;
    let carol = developer(&app, "carol", Role::Admin).await;
    let (_, form) = page(&alice, &app, "/developer/clients/new").await;
    let csrf = hidden_field(&form, "csrf");
    let created = post(
        &alice,
        &app,
        "/developer/clients",
        &[
            ("csrf", &csrf),
            ("name", "Alice SPA"),
            ("kind", "spa"),
            ("redirect_uris", "https://alice.example/spa"),
        ],
    )
    .await;
    let html = created.text().await.unwrap();
    let client_id = element(&html, "client-id");
    assert!(
        !html.contains(r#"id="client-secret""#),
        "a single-page app has no secret"
    );
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.auth_method, sesame::domain::AuthMethod::None);

    let path = format!("/developer/clients/{client_id}");
    let (_, bob_list) = page(&bob, &app, "/developer").await;
    assert!(!bob_list.contains(&client_id));
    assert_eq!(page(&bob, &app, &path).await.0, 404);
    let (_, new) = page(&bob, &app, "/developer/clients/new").await;
    let bob_csrf = hidden_field(&new, "csrf");
    let attempt = post(
        &bob,
        &app,
        &format!("{path}/delete"),
        &[("csrf", &bob_csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        attempt.status(),
        404,
        "another developer's client is not theirs to delete"
    );
    assert!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .is_some()
    );

    let (_, carol_list) = page(&carol, &app, "/developer").await;
    assert!(carol_list.contains(&client_id), "admins see every client");
    assert!(carol_list.contains("All applications"));
    assert_eq!(page(&carol, &app, &path).await.0, 200);
}

/// A person signed in as an account without the role, with a developer
/// account also signed in on the browser, is offered to continue as it.
async fn the_portal_offers_the_developer_account_already_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("erin").await;
    sesame::admin::set_user_role(&app.services.user_admin(), "erin", Role::Developer, true)
        .await
        .unwrap();
    app.add_user("dave").await;
    let browser = app.other_browser();
    assert_eq!(browser.sign_in("erin", crate::helpers::PASSWORD).await, 303);
    assert_eq!(browser.sign_in("dave", crate::helpers::PASSWORD).await, 303);
    let (status, html) = page(&browser, &app, "/developer").await;
    assert_eq!(status, 403);
    assert!(html.contains("Continue as erin"), "{html}");
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let handle = crate::helpers::hidden_field(&html, "account");
    let switched = post(
        &browser,
        &app,
        "/account/switch",
        &[("csrf", &csrf), ("account", &handle), ("next", "/developer")],
    )
    .await;
    assert_eq!(location(&switched), "/developer");
    assert_eq!(page(&browser, &app, "/developer").await.0, 200);
}

crate::on_both_backends!(
    the_portal_offers_the_developer_account_already_signed_in,
    only_developers_use_the_portal,
    developers_register_edit_rekey_and_delete_their_clients,
    developers_see_their_own_clients_and_admins_see_all,
);
