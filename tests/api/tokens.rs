//! Token lifecycle: refresh rotation with reuse detection and a grace window,
//! lifetimes, scope narrowing, revocation (RFC 7009), introspection
//! (RFC 7662) and client_credentials.

use serde_json::Value;
use sesame::admin::{self, NewClient};

use crate::helpers::{Backend, TestApp, TestClient, spawn_app, spawn_app_with};

async fn tokens(app: &TestApp, client: &TestClient) -> Value {
    let (code, verifier) = app.get_code(client, "alice").await;
    app.redeem(client, &code, &verifier).await.json().await.unwrap()
}

async fn refresh(app: &TestApp, client: &TestClient, refresh_token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.token(client, &form).await
}

async fn setup(backend: Backend) -> (TestApp, TestClient) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    (app, client)
}

async fn userinfo_status(app: &TestApp, access_token: &str) -> u16 {
    app.api
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A confidential client the operator marked a resource server: it may
/// introspect every client's access tokens.
pub async fn add_resource_server(app: &TestApp) -> TestClient {
    let client = app.add_client(false).await;
    admin::set_client_access(
        &app.services.client_admin(),
        &client.id(),
        admin::AccessChange {
            resource_server: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    client
}

pub async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    app.api
        .post(app.url("/introspect"))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn refresh_rotates_and_keeps_the_original_authentication(backend: Backend) {
    let (app, client) = setup(backend).await;
    let first = tokens(&app, &client).await;
    let first_refresh = first["refresh_token"].as_str().expect("a refresh token");
    app.clock.advance(100);
    let response = refresh(&app, &client, first_refresh, None).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh, "each use rotates the token");
    assert_eq!(
        userinfo_status(&app, second["access_token"].as_str().unwrap()).await,
        200
    );

    let claims = |token: &Value| {
        app.services
            .keys
            .verify(token["id_token"].as_str().unwrap())
            .unwrap()
            .claims_set()
            .clone()
    };
    let (before, after) = (claims(&first), claims(&second));
    // OIDC Core 12.2: same sub, auth_time and sid; a new iat; no nonce.
    assert_eq!(before["sub"], after["sub"]);
    assert_eq!(before["auth_time"], after["auth_time"]);
    assert_eq!(before["sid"], after["sid"]);
    assert_eq!(after["iat"].as_i64().unwrap(), before["iat"].as_i64().unwrap() + 100);
    assert!(!after.contains_key("nonce"));
}

async fn a_replayed_refresh_token_revokes_its_family(backend: Backend) {
    let (app, client) = setup(backend).await;
    let first = tokens(&app, &client).await;
    let stolen = first["refresh_token"].as_str().unwrap().to_string();
    let second: Value = refresh(&app, &client, &stolen, None).await.json().await.unwrap();
    app.clock.advance(60);
    let replay = refresh(&app, &client, &stolen, None).await;
    assert_eq!(replay.status(), 400);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The whole family is dead, and the access tokens issued from it.
    let successor = refresh(&app, &client, second["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(successor.status(), 400);
    assert_eq!(
        userinfo_status(&app, second["access_token"].as_str().unwrap()).await,
        401
    );
    let events = app.services.audit.recent(50).await.unwrap();
    assert!(events.iter().any(|e| e.event == "refresh_token_reused"));
}

/// The index of a family's access tokens is kept per access-token lifetime;
/// revoking the family reaches a token issued just before a boundary.
async fn revoking_a_family_reaches_tokens_from_the_previous_lifetime_window(backend: Backend) {
    let (app, client) = setup(backend).await;
    let first = tokens(&app, &client).await;
    let stolen = first["refresh_token"].as_str().unwrap().to_string();
    let ttl = app.services.settings.tokens.access_token_ttl_secs as i64;
    let now = sesame::clock::Clock::now(&*app.clock);
    app.clock.advance((ttl - now.rem_euclid(ttl) - 5).max(0));
    let second: Value = refresh(&app, &client, &stolen, None).await.json().await.unwrap();
    let access = second["access_token"].as_str().unwrap();
    app.clock.advance(10);
    assert_eq!(
        userinfo_status(&app, access).await,
        200,
        "still valid across the boundary"
    );
    let replay = refresh(&app, &client, &stolen, None).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(userinfo_status(&app, access).await, 401, "revoked with its family");
}

async fn two_tabs_refreshing_at_once_both_succeed_with_the_same_successor(backend: Backend) {
    let (app, client) = setup(backend).await;
    let first = tokens(&app, &client).await;
    let token = first["refresh_token"].as_str().unwrap();
    let (a, b) = tokio::join!(refresh(&app, &client, token, None), refresh(&app, &client, token, None));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["refresh_token"], b["refresh_token"], "the same successor");
    // The family lives on.
    let next = refresh(&app, &client, a["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(next.status(), 200);
}

async fn refresh_tokens_expire_slide_and_end_with_the_session(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.tokens.refresh_token_ttl_secs = 1000;
        s.tokens.refresh_token_absolute_ttl_secs = 2500;
        s.session.idle_timeout_secs = 100_000;
        s.session.absolute_timeout_secs = 100_000;
    })
    .await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let mut token = tokens(&app, &client).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Used every 900 s, it slides…
    for _ in 0..2 {
        app.clock.advance(900);
        let body: Value = refresh(&app, &client, &token, None).await.json().await.unwrap();
        token = body["refresh_token"].as_str().expect("still valid").to_string();
    }
    // …until the family's absolute lifetime.
    app.clock.advance(900);
    assert_eq!(
        refresh(&app, &client, &token, None).await.status(),
        400,
        "2 700 s > 2 500 s absolute"
    );

    // Unused past its sliding lifetime, a fresh token expires.
    let fresh = tokens(&app, &client).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(1001);
    assert_eq!(refresh(&app, &client, &fresh, None).await.status(), 400);

    // Bound to the SSO session: signing out ends it.
    let bound = tokens(&app, &client).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    sesame::admin::logout_user(
        &app.services.user_admin(),
        "alice",
        sesame::admin::OfflineTokens::Revoke,
    )
    .await
    .unwrap();
    assert_eq!(refresh(&app, &client, &bound, None).await.status(), 400);
}

/// `offline_access` tokens for alice; `(access token, refresh token)`.
async fn offline_tokens(app: &TestApp, client: &TestClient) -> (String, String) {
    let verifier = "o".repeat(43);
    let challenge = crate::helpers::pkce_challenge(&verifier);
    let response = app
        .login_through(
            &[
                ("client_id", client.client_id.as_str()),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid offline_access"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("prompt", "login"),
            ],
            "alice",
        )
        .await;
    let code = crate::helpers::redirect_params(&response)["code"].clone();
    let body: Value = app.redeem(client, &code, &verifier).await.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn offline_access_outlives_the_session(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (access, offline) = offline_tokens(&app, &client).await;
    // The operator chooses to keep the person's offline apps working.
    let ended = admin::logout_user(&app.services.user_admin(), "alice", admin::OfflineTokens::Keep)
        .await
        .unwrap();
    assert_eq!((ended.sessions, ended.offline_families), (1, 0));
    assert_eq!(
        userinfo_status(&app, &access).await,
        401,
        "the session's access token ends"
    );
    let refreshed = refresh(&app, &client, &offline, None).await;
    assert_eq!(refreshed.status(), 200, "an offline_access token does not");
    let successor: Value = refreshed.json().await.unwrap();
    let successor = successor["refresh_token"].as_str().unwrap();

    // But it ends with the account: disabled, its family is revoked for good,
    // even when the operator kept offline tokens at the disabling.
    sesame::admin::set_user_disabled(&app.services.user_admin(), "alice", true, admin::OfflineTokens::Keep)
        .await
        .unwrap();
    let refused: Value = refresh(&app, &client, successor, None).await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant");
    sesame::admin::set_user_disabled(&app.services.user_admin(), "alice", false, admin::OfflineTokens::Keep)
        .await
        .unwrap();
    let refused: Value = refresh(&app, &client, successor, None).await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant");
}

/// Signing a person out everywhere, changing their password and disabling
/// them revoke their offline refresh tokens too, and the access tokens those
/// issued, unless the operator keeps them.
async fn ending_a_persons_access_revokes_their_offline_tokens(backend: Backend) {
    let (app, client) = setup(backend).await;
    for end in ["logout", "password", "disable"] {
        let (_, offline) = offline_tokens(&app, &client).await;
        let refreshed: Value = refresh(&app, &client, &offline, None).await.json().await.unwrap();
        let access = refreshed["access_token"].as_str().unwrap();
        let offline = refreshed["refresh_token"].as_str().unwrap();
        let ended = match end {
            "logout" => admin::logout_user(&app.services.user_admin(), "alice", admin::OfflineTokens::Revoke).await,
            "password" => {
                admin::set_password(
                    &app.services.user_admin(),
                    "alice",
                    crate::helpers::PASSWORD.into(),
                    admin::OfflineTokens::Revoke,
                )
                .await
            }
            _ => {
                admin::set_user_disabled(&app.services.user_admin(), "alice", true, admin::OfflineTokens::Revoke).await
            }
        }
        .unwrap();
        assert_eq!(ended.sessions, 1, "{end}: the session ends");
        assert!(ended.offline_families >= 1, "{end}: {ended:?}");
        assert_eq!(userinfo_status(&app, access).await, 401, "{end}: its access token ends");
        let refused = refresh(&app, &client, offline, None).await;
        assert_eq!(refused.status(), 400, "{end}: the offline token is revoked");
        if end == "disable" {
            admin::set_user_disabled(&app.services.user_admin(), "alice", false, admin::OfflineTokens::Keep)
                .await
                .unwrap();
            assert_eq!(
                refresh(&app, &client, offline, None).await.status(),
                400,
                "still revoked once enabled again"
            );
        }
    }
}

async fn scope_may_narrow_never_widen(backend: Backend) {
    let (app, client) = setup(backend).await;
    let first = tokens(&app, &client).await;
    let token = first["refresh_token"].as_str().unwrap();
    let wider = refresh(&app, &client, token, Some("openid profile email offline_access")).await;
    assert_eq!(wider.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let narrower: Value = refresh(&app, &client, token, Some("openid"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(narrower["scope"], "openid");
    let info: Value = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(narrower["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info.get("email").is_none(), "the narrowed token has no email scope");
    // The family keeps what was granted.
    let again: Value = refresh(&app, &client, narrower["refresh_token"].as_str().unwrap(), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["scope"], "openid profile email");
}

async fn refresh_tokens_belong_to_their_client(backend: Backend) {
    let (app, client) = setup(backend).await;
    let other = app.add_client(false).await;
    let first = tokens(&app, &client).await;
    let response = refresh(&app, &other, first["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let unknown = refresh(&app, &client, "not-a-token", None).await;
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

async fn revocation_and_introspection(backend: Backend) {
    let (app, client) = setup(backend).await;
    let resource_server = add_resource_server(&app).await;
    let issued = tokens(&app, &client).await;
    let (access, refresh_token) = (
        issued["access_token"].as_str().unwrap(),
        issued["refresh_token"].as_str().unwrap(),
    );

    let active = introspect(&app, &resource_server, access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], client.client_id.as_str());
    assert_eq!(active["scope"], "openid profile email");
    for claim in ["sub", "exp", "iat", "token_type", "aud", "sid", "iss"] {
        assert!(active.get(claim).is_some(), "introspection lacks {claim}");
    }
    assert_eq!(
        introspect(&app, &client, refresh_token).await["token_type"],
        "refresh_token",
        "a client introspects its own refresh token"
    );
    assert_eq!(
        introspect(&app, &resource_server, "unknown").await,
        serde_json::json!({"active": false})
    );

    let revoke = |token: &str, hint: &str| {
        app.api
            .post(app.url("/revoke"))
            .basic_auth(&client.client_id, client.secret.as_deref())
            .form(&[("token", token), ("token_type_hint", hint)])
            .send()
    };
    assert_eq!(
        revoke("unknown-token", "access_token").await.unwrap().status(),
        200,
        "always 200"
    );
    assert_eq!(revoke(access, "access_token").await.unwrap().status(), 200);
    assert_eq!(introspect(&app, &resource_server, access).await["active"], false);
    assert_eq!(userinfo_status(&app, access).await, 401);

    // Revoking a refresh token revokes its family and what it issued.
    let refreshed: Value = refresh(&app, &client, refresh_token, None).await.json().await.unwrap();
    assert_eq!(
        revoke(refreshed["refresh_token"].as_str().unwrap(), "refresh_token")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        introspect(&app, &resource_server, refreshed["access_token"].as_str().unwrap()).await["active"],
        false
    );
    assert_eq!(
        refresh(&app, &client, refreshed["refresh_token"].as_str().unwrap(), None)
            .await
            .status(),
        400
    );

    // Both endpoints authenticate the client.
    let anonymous = app
        .api
        .post(app.url("/introspect"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(&client.client_id, Some("wrong"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
}

async fn client_credentials_for_confidential_clients_allowed_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: "Service".into(),
            redirect_uris: vec!["https://service.example/cb".into()],
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let service = TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "https://service.example/cb".into(),
    };
    let response = app.token(&service, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&app, token).await,
        403,
        "no openid scope: no person behind it"
    );
    let asked_openid = app
        .token(&service, &[("grant_type", "client_credentials"), ("scope", "openid")])
        .await;
    assert_eq!(asked_openid.json::<Value>().await.unwrap()["error"], "invalid_scope");

    // A client not allowed the grant.
    let web = app.add_client(false).await;
    let refused = app.token(&web, &[("grant_type", "client_credentials")]).await;
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unauthorized_client");
}

/// RFC 9068: a client registered for JWT access tokens gets `at+jwt` tokens
/// that validate against the JWKS, and revocation and logout still end them
/// for userinfo and introspection.
async fn jwt_access_tokens_validate_locally_and_still_revoke(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: "Resource-minded".into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            first_party: true,
            jwt_access_tokens: true,
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
    let resource_server = add_resource_server(&app).await;
    let user = app.add_user("alice").await;
    let issued = tokens(&app, &client).await;
    let access = issued["access_token"].as_str().unwrap();

    let header = josekit::jwt::decode_header(access).unwrap();
    assert_eq!(header.claim("typ").unwrap(), "at+jwt");
    let payload = app
        .services
        .keys
        .verify(access)
        .expect("verifies against the published keys");
    let claims = payload.claims_set();
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(claims["scope"], "openid profile email");
    for claim in ["aud", "exp", "iat", "jti"] {
        assert!(claims.contains_key(claim), "{claim}");
    }
    assert_eq!(userinfo_status(&app, access).await, 200);
    assert_eq!(introspect(&app, &resource_server, access).await["active"], true);

    let revoked = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(userinfo_status(&app, access).await, 401);
    assert_eq!(introspect(&app, &resource_server, access).await["active"], false);

    // Logout ends them too.
    let second = tokens(&app, &client).await;
    sesame::admin::logout_user(
        &app.services.user_admin(),
        "alice",
        sesame::admin::OfflineTokens::Revoke,
    )
    .await
    .unwrap();
    assert_eq!(
        userinfo_status(&app, second["access_token"].as_str().unwrap()).await,
        401
    );
}

/// A rotated secret replaces the old one, at once or after a grace period;
/// a deleted client's tokens stop working.
async fn secret_rotation_and_client_deletion_end_old_credentials(backend: Backend) {
    let (app, client) = setup(backend).await;
    let resource_server = add_resource_server(&app).await;
    let issued = tokens(&app, &client).await;
    let with_secret = |secret: &str| TestClient {
        client_id: client.client_id.clone(),
        secret: Some(secret.to_string()),
        redirect_uri: client.redirect_uri.clone(),
    };

    // With a grace period, both secrets work until it ends.
    let second_secret = admin::rotate_secret(&app.services.client_admin(), &client.id(), 600)
        .await
        .unwrap();
    let during: Value = refresh(&app, &client, issued["refresh_token"].as_str().unwrap(), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        during["access_token"].is_string(),
        "the old secret works during the grace period"
    );
    app.clock.advance(601);
    let refresh_token = during["refresh_token"].as_str().unwrap();
    let after = refresh(&app, &client, refresh_token, None).await;
    assert_eq!(after.status(), 401, "the old secret stops when the grace period ends");
    let renewed: Value = refresh(&app, &with_secret(&second_secret), refresh_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(renewed["access_token"].is_string(), "{renewed}");

    // Without one, the old secret stops at once.
    let new_secret = admin::rotate_secret(&app.services.client_admin(), &client.id(), 0)
        .await
        .unwrap();
    let refresh_token = renewed["refresh_token"].as_str().unwrap();
    let old = refresh(&app, &with_secret(&second_secret), refresh_token, None).await;
    assert_eq!(old.status(), 401, "the old secret no longer authenticates");
    let fresh: Value = refresh(&app, &with_secret(&new_secret), refresh_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(fresh["access_token"].is_string());

    admin::delete_client(&app.services.client_admin(), &client.id())
        .await
        .unwrap();
    let access = fresh["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&app, access).await,
        401,
        "a deleted client's access tokens stop working"
    );
    assert_eq!(introspect(&app, &resource_server, access).await["active"], false);
    assert_eq!(
        introspect(&app, &resource_server, fresh["refresh_token"].as_str().unwrap()).await["active"],
        false
    );
}

/// Rotation is one statement per backend; of eight concurrent rotations of
/// one token exactly one stores its successor, and the parent is consumed.
async fn concurrent_rotations_of_one_token_store_one_successor(backend: Backend) {
    use sesame::domain::{RefreshToken, Scopes};
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let user = app.add_user("alice").await;
    let token = |hash: &str| RefreshToken {
        token_hash: hash.to_string(),
        family_id: sesame::domain::FamilyId::from_uuid(uuid::Uuid::nil()),
        client_id: client.id(),
        user_id: user.id,
        scopes: Scopes::parse("openid").unwrap(),
        sid: sesame::domain::Sid::from_stored("sid".into()),
        session: None,
        auth_time: 1,
        amr: vec!["pwd".into()],
        resource: Some("https://api.example".into()),
        issued_at: 100,
        expires_at: i64::MAX / 2,
        family_expires_at: i64::MAX / 2,
        consumed_at: None,
        revoked_at: None,
    };
    let store = app.services.refresh_tokens.clone();
    store.insert_refresh_token(&token("parent")).await.unwrap();
    let rotations: Vec<_> = (0..8)
        .map(|i| {
            let (store, successor) = (store.clone(), token(&format!("child-{i}")));
            tokio::spawn(async move { store.rotate_refresh_token("parent", &successor).await.unwrap() })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, rotation) in rotations.into_iter().enumerate() {
        if rotation.await.unwrap() {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = |i: usize| {
        let store = store.clone();
        async move { store.find_refresh_token(&format!("child-{i}")).await.unwrap() }
    };
    for i in 0..8 {
        assert_eq!(stored(i).await.is_some(), winners.contains(&i), "child {i}");
    }
    let parent = store.find_refresh_token("parent").await.unwrap().unwrap();
    assert_eq!(parent.consumed_at, Some(100));
    assert!(!store.rotate_refresh_token("parent", &token("late")).await.unwrap());
    assert!(!store.rotate_refresh_token("unknown", &token("orphan")).await.unwrap());
    assert!(store.find_refresh_token("orphan").await.unwrap().is_none());
    let (_, holder_active) = store.find_refresh_token_and_holder("parent").await.unwrap().unwrap();
    assert!(holder_active);
}

/// The token endpoint reads the account again: a code issued just before
/// the account was disabled is worthless.
async fn a_code_issued_before_the_account_was_disabled_is_refused(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    sesame::admin::set_user_disabled(
        &app.services.user_admin(),
        "alice",
        true,
        sesame::admin::OfflineTokens::Revoke,
    )
    .await
    .unwrap();
    let refused: Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant");
    assert_eq!(
        app.silent_authorize(&client, &verifier).await["error"],
        "login_required",
        "the session ended with the account"
    );
}

async fn a_code_issued_before_its_session_ended_is_refused(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    sesame::admin::logout_user(
        &app.services.user_admin(),
        "alice",
        sesame::admin::OfflineTokens::Revoke,
    )
    .await
    .unwrap();
    let refused: Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    assert_eq!(
        refused["error_description"],
        "the session this code was issued in has ended"
    );
}

/// Accounts are cached per process; a change made where the cache's version
/// mark cannot be replaced (the CLI beside a server without Redis, here a
/// write straight to SQL) is seen within `MAX_AGE_SECS`.
async fn an_account_disabled_behind_the_cache_is_seen_within_its_age(backend: Backend) {
    let (app, client) = setup(backend).await;
    app.get_code(&client, "alice").await;
    let verifier = "v".repeat(43);
    assert!(app.silent_authorize(&client, &verifier).await.contains_key("code"));
    use sesame::store::UserRepository;
    let sql = sesame::startup::connect_sql(&app.services.settings).await.unwrap();
    let alice = app.services.users.list_users().await.unwrap().remove(0);
    sql.set_disabled(alice.id, true, 0).await.unwrap();
    app.clock.advance(sesame::store::cache::MAX_AGE_SECS);
    assert_eq!(
        app.silent_authorize(&client, &verifier).await["error"],
        "login_required"
    );
}

crate::on_both_backends!(
    an_account_disabled_behind_the_cache_is_seen_within_its_age,
    a_code_issued_before_the_account_was_disabled_is_refused,
    a_code_issued_before_its_session_ended_is_refused,
    concurrent_rotations_of_one_token_store_one_successor,
    revoking_a_family_reaches_tokens_from_the_previous_lifetime_window,
    refresh_rotates_and_keeps_the_original_authentication,
    a_replayed_refresh_token_revokes_its_family,
    two_tabs_refreshing_at_once_both_succeed_with_the_same_successor,
    refresh_tokens_expire_slide_and_end_with_the_session,
    offline_access_outlives_the_session,
    ending_a_persons_access_revokes_their_offline_tokens,
    scope_may_narrow_never_widen,
    refresh_tokens_belong_to_their_client,
    revocation_and_introspection,
    client_credentials_for_confidential_clients_allowed_it,
    jwt_access_tokens_validate_locally_and_still_revoke,
    secret_rotation_and_client_deletion_end_old_credentials,
);
