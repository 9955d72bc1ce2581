//! Dynamic client registration (RFC 7591, OIDC Registration 1.0) and its
//! management API (RFC 7592), over HTTP.

use serde_json::{Value, json};
use sesame::config::{HttpUris, RegistrationPolicy};

use crate::helpers::{Backend, TestApp, TestClient, location, pkce_challenge, redirect_params, spawn_app_with};

fn open_policy(settings: &mut sesame::config::Settings) {
    settings.registration.policy = RegistrationPolicy::Open;
}

async fn post_register(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.api.post(app.url("/register")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn web_app() -> Value {
    json!({
        "client_name": "Registered App",
        "redirect_uris": ["https://registered.example/callback"],
        "post_logout_redirect_uris": ["https://registered.example/bye"],
        "logo_uri": "https://registered.example/logo.png",
        "policy_uri": "https://registered.example/privacy",
        "tos_uri": "https://registered.example/terms",
        "contacts": ["dev@registered.example"],
        "backchannel_logout_uri": "https://registered.example/backchannel",
        "backchannel_logout_session_required": true,
        "software_id": "ignored: unknown fields are",
    })
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or("").to_string())
}

async fn a_registered_client_signs_in_with_a_standard_library(backend: Backend) {
    let app = spawn_app_with(backend, open_policy).await;
    let discovery: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["registration_endpoint"], app.url("/register"));

    let response = post_register(&app, None, &web_app()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let client_id = body["client_id"].as_str().unwrap();
    let secret = body["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "a 256-bit secret");
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 0);
    assert!(body["registration_access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(
        body["registration_client_uri"],
        app.url(&format!("/register/{client_id}"))
    );
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["application_type"], "web");
    assert_eq!(body["tos_uri"], "https://registered.example/terms");
    assert_eq!(body["contacts"], json!(["dev@registered.example"]));
    assert_eq!(body["backchannel_logout_session_required"], true);
    assert!(body.get("software_id").is_none());

    // The secret is stored only as a digest.
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.secret_hash.as_deref(), Some(secret));
    assert!(!stored.first_party, "registered apps ask people for consent");

    let client = TestClient {
        client_id: client_id.to_string(),
        secret: Some(secret.to_string()),
        redirect_uri: "https://registered.example/callback".into(),
    };
    crate::flow::sign_in_with_openidconnect(&app, &client).await;
}

