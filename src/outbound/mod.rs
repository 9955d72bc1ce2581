//! Calls Sesame makes to apps (back-channel logout) and to documents apps
//! registered (a `jwks_uri`), guarded against server-side request forgery
//! (see [`address`]) and bounded: a timeout, no redirects, no proxy from the
//! environment, and documents read only up to a size limit (see [`fetch`]).

mod address;
mod fetch;

use std::sync::Arc;
use std::time::Duration;

pub use self::address::AddressPolicy;
use self::address::GuardedResolver;
pub use self::fetch::{FetchError, Fetcher};
use crate::config::OutboundSettings;

/// The client for calls to apps: guarded resolver, timeout, no redirects
/// (a redirect could lead anywhere), no proxy from the environment. Failing
/// to build it stops the start: there is no unguarded fallback.
pub fn client(settings: &OutboundSettings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver(AddressPolicy::from_settings(settings))))
        .timeout(Duration::from_secs(settings.timeout_secs))
        .connect_timeout(Duration::from_secs(settings.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Sesame/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// An HTTP error and its causes, for the log and the outbox (the address
/// refusal sits in the chain).
pub fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Seconds before retrying a call that failed `attempts` times: base ×
/// 2^attempts, at most max, ±20% so that retries of many calls spread out.
pub fn retry_delay(base_secs: u64, max_secs: u64, attempts: i64) -> i64 {
    use rand::Rng;
    let exponent = attempts.clamp(0, 30) as u32;
    let delay = base_secs.saturating_mul(1u64 << exponent).min(max_secs.max(1)) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    (delay * jitter).round().max(1.0) as i64
}
