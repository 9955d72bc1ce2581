//! Single logout: RP-initiated logout, back-channel notices that survive apps
//! being down and Sesame restarting, front-channel frames, and open-redirect
//! and SSRF defences.

use std::collections::HashSet;

use serde_json::Value;
use sesame::admin::{self, NewClient};
use sesame::config::Settings;
use sesame::domain::{DeliveryStatus, LogoutDelivery};

use crate::helpers::relying_party::{RelyingApp, verify_logout_token};
use crate::helpers::{Backend, TestApp, TestClient, location, redirect_params, spawn_app_with};

const SIGNED_OUT: &str = "http://app.example/signed-out";

/// Only the tests move deliveries along (no background pass between steps).
fn manual_delivery(settings: &mut Settings) {
    settings.logout.poll_secs = 3600;
}

async fn register(app: &TestApp, name: &str, backchannel: Option<String>, frontchannel: Option<String>) -> TestClient {
    let created = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: name.into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            first_party: true,
            post_logout_redirect_uris: vec![SIGNED_OUT.into()],
            backchannel_logout_uri: backchannel,
            frontchannel_logout_uri: frontchannel,
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "http://app.example/callback".into(),
    }
}

/// Signs alice in to `client` and returns its ID token and access token.
async fn sign_in(app: &TestApp, client: &TestClient) -> (String, String) {
    let (code, verifier) = app.get_code(client, "alice").await;
    let body: Value = app.redeem(client, &code, &verifier).await.json().await.unwrap();
    (
        body["id_token"].as_str().unwrap().to_string(),
        body["access_token"].as_str().unwrap().to_string(),
    )
}

fn sid_of(app: &TestApp, id_token: &str) -> String {
    app.services.keys.verify(id_token).unwrap().claims_set()["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn prompt_none_error(app: &TestApp, client: &TestClient) -> Option<String> {
    let response = app
        .authorize(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("prompt", "none"),
        ])
        .await;
    redirect_params(&response).get("error").cloned()
}

async fn logout_from_one_app_reaches_every_app(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let (rp_a, rp_b) = (RelyingApp::start(), RelyingApp::start());
    let a = register(&app, "App A", Some(rp_a.backchannel_uri()), None).await;
    let b = register(&app, "App B", Some(rp_b.backchannel_uri()), None).await;
    app.add_user("alice").await;
    let (a_token, a_access) = sign_in(&app, &a).await;
    let (b_token, _) = sign_in(&app, &b).await;

    let response = app
        .browser
        .get(app.url("/end_session"))
        .query(&[
            ("id_token_hint", a_token.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "a valid hint needs no confirmation");
    assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));

    assert_eq!(app.services.delivery().deliver_due().await.unwrap(), 2);
    for (rp, client, id_token) in [(&rp_a, &a, &a_token), (&rp_b, &b, &b_token)] {
        let tokens = rp.tokens();
        assert_eq!(tokens.len(), 1, "each app is told once");
        let claims = verify_logout_token(&app, &tokens[0], &client.client_id).await;
        assert_eq!(claims["sid"], sid_of(&app, id_token), "the sid of that app's ID tokens");
    }
    assert_eq!(prompt_none_error(&app, &a).await.as_deref(), Some("login_required"));
    let userinfo = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&a_access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401, "access tokens end with the session");
    let statuses: Vec<_> = app
        .services
        .outbox
        .list_deliveries(10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(statuses, vec![DeliveryStatus::Delivered; 2]);
}

