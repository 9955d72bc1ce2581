//! `private_key_jwt` client authentication (RFC 7523, OIDC Core 9), keys
//! registered inline or fetched from a `jwks_uri`, each assertion used once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Value, json};
use sesame::admin::{self, NewClient};
use sesame::clock::Clock;
use sesame::domain::AuthMethod;
use sesame::keys::{Alg, KeyMaterial};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, TestApp, spawn_app};

struct KeyClient {
    client_id: String,
    key: KeyMaterial,
}

fn jwks_of(key: &KeyMaterial) -> String {
    serde_json::json!({ "keys": [key.public_jwk] }).to_string()
}

async fn register(app: &TestApp, jwks: Option<String>, jwks_uri: Option<String>) -> Result<String, String> {
    admin::add_client(
        &app.services.client_admin(),
        NewClient {
            name: "Signed".into(),
            redirect_uris: vec!["https://signed.example/cb".into()],
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            grant_types: vec!["client_credentials".into()],
            jwks,
            jwks_uri,
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .map(|c| {
        assert!(c.secret.is_none(), "no secret for private_key_jwt");
        c.client.client_id.to_string()
    })
    .map_err(|e| e.to_string())
}

fn assertion(app: &TestApp, client: &KeyClient, aud: &str, exp_in: i64, jti: &str) -> String {
    assertion_for(app, client, json!(aud), exp_in, jti)
}

fn assertion_for(app: &TestApp, client: &KeyClient, aud: Value, exp_in: i64, jti: &str) -> String {
    let now = app.clock.now();
    let mut payload = JwtPayload::new();
    payload.set_issuer(&client.client_id);
    payload.set_subject(&client.client_id);
    payload.set_claim("aud", Some(aud)).unwrap();
    payload.set_jwt_id(jti);
    payload.set_claim("iat", Some(now.into())).unwrap();
    payload.set_claim("exp", Some((now + exp_in).into())).unwrap();
    let mut header = JwsHeader::new();
    header.set_key_id(&client.key.kid);
    let signer = RS256.signer_from_pem(&client.key.private_pem).unwrap();
    jwt::encode_with_signer(&payload, &header, &signer).unwrap()
}

async fn token_with(app: &TestApp, assertion: &str) -> (u16, Value) {
    let response = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn signed_assertions_authenticate_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = KeyMaterial::generate(Alg::RS256).unwrap();
    let client = KeyClient {
        client_id: register(&app, Some(jwks_of(&key)), None).await.unwrap(),
        key,
    };
    let token_endpoint = app.url("/token");
    let good = assertion(&app, &client, &app.issuer, 60, "jti-1");
    let (status, body) = token_with(&app, &good).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());

    let (status, body) = token_with(&app, &good).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "a replayed assertion"
    );

    for (bad, why) in [
        (
            assertion(&app, &client, "https://elsewhere.example/token", 60, "jti-3"),
            "another audience",
        ),
        (
            assertion(&app, &client, &token_endpoint, 60, "jti-2"),
            "the token endpoint (rfc7523bis: the issuer alone)",
        ),
        (
            assertion_for(&app, &client, json!([app.issuer, token_endpoint]), 60, "jti-7"),
            "the issuer beside another audience",
        ),
        (assertion(&app, &client, &app.issuer, -120, "jti-4"), "expired"),
        (assertion(&app, &client, &app.issuer, 3600, "jti-5"), "too long-lived"),
    ] {
        let (status, body) = token_with(&app, &bad).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{why}");
    }
    let stranger = KeyClient {
        client_id: client.client_id.clone(),
        key: KeyMaterial::generate(Alg::RS256).unwrap(),
    };
    let forged = assertion(&app, &stranger, &app.issuer, 60, "jti-6");
    assert_eq!(
        token_with(&app, &forged).await.0,
        401,
        "signed with a key the client did not register"
    );

    // A secret is no way in for this client.
    let secret = app
        .api
        .post(app.url("/token"))
        .basic_auth(&client.client_id, Some("guess"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(secret.status(), 401);
}

async fn keys_are_fetched_from_the_jwks_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = KeyMaterial::generate(Alg::RS256).unwrap();
    let jwks = jwks_of(&key);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let jwks = jwks.clone();
        actix_web::App::new().default_service(actix_web::web::to(move || {
            let jwks = jwks.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(jwks)
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let client = KeyClient {
        client_id: register(&app, None, Some(format!("http://127.0.0.1:{port}/jwks")))
            .await
            .unwrap(),
        key,
    };
    let good = assertion(&app, &client, &app.issuer, 60, "jti-uri");
    let (status, body) = token_with(&app, &good).await;
    assert_eq!(status, 200, "{body}");
}

async fn registration_demands_public_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(register(&app, None, None).await.unwrap_err().contains("jwks"));
    let key = KeyMaterial::generate(Alg::ES256).unwrap();
    let private = serde_json::json!({ "keys": [josekit::jwk::Jwk::from_bytes(
        josekit::jws::ES256.key_pair_from_pem(&key.private_pem).unwrap().to_jwk_private_key().to_string()
    ).unwrap()] })
    .to_string();
    assert!(
        register(&app, Some(private), None)
            .await
            .unwrap_err()
            .contains("public RSA or EC keys only")
    );
}

/// A `jwks_uri` server that answers every request with an endless body
/// (`/stream`, chunked) or declares an enormous one (`/declared`), counting
/// connections and the bytes it managed to write.
struct HostileJwks {
    port: u16,
    connections: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
}

impl HostileJwks {
    async fn start() -> HostileJwks {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        // Small kernel buffers, so that what was written is close to what was read.
        socket.set_send_buffer_size(16 * 1024).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(16).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicUsize::new(0));
        let (c, w) = (connections.clone(), written.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let w = w.clone();
                tokio::spawn(async move {
                    let mut request = vec![0u8; 4096];
                    let n = stream.read(&mut request).await.unwrap_or(0);
                    let declared = String::from_utf8_lossy(&request[..n]).contains("/declared");
                    let head = if declared {
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n"
                    } else {
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    };
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = [b' '; 8192];
                    // Stops when Sesame hangs up.
                    for _ in 0..200_000 {
                        let result = if declared {
                            stream.write_all(&chunk).await
                        } else {
                            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                            framed.extend_from_slice(&chunk);
                            framed.extend_from_slice(b"\r\n");
                            stream.write_all(&framed).await
                        };
                        if result.is_err() {
                            return;
                        }
                        w.fetch_add(chunk.len(), Ordering::SeqCst);
                    }
                });
            }
        });
        HostileJwks {
            port,
            connections,
            written,
        }
    }
}

