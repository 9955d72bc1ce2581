use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::Services;

/// The process is up.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// How long one dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The process can serve: its database and ephemeral store answer, in time.
pub async fn ready(services: web::Data<Services>) -> HttpResponse {
    if services.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return HttpResponse::ServiceUnavailable().json(json!({ "status": "draining" }));
    }
    let mut checks = serde_json::Map::new();
    let mut ready = true;
    let pings = services
        .health
        .iter()
        .map(|(name, check)| async move { (*name, tokio::time::timeout(CHECK_TIMEOUT, check.ping()).await) });
    for (name, outcome) in futures_util::future::join_all(pings).await {
        let ok = match outcome {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(dependency = name, error = %e, "readiness check failed");
                false
            }
            Err(_) => {
                tracing::warn!(dependency = name, "readiness check timed out");
                false
            }
        };
        ready &= ok;
        checks.insert(name.to_string(), json!(if ok { "ok" } else { "unavailable" }));
    }
    let body = json!({ "status": if ready { "ready" } else { "unready" }, "checks": checks });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
