//! The admin console through HTTP: off unless enabled, admins only, a
//! recent sign-in for changes, the whole lifecycle of a person (created,
//! put in the group an app requires, signing in, read in the audit log,
//! deleted — and signed out everywhere at once), the last admin kept,
//! paging through many users.

use reqwest::StatusCode;
use sesame::domain::Role;

use crate::helpers::browser::Browser;
use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, location, spawn_app, spawn_app_with};
use crate::on_both_backends;

async fn console(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.admin.enabled = true).await
}

/// `username` with the admin role, signed in on `browser`.
async fn signed_in_admin(app: &TestApp, browser: &Browser, username: &str) {
    let user = app.add_user(username).await;
    app.services
        .users
        .set_roles(user.id, &[Role::Admin], sesame::clock::Clock::now(&*app.clock))
        .await
        .unwrap();
    assert_eq!(browser.sign_in(username, PASSWORD).await, 303);
}

async fn text(browser: &Browser, path: &str) -> (StatusCode, String) {
    let response = browser.get(browser.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// POSTs `fields` (with the page's CSRF token) as a console form.
async fn post(browser: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (_, html) = text(browser, page).await;
    let csrf = hidden_field(&html, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(browser.url(action)).form(&form).send().await.unwrap()
}

async fn the_console_is_off_unless_enabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = app.other_browser();
    signed_in_admin(&app, &browser, "root").await;
    for path in ["/admin", "/admin/users", "/admin/audit"] {
        assert_eq!(text(&browser, path).await.0, 404, "{path}");
    }
}

/// With `admin.listen`, the console and the API answer only there (the
/// public address says 404), and admins sign in on that address.
async fn the_console_can_have_a_listener_of_its_own(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.admin.enabled = true;
        s.admin.listen = "127.0.0.1:0".into();
    })
    .await;
    let public = app.other_browser();
    signed_in_admin(&app, &public, "root").await;
    for path in ["/admin", "/admin/users", "/admin/api/users"] {
        assert_eq!(text(&public, path).await.0, 404, "public {path}");
    }
    let inside = Browser::new(&format!("http://127.0.0.1:{}", app.admin_port.unwrap()));
    assert_eq!(inside.sign_in("root", PASSWORD).await, 303);
    let (status, page) = text(&inside, "/admin/users").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(">root<"));
    assert_eq!(text(&inside, "/admin/api/users").await.0, 200);
}

