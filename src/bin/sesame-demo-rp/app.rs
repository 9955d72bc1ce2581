//! A small relying app to see single sign-on and single logout at work: it
//! signs people in through Sesame with the openidconnect crate (code flow,
//! PKCE, nonce), shows who is signed in, signs out through RP-Initiated
//! Logout, and ends its own session when Sesame's back-channel logout token
//! arrives. Run two on two ports to watch SSO and SLO.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Mutex;

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, RS256};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Shown on its pages, to tell two demo apps apart.
    pub name: String,
}

struct LocalSession {
    name: String,
    /// The person's groups, from the ID token's `groups` claim.
    groups: Vec<String>,
    sid: Option<String>,
    id_token: String,
}

struct Demo {
    config: DemoConfig,
    base_url: String,
    client: Client,
    cookie: String,
    pending: Mutex<HashMap<String, (PkceCodeVerifier, Nonce)>>,
    sessions: Mutex<HashMap<String, LocalSession>>,
}

/// openidconnect's HTTP client contract over reqwest, following no redirects.
pub async fn http_client(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, reqwest::Error> {
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
    Ok(builder
        .body(response.bytes().await?.to_vec())
        .unwrap_or_else(|_| openidconnect::http::Response::new(Vec::new())))
}

/// A running demo app.
pub struct DemoApp {
    pub port: u16,
    pub server: actix_web::dev::Server,
}

/// Discovers Sesame and binds the demo app to `listener`.
pub async fn start(config: DemoConfig, listener: TcpListener) -> anyhow::Result<DemoApp> {
    let port = listener.local_addr()?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(config.issuer.clone())?, &http_client).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(format!("{base_url}/callback"))?);
    let demo = web::Data::new(Demo {
        cookie: format!("demo_rp_{port}"),
        config,
        base_url,
        client,
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(demo.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::post().to(logout))
            .route("/backchannel-logout", web::post().to(backchannel_logout))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok(DemoApp { port, server })
}

fn page(demo: &Demo, body: &str) -> HttpResponse {
    let name = html_escape(&demo.config.name);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>{name}</title></head>\
         <body><h1>{name}</h1>{body}</body></html>"
        ))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn local_session_id(demo: &Demo, req: &HttpRequest) -> Option<String> {
    req.cookie(&demo.cookie).map(|c| c.value().to_string())
}

async fn home(req: HttpRequest, demo: web::Data<Demo>) -> HttpResponse {
    let signed_in = local_session_id(&demo, &req).and_then(|id| {
        let sessions = demo.sessions.lock().ok()?;
        sessions.get(&id).map(|s| (s.name.clone(), s.groups.join(", ")))
    });
    match signed_in {
        Some((name, groups)) => page(
            &demo,
            &format!(
                "<p id=status>Signed in as <strong>{}</strong></p><p id=groups>Groups: {}</p>\
                 <form method=post action=/logout><button id=logout>Sign out</button></form>",
                html_escape(&name),
                html_escape(&groups)
            ),
        ),
        None => page(
            &demo,
            "<p id=status>Not signed in</p><p><a id=login href=/login>Sign in with Sesame</a></p>",
        ),
    }
}

async fn login(demo: web::Data<Demo>) -> HttpResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = demo
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("groups".into()))
        .set_pkce_challenge(challenge)
        .url();
    if let Ok(mut pending) = demo.pending.lock() {
        pending.insert(state.secret().clone(), (verifier, nonce));
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .finish()
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(query: web::Query<CallbackQuery>, demo: web::Data<Demo>) -> HttpResponse {
    if let Some(error) = &query.error {
        return page(
            &demo,
            &format!("<p id=status>Not signed in: {}</p>", html_escape(error)),
        );
    }
    let pending = query
        .state
        .as_ref()
        .and_then(|state| demo.pending.lock().ok()?.remove(state));
    let (Some(code), Some((verifier, nonce))) = (query.code.clone(), pending) else {
        return page(&demo, "<p id=status>Not signed in: unknown sign-in</p>");
    };
    match finish_login(&demo, code, verifier, nonce).await {
        Ok(local_id) => {
            let cookie = Cookie::build(demo.cookie.clone(), local_id)
                .path("/")
                .http_only(true)
                .finish();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/"))
                .cookie(cookie)
                .finish()
        }
        Err(e) => page(
            &demo,
            &format!("<p id=status>Not signed in: {}</p>", html_escape(&e.to_string())),
        ),
    }
}

async fn finish_login(demo: &Demo, code: String, verifier: PkceCodeVerifier, nonce: Nonce) -> anyhow::Result<String> {
    let tokens = demo
        .client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(verifier)
        .request_async(&http_client)
        .await?;
    let id_token = tokens.id_token().ok_or_else(|| anyhow::anyhow!("no ID token"))?;
    let claims = id_token.claims(&demo.client.id_token_verifier(), &nonce)?;
    let sid = payload_claim(&id_token.to_string(), "sid").and_then(|v| v.as_str().map(str::to_string));
    let groups = payload_claim(&id_token.to_string(), "groups")
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let info: CoreUserInfoClaims = demo
        .client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))?
        .request_async(&http_client)
        .await?;
    let name = info
        .preferred_username()
        .map(|u| u.to_string())
        .unwrap_or_else(|| claims.subject().to_string());
    let local_id = random_session_id();
    demo.sessions.lock().map_err(|_| anyhow::anyhow!("lock"))?.insert(
        local_id.clone(),
        LocalSession {
            name,
            groups,
            sid,
            id_token: id_token.to_string(),
        },
    );
    Ok(local_id)
}

