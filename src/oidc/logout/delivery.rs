//! Delivering back-channel logout notices from the outbox: claimed so that
//! several nodes never send one twice, POSTed with a short timeout and a
//! fresh token per attempt, retried with exponential backoff and jitter until
//! the app takes it or the notice is no longer meaningful.
//!
//! Fair to every app: at most `max_concurrent_per_client` attempts per app
//! are under way at once (across nodes), each app's first notice is claimed
//! before anyone's second, and a node's worker starts attempts as others
//! finish instead of waiting for a whole batch, so one slow or hanging app
//! delays only its own notices.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::token as logout_token;
use crate::clock::SharedClock;
use crate::config::{LogoutSettings, OutboundSettings};
use crate::domain::{LogoutDelivery, Sid};
use crate::keys::KeyRing;
use crate::oidc::signer::TokenSigner;
use crate::outbound::AddressPolicy;
use crate::store::{ClientRepository, LogoutOutbox, StoreError};

/// What delivering notices touches.
pub struct Delivery<'a> {
    pub outbox: &'a dyn LogoutOutbox,
    pub clients: &'a dyn ClientRepository,
    pub signer: TokenSigner<'a>,
    /// The outbound HTTP client (guarded against internal addresses).
    pub http: &'a reqwest::Client,
    pub addresses: AddressPolicy,
    pub settings: &'a LogoutSettings,
}

/// How long a claim holds: one attempt's timeout, twice, and a margin; then
/// the notice is free for another node (whose attempt may repeat this one's,
/// if it reached the app without an answer: delivery is at least once).
impl Delivery<'_> {
    fn lease_secs(&self) -> i64 {
        self.settings.delivery_timeout_secs as i64 * 2 + 5
    }

    /// Claims up to `limit` due notices, fairly across apps.
    async fn claim(&self, limit: usize) -> Result<Vec<LogoutDelivery>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let settings = self.settings;
        self.outbox
            .claim_due(
                self.signer.now(),
                self.lease_secs(),
                limit as i64,
                i64::from(settings.max_concurrent_per_client),
            )
            .await
    }

    /// Sends what is due now (a node's share, fairly) and waits for those
    /// attempts; returns how many were attempted. The worker does the same
    /// without waiting; tests and tools call this to move deliveries along.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let due = self.claim(self.settings.max_concurrent_deliveries as usize).await?;
        let attempts = due.iter().map(|delivery| self.attempt(delivery));
        for result in futures_util::future::join_all(attempts).await {
            if let Err(e) = result {
                tracing::error!(error = %e, "recording a logout delivery failed");
            }
        }
        Ok(due.len())
    }

    async fn attempt(&self, delivery: &LogoutDelivery) -> Result<(), StoreError> {
        let outcome = self.send(delivery).await;
        let now = self.signer.now();
        match outcome {
            Ok(()) => {
                self.outbox.record_delivered(delivery.id, now).await?;
                crate::observability::logout_delivery("delivered");
                tracing::info!(client = %delivery.client_id, delivery = %delivery.id, "back-channel logout delivered");
            }
            Err(error) => {
                let settings = self.settings;
                let retry_at = now
                    + crate::outbound::retry_delay(
                        settings.backoff_base_secs,
                        settings.backoff_max_secs,
                        delivery.attempts,
                    );
                let retry = (retry_at < delivery.give_up_at).then_some(retry_at);
                self.outbox.record_failure(delivery.id, &error, retry).await?;
                crate::observability::logout_delivery(if retry.is_some() { "retry" } else { "gave_up" });
                match retry {
                    Some(_) => {
                        tracing::warn!(client = %delivery.client_id, delivery = %delivery.id, %error, "back-channel logout failed; will retry")
                    }
                    None => {
                        tracing::error!(client = %delivery.client_id, delivery = %delivery.id, %error, "back-channel logout given up")
                    }
                }
            }
        }
        Ok(())
    }

    async fn send(&self, delivery: &LogoutDelivery) -> Result<(), String> {
        self.addresses.check_url(&delivery.uri)?;
        let client = self
            .clients
            .find_client(&delivery.client_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the client no longer exists")?;
        let token = logout_token::sign(
            &self.signer,
            self.settings.token_ttl_secs,
            &client.client_id,
            &delivery.subject,
            delivery.sid.as_ref().map(Sid::as_str),
            client.id_token_alg,
        )
        .map_err(|e| e.to_string())?;
        // The app's answer body is never read: only its status matters.
        let response = self
            .http
            .post(&delivery.uri)
            .timeout(Duration::from_secs(self.settings.delivery_timeout_secs))
            .form(&[("logout_token", token)])
            .send()
            .await
            .map_err(|e| crate::outbound::error_chain(&e))?;
        // Back-Channel Logout 1.0 §2.8: 200 (or 204) when the logout succeeded.
        match response.status().as_u16() {
            200 | 204 => Ok(()),
            status => Err(format!("the app answered HTTP {status}")),
        }
    }
}

/// What a node's worker owns for as long as it runs.
pub struct Courier {
    pub outbox: Arc<dyn LogoutOutbox>,
    pub clients: Arc<dyn ClientRepository>,
    pub keys: Arc<KeyRing>,
    pub clock: SharedClock,
    pub issuer: String,
    pub http: reqwest::Client,
    pub outbound: OutboundSettings,
    pub settings: LogoutSettings,
}

impl Courier {
    pub fn delivery(&self) -> Delivery<'_> {
        Delivery {
            outbox: &*self.outbox,
            clients: &*self.clients,
            signer: TokenSigner {
                keys: &self.keys,
                clock: &*self.clock,
                issuer: &self.issuer,
            },
            http: &self.http,
            addresses: AddressPolicy::from_settings(&self.outbound),
            settings: &self.settings,
        }
    }
}

/// The delivery worker of this node.
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Stops claiming, lets the attempts under way finish (their outcome is
    /// recorded, so no notice waits for a lease to expire), then ends.
    pub async fn shut_down(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Every `logout.poll_secs`, claims as many due notices as this node has
/// room for (`max_concurrent_deliveries` less the attempts under way) and
/// starts each as a task of its own.
pub fn spawn(courier: Arc<Courier>) -> Worker {
    let every = Duration::from_secs(courier.settings.poll_secs);
    let capacity = courier.settings.max_concurrent_deliveries as usize;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut attempts: JoinSet<()> = JoinSet::new();
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.changed() => break,
            }
            while attempts.try_join_next().is_some() {}
            match courier.delivery().claim(capacity.saturating_sub(attempts.len())).await {
                Ok(due) => {
                    for delivery in due {
                        let courier = courier.clone();
                        attempts.spawn(async move {
                            if let Err(e) = courier.delivery().attempt(&delivery).await {
                                tracing::error!(error = %e, "recording a logout delivery failed");
                            }
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming logout deliveries failed; retrying"),
            }
            if *stopped.borrow() {
                break;
            }
        }
        while attempts.join_next().await.is_some() {}
    });
    Worker { stop, task }
}
