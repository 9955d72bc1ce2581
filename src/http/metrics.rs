//! Serving what operators watch: the middleware that gives every request an
//! id (in its log lines, its `X-Request-Id` header and its error page),
//! writes its access line and counts and times it per route, and
//! `GET /metrics` on the metrics listener.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use metrics::{counter, histogram};

use crate::observability::recording;
use crate::startup::Services;

tokio::task_local! {
    static REQUEST_ID: Option<String>;
}

/// The id of the request being served (also in its log lines and its
/// `X-Request-Id` header), for error pages people can quote.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware inside `TracingLogger` (which makes the id): exposes the
/// request id to the handler and the client, and counts and times the
/// request per route pattern (bounded labels: never the raw path).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    // Labels cost a second walk of the route table: only when recording.
    let labels = recording().then(|| {
        let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
        (route, req.method().as_str().to_string())
    });
    let access_log = req
        .app_data::<web::Data<Services>>()
        .is_some_and(|services| services.settings.http.access_log);
    let mut response = REQUEST_ID.scope(request_id.clone(), next.call(req)).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if access_log {
        // Inside the request's span: method, route, path (never the query),
        // client address and request id come with it.
        tracing::info!(
            target: "access",
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
    let Some((route, method)) = labels else {
        return Ok(response);
    };
    let status = response.status().as_u16().to_string();
    counter!("sesame_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!("sesame_http_request_duration_seconds", "route" => route).record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// `GET /metrics` on the metrics listener: gauges read from storage at
/// scrape time, then every metric in the Prometheus text format.
pub async fn scrape(services: web::Data<Services>) -> HttpResponse {
    let now = services.clock.now();
    crate::observability::record_gauges(&*services.outbox, &*services.ephemeral, &services.keys, now).await;
    crate::observability::record_mail_gauges(&*services.mail).await;
    match crate::observability::render() {
        Some(text) => HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text),
        None => HttpResponse::ServiceUnavailable().body("another metrics recorder is installed"),
    }
}
