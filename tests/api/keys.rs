//! Key rotation (with an injected clock): keys are published before they
//! sign, stay published until their tokens expired, revoke at once, and
//! several nodes agree on them.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl, TokenResponse,
};
use serde_json::Value;
use sesame::clock::Clock;
use sesame::config::Settings;
use sesame::keys::{Alg, rotation};

use crate::helpers::relying_party::rp_http;
use crate::helpers::{Backend, TestApp, TestClient, spawn_app, spawn_app_with};

/// A schedule short enough to walk through: rotate every 10 000 s, publish
/// 900 s ahead (600 s JWKS max-age + 300 s margin), keep retired keys 3 600 s.
fn short_schedule(settings: &mut Settings) {
    settings.keys.rotation_period_secs = 10_000;
    settings.keys.jwks_max_age_secs = 600;
    settings.keys.prepublish_margin_secs = 300;
    settings.keys.retention_secs = 3600;
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == "RS256")
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// An ID token from the code flow, and the kid in its header.
async fn id_token(app: &TestApp, client: &TestClient) -> (String, String) {
    let (code, verifier) = app.get_code(client, "alice").await;
    let body: Value = app.redeem(client, &code, &verifier).await.json().await.unwrap();
    let token = body["id_token"].as_str().unwrap().to_string();
    let header = josekit::jwt::decode_header(&token).unwrap();
    let kid = header.claim("kid").unwrap().as_str().unwrap().to_string();
    (token, kid)
}

async fn a_rotation_publishes_first_signs_later_and_retires_slowly(backend: Backend) {
    let app = spawn_app_with(backend, short_schedule).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (old_token, old_kid) = id_token(&app, &client).await;
    assert_eq!(jwks_kids(&app).await, vec![old_kid.clone()]);

    // Due: 10 000 − 900 s after activation, the successor is published, not used.
    app.clock.advance(9100);
    app.services.key_rotation().tick().await.unwrap();
    let kids = jwks_kids(&app).await;
    assert_eq!(kids.len(), 2, "the next key is in the JWKS before it signs");
    let new_kid = kids.iter().find(|k| **k != old_kid).unwrap().clone();
    assert_eq!(
        id_token(&app, &client).await.1,
        old_kid,
        "still signing with the old key"
    );

    // After the pre-publication window the new key signs; old tokens still verify.
    app.clock.advance(900);
    assert_eq!(id_token(&app, &client).await.1, new_kid);
    app.services.key_rotation().tick().await.unwrap();
    assert!(
        app.services.keys.verify(&old_token).is_some(),
        "a token signed before the rotation verifies after it"
    );
    assert!(jwks_kids(&app).await.contains(&old_kid));

    // The retired key stays published for the retention (≥ ID token lifetime), then leaves.
    app.clock.advance(3599);
    app.services.key_rotation().tick().await.unwrap();
    assert!(
        jwks_kids(&app).await.contains(&old_kid),
        "not before its last token expired"
    );
    app.clock.advance(1);
    app.services.key_rotation().tick().await.unwrap();
    assert_eq!(jwks_kids(&app).await, vec![new_kid]);
    assert!(app.services.keys.verify(&old_token).is_none());
}

async fn revoking_a_key_removes_it_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (old_token, old_kid) = id_token(&app, &client).await;
    app.services.key_rotation().revoke(&old_kid).await.unwrap();
    let kids = jwks_kids(&app).await;
    assert!(!kids.contains(&old_kid), "a revoked key leaves the JWKS at once");
    assert_eq!(kids.len(), 1, "a new key took over");
    assert!(app.services.keys.verify(&old_token).is_none());
    let (new_token, new_kid) = id_token(&app, &client).await;
    assert_eq!(kids[0], new_kid);
    assert!(app.services.keys.verify(&new_token).is_some());
    assert!(
        app.services.key_rotation().revoke(&old_kid).await.is_err(),
        "revoking twice is an error"
    );
}

