use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::services::Services;

/// The process is up.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The process can serve: its database and ephemeral store answer.
pub async fn ready(services: web::Data<Services>) -> HttpResponse {
    let mut checks = serde_json::Map::new();
    let mut ready = true;
    for (name, check) in &services.health {
        let ok = match check.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(dependency = name, error = %e, "readiness check failed");
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
