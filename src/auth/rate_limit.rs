//! Request rate limits: a fixed-window counter per subject in the ephemeral
//! store, so every node counts together. Over the limit, the caller answers
//! 429 with `Retry-After`.

use std::time::Duration;

use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

/// Counts one request for `subject` (hashed: addresses and client ids are
/// not stored in the clear) and returns how long to wait when it is over
/// `limit` per `window`. A limit of 0 means no limit.
pub async fn check(
    store: &dyn EphemeralStore,
    subject: &str,
    limit: u64,
    window: Duration,
) -> Result<Option<Duration>, StoreError> {
    if limit == 0 {
        return Ok(None);
    }
    let key = format!("rate:{}", crypto::digest(subject));
    let count = store.incr(&key, window).await?;
    if count <= limit {
        return Ok(None);
    }
    let wait = store.time_to_live(&key).await?.unwrap_or(window);
    Ok(Some(wait.max(Duration::from_secs(1))))
}
