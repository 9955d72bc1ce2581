//! Fetching a document an app registered (its `jwks_uri`) with hard limits,
//! since an unauthenticated `/token` request can make Sesame fetch it:
//!
//! - a `Content-Length` over the limit is refused before the body is read,
//!   and the body is read in chunks only up to the limit;
//! - one fetch per URL at a time on a node: concurrent callers wait for it
//!   and share its outcome;
//! - outcomes are kept: a document for `cache_secs`, a failure for
//!   [`FAILURE_CACHE_SECS`], so a broken or hostile URL is not fetched again
//!   for every request that names it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::AddressPolicy;
use crate::clock::SharedClock;

/// How long a failed fetch is answered from memory.
pub const FAILURE_CACHE_SECS: i64 = 30;
/// Outcomes kept per node; past this the expired ones go, then the oldest.
const MAX_CACHED: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(String),
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Transport(String),
}

#[derive(Clone)]
struct Outcome {
    result: Result<Arc<Vec<u8>>, FetchError>,
    until: i64,
}

pub struct Fetcher {
    client: reqwest::Client,
    policy: AddressPolicy,
    clock: SharedClock,
    outcomes: Mutex<HashMap<String, Outcome>>,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Fetcher {
    pub fn new(client: reqwest::Client, policy: AddressPolicy, clock: SharedClock) -> Fetcher {
        Fetcher {
            client,
            policy,
            clock,
            outcomes: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The document at `url`, at most `max_bytes`, fetched at most once per
    /// `cache_secs` on this node.
    pub async fn get(&self, url: &str, max_bytes: usize, cache_secs: i64) -> Result<Arc<Vec<u8>>, FetchError> {
        if let Some(known) = self.known(url) {
            return known;
        }
        let gate = self.gate(url);
        let outcome = {
            let _turn = gate.lock().await;
            // Whoever held the gate before has just stored its outcome.
            match self.known(url) {
                Some(known) => known,
                None => {
                    let result = self.fetch(url, max_bytes).await.map(Arc::new);
                    let keep = if result.is_ok() { cache_secs } else { FAILURE_CACHE_SECS };
                    self.remember(url, &result, keep);
                    result
                }
            }
        };
        self.release(url, gate);
        outcome
    }

    fn known(&self, url: &str) -> Option<Result<Arc<Vec<u8>>, FetchError>> {
        let now = self.clock.now();
        let outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        outcomes.get(url).filter(|o| o.until > now).map(|o| o.result.clone())
    }

    fn remember(&self, url: &str, result: &Result<Arc<Vec<u8>>, FetchError>, keep_secs: i64) {
        let now = self.clock.now();
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        if outcomes.len() >= MAX_CACHED {
            outcomes.retain(|_, o| o.until > now);
        }
        if outcomes.len() >= MAX_CACHED
            && let Some(oldest) = outcomes.iter().min_by_key(|(_, o)| o.until).map(|(k, _)| k.clone())
        {
            outcomes.remove(&oldest);
        }
        outcomes.insert(
            url.to_string(),
            Outcome {
                result: result.clone(),
                until: now + keep_secs,
            },
        );
    }

    /// The gate one fetch of `url` holds at a time.
    fn gate(&self, url: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.entry(url.to_string()).or_default().clone()
    }

    /// Drops the gate once nobody else waits at it.
    fn release(&self, url: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and ours: nobody else is waiting.
        if Arc::strong_count(&gate) <= 2 {
            in_flight.remove(url);
        }
    }

    async fn fetch(&self, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        self.policy.check_url(url).map_err(FetchError::Refused)?;
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::Transport(super::error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > max_bytes as u64)
        {
            return Err(FetchError::TooLarge(max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::Transport(super::error_chain(&e)))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
