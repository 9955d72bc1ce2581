//! Groups: the `groups` claim an app reads (ID token through the
//! `openidconnect` relying party, userinfo, introspection), apps that admit
//! only members of some groups, and the CLI that manages them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::helpers::relying_party::rp_http;
use crate::helpers::{Backend, TestApp, TestClient, location, redirect_params, spawn_app};
use crate::on_both_backends;

/// The payload of a JWT the relying party has verified.
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The ID token and access token `client` gets for `username` with `scope`,
/// through the `openidconnect` crate (discovery, PKCE, ID token checks).
async fn sign_in_with_scope(app: &TestApp, client: &TestClient, username: &str, extra: &[&str]) -> (Value, String) {
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &rp_http)
        .await
        .unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.client_id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in extra {
        request = request.add_scope(Scope::new((*scope).into()));
    }
    let (url, _, nonce) = request.set_pkce_challenge(challenge).url();
    app.seed_session(username).await;
    let back = app.browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(back.status(), 303, "{}", location(&back));
    let code = redirect_params(&back)["code"].clone();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&rp_http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    id_token
        .claims(&rp.id_token_verifier(), &nonce)
        .expect("the ID token verifies");
    (payload(&id_token.to_string()), tokens.access_token().secret().clone())
}

async fn the_groups_claim_reaches_every_token_view(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let client = app.add_client(false).await;
    let groups = app.services.group_admin();
    groups.create("staff").await.unwrap();
    groups.create("eng/backend").await.unwrap();
    groups.create("empty").await.unwrap();
    assert!(groups.add_member("staff", "alice").await.unwrap());
    assert!(groups.add_member("eng/backend", "alice").await.unwrap());
    assert!(!groups.add_member("staff", "alice").await.unwrap(), "once is enough");

    let (claims, access_token) = sign_in_with_scope(&app, &client, "alice", &["groups"]).await;
    assert_eq!(
        claims["groups"],
        serde_json::json!(["eng/backend", "staff"]),
        "{claims}"
    );
    let userinfo: Value = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["groups"], serde_json::json!(["eng/backend", "staff"]));
    let introspected = crate::tokens::introspect(&app, &client, &access_token).await;
    assert_eq!(introspected["groups"], serde_json::json!(["eng/backend", "staff"]));

    // Renamed and removed: the next tokens say so.
    groups.rename("eng/backend", "eng").await.unwrap();
    groups.remove_member("staff", "alice").await.unwrap();
    let (claims, _) = sign_in_with_scope(&app, &client, "alice", &["groups"]).await;
    assert_eq!(claims["groups"], serde_json::json!(["eng"]));
    // Without the scope, no claim.
    let (claims, access_token) = sign_in_with_scope(&app, &client, "alice", &["profile"]).await;
    assert!(claims.get("groups").is_none(), "{claims}");
    let userinfo: Value = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(userinfo.get("groups").is_none());
    let discovery: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&"groups".into())
    );
    assert!(
        discovery["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&"groups".into())
    );
}