/// A plain user and a developer get 403 on every console page and change;
/// nobody signed in is sent to sign in.
async fn only_admins_reach_the_console(backend: Backend) {
    let app = console(backend).await;
    app.add_user("pat").await;
    let dev = app.add_user("dev").await;
    app.services
        .users
        .set_roles(dev.id, &[Role::Developer], sesame::clock::Clock::now(&*app.clock))
        .await
        .unwrap();
    let stranger = app.other_browser();
    assert!(location(&stranger.get(stranger.url("/admin/users")).send().await.unwrap()).starts_with("/login"));
    for who in ["pat", "dev"] {
        let browser = app.other_browser();
        assert_eq!(browser.sign_in(who, PASSWORD).await, 303);
        for path in [
            "/admin",
            "/admin/users",
            "/admin/user?u=pat",
            "/admin/groups",
            "/admin/group?g=x",
            "/admin/audit",
            "/admin/keys",
            "/admin/clients",
            "/admin/deliveries",
            "/admin/registration-tokens",
        ] {
            assert_eq!(text(&browser, path).await.0, 403, "{who} {path}");
        }
        for action in [
            "/admin/users",
            "/admin/user",
            "/admin/groups",
            "/admin/group",
            "/admin/keys",
            "/admin/clients",
            "/admin/deliveries",
            "/admin/registration-tokens",
        ] {
            let response = post(
                &browser,
                "/account",
                action,
                &[("username", "mallory"), ("password", "x".repeat(12).as_str())],
            )
            .await;
            assert_eq!(response.status(), 403, "{who} POST {action}");
        }
    }
    // An auditor reads everything and changes nothing.
    let auditor = app.add_user("audrey").await;
    app.services
        .users
        .set_roles(auditor.id, &[Role::Auditor], sesame::clock::Clock::now(&*app.clock))
        .await
        .unwrap();
    let browser = app.other_browser();
    assert_eq!(browser.sign_in("audrey", PASSWORD).await, 303);
    for path in [
        "/admin/users",
        "/admin/user?u=pat",
        "/admin/groups",
        "/admin/audit",
        "/admin/keys",
        "/admin/clients",
        "/admin/deliveries",
        "/admin/registration-tokens",
    ] {
        assert_eq!(text(&browser, path).await.0, 200, "auditor {path}");
    }
    let response = post(
        &browser,
        "/admin/users",
        "/admin/users",
        &[("username", "mallory"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), 403, "an auditor changes nothing");
    assert!(
        app.services
            .users
            .find_credentials(&sesame::domain::Username::parse("mallory").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

/// The "done when": with only a browser, an operator creates a
/// person, puts them in the group an app requires, sees them sign in in the
/// audit log, and deletes them — and their session ends at once.
async fn an_operator_runs_a_persons_whole_life_from_the_console(backend: Backend) {
    let app = console(backend).await;
    let client = app.add_client(false).await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;

    let created = post(
        &admin,
        "/admin/users",
        "/admin/users",
        &[
            ("username", "carol"),
            ("email", "carol@example.com"),
            ("name", "Carol"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(location(&created), "/admin/user?u=carol&done=created");
    let bad = post(
        &admin,
        "/admin/users",
        "/admin/users",
        &[("username", "no spaces"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("id=\"admin-error\""));

    let group = post(
        &admin,
        "/admin/groups",
        "/admin/groups",
        &[("action", "create"), ("name", "staff")],
    )
    .await;
    assert_eq!(location(&group), "/admin/groups?done=create");
    let restricted = post(
        &admin,
        "/admin/group?g=staff",
        "/admin/group",
        &[
            ("action", "restrict"),
            ("g", "staff"),
            ("client", client.client_id.as_str()),
        ],
    )
    .await;
    assert_eq!(location(&restricted), "/admin/group?g=staff&done=restrict");

    // Not yet a member: no access.
    let carol = app.other_browser();
    let refused = carol.sign_in_for(&client, "carol").await;
    assert!(
        location(&refused).starts_with("/authorize/no-access"),
        "{}",
        location(&refused)
    );
    let joined = post(
        &admin,
        "/admin/user?u=carol",
        "/admin/user",
        &[("action", "join"), ("u", "carol"), ("group", "staff")],
    )
    .await;
    assert_eq!(location(&joined), "/admin/user?u=carol&done=join");
    let (_, page) = text(&admin, "/admin/user?u=carol").await;
    assert!(page.contains("href=\"/admin/group?g=staff\""), "{page}");
    assert!(carol.has_session(&client).await, "a member signs in");

    let (status, audit) = text(&admin, "/admin/audit?user=carol").await;
    assert_eq!(status, 200);
    for event in ["user_created", "group_member_added", "login_succeeded"] {
        assert!(audit.contains(&format!("<td>{event}</td>")), "{event}: {audit}");
    }
    let (_, actions) = text(&admin, "/admin/audit?event=admin_action").await;
    assert!(actions.contains("root add_member staff carol"), "{actions}");
    let export = admin
        .get(admin.url("/admin/audit?user=carol&format=jsonl"))
        .send()
        .await
        .unwrap();
    let body = export.text().await.unwrap();
    assert!(body.lines().count() >= 3);
    for line in body.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event["event"].is_string() && event["at"].is_i64(), "{line}");
    }

    let unticked = post(
        &admin,
        "/admin/user?u=carol",
        "/admin/user",
        &[("action", "delete"), ("u", "carol")],
    )
    .await;
    assert_eq!(unticked.status(), 400, "deleting needs the box ticked");
    let deleted = post(
        &admin,
        "/admin/user?u=carol",
        "/admin/user",
        &[("action", "delete"), ("u", "carol"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(location(&deleted), "/admin/users?deleted=carol");
    assert!(!carol.has_session(&client).await, "her session ended with the account");
    let (status, _) = text(&admin, "/admin/user?u=carol").await;
    assert_eq!(status, 404);
}

/// The last enabled admin cannot be disabled or deleted; a change after the
/// recent-sign-in window asks to confirm first.
async fn the_last_admin_stays_and_changes_need_a_recent_sign_in(backend: Backend) {
    let app = console(backend).await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    for action in ["disable", "delete"] {
        let refused = post(
            &admin,
            "/admin/user?u=root",
            "/admin/user",
            &[("action", action), ("u", "root"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(refused.status(), 400, "{action}");
        assert!(refused.text().await.unwrap().contains("last enabled admin"));
    }
    app.clock.advance(601);
    let (status, _) = text(&admin, "/admin/users").await;
    assert_eq!(status, 200, "reading needs no fresh sign-in");
    let stale = post(
        &admin,
        "/admin/groups",
        "/admin/groups",
        &[("action", "create"), ("name", "late")],
    )
    .await;
    assert_eq!(location(&stale), "/account/confirm?next=/admin");
    let (_, confirm) = text(&admin, "/account/confirm?next=/admin").await;
    let confirmed = admin
        .post(admin.url("/account/confirm"))
        .form(&[
            ("csrf", hidden_field(&confirm, "csrf").as_str()),
            ("next", hidden_field(&confirm, "next").as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&confirmed), "/admin");
    let created = post(
        &admin,
        "/admin/groups",
        "/admin/groups",
        &[("action", "create"), ("name", "late")],
    )
    .await;
    assert_eq!(location(&created), "/admin/groups?done=create");
}

/// Name, address (confirmed on the operator's word), roles; signing a
/// person out everywhere; the last admin keeps the role.
async fn an_admin_edits_a_person_and_signs_them_out(backend: Backend) {
    let app = console(backend).await;
    let client = app.add_client(false).await;
    let dana = app.add_user("dana").await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    let elsewhere = app.other_browser();
    assert_eq!(elsewhere.sign_in("dana", PASSWORD).await, 303);

    let saved = post(
        &admin,
        "/admin/user?u=dana",
        "/admin/user",
        &[
            ("action", "edit"),
            ("u", "dana"),
            ("name", "Dana Scully"),
            ("email", "dana@example.com"),
            ("email_verified", "on"),
            ("role_developer", "on"),
        ],
    )
    .await;
    assert_eq!(location(&saved), "/admin/user?u=dana&done=edit");
    let now = app.services.users.find_user(dana.id).await.unwrap().unwrap();
    assert_eq!(now.display_name.as_deref(), Some("Dana Scully"));
    assert_eq!(now.email.as_deref(), Some("dana@example.com"));
    assert!(now.email_verified);
    assert_eq!(now.roles, vec![Role::Developer]);
    let bad = post(
        &admin,
        "/admin/user?u=dana",
        "/admin/user",
        &[("action", "edit"), ("u", "dana"), ("email", "not an address")],
    )
    .await;
    assert_eq!(bad.status(), 400);

    assert!(elsewhere.has_session(&client).await);
    // One session, ended from the list on her page.
    let second = app.other_browser();
    assert_eq!(second.sign_in("dana", PASSWORD).await, 303);
    let (_, page) = text(&admin, "/admin/user?u=dana").await;
    let listed = page.matches("name=\"session\"").count();
    assert_eq!(listed, 2, "{page}");
    let handle = page
        .split("name=\"session\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let ended = post(
        &admin,
        "/admin/user?u=dana",
        "/admin/user",
        &[("action", "end_session"), ("u", "dana"), ("session", handle.as_str())],
    )
    .await;
    assert_eq!(location(&ended), "/admin/user?u=dana&done=end_session");
    let (_, page) = text(&admin, "/admin/user?u=dana").await;
    assert_eq!(page.matches("name=\"session\"").count(), 1);
    let out = post(
        &admin,
        "/admin/user?u=dana",
        "/admin/user",
        &[("action", "logout"), ("u", "dana")],
    )
    .await;
    assert_eq!(location(&out), "/admin/user?u=dana&done=logout");
    assert!(!elsewhere.has_session(&client).await, "signed out everywhere");

    let refused = post(
        &admin,
        "/admin/user?u=root",
        "/admin/user",
        &[("action", "edit"), ("u", "root")],
    )
    .await;
    assert_eq!(refused.status(), 400, "the last admin keeps the role");
    let events = app.services.audit.recent(50).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event == "user_updated" && e.detail.as_deref() == Some("name, email, roles"))
    );
}

/// Signing keys from the console: listed with their states, a rotation
/// scheduled, a key revoked (and gone from the JWKS).
async fn signing_keys_are_rotated_and_revoked_from_the_console(backend: Backend) {
    let app = console(backend).await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    let (_, page) = text(&admin, "/admin/keys").await;
    assert_eq!(
        page.matches("<td>active</td>").count(),
        3,
        "RS256, ES256 and v4.public: {page}"
    );
    let rotated = post(
        &admin,
        "/admin/keys",
        "/admin/keys",
        &[("action", "rotate"), ("alg", "ES256")],
    )
    .await;
    assert_eq!(location(&rotated), "/admin/keys?done=rotate");
    let (_, page) = text(&admin, "/admin/keys").await;
    assert!(page.contains("<td>next</td>"), "{page}");
    let kid = page
        .split("name=\"kid\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let revoked = post(
        &admin,
        "/admin/keys",
        "/admin/keys",
        &[("action", "revoke"), ("kid", kid.as_str())],
    )
    .await;
    assert_eq!(location(&revoked), "/admin/keys?done=revoke");
    let jwks: serde_json::Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!jwks.to_string().contains(&kid), "a revoked key leaves the JWKS");
    let bad = post(
        &admin,
        "/admin/keys",
        "/admin/keys",
        &[("action", "rotate"), ("alg", "none")],
    )
    .await;
    assert_eq!(bad.status(), 400);
}

/// Apps: what only operators set, ticked on the console; the next sign-in
/// follows it.
async fn an_admin_sets_what_only_operators_set_on_an_app(backend: Backend) {
    let app = console(backend).await;
    let client = app.add_client(false).await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    let (status, page) = text(&admin, "/admin/clients").await;
    assert_eq!(status, 200);
    assert!(page.contains(&client.client_id), "{page}");
    let saved = post(
        &admin,
        "/admin/clients",
        "/admin/clients",
        &[
            ("client", client.client_id.as_str()),
            ("require_verified_email", "on"),
            ("resource_server", "on"),
        ],
    )
    .await;
    assert_eq!(location(&saved), "/admin/clients?done=edit");
    let stored = app.services.clients.find_client(&client.id()).await.unwrap().unwrap();
    assert!(stored.require_verified_email && stored.resource_server && !stored.require_second_factor);
    let missing = post(&admin, "/admin/clients", "/admin/clients", &[("client", "nobody")]).await;
    assert_eq!(missing.status(), 400);
}

/// What hangs on a person beyond sessions (what they allowed apps, a new
/// password), the outboxes with "retry now", and registration tokens made
/// in the console and used at the registration API.
async fn the_console_reaches_grants_outboxes_and_registration_tokens(backend: Backend) {
    let app = console(backend).await;
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    let bob = app.add_user("bob").await;
    let shop = app.add_third_party_client().await;
    let now = sesame::clock::Clock::now(&*app.clock);
    let scopes = sesame::domain::Scopes::parse("openid profile").unwrap();
    app.services
        .consents
        .grant(bob.id, &shop.id(), &scopes, now)
        .await
        .unwrap();

    let (_, page) = text(&admin, "/admin/user?u=bob").await;
    assert!(
        page.contains("id=\"user-grants\"") && page.contains("openid profile"),
        "{page}"
    );
    let revoked = post(
        &admin,
        "/admin/user?u=bob",
        "/admin/user",
        &[("action", "revoke_grant"), ("u", "bob"), ("client", &shop.client_id)],
    )
    .await;
    assert_eq!(location(&revoked), "/admin/user?u=bob&done=revoke_grant");
    let left = app.services.consents.granted_scopes(bob.id, &shop.id()).await.unwrap();
    assert_eq!(left, None, "asked again next time");

    let set = post(
        &admin,
        "/admin/user?u=bob",
        "/admin/user",
        &[
            ("action", "set_password"),
            ("u", "bob"),
            ("password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(location(&set), "/admin/user?u=bob&done=set_password");
    assert_eq!(app.other_browser().sign_in("bob", "a brand new passphrase").await, 303);
    let short = post(
        &admin,
        "/admin/user?u=bob",
        "/admin/user",
        &[("action", "set_password"), ("u", "bob"), ("password", "short")],
    )
    .await;
    assert_eq!(short.status(), 400, "a weak password is refused on the page");

    // A logout notice that failed for good goes out again on request.
    let notice = sesame::domain::LogoutDelivery {
        id: uuid::Uuid::now_v7(),
        client_id: shop.id(),
        uri: "http://app.example/backchannel".into(),
        subject: bob.id.to_string(),
        sid: None,
        created_at: now,
        give_up_at: now,
        status: sesame::domain::DeliveryStatus::Failed,
        attempts: 9,
        next_attempt_at: now,
        last_error: None,
        delivered_at: None,
    };
    app.services
        .outbox
        .enqueue(std::slice::from_ref(&notice), 100)
        .await
        .unwrap();
    let (status, page) = text(&admin, "/admin/deliveries").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<td>failed</td>") && page.contains("value=\"retry_logout\""),
        "{page}"
    );
    let retried = post(
        &admin,
        "/admin/deliveries",
        "/admin/deliveries",
        &[("action", "retry_logout"), ("id", &notice.id.to_string())],
    )
    .await;
    assert_eq!(location(&retried), "/admin/deliveries?done=retry");
    let stored = app.services.outbox.list_deliveries(10).await.unwrap();
    assert_eq!(stored[0].status, sesame::domain::DeliveryStatus::Pending);
    assert!(stored[0].give_up_at > now, "kept long enough to be tried");
    let unknown = post(
        &admin,
        "/admin/registration-tokens",
        "/admin/deliveries",
        &[("action", "retry_mail"), ("id", &uuid::Uuid::now_v7().to_string())],
    )
    .await;
    assert_eq!(unknown.status(), 400);

    // A registration token, shown once, registers an app.
    let made = post(
        &admin,
        "/admin/registration-tokens",
        "/admin/registration-tokens",
        &[("action", "create"), ("label", "team-a"), ("hours", "2"), ("uses", "1")],
    )
    .await;
    assert_eq!(made.status(), 200);
    let html = made.text().await.unwrap();
    let token = html
        .split("id=\"new-token\" class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    let registered = app
        .api
        .post(app.url("/register"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"client_name": "Team A", "redirect_uris": ["https://a.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let (_, listed) = text(&admin, "/admin/registration-tokens").await;
    assert!(
        listed.contains("team-a") && !listed.contains(&token),
        "never shown again"
    );
}

on_both_backends!(
    the_console_can_have_a_listener_of_its_own,
    the_console_reaches_grants_outboxes_and_registration_tokens,
    an_admin_sets_what_only_operators_set_on_an_app,
    signing_keys_are_rotated_and_revoked_from_the_console,
    an_admin_edits_a_person_and_signs_them_out,
    the_console_is_off_unless_enabled,
    only_admins_reach_the_console,
    an_operator_runs_a_persons_whole_life_from_the_console,
    the_last_admin_stays_and_changes_need_a_recent_sign_in,
);

/// 10,000 people: the users page pages by username and finds by part of a
/// name or address.
#[tokio::test]
async fn thousands_of_users_are_paged_and_searched() {
    let app = console(Backend::SqliteMemory).await;
    let now = sesame::clock::Clock::now(&*app.clock);
    for i in 0..10_000 {
        let user = sesame::domain::User {
            id: uuid::Uuid::now_v7(),
            username: sesame::domain::Username::parse(&format!("user{i:05}")).unwrap(),
            email: Some(format!("person{i}@example.com")),
            email_verified: false,
            display_name: None,
            disabled: false,
            roles: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        app.services
            .users
            .create_user(&user, "not a hash: nobody signs in")
            .await
            .unwrap();
    }
    let admin = app.other_browser();
    signed_in_admin(&app, &admin, "root").await;
    let (_, first) = text(&admin, "/admin/users").await;
    assert!(first.contains(">root<") && first.contains(">user00000<") && first.contains(">user00048<"));
    assert!(!first.contains(">user00049<"), "50 a page");
    let next = first
        .split("id=\"next-page\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap();
    // As a browser reads the attribute (askama escapes `&` and `/`).
    let next = next
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/");
    let (_, second) = text(&admin, &next).await;
    assert!(
        second.contains(">user00049<") && second.contains(">user00098<") && !second.contains(">user00048<"),
        "{next}: {second}"
    );
    let (_, found) = text(&admin, "/admin/users?q=PERSON9999%40").await;
    assert!(
        found.contains(">user09999<") && !found.contains(">user00001<"),
        "{found}"
    );
    let (_, literal) = text(&admin, "/admin/users?q=%25").await;
    assert!(
        literal.contains("No users match"),
        "LIKE wildcards are matched literally"
    );
}
