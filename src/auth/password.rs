//! argon2id password hashing at OWASP parameters (m=19 MiB, t=2, p=1, the
//! crate's defaults), always off the async workers: one hash takes ~20 ms of CPU.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Verified against when the username is unknown, so that an unknown user
/// costs the same time as a wrong password and timing reveals nothing.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"sesame-dummy-password-for-unknown-users")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Passwords shorter than this are refused when set.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longer inputs are refused rather than hashed, bounding the work per request.
pub const MAX_PASSWORD_LEN: usize = 1024;

pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let hashed = Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()));
        crate::observability::password_hash_time(started.elapsed());
        hashed
    })
    .await?
}

/// Checks `password` against `stored` (a PHC string), or against a dummy hash
/// when there is no such user, so both cases take the same time.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let matches = password.len() <= MAX_PASSWORD_LEN
            && Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
        crate::observability::password_hash_time(started.elapsed());
        known && matches
    })
    .await
    .map_err(PasswordError::from)
}

/// Computes the dummy hash now rather than on the first failed login.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse".into(), Some(hash)).await.unwrap());
        assert!(
            !verify_password("sesame-dummy-password-for-unknown-users".into(), None)
                .await
                .unwrap()
        );
    }
}