/// An app taking RFC 9068 JWT access tokens finds the groups in them
/// (§2.2.3.1), so its APIs authorize without calling back.
async fn jwt_access_tokens_carry_the_groups(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let created = sesame::admin::add_client(
        &app.services.client_admin(),
        sesame::admin::NewClient {
            name: "API app".into(),
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
    let groups = app.services.group_admin();
    groups.create("staff").await.unwrap();
    groups.add_member("staff", "alice").await.unwrap();
    let (_, access_token) = sign_in_with_scope(&app, &client, "alice", &["groups"]).await;
    let claims = payload(&access_token);
    assert_eq!(claims["groups"], serde_json::json!(["staff"]), "{claims}");
    let (_, access_token) = sign_in_with_scope(&app, &client, "alice", &["profile"]).await;
    assert!(payload(&access_token).get("groups").is_none(), "only with the scope");
}

/// An app restricted to a group: a member gets a code; anyone else a page
/// that says so, and the app `access_denied` (at once with prompt=none) —
/// never a loop through the sign-in page.
async fn an_app_restricted_to_a_group_admits_only_its_members(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    app.add_user("bob").await;
    let client = app.add_client(false).await;
    let groups = app.services.group_admin();
    groups.create("staff").await.unwrap();
    groups.add_member("staff", "alice").await.unwrap();
    groups
        .restrict_client(&client.id(), &["staff".to_string()])
        .await
        .unwrap();
    let params = [
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s1"),
    ];

    app.seed_session("bob").await;
    let refused = app.authorize(&params).await;
    let page = location(&refused);
    assert!(page.starts_with("/authorize/no-access?req="), "{page}");
    let shown = app.browser.get(app.url(&page)).send().await.unwrap();
    assert_eq!(shown.status(), 403);
    let html = shown.text().await.unwrap();
    assert!(html.contains("You have no access to Test App"), "{html}");
    assert!(html.contains("<strong>bob</strong>"), "{html}");
    let back = html.split("id=\"back-to-app\"").next().unwrap();
    let cancel = back
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let answer = app.browser.get(app.url(&cancel)).send().await.unwrap();
    assert!(location(&answer).starts_with(&client.redirect_uri));
    assert_eq!(redirect_params(&answer)["error"], "access_denied");
    assert_eq!(redirect_params(&answer)["state"], "s1");

    let mut silent = params.to_vec();
    silent.push(("prompt", "none"));
    let answer = app.authorize(&silent).await;
    assert_eq!(redirect_params(&answer)["error"], "access_denied");

    app.seed_session("alice").await;
    let admitted = app.authorize(&params).await;
    assert!(
        redirect_params(&admitted).contains_key("code"),
        "{}",
        location(&admitted)
    );
    // Taken out of the group, her refresh token stops working for the app.
    let verifier = "v".repeat(50);
    let challenge = crate::helpers::pkce_challenge(&verifier);
    let mut with_pkce = params.to_vec();
    with_pkce.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let code = redirect_params(&app.authorize(&with_pkce).await)["code"].clone();
    let tokens: Value = app.redeem(&client, &code, &verifier).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token").to_string();
    let refreshed = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())],
        )
        .await;
    assert_eq!(refreshed.status(), 200, "a member refreshes");
    let refreshed: Value = refreshed.json().await.unwrap();
    groups.remove_member("staff", "alice").await.unwrap();
    let next = refreshed["refresh_token"].as_str().unwrap();
    let refused = app
        .token(&client, &[("grant_type", "refresh_token"), ("refresh_token", next)])
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // Lifting the rule takes effect at once.
    groups.restrict_client(&client.id(), &[]).await.unwrap();
    app.seed_session("bob").await;
    let admitted = app.authorize(&params).await;
    assert!(
        redirect_params(&admitted).contains_key("code"),
        "{}",
        location(&admitted)
    );
    let events = app.services.audit.recent(50).await.unwrap();
    assert!(events.iter().any(|e| e.event == "client_access_groups_changed"));
    assert!(events.iter().any(|e| e.event == "group_member_added"));
}

/// Names and errors: bad names, unknown groups and people, taken names.
async fn groups_refuse_what_they_cannot_be(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let groups = app.services.group_admin();
    assert!(groups.create("two words").await.is_err());
    groups.create("staff").await.unwrap();
    assert!(groups.create("staff").await.is_err(), "a taken name");
    assert!(groups.add_member("nobody", "alice").await.is_err());
    assert!(groups.add_member("staff", "nobody").await.is_err());
    groups.create("ops").await.unwrap();
    assert!(groups.rename("ops", "staff").await.is_err(), "a taken name");
    groups.add_member("ops", "alice").await.unwrap();
    groups.delete("ops").await.unwrap();
    let alice = app
        .services
        .users
        .find_credentials(&sesame::domain::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap()
        .0;
    assert!(app.services.groups.groups_of(alice.id).await.unwrap().is_empty());
    // Deleting a person takes them out of their groups.
    groups.add_member("staff", "alice").await.unwrap();
    let staff = groups.find("staff").await.unwrap();
    assert_eq!(app.services.groups.member_names(staff.id).await.unwrap(), vec!["alice"]);
    app.services.users.delete_user(alice.id).await.unwrap();
    assert!(app.services.groups.member_names(staff.id).await.unwrap().is_empty());
}

on_both_backends!(
    jwt_access_tokens_carry_the_groups,
    the_groups_claim_reaches_every_token_view,
    an_app_restricted_to_a_group_admits_only_its_members,
    groups_refuse_what_they_cannot_be,
);
