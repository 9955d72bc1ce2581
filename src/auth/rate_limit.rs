//! Request rate limits: a fixed-window counter per subject in the ephemeral
//! store, so every node counts together. Over the limit, the caller answers
//! 429 with `Retry-After`.

use std::time::Duration;

use crate::store::StoreError;
use crate::store::records::{Counters, RateSubject};

/// Counts one request for `subject` and returns how long to wait when it is
/// over `limit` per `window`. A limit of 0 means no limit (and no count).
pub async fn check(
    counters: &Counters<'_>,
    subject: RateSubject<'_>,
    limit: u64,
    window: Duration,
) -> Result<Option<Duration>, StoreError> {
    if limit == 0 {
        return Ok(None);
    }
    let count = counters.count(subject, window).await?;
    if count <= limit {
        return Ok(None);
    }
    let wait = counters.window_left(subject).await?.unwrap_or(window);
    Ok(Some(wait.max(Duration::from_secs(1))))
}
