//! Who may learn about a token (introspection, RFC 7662 §2.1 and §4), and
//! who a token is for (resource indicators, RFC 8707; `aud` in RFC 9068
//! access tokens).

use serde_json::Value;
use sesame::admin::{self, NewClient};

use crate::helpers::{Backend, TestApp, TestClient, pkce_challenge, redirect_params, spawn_app};
use crate::tokens::{add_resource_server, introspect};

async fn client_with(app: &TestApp, client_id: Option<&str>, audiences: &[&str], jwt: bool) -> TestClient {
    let created = admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: "App".into(),
            client_id: client_id.map(str::to_string),
            redirect_uris: vec!["http://app.example/callback".into()],
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            first_party: true,
            jwt_access_tokens: jwt,
            audiences: audiences.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        },
        admin::Via::Cli,
    )
    .await
    .unwrap();
    TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "http://app.example/callback".into(),
    }
}

/// A code for `client` signed in as alice, with extra authorization
/// parameters; `(code, verifier)`.
async fn code_with(app: &TestApp, client: &TestClient, extra: &[(&str, &str)]) -> (String, String) {
    let verifier = "r".repeat(43);
    let challenge = pkce_challenge(&verifier);
    let mut params = vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let response = app.authorize(&params).await;
    let response = if crate::helpers::location(&response).starts_with("/login") {
        let (req, csrf) = app.open_login(response).await;
        app.submit_login(&req, &csrf, "alice", crate::helpers::PASSWORD).await
    } else {
        response
    };
    let params = redirect_params(&response);
    let code = params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {params:?}"))
        .clone();
    (code, verifier)
}

async fn redeem_with(
    app: &TestApp,
    client: &TestClient,
    code: &str,
    verifier: &str,
    resource: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier),
    ];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    let response = app.token(client, &form).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    app.api
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Each client learns about its own tokens; another client's access tokens
/// only as an operator-marked resource server or when their audience names
/// it; another client's refresh tokens never.
async fn introspection_tells_each_client_only_what_is_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let owner = client_with(&app, None, &["urn:api:orders"], false).await;
    let stranger = client_with(&app, None, &[], false).await;
    let resource_server = add_resource_server(&app).await;
    let orders = client_with(&app, Some("urn:api:orders"), &[], false).await;
    let (code, verifier) = code_with(&app, &owner, &[]).await;
    let (_, issued) = redeem_with(&app, &owner, &code, &verifier, None).await;
    let access = issued["access_token"].as_str().unwrap();
    let refresh = issued["refresh_token"].as_str().unwrap();

    assert_eq!(
        introspect(&app, &owner, access).await["active"],
        true,
        "its own access token"
    );
    assert_eq!(
        introspect(&app, &owner, refresh).await["active"],
        true,
        "its own refresh token"
    );
    assert_eq!(
        introspect(&app, &stranger, access).await,
        serde_json::json!({"active": false}),
        "another client's access token looks unknown"
    );
    assert_eq!(
        introspect(&app, &stranger, refresh).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &resource_server, access).await["active"],
        true,
        "a resource server"
    );
    assert_eq!(
        introspect(&app, &resource_server, refresh).await["active"],
        false,
        "refresh tokens are for their client alone"
    );
    // RFC 6749 §2.3.1: the id is form-encoded inside Basic (it holds colons).
    let encoded: String = url::form_urlencoded::byte_serialize(orders.client_id.as_bytes()).collect();
    let named: Value = app
        .api
        .post(app.url("/introspect"))
        .basic_auth(encoded, orders.secret.as_deref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(named["active"], true, "the audience names urn:api:orders");
    assert_eq!(named["aud"], serde_json::json!(["urn:api:orders", app.issuer]));
}

/// RFC 8707: a client asks for tokens for one of the resources the operator
/// allowed it; the token names that resource alone, is refused at userinfo,
/// and a grant never widens to another resource.
async fn resource_indicators_set_the_audience_and_never_widen(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let api = "https://api.example/";
    let files = "https://files.example/";
    let client = client_with(&app, None, &[api, files], true).await;

    // No resource: every allowed audience, and this server.
    let (code, verifier) = code_with(&app, &client, &[]).await;
    let (status, plain) = redeem_with(&app, &client, &code, &verifier, None).await;
    assert_eq!(status, 200, "{plain}");
    let claims = app
        .services
        .keys
        .verify(plain["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.claims_set()["aud"], serde_json::json!([api, files, app.issuer]));
    assert_eq!(
        userinfo_status(&app, plain["access_token"].as_str().unwrap()).await,
        200
    );

    // For the API: the token names it alone and is not for userinfo.
    let (code, verifier) = code_with(&app, &client, &[("resource", api)]).await;
    let (status, for_api) = redeem_with(&app, &client, &code, &verifier, None).await;
    assert_eq!(status, 200, "{for_api}");
    let token = for_api["access_token"].as_str().unwrap();
    assert_eq!(app.services.keys.verify(token).unwrap().claims_set()["aud"], api);
    assert_eq!(userinfo_status(&app, token).await, 401);
    assert_eq!(introspect(&app, &client, token).await["aud"], api);
    // Its refresh stays with the API; asking for the other resource is refused.
    let refreshed = app
        .token(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", for_api["refresh_token"].as_str().unwrap()),
                ("resource", files),
            ],
        )
        .await;
    assert_eq!(refreshed.status(), 400);
    assert_eq!(refreshed.json::<Value>().await.unwrap()["error"], "invalid_target");

    // A code granted for the API cannot be redeemed for files.
    let (code, verifier) = code_with(&app, &client, &[("resource", api)]).await;
    let (status, refused) = redeem_with(&app, &client, &code, &verifier, Some(files)).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_target")));

    // A resource the operator did not allow is the app's error at /authorize.
    let verifier = "r".repeat(43);
    let challenge = pkce_challenge(&verifier);
    let response = app
        .authorize(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("resource", "https://evil.example/"),
        ])
        .await;
    assert_eq!(redirect_params(&response)["error"], "invalid_target");

    // client_credentials names a resource too.
    let service = app
        .token(&client, &[("grant_type", "client_credentials"), ("resource", files)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    let token = service["access_token"].as_str().unwrap();
    assert_eq!(app.services.keys.verify(token).unwrap().claims_set()["aud"], files);
}

crate::on_both_backends!(
    introspection_tells_each_client_only_what_is_its_own,
    resource_indicators_set_the_audience_and_never_widen,
);
