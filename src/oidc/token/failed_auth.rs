//! Failed client authentications at the token, introspection and revocation
//! endpoints, counted per (client id, address) and per address. Nothing is
//! counted against a client id before its credentials were checked, and a
//! caller over its count is only told to wait for its *failures*: the
//! client's correct credentials are accepted from anywhere, so no one can
//! lock an app out by sending junk with its (public) client id.

use std::time::Duration;

use crate::auth::rate_limit;
use crate::config::RateLimitSettings;
use crate::store::StoreError;
use crate::store::records::{Counters, RateSubject};

const MINUTE: Duration = Duration::from_secs(60);

pub struct FailedClientAuth<'a> {
    pub counters: Counters<'a>,
    pub limits: &'a RateLimitSettings,
}

impl FailedClientAuth<'_> {
    /// Counts one failure of `client_id` (as presented; empty when none was)
    /// from `client_ip`; `Some(wait)` once either count is over its limit.
    pub async fn record(&self, client_id: &str, client_ip: &str) -> Result<Option<Duration>, StoreError> {
        let by_pair = RateSubject::FailedClientAuth { client_id, client_ip };
        let by_address = RateSubject::FailedClientAuthFrom { client_ip };
        let pair_limit = self.limits.failed_client_auth_per_client_and_address_per_minute;
        let address_limit = self.limits.failed_client_auth_per_address_per_minute;
        let (pair, address) = tokio::try_join!(
            rate_limit::check(&self.counters, by_pair, pair_limit, MINUTE),
            rate_limit::check(&self.counters, by_address, address_limit, MINUTE),
        )?;
        Ok(pair.max(address))
    }
}
