//! Security headers on every response, and the same-origin check for
//! state-changing form posts.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// The Content-Security-Policy of every page: nothing inline, nothing from
/// elsewhere but the images apps registered as their logos (over https),
/// never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https:; script-src 'self'; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The same policy, also letting the page frame exactly these origins (the
/// signed-out page's front-channel logout frames).
pub fn policy_with_frames(origins: &[String]) -> String {
    if origins.is_empty() {
        return CONTENT_SECURITY_POLICY.to_string();
    }
    format!("{CONTENT_SECURITY_POLICY}; frame-src {}", origins.join(" "))
}

/// Added to every response that does not set its own. `Cache-Control:
/// no-store` is the default; only static files, discovery and JWKS opt into caching.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        // Pages here carry codes and request ids in their URLs.
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Refuses a form post sent by another site (`Origin` not the issuer's, or
/// `Sec-Fetch-Site` other than same-origin or none). Requests without these
/// headers (non-browser clients) rely on the CSRF token alone. Under
/// `Referrer-Policy: no-referrer` browsers send `Origin: null` even for our
/// own forms, so `null` says nothing and `Sec-Fetch-Site` decides.
pub fn is_same_origin_post(req: &HttpRequest, issuer: &str) -> bool {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match header("origin") {
        None | Some("null") => true,
        Some(origin) => issuer_origin(issuer).is_some_and(|o| o == origin),
    }
}

fn issuer_origin(issuer: &str) -> Option<String> {
    let url = url::Url::parse(issuer).ok()?;
    Some(url.origin().ascii_serialization())
}
