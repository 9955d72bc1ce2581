//! Every way a protocol result leaves the server, rendered in one place.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use super::views::{FormPostPage, render};
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
    error.log();
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
    error.log();
    let challenge = format!(
        r#"Bearer realm="sesame", error="{}", error_description="{}""#,
        error.code.as_str(),
        error.description.replace(['"', '\\'], "'")
    );
    HttpResponse::build(status(error))
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .json(error)
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
    error.log();
    authorization_response(
        target,
        issuer,
        &[
            ("error", error.code.as_str()),
            ("error_description", &error.description),
        ],
    )
}
