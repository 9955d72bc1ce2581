//! A relying app on port 0 for logout tests: it records the logout tokens
//! POSTed to its back-channel endpoint and serves its front-channel page.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, RS256};
use serde_json::{Map, Value};

use crate::helpers::TestApp;

pub struct RelyingApp {
    pub port: u16,
    received: Arc<Mutex<Vec<String>>>,
    handle: ServerHandle,
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    logout_token: String,
}

impl RelyingApp {
    pub fn start() -> RelyingApp {
        Self::serve(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// A port nothing listens on yet: an app that is down.
    pub fn reserve_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    /// The app comes (back) up on `port`.
    pub fn start_on(port: u16) -> RelyingApp {
        Self::serve(TcpListener::bind(("127.0.0.1", port)).unwrap())
    }

    fn serve(listener: TcpListener) -> RelyingApp {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        let server = HttpServer::new(move || {
            let sink = sink.clone();
            App::new()
                .route(
                    "/backchannel",
                    web::post().to(move |form: web::Form<LogoutForm>| {
                        let sink = sink.clone();
                        async move {
                            sink.lock().unwrap().push(form.into_inner().logout_token);
                            HttpResponse::Ok().finish()
                        }
                    }),
                )
                .default_service(web::to(|| async { HttpResponse::Ok().body("app page") }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        RelyingApp { port, received, handle }
    }

    pub fn backchannel_uri(&self) -> String {
        format!("http://127.0.0.1:{}/backchannel", self.port)
    }

    pub fn tokens(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Validates a logout token as Back-Channel Logout 1.0 §2.6 tells an app to,
/// against Sesame's published JWKS, and returns its claims.
pub async fn verify_logout_token(app: &TestApp, token: &str, client_id: &str) -> Map<String, Value> {
    let header = josekit::jwt::decode_header(token).unwrap();
    assert_eq!(header.claim("typ").unwrap(), "logout+jwt");
    let kid = header.claim("kid").unwrap().as_str().unwrap().to_string();
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("key in the JWKS");
    let jwk = Jwk::from_bytes(serde_json::to_vec(jwk).unwrap()).unwrap();
    let (payload, _) = match header.claim("alg").unwrap().as_str().unwrap() {
        "RS256" => josekit::jwt::decode_with_verifier(token, &RS256.verifier_from_jwk(&jwk).unwrap()),
        "ES256" => josekit::jwt::decode_with_verifier(token, &ES256.verifier_from_jwk(&jwk).unwrap()),
        other => panic!("unexpected alg {other}"),
    }
    .expect("the signature verifies");
    let claims = payload.claims_set().clone();
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["aud"], client_id);
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.contains_key("sid") && claims.contains_key("sub"));
    assert!(claims.contains_key("iat") && claims.contains_key("exp") && claims.contains_key("jti"));
    assert!(!claims.contains_key("nonce"), "a logout token MUST NOT contain a nonce");
    claims
}