/// Anyone can make Sesame fetch a client's `jwks_uri` (an assertion naming
/// the client is enough). A URL that streams without end, or declares an
/// enormous body, is read no further than the limit, once, however many
/// requests name it at once, and its failure is remembered.
async fn a_hostile_jwks_uri_is_fetched_once_and_never_read_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let hostile = HostileJwks::start().await;
    for path in ["stream", "declared"] {
        let connections_before = hostile.connections.load(Ordering::SeqCst);
        let written_before = hostile.written.load(Ordering::SeqCst);
        let key = KeyMaterial::generate(Alg::RS256).unwrap();
        let client = KeyClient {
            client_id: register(&app, None, Some(format!("http://127.0.0.1:{}/{path}", hostile.port)))
                .await
                .unwrap(),
            key,
        };
        let assertions: Vec<String> = (0..3)
            .map(|n| assertion(&app, &client, &app.issuer, 60, &format!("{path}-{n}")))
            .collect();
        let at_once = futures_util::future::join_all(assertions.iter().map(|a| token_with(&app, a))).await;
        for (status, body) in at_once {
            assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
        }
        for n in 0..5 {
            let later = assertion(&app, &client, &app.issuer, 60, &format!("{path}-later-{n}"));
            assert_eq!(token_with(&app, &later).await.0, 401);
        }
        assert_eq!(
            hostile.connections.load(Ordering::SeqCst) - connections_before,
            1,
            "{path}: one fetch for eight requests"
        );
        let written = hostile.written.load(Ordering::SeqCst) - written_before;
        assert!(
            written < 16 * 1024 * 1024,
            "{path}: {written} bytes went out before Sesame hung up"
        );
    }
}

crate::on_both_backends!(
    a_hostile_jwks_uri_is_fetched_once_and_never_read_whole,
    signed_assertions_authenticate_once,
    keys_are_fetched_from_the_jwks_uri,
    registration_demands_public_keys,
);
