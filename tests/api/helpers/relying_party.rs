//! What relying apps do, for tests that act as one: an app on port 0 that
//! records the logout tokens POSTed to its back channel (and serves its
//! front-channel page), the checks an app makes on a logout token, and the
//! HTTP client an openidconnect-based app uses.

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

/// See [`RelyingApp::down`].
pub struct DownApp {
    pub port: u16,
    socket: tokio::net::TcpSocket,
}

impl DownApp {
    /// The app comes up on its port.
    pub fn come_up(self) -> RelyingApp {
        let listener = self.socket.listen(64).unwrap().into_std().unwrap();
        RelyingApp::serve(listener)
    }
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    logout_token: String,
}

impl RelyingApp {
    pub fn start() -> RelyingApp {
        Self::serve(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// An app that is down: its port is bound but not listening (a
    /// connection is refused), so that no other test can take it before
    /// the app comes up.
    pub fn down() -> DownApp {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = socket.local_addr().unwrap().port();
        DownApp { socket, port }
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

/// openidconnect's HTTP client contract over reqwest, following no redirects.
pub async fn rp_http(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder.body(response.bytes().await?.to_vec()).unwrap())
}