async fn a_logout_without_a_trustworthy_hint_asks_first(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let client = register(&app, "App A", None, None).await;
    app.add_user("alice").await;
    sign_in(&app, &client).await;
    let params = [
        ("client_id", client.client_id.as_str()),
        ("post_logout_redirect_uri", SIGNED_OUT),
        ("state", "s"),
    ];
    let page = app
        .browser
        .get(app.url("/end_session"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign out?"));
    assert_eq!(
        prompt_none_error(&app, &client).await,
        None,
        "still signed in until confirmed"
    );

    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let forged = app
        .browser
        .post(app.url("/end_session/confirm"))
        .form(&[("csrf", "forged"), ("client_id", client.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let confirmed = app
        .browser
        .post(app.url("/end_session/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("client_id", client.client_id.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    // RP-Initiated Logout §3: without a valid id_token_hint the OP cannot
    // confirm the app asked, so it does not redirect: the signed-out page
    // offers the registered URI as a link, and nothing follows it by itself.
    assert_eq!(confirmed.status(), 200);
    assert!(confirmed.headers().get("location").is_none());
    let html = confirmed.text().await.unwrap();
    assert!(
        html.contains(r#"id="return" href="http://app.example/signed-out?state=s""#),
        "{html}"
    );
    assert!(html.contains("Return to App A"));
    assert!(!html.contains("logout.js"), "no script continues by itself");
    assert_eq!(
        prompt_none_error(&app, &client).await.as_deref(),
        Some("login_required")
    );

    // Nobody signed in, no hint: the same page, never a redirect.
    let nobody = app
        .other_browser()
        .get(app.url("/end_session"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 200);
    assert!(nobody.headers().get("location").is_none());
    assert!(nobody.text().await.unwrap().contains(r#"id="return""#));
}

async fn unregistered_redirects_and_forged_hints_never_redirect(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let client = register(&app, "App A", None, None).await;
    app.add_user("alice").await;
    let (id_token, _) = sign_in(&app, &client).await;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://evil.example/"),
        ],
        vec![
            ("client_id", client.client_id.as_str()),
            ("post_logout_redirect_uri", "http://app.example/signed-out/x"),
        ],
        vec![("post_logout_redirect_uri", SIGNED_OUT)],
        vec![("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")],
        vec![("client_id", "unknown")],
    ];
    for params in cases {
        let response = app
            .browser
            .get(app.url("/end_session"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{params:?}");
        assert!(
            response.headers().get("location").is_none(),
            "never a redirect: {params:?}"
        );
    }
    assert_eq!(prompt_none_error(&app, &client).await, None, "nobody was signed out");
}

async fn an_app_that_was_down_gets_its_notice_when_back(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        manual_delivery(s);
        s.logout.backoff_base_secs = 10;
    })
    .await;
    let down = RelyingApp::down();
    let port = down.port;
    let client = register(
        &app,
        "App A",
        Some(format!("http://127.0.0.1:{port}/backchannel")),
        None,
    )
    .await;
    app.add_user("alice").await;
    let (id_token, _) = sign_in(&app, &client).await;
    let response = app
        .browser
        .get(app.url("/end_session"))
        .query(&[("id_token_hint", id_token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(response.text().await.unwrap().contains("You are signed out"));

    app.services.delivery().deliver_due().await.unwrap();
    let pending = &app.services.outbox.list_deliveries(10).await.unwrap()[0];
    assert_eq!((pending.status, pending.attempts), (DeliveryStatus::Pending, 1));
    assert!(pending.last_error.is_some());
    assert_eq!(
        app.services.delivery().deliver_due().await.unwrap(),
        0,
        "not before the backoff"
    );

    let rp = down.come_up();
    app.clock.advance(13);
    app.services.delivery().deliver_due().await.unwrap();
    let tokens = rp.tokens();
    assert_eq!(tokens.len(), 1);
    verify_logout_token(&app, &tokens[0], &client.client_id).await;
    let delivered = &app.services.outbox.list_deliveries(10).await.unwrap()[0];
    assert_eq!((delivered.status, delivered.attempts), (DeliveryStatus::Delivered, 2));
    rp.stop().await;
}

async fn a_restart_loses_no_notice_and_two_nodes_deliver_each_once(backend: Backend) {
    let first = spawn_app_with(backend, |s| {
        manual_delivery(s);
        s.outbound.timeout_secs = 30;
        s.logout.delivery_timeout_secs = 30;
    })
    .await;
    let rp = RelyingApp::start();
    let client = register(&first, "App A", Some(rp.backchannel_uri()), None).await;
    let now = sesame::clock::Clock::now(&*first.services.clock);
    let deliveries: Vec<LogoutDelivery> = (0..12)
        .map(|i| LogoutDelivery {
            id: uuid::Uuid::now_v7(),
            client_id: client.id(),
            uri: rp.backchannel_uri(),
            subject: format!("user-{i}"),
            sid: Some(sesame::domain::Sid::from_stored(format!("sid-{i}"))),
            created_at: now,
            give_up_at: now + 3600,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            delivered_at: None,
        })
        .collect();
    first.services.outbox.enqueue(&deliveries, 10_000).await.unwrap();

    // Another node (or the same one restarted) on the same database.
    let database = first.services.settings.database_url.clone();
    let keys_dir = first.services.settings.keys_dir.clone();
    let issuer = first.issuer.clone();
    let second = spawn_app_with(backend, move |s| {
        manual_delivery(s);
        s.outbound.timeout_secs = 30;
        s.logout.delivery_timeout_secs = 30;
        s.database_url = database;
        s.keys_dir = keys_dir;
        s.issuer = issuer;
    })
    .await;
    // Both nodes work the outbox at once until every notice is through. A
    // notice whose attempt failed under load waits for its retry: move both
    // clocks past the backoff. A notice that never failed is still in flight
    // (each node's worker also makes a pass when it starts): wait for it in
    // real time, since moving the clocks past its lease would rightly let the
    // other node send it again.
    for _ in 0..400 {
        let (first_delivery, second_delivery) = (first.services.delivery(), second.services.delivery());
        let (a, b) = tokio::join!(first_delivery.deliver_due(), second_delivery.deliver_due());
        if a.unwrap() + b.unwrap() > 0 {
            continue;
        }
        let outbox = first.services.outbox.list_deliveries(20).await.unwrap();
        let pending: Vec<_> = outbox
            .iter()
            .filter(|d| d.status != DeliveryStatus::Delivered)
            .collect();
        if pending.is_empty() {
            break;
        }
        if pending.iter().any(|d| d.last_error.is_none()) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        }
        first.clock.advance(60);
        second.clock.advance(60);
    }
    let mut received: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut jtis = HashSet::new();
    let tokens = rp.tokens();
    for token in &tokens {
        let claims = verify_logout_token(&first, token, &client.client_id).await;
        *received.entry(claims["sub"].as_str().unwrap().to_string()).or_default() += 1;
        jtis.insert(claims["jti"].as_str().unwrap().to_string());
    }
    let outbox = first.services.outbox.list_deliveries(20).await.unwrap();
    assert_eq!(outbox.len(), 12);
    for delivery in &outbox {
        assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
        // Each attempt is made by one node: the app hears a notice once per
        // recorded attempt, and a second attempt only follows a failed one
        // (an attempt that timed out under load may have reached the app).
        assert_eq!(
            received.get(&delivery.subject).copied(),
            Some(delivery.attempts),
            "{delivery:?}"
        );
        assert!(
            delivery.attempts == 1 || delivery.last_error.is_some(),
            "sent twice without a failure: {delivery:?}"
        );
    }
    assert_eq!(jtis.len(), tokens.len(), "a fresh jti each attempt");
}

async fn front_channel_frames_are_loaded_on_the_signed_out_page(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let client = register(
        &app,
        "App A",
        None,
        Some("https://app.example/frontchannel-logout".into()),
    )
    .await;
    app.add_user("alice").await;
    let (id_token, _) = sign_in(&app, &client).await;
    let response = app
        .browser
        .get(app.url("/end_session"))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the page loads the frames before continuing");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.ends_with("frame-src https://app.example"), "{csp}");
    let html = response.text().await.unwrap();
    let sid = sid_of(&app, &id_token);
    let iss = url::form_urlencoded::byte_serialize(app.issuer.as_bytes()).collect::<String>();
    assert!(
        html.contains(&format!(
            "https://app.example/frontchannel-logout?iss={iss}&#38;sid={sid}"
        )),
        "{html}"
    );
    assert!(html.contains(&format!(r#"href="{SIGNED_OUT}""#)));
    assert!(html.contains("/static/logout.js"));
}

async fn outbound_calls_refuse_internal_addresses(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        manual_delivery(s);
        s.outbound.allow_loopback = false;
        s.logout.give_up_after_secs = 1;
    })
    .await;
    let rp = RelyingApp::start();
    let client = register(&app, "App A", Some(rp.backchannel_uri()), None).await;
    let by_name = register(
        &app,
        "App B",
        Some(format!("http://localhost:{}/backchannel", rp.port)),
        None,
    )
    .await;
    app.add_user("alice").await;
    sign_in(&app, &client).await;
    sign_in(&app, &by_name).await;
    assert_eq!(
        admin::logout_user(&app.services.user_admin(), "alice", admin::OfflineTokens::Revoke)
            .await
            .unwrap()
            .sessions,
        1
    );
    app.services.delivery().deliver_due().await.unwrap();
    assert!(rp.tokens().is_empty(), "nothing reached the loopback address");
    for delivery in app.services.outbox.list_deliveries(10).await.unwrap() {
        assert_eq!(delivery.status, DeliveryStatus::Failed, "given up past the horizon");
        let error = delivery.last_error.unwrap();
        assert!(error.contains("loopback"), "{error}");
    }
}

async fn disabling_a_user_signs_them_out_everywhere(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let rp = RelyingApp::start();
    let client = register(&app, "App A", Some(rp.backchannel_uri()), None).await;
    app.add_user("alice").await;
    sign_in(&app, &client).await;
    assert_eq!(
        admin::set_user_disabled(&app.services.user_admin(), "alice", true, admin::OfflineTokens::Revoke)
            .await
            .unwrap()
            .sessions,
        1
    );
    app.services.delivery().deliver_due().await.unwrap();
    assert_eq!(rp.tokens().len(), 1);
    assert_eq!(
        prompt_none_error(&app, &client).await.as_deref(),
        Some("login_required")
    );
    let (req, csrf) = app
        .open_login(
            app.authorize(&[
                ("client_id", client.client_id.as_str()),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid"),
            ])
            .await,
        )
        .await;
    let refused = app.submit_login(&req, &csrf, "alice", crate::helpers::PASSWORD).await;
    assert_eq!(refused.status(), 401, "a disabled account cannot sign in");
}

/// The end of a session by a new sign-in, or by too many accounts on one
/// browser, is an end like any other: the apps of the session are told.
async fn sessions_replaced_or_pushed_out_by_a_sign_in_are_logged_out_of_their_apps(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        manual_delivery(s);
        s.session.max_accounts_per_browser = 2;
    })
    .await;
    let rp = RelyingApp::start();
    let client = register(&app, "App A", Some(rp.backchannel_uri()), None).await;
    for name in ["alice", "bob", "carol"] {
        app.add_user(name).await;
    }
    let (first_token, _) = sign_in(&app, &client).await;
    let first_sid = sid_of(&app, &first_token);

    // alice signs in again on the same browser: her old session ends.
    let again = app
        .login_through(
            &[
                ("client_id", client.client_id.as_str()),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "login"),
            ],
            "alice",
        )
        .await;
    assert!(redirect_params(&again).contains_key("code"));
    assert_eq!(app.services.delivery().deliver_due().await.unwrap(), 1);
    let claims = verify_logout_token(&app, &rp.tokens()[0], &client.client_id).await;
    assert_eq!(claims["sid"], first_sid.as_str());

    // alice's new session joins the app; bob, then carol sign in on the same
    // browser: with room for two accounts, alice's session is pushed out.
    let alice_code = redirect_params(&again)["code"].clone();
    let tokens: Value = app
        .token(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &alice_code),
                ("redirect_uri", &client.redirect_uri),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let alice_sid = sid_of(&app, tokens["id_token"].as_str().unwrap());
    for name in ["bob", "carol"] {
        let params = [
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("prompt", "login"),
        ];
        app.login_through(&params, name).await;
    }
    assert_eq!(app.services.delivery().deliver_due().await.unwrap(), 1);
    let tokens = rp.tokens();
    assert_eq!(tokens.len(), 2);
    let claims = verify_logout_token(&app, &tokens[1], &client.client_id).await;
    assert_eq!(
        claims["sid"],
        alice_sid.as_str(),
        "alice's pushed-out session is logged out"
    );
}

/// An app whose back-channel endpoint accepts connections and never
/// answers; counts the connections it took.
struct HangingApp {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl HangingApp {
    async fn start() -> HangingApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        HangingApp { port, connections }
    }
}

fn notices(client_id: &str, uri: &str, count: usize, now: i64) -> Vec<LogoutDelivery> {
    (0..count)
        .map(|i| LogoutDelivery {
            id: uuid::Uuid::now_v7(),
            client_id: sesame::domain::ClientId::parse(client_id).unwrap(),
            uri: uri.to_string(),
            subject: format!("user-{i}"),
            sid: Some(sesame::domain::Sid::from_stored(format!("sid-{i}"))),
            created_at: now,
            give_up_at: now + 3600,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            delivered_at: None,
        })
        .collect()
}

/// 300 notices owed to an app that hangs, then one to another app: with the
/// node's own worker running, the other app's notice goes out while the
/// hanging app's backlog has barely started, and the hanging app never holds
/// more than its share of attempts.
async fn a_hanging_app_delays_no_other_apps_notice(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let hanging = HangingApp::start().await;
    let slow_uri = format!("http://127.0.0.1:{}/backchannel", hanging.port);
    let slow = register(&app, "Hanging App", Some(slow_uri.clone()), None).await;
    let rp = RelyingApp::start();
    let other = register(&app, "Other App", Some(rp.backchannel_uri()), None).await;
    let now = sesame::clock::Clock::now(&*app.services.clock);
    app.services
        .outbox
        .enqueue(&notices(&slow.client_id, &slow_uri, 300, now), 10_000)
        .await
        .unwrap();
    app.services
        .outbox
        .enqueue(&notices(&other.client_id, &rp.backchannel_uri(), 1, now), 10_000)
        .await
        .unwrap();
    // The worker polls every second; wait (in real time) for the other app's notice.
    for _ in 0..300 {
        if !rp.tokens().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rp.tokens().len(), 1, "the other app got its notice");
    let share = app.services.settings.logout.max_concurrent_per_client as usize;
    let taken = hanging.connections.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        taken <= share,
        "the hanging app holds {taken} attempts, more than its {share}"
    );
    let outbox = app.services.outbox.list_deliveries(400).await.unwrap();
    let untouched = outbox
        .iter()
        .filter(|d| d.client_id == slow.id() && d.attempts == 0)
        .count();
    assert!(
        untouched >= 300 - 2 * share,
        "{untouched} of the hanging app's notices not yet tried"
    );
}

/// Past `max_pending_per_client`, new notices for that app are recorded as
/// failed at once instead of piling up.
async fn notices_for_one_app_are_capped(backend: Backend) {
    let app = spawn_app_with(backend, manual_delivery).await;
    let uri = "http://127.0.0.1:9/backchannel";
    let client = register(&app, "Down App", Some(uri.into()), None).await;
    let now = sesame::clock::Clock::now(&*app.services.clock);
    app.services
        .outbox
        .enqueue(&notices(&client.client_id, uri, 5, now), 3)
        .await
        .unwrap();
    let outbox = app.services.outbox.list_deliveries(10).await.unwrap();
    let pending = outbox.iter().filter(|d| d.status == DeliveryStatus::Pending).count();
    let failed: Vec<_> = outbox.iter().filter(|d| d.status == DeliveryStatus::Failed).collect();
    assert_eq!((pending, failed.len()), (3, 2));
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("too many notices pending for this app")
    );
}

crate::on_both_backends!(
    a_hanging_app_delays_no_other_apps_notice,
    notices_for_one_app_are_capped,
    sessions_replaced_or_pushed_out_by_a_sign_in_are_logged_out_of_their_apps,
    logout_from_one_app_reaches_every_app,
    a_logout_without_a_trustworthy_hint_asks_first,
    unregistered_redirects_and_forged_hints_never_redirect,
    an_app_that_was_down_gets_its_notice_when_back,
    a_restart_loses_no_notice_and_two_nodes_deliver_each_once,
    front_channel_frames_are_loaded_on_the_signed_out_page,
    outbound_calls_refuse_internal_addresses,
    disabling_a_user_signs_them_out_everywhere,
);
