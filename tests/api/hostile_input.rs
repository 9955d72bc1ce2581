//! Bytes no client sends: a NUL in a client id (PostgreSQL text cannot hold
//! it), control characters in metadata, garbage where tokens go. Each gets
//! the error its spec names, never a 500, on both backends.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};

async fn status_and_body(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn a_nul_byte_in_a_client_id_is_an_unknown_client_everywhere(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.registration.policy = sesame::config::RegistrationPolicy::Open;
    })
    .await;
    let client = app.add_client(false).await;

    let url = app.url(
        "/authorize?response_type=code&scope=openid&redirect_uri=http%3A%2F%2Fapp.example%2Fcallback&client_id=x%00",
    );
    let (status, html) = status_and_body(app.browser.get(url).send().await.unwrap()).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("not registered"));

    // A registered client with a NUL appended is still unknown.
    let url = app.url(&format!(
        "/authorize?response_type=code&scope=openid&redirect_uri=http%3A%2F%2Fapp.example%2Fcallback&client_id={}%00",
        client.client_id
    ));
    assert_eq!(app.browser.get(url).send().await.unwrap().status(), 400);

    for path in ["/token", "/introspect", "/revoke"] {
        let basic = format!("Basic {}", STANDARD.encode("x\0:secret"));
        let response = app
            .api
            .post(app.url(path))
            .header("authorization", basic)
            .form(&[("grant_type", "client_credentials"), ("token", "t")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} with a NUL in Basic");
        let response = app
            .api
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&token=t&client_id=x%00&client_secret=s")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} with a NUL in the form");
        let response = app
            .api
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=authorization_code&code=c%00&token=t%00&client_id=x%00")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} as a public client with a NUL");
    }
    // A NUL in the code or refresh token of a real client is just a bad grant.
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", "c\0"),
            ("redirect_uri", "http://app.example/callback"),
        ],
        vec![("grant_type", "refresh_token"), ("refresh_token", "r\0")],
    ] {
        let response = app.token(&client, &form).await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["error"],
            "invalid_grant"
        );
    }

    let (status, html) = status_and_body(
        app.browser
            .get(app.url("/end_session?client_id=x%00"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{html}");

    let response = app
        .api
        .get(app.url("/register/x%00"))
        .bearer_auth("whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Control characters in metadata are the metadata's error.
    for (body, code) in [
        (
            json!({"client_name": "A\u{0}", "redirect_uris": ["https://a.example/cb"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"client_name": "A", "redirect_uris": ["https://a.example/cb\u{0}"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"client_name": "A", "redirect_uris": ["https://a.example/cb"], "client_uri": "https://a.example/\u{0}"}),
            "invalid_client_metadata",
        ),
        (
            json!({"client_name": "A", "redirect_uris": ["https://a.example/cb"], "contacts": ["a\u{0}@a.example"]}),
            "invalid_client_metadata",
        ),
    ] {
        let response = app.api.post(app.url("/register")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["error"],
            code,
            "{body}"
        );
    }

    // A NUL in a username is an unknown user.
    let page = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_field(&page, "csrf");
    let response = app
        .browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "alice\0"),
            ("password", "whatever pass"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

crate::on_both_backends!(a_nul_byte_in_a_client_id_is_an_unknown_client_everywhere);
