//! Three Sesame nodes on one PostgreSQL and one Redis behave as one: a login
//! on one is a session on the others, a code from one is redeemed at another,
//! a new secret made on one is the only one the others accept, and a logout
//! on any reaches each app exactly once.

use std::time::Duration;

use sesame::admin::{self, NewClient};
use sesame::domain::DeliveryStatus;

use crate::helpers::relying_party::RelyingApp;
use crate::helpers::{Backend, TestApp, TestClient, location, pkce_challenge, redirect_params, spawn_app_with};

/// Another node sharing the first one's database, Redis keys, signing-key
/// encryption key and issuer (as behind a load balancer).
async fn another_node(first: &TestApp) -> TestApp {
    let settings = first.services.settings.clone();
    spawn_app_with(Backend::PostgresRedis, move |s| {
        s.database_url = settings.database_url;
        s.redis_prefix = settings.redis_prefix;
        s.keys_dir = settings.keys_dir;
        s.issuer = settings.issuer;
        s.logout.poll_secs = 1;
    })
    .await
}

fn authorize_params<'a>(client: &'a TestClient, challenge: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

async fn redeem_at(node: &TestApp, client: &TestClient, code: &str, verifier: &str) -> serde_json::Value {
    let response = node.redeem(client, code, verifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Whether these credentials authenticate at `node`: a bogus grant is
/// `invalid_grant` (400) for a known client, 401 otherwise.
async fn authenticates(node: &TestApp, client_id: &str, secret: &str) -> bool {
    let response = node
        .api
        .post(node.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "bogus")])
        .send()
        .await
        .unwrap();
    response.status() == 400
}

#[tokio::test]
async fn three_nodes_behave_as_one() {
    let rp = RelyingApp::start();
    let first = spawn_app_with(Backend::PostgresRedis, |s| s.logout.poll_secs = 1).await;
    let second = another_node(&first).await;
    let third = another_node(&first).await;
    let created = admin::add_client(
        &first.services.client_admin(),
        NewClient {
            name: "Shared App".into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            first_party: true,
            backchannel_logout_uri: Some(rp.backchannel_uri()),
            ..Default::default()
        },
        admin::Via::Cli,
    )
    .await
    .unwrap();
    let client = TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "http://app.example/callback".into(),
    };
    first.add_user("alice").await;

    // Sign in on node 1; redeem that code on node 2.
    let (code, verifier) = first.get_code(&client, "alice").await;
    let tokens = redeem_at(&second, &client, &code, &verifier).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    assert_eq!(
        first.redeem(&client, &code, &verifier).await.status(),
        400,
        "a code is taken once, whichever node is asked"
    );

    // Single sign-on on node 2 with node 1's session cookie: no login page.
    let verifier = "n".repeat(50);
    let challenge = pkce_challenge(&verifier);
    let params = authorize_params(&client, &challenge);
    let url = reqwest::Url::parse_with_params(&second.url("/authorize"), &params).unwrap();
    let response = first.browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(
        location(&response).starts_with(&client.redirect_uri),
        "{}",
        location(&response)
    );
    let code = redirect_params(&response)["code"].clone();
    redeem_at(&first, &client, &code, &verifier).await;

    // And on node 3, redeemed at node 2.
    let verifier = "t".repeat(50);
    let challenge = pkce_challenge(&verifier);
    let params = authorize_params(&client, &challenge);
    let url = reqwest::Url::parse_with_params(&third.url("/authorize"), &params).unwrap();
    let response = first.browser.get(url).send().await.unwrap();
    assert!(
        location(&response).starts_with(&client.redirect_uri),
        "{}",
        location(&response)
    );
    let code = redirect_params(&response)["code"].clone();
    redeem_at(&second, &client, &code, &verifier).await;

    // A new secret made through node 2 is the only one node 1 accepts, at
    // once, though node 1 has the client cached.
    let old_secret = client.secret.clone().unwrap();
    assert!(authenticates(&first, &client.client_id, &old_secret).await);
    let new_secret = admin::rotate_secret(&second.services.client_admin(), &client.id(), 0)
        .await
        .unwrap();
    assert!(!authenticates(&first, &client.client_id, &old_secret).await);
    assert!(authenticates(&first, &client.client_id, &new_secret).await);
    assert!(!authenticates(&third, &client.client_id, &old_secret).await);
    let client = TestClient {
        secret: Some(new_secret),
        ..client
    };

    // Log out on node 2: the app hears it once, though all three nodes deliver.
    let url =
        reqwest::Url::parse_with_params(&second.url("/end_session"), &[("id_token_hint", id_token.as_str())]).unwrap();
    let response = first.browser.get(url).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut waited = Duration::ZERO;
    while rp.tokens().is_empty() && waited < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    assert_eq!(rp.tokens().len(), 1, "the back-channel notice arrives");
    // Once the shared outbox records it delivered, no node sends it again.
    let mut waited = Duration::ZERO;
    loop {
        let deliveries = third.services.outbox.list_deliveries(10).await.unwrap();
        if deliveries.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            assert_eq!(deliveries.len(), 1);
            break;
        }
        assert!(waited < Duration::from_secs(15), "recorded delivered: {deliveries:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    assert_eq!(rp.tokens().len(), 1, "and only once");

    // The session is gone for node 1 too.
    let params = [
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "none"),
    ];
    let response = first.authorize(&params).await;
    assert_eq!(redirect_params(&response)["error"], "login_required");
}

