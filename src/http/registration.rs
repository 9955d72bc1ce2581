//! `POST /register` (RFC 7591) and `GET|PUT|DELETE /register/{client_id}`
//! (RFC 7592): JSON in, JSON out.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{extract, respond};
use crate::admin;
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::registration;
use crate::startup::Services;

/// The bearer token (`Ok(None)` without one); RFC 6750 §3.1 `invalid_token`
/// for a malformed header.
fn bearer(req: &HttpRequest) -> Result<Option<String>, ProtocolError> {
    extract::bearer(req).map_err(|()| ProtocolError::invalid_token("the Authorization header must be Bearer <token>"))
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Errors as RFC 7591 §3.2.2 JSON; token problems as RFC 6750 challenges.
fn error(error: &ProtocolError) -> HttpResponse {
    if error.code == ErrorCode::InvalidToken {
        return respond::bearer_error(error);
    }
    respond::json_error(error)
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    response
}

pub async fn register(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    match register_inner(&req, &body, &services).await {
        Ok(response) => response,
        Err(e) => error(&e),
    }
}

async fn register_inner(req: &HttpRequest, body: &[u8], services: &Services) -> Result<HttpResponse, ProtocolError> {
    let token = registration::check_initial_access(&services.registration_api(), bearer(req)?.as_deref()).await?;
    if let Some(wait) = registration::rate_limited(&services.registration_api(), &extract::client_ip(req)).await? {
        crate::observability::rate_limited("register");
        return Ok(respond::too_many_requests(wait));
    }
    if !is_json(req) {
        return Err(ProtocolError::invalid_request("the body must be application/json"));
    }
    let metadata = registration::parse_metadata(body)?;
    let created = admin::registration::register(
        &services.client_admin(),
        &*services.registration_tokens,
        token.as_deref(),
        metadata,
    )
    .await?;
    let body = registration::registration_response(
        &services.registration_api(),
        &created.client,
        created.secret.as_deref(),
        created.registration_token.as_deref(),
    );
    Ok(no_store(HttpResponse::Created().json(body)))
}

async fn managed_client(
    req: &HttpRequest,
    services: &Services,
    client_id: &str,
) -> Result<crate::domain::Client, ProtocolError> {
    registration::authenticate_registration(&services.registration_api(), client_id, bearer(req)?.as_deref()).await
}

pub async fn read(req: HttpRequest, path: web::Path<String>, services: web::Data<Services>) -> HttpResponse {
    match managed_client(&req, &services, &path).await {
        Ok(client) => {
            let mut body = registration::metadata_json(&client);
            body["registration_client_uri"] = serde_json::json!(
                services
                    .registration_api()
                    .registration_client_uri(client.client_id.as_str())
            );
            no_store(HttpResponse::Ok().json(body))
        }
        Err(e) => error(&e),
    }
}

pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let result = async {
        let client = managed_client(&req, &services, &path).await?;
        if !is_json(&req) {
            return Err(ProtocolError::invalid_request("the body must be application/json"));
        }
        let metadata = registration::update_request(&client, &body)?;
        admin::registration::replace(&services.client_admin(), &client, metadata).await
    }
    .await;
    match result {
        Ok(updated) => {
            let body = registration::registration_response(
                &services.registration_api(),
                &updated.client,
                updated.secret.as_deref(),
                None,
            );
            no_store(HttpResponse::Ok().json(body))
        }
        Err(e) => error(&e),
    }
}

pub async fn delete(req: HttpRequest, path: web::Path<String>, services: web::Data<Services>) -> HttpResponse {
    let result = async {
        let client = managed_client(&req, &services, &path).await?;
        admin::registration::delete(&services.client_admin(), &client).await
    }
    .await;
    match result {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => error(&e),
    }
}
