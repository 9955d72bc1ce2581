//! The token endpoint's error paths (RFC 6749 §5.2, RFC 7636 §4.6).

use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestClient, spawn_app};

async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap().to_string(),
        body["error_description"].as_str().unwrap_or("").to_string(),
    )
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

async fn a_replayed_code_fails_and_revokes_the_first_tokens(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let first: Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, access_token).await, 200);

    let (status, error, description) = error_of(app.redeem(&client, &code, &verifier).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert!(description.contains("already used"), "{description}");
    assert_eq!(
        userinfo_status(&app, access_token).await,
        401,
        "tokens from the first use are revoked"
    );
}

async fn wrong_verifier_missing_verifier_and_wrong_redirect_uri_are_invalid_grant(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, _) = app.get_code(&client, "alice").await;
    let (_, error, _) = error_of(app.redeem(&client, &code, &"b".repeat(43)).await).await;
    assert_eq!(error, "invalid_grant");

    let (code, _) = app.get_code(&client, "alice").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &client.redirect_uri),
    ];
    let (_, error, description) = error_of(app.token(&client, &form).await).await;
    assert_eq!(
        (error.as_str(), description.as_str()),
        ("invalid_grant", "code_verifier is required")
    );

    let (code, verifier) = app.get_code(&client, "alice").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://app.example/other?tenant=a"),
        ("code_verifier", &verifier),
    ];
    let (_, error, _) = error_of(app.token(&client, &form).await).await;
    assert_eq!(error, "invalid_grant");
}

async fn wrong_or_missing_client_credentials_are_invalid_client_with_a_challenge(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let attempts = [
        app.api
            .post(app.url("/token"))
            .basic_auth(&client.client_id, Some("wrong")),
        app.api
            .post(app.url("/token"))
            .basic_auth("unknown-client", Some("wrong")),
        app.api.post(app.url("/token")),
    ];
    for attempt in attempts {
        let response = attempt.form(&form).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        let (_, error, _) = error_of(response).await;
        assert_eq!(error, "invalid_client");
    }
    // A confidential client may not fall back to "none".
    let mut without_secret = form.to_vec();
    without_secret.push(("client_id", client.client_id.as_str()));
    let response = app
        .api
        .post(app.url("/token"))
        .form(&without_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "invalid_client");
    // The code survived failed client authentication.
    assert_eq!(app.redeem(&client, &code, &verifier).await.status(), 200);
}

async fn an_expired_code_is_invalid_grant(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    app.clock.advance(61);
    let (_, error, description) = error_of(app.redeem(&client, &code, &verifier).await).await;
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("expired"), "{description}");
}

async fn a_code_issued_to_another_client_is_invalid_grant(backend: Backend) {
    let (app, client) = setup(backend).await;
    let other = app.add_client(false).await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let other = crate::helpers::TestClient {
        redirect_uri: client.redirect_uri.clone(),
        ..other
    };
    let (_, error, _) = error_of(app.redeem(&other, &code, &verifier).await).await;
    assert_eq!(error, "invalid_grant");
}

async fn malformed_requests_get_the_spec_error(backend: Backend) {
    let (app, client) = setup(backend).await;
    let (_, error, _) = error_of(app.token(&client, &[("grant_type", "password")]).await).await;
    assert_eq!(error, "unsupported_grant_type");
    let (_, error, _) = error_of(app.token(&client, &[("code", "x")]).await).await;
    assert_eq!(error, "invalid_request");
    let (_, error, _) = error_of(app.token(&client, &[("grant_type", "authorization_code")]).await).await;
    assert_eq!(error, "invalid_request");
    let twice = [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")];
    let (_, error, description) = error_of(app.token(&client, &twice).await).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("more than once"));
    let (_, error, _) = error_of(
        app.token(&client, &[("grant_type", "authorization_code"), ("code", "nope")])
            .await,
    )
    .await;
    assert_eq!(error, "invalid_grant");

    let json_body = app
        .api
        .post(app.url("/token"))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(json_body).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));

    let huge = "x".repeat(100_000);
    let response = app
        .token(&client, &[("grant_type", "authorization_code"), ("code", &huge)])
        .await;
    assert_eq!(response.status(), 413, "oversized bodies are refused");
}

async fn a_verifier_for_a_code_issued_without_challenge_is_refused(backend: Backend) {
    let (app, client) = setup(backend).await;
    let response = app
        .login_through(
            &[
                ("client_id", &client.client_id),
                ("redirect_uri", &client.redirect_uri),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
            "alice",
        )
        .await;
    let code = crate::helpers::redirect_params(&response)["code"].clone();
    let (_, error, _) = error_of(app.redeem(&client, &code, &"c".repeat(43)).await).await;
    assert_eq!(error, "invalid_grant", "RFC 9700 §2.1.1: PKCE downgrade is rejected");
}

crate::on_both_backends!(
    a_replayed_code_fails_and_revokes_the_first_tokens,
    wrong_verifier_missing_verifier_and_wrong_redirect_uri_are_invalid_grant,
    wrong_or_missing_client_credentials_are_invalid_client_with_a_challenge,
    an_expired_code_is_invalid_grant,
    a_code_issued_to_another_client_is_invalid_grant,
    malformed_requests_get_the_spec_error,
    a_verifier_for_a_code_issued_without_challenge_is_refused,
);
