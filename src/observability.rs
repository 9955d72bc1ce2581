//! What operators watch: Prometheus metrics (recorded where things happen,
//! served on their own listener) and the request id that ties a log line, a
//! response header and an error page together.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::DeliveryStatus;
use crate::services::Services;

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
    let mut response = REQUEST_ID.scope(request_id.clone(), next.call(req)).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
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

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Whether metrics are being recorded (a metrics listener was configured).
fn recording() -> bool {
    RECORDER.get().is_some_and(Option::is_some)
}

/// Installs the process-wide recorder (once); `None` if another recorder
/// was installed first. Without it every `counter!` is a no-op.
pub fn install_recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// `GET /metrics` on the metrics listener: gauges read from storage at
/// scrape time, then every metric in the Prometheus text format.
pub async fn scrape(services: web::Data<Services>) -> HttpResponse {
    let Some(handle) = install_recorder() else {
        return HttpResponse::ServiceUnavailable().body("another metrics recorder is installed");
    };
    record_gauges(&services).await;
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

async fn record_gauges(services: &Services) {
    match services.outbox.count_by_status().await {
        Ok(counts) => {
            for status in [
                DeliveryStatus::Pending,
                DeliveryStatus::Delivered,
                DeliveryStatus::Failed,
            ] {
                let n = counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
                gauge!("sesame_logout_deliveries", "status" => status.as_str()).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: counting logout deliveries failed"),
    }
    match services.ephemeral.entry_count().await {
        Ok(Some(entries)) => gauge!("sesame_ephemeral_entries").set(entries as f64),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "metrics: counting ephemeral entries failed"),
    }
    let now = services.clock.now();
    for key in services.keys.current().describe(now) {
        if key.state == "active" {
            gauge!("sesame_signing_key_age_seconds", "alg" => key.alg.to_string())
                .set((now - key.activates_at).max(0) as f64);
        }
    }
}

/// A sign-in attempt: `succeeded`, `failed` or `throttled`.
pub fn login(outcome: &'static str) {
    counter!("sesame_logins_total", "outcome" => outcome).increment(1);
}

/// An account reached the alert level of failed sign-ins from elsewhere.
pub fn account_targeted() {
    counter!("sesame_accounts_targeted_total").increment(1);
}

/// Tokens issued at the token endpoint, by grant type.
pub fn tokens_issued(grant: &'static str) {
    counter!("sesame_tokens_issued_total", "grant" => grant).increment(1);
}

/// A refresh token presented again after it was used: its family is revoked.
pub fn refresh_reuse_detected() {
    counter!("sesame_refresh_reuse_detected_total").increment(1);
}

/// A back-channel logout attempt: `delivered`, `retry` or `gave_up`.
pub fn logout_delivery(outcome: &'static str) {
    counter!("sesame_logout_delivery_attempts_total", "outcome" => outcome).increment(1);
}

/// A request refused by a rate limit, by endpoint.
pub fn rate_limited(endpoint: &'static str) {
    counter!("sesame_rate_limited_total", "endpoint" => endpoint).increment(1);
}

/// Time spent hashing or verifying one password (argon2id).
pub fn password_hash_time(elapsed: Duration) {
    histogram!("sesame_password_hash_seconds").record(elapsed.as_secs_f64());
}
