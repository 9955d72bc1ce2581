//! `/gateway/…`: what reverse proxies ask about each request to an app
//! behind them, one adapter per proxy family over one decision
//! (`gateway::Gateway::decide`), and `/gateway/start`, where a person signs
//! in and gets the pass for the protected domains.
//!
//! - `forward-auth` (Caddy `forward_auth`, Traefik `forwardAuth`): the
//!   request from `X-Forwarded-Method/Proto/Host/Uri`; someone to sign in is
//!   redirected (302, 303 after a POST) and comes back to the URL.
//! - `auth-request` (nginx `auth_request`, HAProxy): the request from
//!   `X-Original-URL` and `X-Original-Method`; nginx cannot pass a redirect
//!   on, so someone to sign in gets 401 with the way in as `X-Sesame-Sign-In`
//!   (the documented `error_page` sends the browser there).
//! - `ext-authz/…` (Envoy `ext_authz`, HTTP): the request's own method,
//!   `Host` and path below the prefix.
//!
//! A request with `Authorization: Bearer` (a script, an API client) is
//! decided on that access token instead: a person's, live, issued for the
//! protected app (its audience, RFC 8707); otherwise 401 with an RFC 6750
//! challenge, never a sign-in page.
//!
//! Only a proxy in `http.trusted_proxies` may describe a request: from any
//! other address these headers are not believed and the answer is 403. On
//! success the identity headers are always all sent (empty when there is
//! nothing to say), so the proxy's copy replaces whatever a client sent.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::{cookies, extract, outcome, pages};
use crate::domain::Level;
use crate::gateway::{Answer, Asked, Verdict};
use crate::oidc::params::Params;
use crate::startup::Services;
use crate::ui::t;

/// Where the request the proxy asks about is described.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    ForwardAuth,
    AuthRequest,
    ExtAuthz,
}

/// The request the proxy asks about.
struct Original {
    /// `scheme://host[:port]`: what a token for this app names as its audience.
    origin: String,
    /// As the browser asked for it (where to come back after signing in).
    url: String,
    host: String,
    path: String,
    method: String,
}

fn header_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Whether the peer is a proxy whose description of a request is believed.
fn from_trusted_proxy(req: &HttpRequest, services: &Services) -> bool {
    req.peer_addr()
        .is_some_and(|peer| services.settings.http.trusted_proxies.contains(&peer.ip()))
}

/// A host as rules compare it: lower case, without a port.
fn bare_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    match host.rsplit_once(':') {
        // An IPv6 literal keeps its brackets; a port after them goes.
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => name.to_string(),
        _ => host,
    }
}

