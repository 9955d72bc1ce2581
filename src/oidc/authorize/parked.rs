//! A validated authorization request travels with the browser while the
//! person signs in, sealed (see [`crate::keys::Sealer`]): the login, chooser
//! and consent pages carry it as their `req` value. Nothing is stored for a
//! request until someone acts on it, so a flood of anonymous `/authorize`
//! requests costs no memory, on one node or many.

use serde::{Deserialize, Serialize};

use super::AuthorizationRequest;
use crate::clock::Clock;
use crate::keys::{KeyError, Purpose, Sealer};

/// Seconds per sealing epoch: each hour's requests are sealed under a key of
/// their own.
const EPOCH_SECS: i64 = 3600;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParkedRequest {
    pub request: AuthorizationRequest,
    pub expires_at: i64,
}

/// Seals and opens parked requests; `ttl_secs` is `authorize.request_ttl_secs`.
pub struct Parking<'a> {
    pub sealer: &'a Sealer,
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

    /// The request `handle` carries, while it has not expired; `None` for
    /// anything else (expired, altered, made up, sealed under another KEK).
    pub fn load(&self, handle: &str) -> Option<ParkedRequest> {
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
