//! Mail to people. A use case queues a [`Message`] in the durable outbox
//! (SQL, shared by every node) as part of what it does; each node's worker
//! ([`worker`]) claims what is due, sends it over SMTP ([`transport`]) and
//! records the outcome, retrying with backoff. The body waits encrypted with
//! the key-encryption key (a reset link is a credential) and is erased once
//! sent or given up. What the messages say is in [`messages`].

pub mod messages;
pub mod notices;
pub mod transport;
pub mod worker;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::MailSettings;
use crate::domain::{DeliveryStatus, QueuedMail};
use crate::keys::KekRing;
use crate::store::{MailOutbox, StoreError};

/// A message to one person.
pub struct Message {
    pub to: String,
    /// What it is, for the operator's list and the metrics.
    pub kind: &'static str,
    pub subject: String,
    pub body: Body,
}

/// The two renderings of a message, sealed together while it waits.
#[derive(Serialize, Deserialize)]
pub struct Body {
    pub text: String,
    pub html: String,
}

/// Queuing messages.
pub struct Outbox<'a> {
    pub store: &'a dyn MailOutbox,
    pub kek: &'a KekRing,
    pub clock: &'a dyn Clock,
    pub settings: &'a MailSettings,
}

impl Outbox<'_> {
    /// Queues `message`; the worker of some node sends it within a poll.
    pub async fn queue(&self, message: Message) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let plaintext = serde_json::to_vec(&message.body).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let sealed = self
            .kek
            .encrypt(&id.to_string(), &plaintext)
            .map_err(|e| StoreError::Backend(e.to_string().into()))?;
        let now = self.clock.now();
        let mail = QueuedMail {
            id,
            recipient: message.to,
            kind: message.kind.to_string(),
            subject: message.subject,
            sealed_body: Some(sealed),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            next_attempt_at: now,
            give_up_at: now.saturating_add(self.settings.give_up_after_secs as i64),
            last_error: None,
            sent_at: None,
        };
        self.store.enqueue_mail(&mail).await?;
        crate::observability::mail(message.kind, "queued");
        Ok(id)
    }
}

/// Opens a queued message's body.
pub fn open_body(kek: &KekRing, mail: &QueuedMail) -> Result<Body, String> {
    let (kek_id, sealed) = mail.sealed_body.as_ref().ok_or("the body was erased")?;
    let plaintext = kek
        .decrypt(kek_id, &mail.id.to_string(), sealed)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&plaintext).map_err(|e| e.to_string())
}
