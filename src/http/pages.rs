//! Sesame's own error pages, for people (protocol errors for apps are
//! `respond`): a request that cannot be sent back to an app, an expired or
//! already answered sign-in, a refused form, a failure inside Sesame.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use super::views::{ErrorPage, render};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::authorize::{Parked, ParkedRequest};
use crate::startup::Services;

/// Seconds a client should wait when a dependency is down.
const RETRY_AFTER_UNAVAILABLE: &str = "5";

/// A page explaining an error that cannot be sent to an application.
pub fn error_page(status: StatusCode, title: &str, message: &str, detail: Option<&str>) -> HttpResponse {
    render(
        &ErrorPage {
            title,
            message,
            detail,
            back_to_app: None,
            request_id: super::metrics::current_request_id(),
        },
        status,
    )
}

/// `GET /`: what this service is, and the ways in.
pub async fn home(services: actix_web::web::Data<Services>) -> HttpResponse {
    let settings = &services.settings;
    render(
        &super::views::HomePage {
            service: settings.service_name(),
            issuer: &settings.issuer,
            signup: settings.signup.mode == crate::config::SignupMode::Open,
        },
        StatusCode::OK,
    )
}

/// Whether the client reads pages (a browser) rather than JSON.
fn wants_html(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A path served, asked with a method it does not serve (RFC 9110 15.5.6:
/// the answer names the methods it does, in `Allow`).
pub fn method_not_allowed(req: &actix_web::HttpRequest, methods: &[&str]) -> HttpResponse {
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = if wants_html(req) {
        error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            &crate::ui::t("error-method-title"),
            &crate::ui::t("error-method"),
            None,
        )
    } else {
        HttpResponse::MethodNotAllowed().json(serde_json::json!({
            "error": "method_not_allowed",
            "error_description": format!("this endpoint answers {allow}"),
        }))
    };
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Any path no route serves: a page for a browser, JSON for an API client
/// (whatever does not ask for HTML).
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    if wants_html(&req) {
        return error_page(
            StatusCode::NOT_FOUND,
            &crate::ui::t("error-not-found-title"),
            &crate::ui::t("error-not-found"),
            None,
        );
    }
    HttpResponse::NotFound().json(serde_json::json!({
        "error": "not_found",
        "error_description": "no such endpoint",
    }))
}

/// An authorization request the server cannot send back to any application.
pub fn authorize_error_page(error: &ProtocolError) -> HttpResponse {
    error.log();
    if error.code == ErrorCode::TemporarilyUnavailable {
        let mut page = error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            &crate::ui::t("error-unavailable-title"),
            &crate::ui::t("error-unavailable"),
            None,
        );
        page.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static(RETRY_AFTER_UNAVAILABLE),
        );
        return page;
    }
    if error.code == ErrorCode::ServerError {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &crate::ui::t("error-server-title"),
            &crate::ui::t("error-sign-in-server"),
            None,
        );
    }
    error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("error-invalid-request-title"),
        &crate::ui::t("error-invalid-request"),
        Some(&format!("{}: {}", error.code.as_str(), error.description)),
    )
}

/// A sign-in that waited too long, or a link that was cut.
pub fn expired_page() -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("error-expired-title"),
        &crate::ui::t("error-expired"),
        None,
    )
}

/// The page for a form that failed its CSRF check. When it named an
/// authorization request, it offers the way back to the app (through
/// `/authorize/cancel`, which only ever redirects to a validated URI).
pub fn forbidden_page(request_id: Option<&str>) -> HttpResponse {
    let back = request_id.filter(|id| !id.is_empty()).map(|id| {
        format!(
            "/authorize/cancel?req={}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        )
    });
    let page = ErrorPage {
        title: &crate::ui::t("error-form-title"),
        message: &crate::ui::t("error-form"),
        detail: None,
        back_to_app: back.as_deref(),
        request_id: super::metrics::current_request_id(),
    };
    render(&page, StatusCode::FORBIDDEN)
}

/// The page for a failure inside Sesame: 503 when a dependency is
/// unreachable (it passes), 500 otherwise. The cause is logged, not shown.
pub fn server_error_page<E: std::fmt::Display + crate::error::Availability + ?Sized>(cause: &E) -> HttpResponse {
    let error = if cause.is_unavailable() {
        ProtocolError::unavailable(&cause)
    } else {
        ProtocolError::server_error(&cause)
    };
    authorize_error_page(&error)
}

/// The page for a sign-in the app already has its answer to (a form sent
/// twice, a page reloaded after it went through).
pub fn answered_page() -> HttpResponse {
    let page = ErrorPage {
        title: &crate::ui::t("error-answered-title"),
        message: &crate::ui::t("error-answered"),
        detail: None,
        back_to_app: None,
        request_id: super::metrics::current_request_id(),
    };
    render(&page, StatusCode::BAD_REQUEST)
}

/// The parked request `req` names and still waits for its answer, or the
/// page to show instead.
pub async fn waiting_request(services: &Services, request_id: &str) -> Result<ParkedRequest, HttpResponse> {
    match services.parking().load(request_id).await {
        Ok(Parked::Waiting(parked)) => Ok(*parked),
        Ok(Parked::Answered) => Err(answered_page()),
        Ok(Parked::Unknown) => Err(expired_page()),
        Err(e) => Err(server_error_page(&e)),
    }
}