/// A sign-in and a WebAuthn ceremony begun on one node finish on another:
/// both live in the shared store, not in a node's memory.
#[tokio::test]
async fn a_sign_in_and_a_ceremony_begun_on_one_node_finish_on_another() {
    use crate::second_factor::{code_now, enrol, request, second_factor_form, send_code};
    let first = spawn_app_with(Backend::PostgresRedis, |s| {
        s.issuer = s.issuer.replace("127.0.0.1", "localhost")
    })
    .await;
    let second = another_node(&first).await;
    let second_url = |path: &str| second.url(path);
    let client = first.add_client(false).await;
    first.add_user("alice").await;
    let enrolled = enrol(&first, &first.browser, "alice").await;

    // The password on node 1, the code on node 2.
    let browser = first.other_browser();
    let (request_id, csrf) = browser.open_login(browser.authorize(&request(&client)).await).await;
    let response = browser
        .submit_login(&request_id, &csrf, "alice", crate::helpers::PASSWORD)
        .await;
    let step = location(&response);
    assert!(step.starts_with("/login/second-factor"), "{step}");
    let page = browser.get(second_url(&step)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = crate::helpers::hidden_field(&html, "csrf");
    let back = browser
        .post(second_url("/login/second-factor"))
        .form(&[
            ("req", request_id.as_str()),
            ("csrf", csrf.as_str()),
            ("code", code_now(&first, &enrolled.secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert!(location(&back).starts_with(&client.redirect_uri), "{}", location(&back));
    let _ = (second_factor_form, send_code);

    // A passkey ceremony started on node 1 opens on node 2 (a forged
    // answer is judged there, not "expired"), and signs nobody in.
    let someone = first.other_browser();
    let login = someone
        .get(first.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_field(&login, "csrf");
    let started: serde_json::Value = someone
        .post(first.url("/login/passkey/start"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ceremony = started["ceremony"].as_str().expect("a ceremony").to_string();
    assert_eq!(started["options"]["publicKey"]["rpId"], "localhost");
    let finish = |ceremony: String, csrf: String| {
        let someone = &someone;
        let url = second_url("/login/passkey/finish");
        async move {
            someone
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("ceremony", ceremony.as_str()),
                    ("credential", r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA"},"extensions":{}}"#),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let judged = finish(ceremony.clone(), csrf.clone()).await;
    assert_eq!(judged.status(), 400);
    assert!(judged.text().await.unwrap().contains("was not accepted"));
    let again = finish(ceremony, csrf).await;
    assert_eq!(again.status(), 400);
    assert!(someone.cookie("sesame_session").is_none());
}
