//! Delivering back-channel logout notices from the outbox: claimed so that
//! several nodes never send one twice, POSTed with a timeout and a fresh
//! token per attempt, retried with exponential backoff and jitter until the
//! app takes it or the notice is no longer meaningful.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use crate::domain::LogoutDelivery;
use crate::oidc::logout_token;
use crate::outbound::AddressPolicy;
use crate::services::Services;
use crate::store::StoreError;

/// Notices claimed per pass.
const BATCH: i64 = 32;

/// Sends every notice that is due; returns how many were attempted.
pub async fn deliver_due(services: &Services) -> Result<usize, StoreError> {
    let now = services.clock.now();
    // Held long enough for one attempt's timeout, then free for another node.
    let lease = services.settings.outbound.timeout_secs as i64 * 2 + 5;
    let due = services.outbox.claim_due(now, lease, BATCH).await?;
    let attempts = due.iter().map(|delivery| attempt(services, delivery));
    let results = futures_util::future::join_all(attempts).await;
    for result in &results {
        if let Err(e) = result {
            tracing::error!(error = %e, "recording a logout delivery failed");
        }
    }
    Ok(due.len())
}

async fn attempt(services: &Services, delivery: &LogoutDelivery) -> Result<(), StoreError> {
    let outcome = send(services, delivery).await;
    let now = services.clock.now();
    match outcome {
        Ok(()) => {
            services.outbox.record_delivered(delivery.id, now).await?;
            crate::observability::logout_delivery("delivered");
            tracing::info!(client = %delivery.client_id, delivery = %delivery.id, "back-channel logout delivered");
        }
        Err(error) => {
            let retry_at = now + backoff(services, delivery.attempts);
            let retry = (retry_at < delivery.give_up_at).then_some(retry_at);
            services.outbox.record_failure(delivery.id, &error, retry).await?;
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

/// base × 2^attempts, at most max, ±20% so that retries of many notices spread out.
fn backoff(services: &Services, attempts: i64) -> i64 {
    let settings = &services.settings.logout;
    let exponent = attempts.clamp(0, 30) as u32;
    let delay = settings
        .backoff_base_secs
        .saturating_mul(1u64 << exponent)
        .min(settings.backoff_max_secs.max(1)) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    (delay * jitter).round().max(1.0) as i64
}

async fn send(services: &Services, delivery: &LogoutDelivery) -> Result<(), String> {
    AddressPolicy::from_settings(&services.settings.outbound).check_url(&delivery.uri)?;
    let client = services
        .clients
        .find_client(&delivery.client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the client no longer exists")?;
    let token = logout_token::sign(
        services,
        &client.client_id,
        &delivery.subject,
        delivery.sid.as_deref(),
        client.id_token_alg,
    )
    .map_err(|e| e.to_string())?;
    let response = services
        .outbound
        .post(&delivery.uri)
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

/// The delivery worker of this node.
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Lets the pass in progress finish (its attempts are recorded, so no
    /// notice waits for a lease to expire), then ends the worker.
    pub async fn shut_down(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Runs [`deliver_due`] every `logout.poll_secs` until shut down.
pub fn spawn(services: Arc<Services>) -> Worker {
    let every = Duration::from_secs(services.settings.logout.poll_secs);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.changed() => return,
            }
            if let Err(e) = deliver_due(&services).await {
                tracing::error!(error = %e, "logout delivery pass failed; retrying");
            }
            if *stopped.borrow() {
                return;
            }
        }
    });
    Worker { stop, task }
}
