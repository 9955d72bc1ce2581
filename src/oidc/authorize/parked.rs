//! A validated authorization request travels with the browser while the
//! person signs in, sealed (see [`crate::keys::Sealer`]): the login, chooser
//! and consent pages carry it as their `req` value. Nothing is stored for a
//! request until someone acts on it, so a flood of anonymous `/authorize`
//! requests costs no memory, on one node or many. Once answered (a code, an
//! error, a cancel) it is marked complete, and it is answered exactly once:
//! a form sent again, or a page reloaded, finds it answered.

use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;
use std::time::Duration;

use crate::clock::Clock;
use crate::keys::{KeyError, Purpose, Sealer};
use crate::store::StoreError;
use crate::store::records::Completions;

/// Seconds per sealing epoch: each hour's requests are sealed under a key of
/// their own.
const EPOCH_SECS: i64 = 3600;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParkedRequest {
    pub request: AuthorizationRequest,
    pub expires_at: i64,
}

/// What a `req` value names.
#[derive(Debug)]
pub enum Parked {
    /// A live request, still to be answered.
    Waiting(Box<ParkedRequest>),
    /// A request already answered (the app has its code or error).
    Answered,
    /// Nothing live: expired, altered, made up, sealed under another KEK.
    Unknown,
}

/// Seals, opens and completes parked requests; `ttl_secs` is
/// `authorize.request_ttl_secs`.
pub struct Parking<'a> {
    pub sealer: &'a Sealer,
    pub completions: Completions<'a>,
    pub clock: &'a dyn Clock,
    pub ttl_secs: u64,
}

impl Parking<'_> {
    fn epoch(at: i64) -> u64 {
        at.div_euclid(EPOCH_SECS).max(0) as u64
    }

    /// The value the pages carry for this request.
    pub fn park(&self, request: &AuthorizationRequest) -> Result<String, KeyError> {
        let now = self.clock.now();
        let parked = ParkedRequest {
            request: request.clone(),
            expires_at: now.saturating_add(self.ttl_secs as i64),
        };
        let plaintext = serde_json::to_vec(&parked).map_err(|e| KeyError::Sign(e.to_string()))?;
        self.sealer
            .seal(Purpose::AuthorizationRequest, Self::epoch(now), &plaintext)
    }

    /// What `handle` names.
    pub async fn load(&self, handle: &str) -> Result<Parked, StoreError> {
        let Some(parked) = self.open(handle) else {
            return Ok(Parked::Unknown);
        };
        if self.completions.is_complete(handle).await? {
            return Ok(Parked::Answered);
        }
        Ok(Parked::Waiting(Box::new(parked)))
    }

    /// Marks the request answered; `false` when it already was (of
    /// concurrent answers, exactly one gets `true` and may be sent).
    pub async fn complete(&self, handle: &str) -> Result<bool, StoreError> {
        self.completions
            .complete(handle, Duration::from_secs(self.ttl_secs.max(1)))
            .await
    }

    /// The request `handle` carries, while it has not expired.
    fn open(&self, handle: &str) -> Option<ParkedRequest> {
        let now = self.clock.now();
        // Only epochs a live request can have been sealed in are opened, so a
        // made-up epoch never costs a key derivation.
        let oldest = Self::epoch(now - self.ttl_secs as i64 - EPOCH_SECS);
        let newest = Self::epoch(now) + 1;
        let (_, plaintext) = self
            .sealer
            .open(Purpose::AuthorizationRequest, handle, oldest..=newest)?;
        let parked: ParkedRequest = serde_json::from_slice(&plaintext).ok()?;
        (parked.expires_at > now).then_some(parked)
    }
}
