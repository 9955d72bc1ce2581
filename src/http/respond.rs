//! Every way a protocol result leaves the server, rendered in one place.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use super::views::{ErrorPage, FormPostPage, render};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::authorize::{ResponseMode, ResponseTarget};

/// Seconds a client should wait when a dependency is down.
const RETRY_AFTER_UNAVAILABLE: &str = "5";

fn status(error: &ProtocolError) -> StatusCode {
    if error.retry_after.is_some() {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// RFC 6749 §5.2: a JSON error body; `invalid_client` is 401 with a
/// `WWW-Authenticate` challenge for the scheme the client may use.
pub fn json_error(error: &ProtocolError) -> HttpResponse {
    let mut response = HttpResponse::build(status(error));
    if error.code == ErrorCode::InvalidClient {
        response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="sesame""#));
    }
    if error.code == ErrorCode::TemporarilyUnavailable {
        response.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE));
    }
    if let Some(wait) = error.retry_after {
        response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
    }
    response.insert_header((header::PRAGMA, "no-cache")).json(error)
}

/// 429 with `Retry-After`: a rate limit was reached.
pub fn too_many_requests(wait: std::time::Duration) -> HttpResponse {
    json_error(&ProtocolError::too_many_requests(wait))
}

/// RFC 6750 §3: a Bearer challenge with the error, on 401/403/400.
pub fn bearer_error(error: &ProtocolError) -> HttpResponse {
    let challenge = format!(
        r#"Bearer realm="sesame", error="{}", error_description="{}""#,
        error.code.as_str(),
        error.description.replace(['"', '\\'], "'")
    );
    HttpResponse::build(status(error))
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .json(error)
}

/// A page explaining an error that cannot be sent to an application.
pub fn error_page(status: StatusCode, title: &str, message: &str, detail: Option<&str>) -> HttpResponse {
    render(
        &ErrorPage {
            title,
            message,
            detail,
            back_to_app: None,
            request_id: crate::http::metrics::current_request_id(),
        },
        status,
    )
}

/// An authorization request the server cannot send back to any application.
pub fn authorize_error_page(error: &ProtocolError) -> HttpResponse {
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

/// The authorization response (RFC 6749 §4.1.2 / §4.1.2.1), with `state`
/// echoed and, per RFC 9207, `iss` on every response.
pub fn authorization_response(target: &ResponseTarget, issuer: &str, params: &[(&str, &str)]) -> HttpResponse {
    let mut fields: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = &target.state {
        fields.push(("state", state));
    }
    fields.push(("iss", issuer));
    match target.response_mode {
        ResponseMode::Query => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target.redirect_uri.with_query(&fields)))
            .finish(),
        ResponseMode::FormPost => render(
            &FormPostPage {
                action: target.redirect_uri.as_str(),
                fields: &fields,
            },
            StatusCode::OK,
        ),
    }
}

pub fn authorization_error(target: &ResponseTarget, issuer: &str, error: &ProtocolError) -> HttpResponse {
    authorization_response(
        target,
        issuer,
        &[
            ("error", error.code.as_str()),
            ("error_description", &error.description),
        ],
    )
}
