//! Word-for-word snapshots of what relying apps read: the discovery
//! document, the error bodies and challenges of the token, userinfo,
//! introspection and registration endpoints, an error sent back to an app,
//! and the form_post page. (The assertions on each field's meaning live
//! with each endpoint's tests; these catch any other change.)

use crate::helpers::snapshot::{assert_snapshot, response_snapshot};
use crate::helpers::{Backend, TestApp, hidden_field, location, spawn_app};

async fn snapshot(app: &TestApp, name: &str, response: reqwest::Response) {
    assert_snapshot(name, &app.issuer, &response_snapshot(response).await);
}

#[tokio::test]
async fn the_discovery_document() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let response = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    snapshot(&app, "discovery.txt", response).await;
}

#[tokio::test]
async fn token_endpoint_errors() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let client = app.add_client(false).await;
    let bad_code = app
        .token(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", "no-such-code"),
                ("redirect_uri", &client.redirect_uri),
            ],
        )
        .await;
    snapshot(&app, "token_invalid_grant.txt", bad_code).await;
    let wrong_secret = app
        .api
        .post(app.url("/token"))
        .basic_auth(&client.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let wrong_secret = response_snapshot(wrong_secret)
        .await
        .replace(&client.client_id, "{client_id}");
    assert_snapshot("token_invalid_client.txt", &app.issuer, &wrong_secret);
    let unknown_grant = app.token(&client, &[("grant_type", "password")]).await;
    snapshot(&app, "token_unsupported_grant_type.txt", unknown_grant).await;
    let no_grant = app.token(&client, &[]).await;
    snapshot(&app, "token_invalid_request.txt", no_grant).await;
}

#[tokio::test]
async fn bearer_and_client_challenges() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let no_token = app.api.get(app.url("/userinfo")).send().await.unwrap();
    snapshot(&app, "userinfo_no_token.txt", no_token).await;
    let bad_token = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    snapshot(&app, "userinfo_invalid_token.txt", bad_token).await;
    let anonymous_introspection = app
        .api
        .post(app.url("/introspect"))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    snapshot(&app, "introspect_no_client.txt", anonymous_introspection).await;
    let anonymous_registration = app
        .api
        .post(app.url("/register"))
        .json(&serde_json::json!({ "redirect_uris": ["https://app.example/cb"] }))
        .send()
        .await
        .unwrap();
    snapshot(&app, "register_no_token.txt", anonymous_registration).await;
    let (_, token) = sesame::admin::create_registration_token(&app.services.registration_token_admin(), None, 60, 1)
        .await
        .unwrap();
    let invalid_metadata = app
        .api
        .post(app.url("/register"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "client_name": "App", "redirect_uris": ["not a uri"] }))
        .send()
        .await
        .unwrap();
    snapshot(&app, "register_invalid_redirect_uri.txt", invalid_metadata).await;
}

#[tokio::test]
async fn an_error_sent_back_to_the_app() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let client = app.add_client(false).await;
    let response = app
        .authorize(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "token"),
            ("scope", "openid"),
            ("state", "af0ifjsldkj"),
        ])
        .await;
    assert_eq!(response.status(), 303);
    let to = url::Url::parse(&location(&response)).unwrap();
    let mut text = format!("303 See Other to {}{}\n", to.origin().ascii_serialization(), to.path());
    for (name, value) in to.query_pairs() {
        text.push_str(&format!("{name}={value}\n"));
    }
    assert_snapshot("authorize_unsupported_response_type.txt", &app.issuer, &text);
}

#[tokio::test]
async fn the_form_post_page() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let response = app
        .login_through(
            &[
                ("client_id", client.client_id.as_str()),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "xyz"),
                ("response_mode", "form_post"),
            ],
            "alice",
        )
        .await;
    let page = response_snapshot(response).await;
    let code = hidden_field(&page, "code");
    assert_snapshot("form_post.txt", &app.issuer, &page.replace(&code, "{code}"));
}
