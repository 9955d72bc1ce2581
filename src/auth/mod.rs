//! Authenticating people: password hashing, login throttling, rate limits.

pub mod device;
pub mod login;
pub mod password;
pub mod rate_limit;
pub mod throttle;