async fn jwks_caching_headers_and_etag(backend: Backend) {
    let app = spawn_app_with(backend, short_schedule).await;
    let first = app.api.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "public, max-age=600");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .api
        .get(app.url("/jwks"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.services
        .key_rotation()
        .rotate(Alg::RS256, rotation::When::Scheduled, None)
        .await
        .unwrap();
    let changed = app
        .api
        .get(app.url("/jwks"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a new key changes the ETag");
}

async fn private_keys_are_encrypted_at_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    let stored = app.services.key_store.list_keys().await.unwrap();
    assert_eq!(stored.len(), 3, "RS256, ES256 and the gateway's PASETO key");
    for key in stored {
        let text = String::from_utf8_lossy(&key.private_key);
        assert!(!text.contains("PRIVATE KEY"), "{} is stored in the clear", key.kid);
        assert!(!text.contains("k4.secret"), "{} is stored in the clear", key.kid);
        assert!(!key.kek_id.is_empty());
        assert!(!format!("{key:?}").contains(&text.to_string()) || text.is_empty());
    }
}

async fn clients_may_ask_for_es256_id_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = sesame::admin::add_client(
        &app.services.client_admin(),
        sesame::admin::NewClient {
            name: "EC App".into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            public: false,
            client_id: None,
            auth_method: None,
            first_party: true,
            id_token_alg: Some(Alg::ES256),
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let client = TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "http://app.example/callback".into(),
    };
    app.add_user("alice").await;
    let (token, kid) = id_token(&app, &client).await;
    let header = josekit::jwt::decode_header(&token).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "ES256");
    assert_eq!(
        Some(kid.as_str()),
        app.services.keys.current().active_kid(Alg::ES256, app.clock.now())
    );
    assert!(app.services.keys.verify(&token).is_some());
}

/// The openidconnect relying party keeps working across a scheduled rotation
/// that happens while its authorization request is in flight; it refetches
/// the JWKS as the caching headers allow. A quick schedule (30 s max-age,
/// 20 s margin) lets the new key take over within the code's 60 s lifetime.
async fn the_code_flow_survives_a_rotation_mid_flight(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.keys.rotation_period_secs = 10_000;
        s.keys.jwks_max_age_secs = 30;
        s.keys.prepublish_margin_secs = 20;
        s.keys.retention_secs = 3600;
    })
    .await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (_, first_kid) = id_token(&app, &client).await;
    let discover = || async {
        let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &rp_http)
            .await
            .unwrap();
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client.client_id.clone()),
            client.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap())
    };
    app.clock.advance(9900);
    let rp = discover().await;
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
        .url();
    let (req, csrf) = app
        .open_login(app.browser.get(url.as_str()).send().await.unwrap())
        .await;

    // Mid-flight: the rotation falls due and the successor is published…
    app.clock.advance(100);
    app.services.key_rotation().tick().await.unwrap();
    let back = app.submit_login(&req, &csrf, "alice", crate::helpers::PASSWORD).await;
    let code = crate::helpers::redirect_params(&back)["code"].clone();
    // …and takes over before the code is exchanged.
    app.clock.advance(50);
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&rp_http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let kid = josekit::jwt::decode_header(id_token.to_string())
        .unwrap()
        .claim("kid")
        .unwrap()
        .clone();
    assert_ne!(kid.as_str().unwrap(), first_kid, "signed by the new key");
    // The RP's JWKS copy is older than its max-age: it refetches, and verifies.
    let rp = discover().await;
    let claims = id_token.claims(&rp.id_token_verifier(), &nonce);
    assert!(claims.is_ok(), "{claims:?}");
}

crate::on_both_backends!(
    a_rotation_publishes_first_signs_later_and_retires_slowly,
    revoking_a_key_removes_it_at_once,
    jwks_caching_headers_and_etag,
    private_keys_are_encrypted_at_rest,
    clients_may_ask_for_es256_id_tokens,
    the_code_flow_survives_a_rotation_mid_flight,
);

/// Two nodes on one PostgreSQL database rotate at the same moment: exactly one
/// new key, and both publish the same JWKS.
#[tokio::test]
async fn two_nodes_racing_to_rotate_create_one_key() {
    let first = spawn_app_with(Backend::PostgresRedis, short_schedule).await;
    let database = first.services.settings.database_url.clone();
    let keys_dir = first.services.settings.keys_dir.clone();
    let second = spawn_app_with(Backend::PostgresRedis, move |s| {
        short_schedule(s);
        s.database_url = database;
        s.keys_dir = keys_dir;
    })
    .await;
    for app in [&first, &second] {
        app.clock.advance(9100);
    }
    let (first_rotation, second_rotation) = (first.services.key_rotation(), second.services.key_rotation());
    let (a, b) = tokio::join!(first_rotation.tick(), second_rotation.tick());
    a.unwrap();
    b.unwrap();
    let stored = first.services.key_store.list_keys().await.unwrap();
    assert_eq!(
        stored.iter().filter(|k| k.alg == Alg::RS256).count(),
        2,
        "one new RS256 key: {stored:?}"
    );
    assert_eq!(
        stored.iter().filter(|k| k.alg == Alg::ES256).count(),
        2,
        "one new ES256 key"
    );
    first.services.key_rotation().reload().await.unwrap();
    second.services.key_rotation().reload().await.unwrap();
    let jwks = |app: &TestApp| {
        let url = app.url("/jwks");
        let client = app.api.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(jwks(&first).await, jwks(&second).await);
}