fn original(req: &HttpRequest, family: Family, tail: &str) -> Option<Original> {
    let (url, method) = match family {
        Family::ForwardAuth => {
            let proto = header_value(req, "x-forwarded-proto").unwrap_or("https");
            let host = header_value(req, "x-forwarded-host")?;
            let uri = header_value(req, "x-forwarded-uri").unwrap_or("/");
            let method = header_value(req, "x-forwarded-method").unwrap_or("GET");
            (format!("{proto}://{host}{uri}"), method.to_string())
        }
        Family::AuthRequest => {
            let url = header_value(req, "x-original-url")?.to_string();
            let method = header_value(req, "x-original-method").unwrap_or("GET");
            (url, method.to_string())
        }
        Family::ExtAuthz => {
            let proto = header_value(req, "x-forwarded-proto").unwrap_or("https");
            let host = header_value(req, "host")?;
            let query = match req.query_string() {
                "" => String::new(),
                q => format!("?{q}"),
            };
            (format!("{proto}://{host}/{tail}{query}"), req.method().to_string())
        }
    };
    let parsed = url::Url::parse(&url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(Original {
        origin: parsed.origin().ascii_serialization(),
        host: bare_host(parsed.host_str()?),
        path: parsed.path().to_string(),
        method: method.to_ascii_uppercase(),
        url: parsed.to_string(),
    })
}

/// The portal cookie's name: `__Secure-` under https (it is set for a
/// domain, so `__Host-` cannot be).
fn pass_cookie_name(services: &Services) -> String {
    let name = &services.settings.gateway.cookie_name;
    if services.settings.issuer_is_https() {
        format!("__Secure-{name}")
    } else {
        name.clone()
    }
}

async fn decide(req: &HttpRequest, services: &Services, family: Family, tail: &str) -> HttpResponse {
    if !services.settings.gateway.enabled {
        return pages::not_found(req.clone()).await;
    }
    if !from_trusted_proxy(req, services) {
        return HttpResponse::Forbidden().body("only a proxy in http.trusted_proxies may ask the gateway\n");
    }
    let Some(original) = original(req, family, tail) else {
        return HttpResponse::BadRequest().body("the proxy did not say which request it asks about\n");
    };
    let client = extract::client_ip(req).parse().ok();
    let asked = Asked {
        host: &original.host,
        path: &original.path,
        method: &original.method,
        client,
    };
    let gateway = services.gateway();
    // A script's request carries a person's access token, or HTTP Basic
    // where a rule accepts it (elsewhere Basic is the app's own business);
    // a browser's, the pass.
    let bearer = extract::bearer(req).ok().flatten();
    let basic = header_value(req, "authorization")
        .and_then(crate::gateway::basic_credentials)
        .filter(|_| bearer.is_none() && gateway.rules.accepts_basic(&asked));
    let decided = match (&bearer, &basic) {
        (Some(token), _) => gateway.decide_bearer(&asked, token, &original.origin).await,
        (None, Some((username, password))) => {
            let client_ip = extract::client_ip(req);
            gateway
                .decide_basic(&services.gateway_basic(), &asked, (username, password), &client_ip)
                .await
        }
        (None, None) => {
            let pass = req.cookie(&pass_cookie_name(services)).map(|c| c.value().to_string());
            gateway.decide(&asked, pass.as_deref()).await
        }
    };
    let answer = match decided {
        Ok(answer) => answer,
        Err(e) => return pages::server_error_page(&e),
    };
    match answer.verdict {
        Verdict::Allow { .. } => allowed(services, &answer),
        // A token that does not do: RFC 6750, not a sign-in page.
        Verdict::SignIn { .. } if bearer.is_some() => HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                r#"Bearer error="invalid_token", error_description="not a live access token for this app""#,
            ))
            .finish(),
        // Wrong, throttled, or an account that signs in with more than a
        // password: the same answer for each (RFC 7617 §2).
        Verdict::SignIn { .. } if basic.is_some() => HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!(r#"Basic realm="{}", charset="UTF-8""#, original.host),
            ))
            .finish(),
        Verdict::SignIn { level, .. } => {
            let way_in = gateway.sign_in_url(&original.url, level);
            match family {
                Family::AuthRequest => HttpResponse::Unauthorized()
                    .insert_header(("X-Sesame-Sign-In", way_in))
                    .finish(),
                Family::ForwardAuth | Family::ExtAuthz => {
                    // After a POST the browser must come back with a GET.
                    let status = if matches!(original.method.as_str(), "GET" | "HEAD") {
                        StatusCode::FOUND
                    } else {
                        StatusCode::SEE_OTHER
                    };
                    HttpResponse::build(status)
                        .insert_header((header::LOCATION, way_in))
                        .finish()
                }
            }
        }
        Verdict::Deny { .. } => HttpResponse::Forbidden().body("access denied\n"),
    }
}

/// 200 with every identity header (empty when there is nothing to say).
fn allowed(services: &Services, answer: &Answer) -> HttpResponse {
    let names = &services.settings.gateway.headers;
    let identity = answer.identity.as_ref();
    let value = |text: Option<&str>| {
        // A header value cannot carry a line break; names and addresses
        // never hold one, but a header must never be split by one either.
        text.unwrap_or("").replace(['\r', '\n'], " ")
    };
    let groups = identity.map(|i| i.groups.join(","));
    HttpResponse::Ok()
        .insert_header((names.user.as_str(), value(identity.map(|i| i.username.as_str()))))
        .insert_header((names.email.as_str(), value(identity.and_then(|i| i.email.as_deref()))))
        .insert_header((names.name.as_str(), value(identity.and_then(|i| i.name.as_deref()))))
        .insert_header((names.groups.as_str(), value(groups.as_deref())))
        .insert_header((names.assertion.as_str(), value(answer.assertion.as_deref())))
        .finish()
}

/// `/gateway/forward-auth` (Caddy, Traefik): any method.
pub async fn forward_auth(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    decide(&req, &services, Family::ForwardAuth, "").await
}

/// `/gateway/auth-request` (nginx, HAProxy): any method.
pub async fn auth_request(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    decide(&req, &services, Family::AuthRequest, "").await
}

