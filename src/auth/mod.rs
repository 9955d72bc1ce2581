//! Authenticating people: password hashing, login throttling, rate limits.

pub mod device;
pub mod directory;
pub mod login;
pub mod password;
pub mod rate_limit;
pub mod second_factor;
pub mod sign_in;
pub mod throttle;
pub mod totp;
pub mod webauthn;
