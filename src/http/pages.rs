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

/// Any path no route serves: a page for a browser, JSON for an API client
/// (whatever does not ask for HTML).
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return error_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address. Sign in from the application you were using, or go to your account.",
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
            "Sesame is briefly unavailable",
            "Sesame cannot reach its storage right now. Nothing you did was lost; please try again in a moment.",
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
            "Something went wrong",
            "Sesame could not handle this sign-in request right now. Please try again in a moment.",
            None,
        );
    }
    error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in request is not valid",
        "The application that sent you here made a request Sesame cannot accept, so you cannot be sent back to it safely.",
        Some(&format!("{}: {}", error.code.as_str(), error.description)),
    )
}

/// A sign-in that waited too long, or a link that was cut.
pub fn expired_page() -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "This sign-in page is no longer valid: it waited too long, or the link is incomplete.",
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
        title: "The form could not be accepted",
        message: "The form was not sent from this site's page, or your browser did not keep its cookie. \
                  Make sure cookies are allowed for this site, then try again.",
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
        title: "This sign-in is already complete",
        message: "The application already has its answer. Go back to it to carry on, or open your account page.",
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
