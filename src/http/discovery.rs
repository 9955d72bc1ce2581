use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::services::Services;

/// The discovery document, serialised once at start.
pub struct DiscoveryDocument(pub Vec<u8>);

/// Cache lifetime of discovery and JWKS for relying apps.
const PUBLIC_CACHE: &str = "public, max-age=300";

pub async fn configuration(document: web::Data<DiscoveryDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .body(document.0.clone())
}

pub async fn jwks(services: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .body(services.keys.jwks_json().to_vec())
}