/// `/gateway/ext-authz/{tail}` (Envoy): the request's own method and path.
pub async fn ext_authz(req: HttpRequest, services: web::Data<Services>, tail: web::Path<String>) -> HttpResponse {
    decide(&req, &services, Family::ExtAuthz, &tail).await
}

/// Where the sign-in comes back to, between `/gateway/start` and the login
/// page: the validated target and the level, in a host-only cookie.
const RETURN_COOKIE: &str = "sesame_gateway_return";

/// The return cookie's value: the level and the URL, percent-encoded (a
/// URL may hold `;`, which would end a cookie).
fn saved(url: &str, level: Level) -> String {
    let level = if level == Level::TwoFactors { "2" } else { "1" };
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("level", level)
        .append_pair("rd", url)
        .finish()
}

/// `(rd, two factors wanted)` back from [`saved`].
fn unsaved(value: &str) -> Option<(String, bool)> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(value.as_bytes()).into_owned().collect();
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Some((get("rd")?, get("level").as_deref() == Some("2")))
}

fn return_cookie(value: String, https: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(cookies::name(RETURN_COOKIE, https), value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .finish();
    cookie.set_max_age(actix_web::cookie::time::Duration::minutes(30));
    cookie
}

/// `GET /gateway/start?rd=URL[&level=2]`: with a session (at the level), a
/// pass for the protected domain and back to `rd`; without, sign in first
/// and come back here.
pub async fn start(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if !services.settings.gateway.enabled {
        return pages::not_found(req.clone()).await;
    }
    let https = services.settings.issuer_is_https();
    let params = Params::parse(req.query_string()).unwrap_or_default();
    // A fresh start names its target; coming back from signing in, the cookie does.
    let (rd, level) = match params.get("rd") {
        Some(rd) => (rd.to_string(), params.get("level") == Some("2")),
        None => cookies::read(&req, RETURN_COOKIE, https)
            .and_then(|saved| unsaved(&saved))
            .unwrap_or_default(),
    };
    let gateway = services.gateway();
    let Some(target) = gateway.target(&rd) else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            &t("gateway-bad-target-title"),
            &t("gateway-bad-target"),
            None,
        );
    };
    let level = if level { Level::TwoFactors } else { Level::OneFactor };
    let accounts = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => accounts,
        Err(e) => return pages::server_error_page(&e),
    };
    let remember = |mut response: HttpResponse| {
        let _ = response.add_cookie(&return_cookie(saved(&target.url, level), https));
        response
    };
    let Some(live) = accounts.current().cloned() else {
        return remember(outcome::see_other("/login?next=/gateway/start"));
    };
    if Level::of_amr(&live.session.amr) < level {
        let has_factor = match services.second_factors().has_second_factor(live.session.user_id).await {
            Ok(has) => has,
            Err(e) => return pages::server_error_page(&e),
        };
        if !has_factor {
            return pages::error_page(
                StatusCode::FORBIDDEN,
                &t("gateway-needs-factor-title"),
                &t("gateway-needs-factor"),
                None,
            );
        }
        return remember(outcome::see_other("/account/confirm?next=/gateway/start"));
    }
    let token = match gateway.issue_pass(&live).await {
        Ok(Some(token)) => token,
        Ok(None) => return remember(outcome::see_other("/login?next=/gateway/start")),
        Err(e) => return pages::server_error_page(&e),
    };
    let pass = Cookie::build(pass_cookie_name(&services), token)
        .domain(target.domain.clone())
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .finish();
    let mut forget = return_cookie(String::new(), https);
    forget.make_removal();
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target.url))
        .finish();
    let _ = response.add_cookie(&pass);
    let _ = response.add_cookie(&forget);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_return_cookie_keeps_any_url_and_hosts_lose_their_ports() {
        for url in ["http://wiki.localhost/a;b?c=d&e=%20f", "https://x.example.com/ ,\"\\"] {
            let value = saved(url, Level::TwoFactors);
            assert!(!value.contains([';', ',', ' ', '"', '\\']), "{value}");
            assert_eq!(unsaved(&value), Some((url.to_string(), true)));
        }
        assert_eq!(unsaved("junk"), None);
        for (host, bare) in [
            ("Wiki.Example.com:8443", "wiki.example.com"),
            ("wiki.example.com", "wiki.example.com"),
            ("[::1]:8080", "[::1]"),
            ("[::1]", "[::1]"),
        ] {
            assert_eq!(bare_host(host), bare);
        }
    }
}
