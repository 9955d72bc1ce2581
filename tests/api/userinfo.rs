//! The UserInfo endpoint and its Bearer errors (RFC 6750 §3).

use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app};

async fn access_token(app: &TestApp) -> String {
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let body: Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn header_and_form_tokens_both_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = access_token(&app).await;
    let by_header: Value = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_header["preferred_username"], "alice");
    assert_eq!(by_header["email_verified"], false);
    let by_form = app
        .api
        .post(app.url("/userinfo"))
        .form(&[("access_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_form.status(), 200);
}

async fn missing_bad_expired_or_doubled_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = access_token(&app).await;

    let none = app.api.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], r#"Bearer realm="sesame""#);

    let bad = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(
        bad.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let doubled = app
        .api
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(doubled.status(), 400);
    assert!(
        doubled.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_request")
    );

    let wrong_scheme = app
        .api
        .get(app.url("/userinfo"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_scheme.status(), 400);

    app.clock.advance(3601);
    let expired = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
}

crate::on_both_backends!(
    header_and_form_tokens_both_work,
    missing_bad_expired_or_doubled_tokens_are_refused
);
