//! Writing audit events: to SQL (the `audit_events` table) and to the log
//! (target `audit`). A failure to store one is logged and does not fail the
//! request it describes.

use crate::domain::AuditEvent;
use crate::store::AuditLog;

pub async fn record(log: &dyn AuditLog, event: AuditEvent) {
    tracing::info!(
        target: "audit",
        event = %event.event,
        user = ?event.user_id,
        client = ?event.client_id,
        session = ?event.session,
        client_ip = ?event.client_ip,
        detail = ?event.detail,
        "audit"
    );
    if let Err(e) = log.record(&event).await {
        tracing::error!(error = %e, "audit event could not be stored");
    }
}
