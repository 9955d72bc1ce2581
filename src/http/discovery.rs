use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::startup::Services;

/// The discovery document, serialised once at start.
pub struct DiscoveryDocument(pub Vec<u8>);

pub async fn configuration(document: web::Data<DiscoveryDocument>, services: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", services.settings.keys.jwks_max_age_secs),
        ))
        .body(document.0.clone())
}

/// The JWKS. Its max-age is the one the key schedule counts on: a new key is
/// published at least `max-age + margin` before it signs. `If-None-Match`
/// with the current ETag is answered 304.
pub async fn jwks(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let keys = services.keys.current();
    let (body, etag) = keys.jwks();
    published_keys(&req, &services, body, etag, "application/jwk-set+json")
}

/// `/gateway/keys`: the public PASETO keys that sign the gateway's identity
/// assertions, as PASERK, under the same caching and pre-publication rules
/// as the JWKS. Only while the gateway signs assertions.
pub async fn gateway_keys(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if !(services.settings.gateway.enabled && services.settings.gateway.assertion) {
        return super::pages::not_found(req).await;
    }
    let keys = services.keys.current();
    let (body, etag) = keys.paserks();
    published_keys(&req, &services, body, etag, "application/json")
}

fn published_keys(req: &HttpRequest, services: &Services, body: &[u8], etag: &str, content_type: &str) -> HttpResponse {
    let cache = format!("public, max-age={}", services.settings.keys.jwks_max_age_secs);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag.to_string()));
    if unchanged {
        return response.finish();
    }
    response.content_type(content_type.to_string()).body(body.to_vec())
}