/// 256 random bits: the app's own session cookie.
fn random_session_id() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A claim of an ID token whose signature was already verified.
fn payload_claim(id_token: &str, name: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = id_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let mut claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get_mut(name).map(serde_json::Value::take)
}

async fn logout(req: HttpRequest, demo: web::Data<Demo>) -> HttpResponse {
    let session = local_session_id(&demo, &req).and_then(|id| demo.sessions.lock().ok()?.remove(&id));
    let mut url = match url::Url::parse(&format!("{}/end_session", demo.config.issuer)) {
        Ok(url) => url,
        Err(_) => return HttpResponse::InternalServerError().finish(),
    };
    {
        let mut query = url.query_pairs_mut();
        if let Some(session) = &session {
            query.append_pair("id_token_hint", &session.id_token);
        }
        query
            .append_pair("client_id", &demo.config.client_id)
            .append_pair("post_logout_redirect_uri", &format!("{}/", demo.base_url));
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .finish()
}

#[derive(serde::Deserialize)]
struct LogoutForm {
    logout_token: String,
}

/// Back-Channel Logout 1.0 §2.6: validate the logout token, then end every
/// local session with its `sid`.
async fn backchannel_logout(form: web::Form<LogoutForm>, demo: web::Data<Demo>) -> HttpResponse {
    match validate_logout_token(&demo, &form.logout_token).await {
        Ok(sid) => {
            if let Ok(mut sessions) = demo.sessions.lock() {
                sessions.retain(|_, s| s.sid.as_deref() != Some(sid.as_str()));
            }
            HttpResponse::Ok().finish()
        }
        Err(e) => HttpResponse::BadRequest()
            .json(serde_json::json!({ "error": "invalid_request", "error_description": e.to_string() })),
    }
}

async fn validate_logout_token(demo: &Demo, token: &str) -> anyhow::Result<String> {
    let header = josekit::jwt::decode_header(token)?;
    let kid = header
        .claim("kid")
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow::anyhow!("no kid"))?;
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", demo.config.issuer))
        .await?
        .json()
        .await?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| anyhow::anyhow!("unknown key"))?;
    let jwk = Jwk::from_bytes(serde_json::to_vec(jwk)?)?;
    let (payload, _) = match header.claim("alg").and_then(|v| v.as_str()) {
        Some("RS256") => josekit::jwt::decode_with_verifier(token, &RS256.verifier_from_jwk(&jwk)?)?,
        Some("ES256") => josekit::jwt::decode_with_verifier(token, &ES256.verifier_from_jwk(&jwk)?)?,
        _ => anyhow::bail!("unsupported alg"),
    };
    anyhow::ensure!(payload.issuer() == Some(demo.config.issuer.as_str()), "wrong issuer");
    anyhow::ensure!(
        payload
            .audience()
            .is_some_and(|aud| aud.contains(&demo.config.client_id.as_str())),
        "wrong audience"
    );
    anyhow::ensure!(payload.claim("nonce").is_none(), "a logout token has no nonce");
    anyhow::ensure!(
        payload
            .claim("events")
            .and_then(|e| e.get("http://schemas.openid.net/event/backchannel-logout"))
            .is_some(),
        "not a logout event"
    );
    payload
        .claim("sid")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no sid"))
}