async fn initial_access_tokens_gate_registration(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    // No token, a malformed header, an unknown token: 401 with a Bearer challenge.
    let missing = post_register(&app, None, &web_app()).await;
    assert_eq!(missing.status(), 401);
    assert!(
        missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(
        error_of(post_register(&app, Some("guess"), &web_app()).await).await,
        (401, "invalid_token".into())
    );

    let (_, token) = sesame::admin::create_registration_token(
        &app.services.registration_token_admin(),
        Some("team".into()),
        3600,
        2,
    )
    .await
    .unwrap();
    // Invalid metadata does not spend a use.
    let bad = json!({"client_name": "X", "redirect_uris": ["https://x.example/cb#frag"]});
    for _ in 0..3 {
        assert_eq!(
            error_of(post_register(&app, Some(&token), &bad).await).await,
            (400, "invalid_redirect_uri".into())
        );
    }
    assert_eq!(post_register(&app, Some(&token), &web_app()).await.status(), 201);
    assert_eq!(post_register(&app, Some(&token), &web_app()).await.status(), 201);
    assert_eq!(
        error_of(post_register(&app, Some(&token), &web_app()).await).await,
        (401, "invalid_token".into()),
        "the uses are spent"
    );

    let (_, short_lived) =
        sesame::admin::create_registration_token(&app.services.registration_token_admin(), None, 60, 5)
            .await
            .unwrap();
    app.clock.advance(61);
    assert_eq!(
        error_of(post_register(&app, Some(&short_lived), &web_app()).await).await,
        (401, "invalid_token".into()),
        "an expired token"
    );
}

async fn every_metadata_rule_answers_with_its_error_code(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        open_policy(s);
        s.registration.http_uris = HttpUris::Loopback;
        s.registration.max_per_hour = 1000;
    })
    .await;
    let with = |changes: Value| {
        let mut body = web_app();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["/relative"]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://a.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["com.example.app:/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": "https://a.example/cb"}),
            "invalid_client_metadata",
        ),
        (
            json!({"application_type": "native", "redirect_uris": ["myapp:/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"application_type": "native", "redirect_uris": ["http://app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"token_endpoint_auth_method": "client_secret_jwt"}),
            "invalid_client_metadata",
        ),
        (json!({"grant_types": ["implicit"]}), "invalid_client_metadata"),
        (
            json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
            "invalid_client_metadata",
        ),
        (json!({"response_types": ["id_token"]}), "invalid_client_metadata"),
        (
            json!({"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"post_logout_redirect_uris": ["http://a.example/bye"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"backchannel_logout_uri": "http://a.example/bc"}),
            "invalid_client_metadata",
        ),
        (
            json!({"frontchannel_logout_uri": "https://a.example/fc#f"}),
            "invalid_client_metadata",
        ),
        (json!({"logo_uri": "javascript:alert(1)"}), "invalid_client_metadata"),
        (json!({"policy_uri": "http://a.example/p"}), "invalid_client_metadata"),
        (json!({"tos_uri": 7}), "invalid_client_metadata"),
        (json!({"contacts": ["not an address"]}), "invalid_client_metadata"),
        (json!({"client_name": ""}), "invalid_client_metadata"),
        (
            json!({"id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
        (json!({"application_type": "desktop"}), "invalid_client_metadata"),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
    ];
    for (changes, code) in cases {
        let response = post_register(&app, None, &with(changes.clone())).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (status, body["error"].as_str().unwrap_or("registered")),
            (400, code),
            "{changes}: {body}"
        );
        assert!(
            body["error_description"].as_str().unwrap().len() > 5,
            "a useful description"
        );
    }
    // Not JSON at all.
    let form = app
        .api
        .post(app.url("/register"))
        .form(&[("client_name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(form).await, (400, "invalid_request".into()));
    assert!(
        app.services.clients.list_clients().await.unwrap().is_empty(),
        "nothing stored"
    );

    // What the rules allow: loopback http for development, and a native app.
    let dev = with(json!({"redirect_uris": ["http://localhost:3000/cb"], "post_logout_redirect_uris": []}));
    assert_eq!(post_register(&app, None, &dev).await.status(), 201);
    let native = json!({
        "client_name": "Phone",
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["com.example.phone:/callback", "http://127.0.0.1/callback"],
    });
    let response = post_register(&app, None, &native).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("client_secret").is_none(), "a public client has no secret");
}

async fn registration_is_managed_with_its_access_token(backend: Backend) {
    let app = spawn_app_with(backend, open_policy).await;
    let registered: Value = post_register(&app, None, &web_app()).await.json().await.unwrap();
    let other: Value = post_register(&app, None, &web_app()).await.json().await.unwrap();
    let uri = registered["registration_client_uri"].as_str().unwrap().to_string();
    let token = registered["registration_access_token"].as_str().unwrap().to_string();
    let client_id = registered["client_id"].as_str().unwrap().to_string();

    // Read.
    let read = app.api.get(&uri).bearer_auth(&token).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["client_id"], client_id.as_str());
    assert_eq!(read["redirect_uris"], registered["redirect_uris"]);
    assert!(read.get("client_secret").is_none(), "the secret is never shown again");
    for wrong in ["", "guess", other["registration_access_token"].as_str().unwrap()] {
        let mut request = app.api.get(&uri);
        if !wrong.is_empty() {
            request = request.bearer_auth(wrong);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{wrong}");
        assert!(response.headers().contains_key("www-authenticate"));
    }
    let unknown = app
        .api
        .get(app.url("/register/no-such-client"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401, "RFC 7592 §2: an unknown client is 401");

    // Update: the whole metadata again; what is left out returns to its default.
    let mut update = web_app();
    update["client_id"] = json!(client_id);
    update["redirect_uris"] = json!(["https://registered.example/new-callback"]);
    update["client_name"] = json!("Renamed App");
    update.as_object_mut().unwrap().remove("tos_uri");
    let updated = app
        .api
        .put(&uri)
        .bearer_auth(&token)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["client_name"], "Renamed App");
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://registered.example/new-callback"])
    );
    assert!(updated.get("tos_uri").is_none());
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.redirect_uris[0].as_str(),
        "https://registered.example/new-callback"
    );

    // A bad update changes nothing; the body must name this client.
    let mut bad = update.clone();
    bad["redirect_uris"] = json!(["https://registered.example/cb#fragment"]);
    let response = app.api.put(&uri).bearer_auth(&token).json(&bad).send().await.unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_redirect_uri".into()));
    let mut foreign = update.clone();
    foreign["client_id"] = other["client_id"].clone();
    let response = app
        .api
        .put(&uri)
        .bearer_auth(&token)
        .json(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    let mut wrong_secret = update.clone();
    wrong_secret["client_secret"] = json!("not-the-secret");
    let response = app
        .api
        .put(&uri)
        .bearer_auth(&token)
        .json(&wrong_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    assert_eq!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
            .await
            .unwrap()
            .unwrap(),
        stored,
        "refused updates leave the registration as it was"
    );

    // The secret still works after the update; after delete, nothing does.
    let secret = registered["client_secret"].as_str().unwrap();
    let grant = |id: String, secret: String| {
        let app = &app;
        async move {
            app.api
                .post(app.url("/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        grant(client_id.clone(), secret.into()).await,
        400,
        "authenticated, bad grant"
    );
    let deleted = app.api.delete(&uri).bearer_auth(&token).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.api.get(&uri).bearer_auth(&token).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        grant(client_id.clone(), secret.into()).await,
        401,
        "a deleted client cannot authenticate"
    );
    assert!(
        app.services
            .clients
            .find_client(&sesame::domain::ClientId::parse(other["client_id"].as_str().unwrap()).unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

async fn registration_is_rate_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        open_policy(s);
        s.registration.max_per_hour = 2;
    })
    .await;
    assert_eq!(post_register(&app, None, &web_app()).await.status(), 201);
    assert_eq!(post_register(&app, None, &web_app()).await.status(), 201);
    let limited = post_register(&app, None, &web_app()).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(app.services.clients.list_clients().await.unwrap().len(), 2);
}

/// RFC 8252 §7.3: a native app's loopback redirect works on whatever port the
/// app listens on; exact matching everywhere else.
async fn native_apps_redirect_to_loopback_on_any_port(backend: Backend) {
    let app = spawn_app_with(backend, open_policy).await;
    let native = json!({
        "client_name": "Desktop",
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1/callback"],
    });
    let body: Value = post_register(&app, None, &native).await.json().await.unwrap();
    let client_id = body["client_id"].as_str().unwrap();
    app.add_user("alice").await;
    let verifier = "v".repeat(50);
    let challenge = pkce_challenge(&verifier);
    let authorize = |redirect_uri: &'static str| {
        let app = &app;
        let challenge = challenge.clone();
        async move {
            let params = [
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ];
            app.authorize(&params).await
        }
    };
    let wrong_path = authorize("http://127.0.0.1:51234/other").await;
    assert_eq!(
        wrong_path.status(),
        400,
        "an unregistered path gets an error page, no redirect"
    );
    let response = authorize("http://127.0.0.1:51234/callback").await;
    let (request_id, csrf) = app.open_login(response).await;
    let back = app
        .submit_login(&request_id, &csrf, "alice", crate::helpers::PASSWORD)
        .await;
    let back = app.through_consent(back, &request_id).await;
    assert!(
        location(&back).starts_with("http://127.0.0.1:51234/callback?"),
        "{}",
        location(&back)
    );
    let code = redirect_params(&back)["code"].clone();
    let tokens = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:51234/callback"),
            ("code_verifier", &verifier),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200);
}

async fn the_consent_page_links_to_the_apps_policy_and_terms(backend: Backend) {
    let app = spawn_app_with(backend, open_policy).await;
    let body: Value = post_register(&app, None, &web_app()).await.json().await.unwrap();
    app.add_user("alice").await;
    let challenge = pkce_challenge(&"v".repeat(50));
    let params = [
        ("client_id", body["client_id"].as_str().unwrap()),
        ("redirect_uri", "https://registered.example/callback"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let after_login = app.login_through(&params, "alice").await;
    let consent = location(&after_login);
    assert!(consent.starts_with("/consent?"), "{consent}");
    let html = app
        .browser
        .get(app.url(&consent))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"href="https://registered.example/privacy""#), "{html}");
    assert!(html.contains(r#"href="https://registered.example/terms""#));
}

crate::on_both_backends!(
    the_consent_page_links_to_the_apps_policy_and_terms,
    a_registered_client_signs_in_with_a_standard_library,
    initial_access_tokens_gate_registration,
    every_metadata_rule_answers_with_its_error_code,
    registration_is_managed_with_its_access_token,
    registration_is_rate_limited_per_address,
    native_apps_redirect_to_loopback_on_any_port,
);
