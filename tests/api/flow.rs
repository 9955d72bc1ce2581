//! The whole flow driven by the `openidconnect` crate as the relying party:
//! discovery, an auth URL with PKCE and nonce, the login form, the code
//! exchange, ID token verification against the JWKS, and userinfo.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use sesame::clock::Clock;
use sesame::domain::AuthMethod;

use crate::helpers::relying_party::rp_http;
use crate::helpers::{Backend, TestApp, TestClient, redirect_params, spawn_app};

/// Signs alice in to `client` (allowing it on the consent page when it is
/// a third-party app), checking every step as a relying party would.
pub async fn sign_in_with_openidconnect(app: &TestApp, client: &TestClient) {
    let user = app.add_user("alice").await;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &rp_http)
        .await
        .expect("discovery succeeds and the issuer matches exactly");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.client_id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    let rp = match client.secret {
        Some(_) => rp,
        None => rp.set_auth_type(openidconnect::AuthType::RequestBody),
    };

    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf_state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(pkce_challenge)
        .url();

    // The browser part: authorize → login page → form → back to the app.
    let authorize = app.browser.get(auth_url.as_str()).send().await.unwrap();
    let (request_id, csrf) = app.open_login(authorize).await;
    let back = app
        .submit_login(&request_id, &csrf, "alice", crate::helpers::PASSWORD)
        .await;
    let back = app.through_consent(back, &request_id).await;
    assert_eq!(back.status(), 303);
    assert!(crate::helpers::location(&back).starts_with(&client.redirect_uri));
    let params = redirect_params(&back);
    assert_eq!(params["state"], *csrf_state.secret());
    assert_eq!(params["iss"], app.issuer, "RFC 9207: iss in the authorization response");

    let tokens = rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(pkce_verifier)
        .request_async(&rp_http)
        .await
        .expect("code exchange succeeds");
    let id_token = tokens.id_token().expect("an ID token is returned");
    let verifier = rp.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("ID token verifies against the JWKS");
    assert_eq!(claims.subject().as_str(), user.id.to_string());
    assert_eq!(claims.issuer().as_str(), app.issuer);
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&rp_http)
        .await
        .expect("userinfo answers");
    assert_eq!(info.subject().as_str(), user.id.to_string());
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("alice"));
}

async fn confidential_client_signs_in_with_a_standard_library(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    sign_in_with_openidconnect(&app, &client).await;
}

async fn public_client_signs_in_with_pkce_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(true).await;
    sign_in_with_openidconnect(&app, &client).await;
}

async fn client_secret_post_authenticates(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app
        .add_client_with(false, Some(AuthMethod::ClientSecretPost), true)
        .await;
    app.add_user("alice").await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let response = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &client.client_id),
            ("client_secret", client.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn id_token_carries_the_claims_the_specs_require(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let user = app.add_user("alice").await;
    let (code, verifier) = app.get_code(&client, "alice").await;
    let response = app.redeem(&client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email");
    let id_token = body["id_token"].as_str().unwrap();
    let payload = app.services.keys.verify(id_token).expect("signed by our key");
    let header = josekit::jwt::decode_header(id_token).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "RS256");
    assert_eq!(
        header.claim("kid").unwrap().as_str().unwrap(),
        app.services
            .keys
            .current()
            .active_kid(sesame::keys::Alg::RS256, app.clock.now())
            .unwrap()
    );
    let claims = payload.claims_set();
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(claims["azp"], client.client_id.as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    for claim in ["exp", "iat", "auth_time", "at_hash", "sid"] {
        assert!(claims.contains_key(claim), "ID token lacks {claim}");
    }
}

async fn form_post_response_mode_posts_code_state_and_iss(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let response = app
        .login_through(
            &[
                ("client_id", &client.client_id),
                ("redirect_uri", &client.redirect_uri),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "xyz"),
                ("response_mode", "form_post"),
            ],
            "alice",
        )
        .await;
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!csp.contains("unsafe-inline"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"action="http://app.example/callback""#), "{html}");
    assert!(!crate::helpers::hidden_field(&html, "code").is_empty());
    assert_eq!(crate::helpers::hidden_field(&html, "state"), "xyz");
    assert_eq!(crate::helpers::hidden_field(&html, "iss"), app.issuer);
}

crate::on_both_backends!(
    confidential_client_signs_in_with_a_standard_library,
    public_client_signs_in_with_pkce_only,
    client_secret_post_authenticates,
    id_token_carries_the_claims_the_specs_require,
    form_post_response_mode_posts_code_state_and_iss,
);
