use serde::Serialize;
use uuid::Uuid;

use super::{ClientId, SessionHandle};

/// A security-relevant event. Session ids appear only as digests; no
/// password, token or secret is ever put here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: i64,
    pub event: String,
    pub user_id: Option<Uuid>,
    pub client_id: Option<String>,
    /// The session's digest (its handle), never the cookie value.
    pub session: Option<String>,
    pub client_ip: Option<String>,
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(event: &str, at: i64) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            at,
            event: event.to_string(),
            user_id: None,
            client_id: None,
            session: None,
            client_ip: None,
            detail: None,
        }
    }
    pub fn user(mut self, user_id: Uuid) -> Self {
        self.user_id = Some(user_id);
        self
    }
    pub fn client(mut self, client_id: &ClientId) -> Self {
        self.client_id = Some(client_id.to_string());
        self
    }
    pub fn session(mut self, handle: &SessionHandle) -> Self {
        self.session = Some(handle.to_string());
        self
    }
    pub fn ip(mut self, client_ip: &str) -> Self {
        self.client_ip = Some(client_ip.to_string());
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}
