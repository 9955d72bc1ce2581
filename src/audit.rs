//! Writing audit events: to SQL (the `audit_events` table) and to the log
//! (target `audit`). A failure to store one is logged and does not fail the
//! request it describes.

use crate::domain::AuditEvent;
use crate::store::AuditLog;

pub async fn record(log: &dyn AuditLog, event: AuditEvent) {
    // Typed for collectors: an absent field is left out, never `None`.
    let user = event.user_id.map(|id| id.to_string());
    tracing::info!(
        target: "audit",
        event = %event.event,
        user = user.as_deref(),
        client = event.client_id.as_deref(),
        session = event.session.as_deref(),
        client_ip = event.client_ip.as_deref(),
        detail = event.detail.as_deref(),
        "audit"
    );
    if let Err(e) = log.record(&event).await {
        tracing::error!(error = %e, "audit event could not be stored");
    }
}
