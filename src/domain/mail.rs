//! A message in the mail outbox. Its body (a reset link is a credential)
//! waits encrypted with the key-encryption key and is erased once the
//! message is sent or given up.

use serde::Serialize;
use uuid::Uuid;

use super::DeliveryStatus;

#[derive(Clone, Debug, Serialize)]
pub struct QueuedMail {
    pub id: Uuid,
    pub recipient: String,
    /// What the message is (`password_reset`, `password_changed`…).
    pub kind: String,
    pub subject: String,
    /// The encrypted body, with the id of the key-encryption key that
    /// sealed it; `None` once sent or given up.
    #[serde(skip)]
    pub sealed_body: Option<(String, Vec<u8>)>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub give_up_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}
