//! Each node's mail worker: every `mail.poll_secs` it claims the messages
//! due (a lease keeps other nodes off them), sends each, and records the
//! outcome; a failure is retried with backoff until `give_up_after_secs`.
//! Delivery is at least once: a node that dies after the server took a
//! message but before recording it leaves it to be sent again once its
//! lease runs out (a duplicate, never a loss).

use std::sync::Arc;
use std::time::Duration;

use super::transport::Transport;
use crate::clock::SharedClock;
use crate::config::MailSettings;
use crate::domain::QueuedMail;
use crate::keys::KeyRing;
use crate::store::{MailOutbox, StoreError};

/// Messages one node sends at once.
const BATCH: i64 = 16;

/// What a node's worker owns for as long as it runs.
pub struct Postman {
    pub outbox: Arc<dyn MailOutbox>,
    pub keys: Arc<KeyRing>,
    pub clock: SharedClock,
    pub transport: Arc<Transport>,
    pub settings: MailSettings,
}

impl Postman {
    /// A claim outlasts one attempt's timeout with a margin.
    fn lease_secs(&self) -> i64 {
        self.settings.timeout_secs as i64 * 2 + 10
    }

    /// Sends what is due now and records each outcome; how many were tried.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let due = self
            .outbox
            .claim_due_mail(self.clock.now(), self.lease_secs(), BATCH)
            .await?;
        let attempts = due.iter().map(|mail| self.attempt(mail));
        for result in futures_util::future::join_all(attempts).await {
            if let Err(e) = result {
                tracing::error!(error = %e, "recording a mail's outcome failed");
            }
        }
        Ok(due.len())
    }

    async fn attempt(&self, mail: &QueuedMail) -> Result<(), StoreError> {
        let outcome = match super::open_body(self.keys.kek(), mail) {
            Ok(body) => self.transport.send(&mail.recipient, &mail.subject, body).await,
            Err(e) => Err(format!("the message cannot be opened: {e}")),
        };
        let now = self.clock.now();
        match outcome {
            Ok(()) => {
                self.outbox.record_mail_sent(mail.id, now).await?;
                crate::observability::mail(&mail.kind, "sent");
                tracing::info!(mail = %mail.id, kind = %mail.kind, "mail sent");
            }
            Err(error) => {
                let settings = &self.settings;
                let retry_at = now
                    + crate::outbound::retry_delay(
                        settings.backoff_base_secs,
                        settings.backoff_max_secs,
                        mail.attempts,
                    );
                let retry = (retry_at < mail.give_up_at).then_some(retry_at);
                self.outbox.record_mail_failure(mail.id, &error, retry).await?;
                match retry {
                    Some(_) => {
                        crate::observability::mail(&mail.kind, "retry");
                        tracing::warn!(mail = %mail.id, kind = %mail.kind, %error, "mail not sent; will retry");
                    }
                    None => {
                        crate::observability::mail(&mail.kind, "gave_up");
                        tracing::error!(mail = %mail.id, kind = %mail.kind, %error, "mail given up");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The mail worker of this node.
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Stops claiming and lets the attempts under way finish and be recorded.
    pub async fn shut_down(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

pub fn spawn(postman: Arc<Postman>) -> Worker {
    let every = Duration::from_secs(postman.settings.poll_secs.max(1));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.changed() => break,
            }
            if let Err(e) = postman.send_due().await {
                tracing::error!(error = %e, "claiming mail failed; retrying");
            }
        }
    });
    Worker { stop, task }
}
