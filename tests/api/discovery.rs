//! Discovery, JWKS and health endpoints.

use serde_json::Value;
use sesame::clock::Clock;
use sesame::keys::Alg;

use crate::helpers::{Backend, spawn_app};

async fn discovery_advertises_exactly_what_is_implemented(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // OIDC Discovery 4.3: the issuer MUST be identical to the one used to fetch it.
    assert_eq!(doc["issuer"], app.issuer.as_str());
    assert_eq!(doc["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(doc["token_endpoint"], app.url("/token"));
    assert_eq!(doc["userinfo_endpoint"], app.url("/userinfo"));
    assert_eq!(doc["jwks_uri"], app.url("/jwks"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])
    );
    assert_eq!(
        doc["scopes_supported"],
        serde_json::json!(["openid", "profile", "email", "groups", "offline_access"])
    );
    assert_eq!(doc["registration_endpoint"], app.url("/register"));
    assert_eq!(doc["end_session_endpoint"], app.url("/end_session"));
    assert_eq!(doc["revocation_endpoint"], app.url("/revoke"));
    assert_eq!(doc["introspection_endpoint"], app.url("/introspect"));
    for flag in [
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(doc[flag], true, "{flag}");
    }
}

async fn jwks_publishes_public_keys_with_kid_use_and_alg(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.api.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "one RS256 and one ES256 key");
    let now = app.clock.now();
    for (alg, kty) in [(Alg::RS256, "RSA"), (Alg::ES256, "EC")] {
        let key = keys.iter().find(|k| k["alg"] == alg.as_str()).unwrap();
        assert_eq!(key["kty"], kty);
        assert_eq!(key["use"], "sig");
        assert_eq!(key["kid"], app.services.keys.current().active_kid(alg, now).unwrap());
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "JWKS must not publish {private}");
        }
    }
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.api.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let ready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["ephemeral_store"], "ok");
}

crate::on_both_backends!(
    discovery_advertises_exactly_what_is_implemented,
    jwks_publishes_public_keys_with_kid_use_and_alg,
    health_and_readiness,
);
