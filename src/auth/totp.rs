//! RFC 6238 time-based one-time passwords, through the `totp-rs` crate:
//! SHA-1, six digits, 30-second steps (what every authenticator app reads
//! from an `otpauth://` URI), 160-bit secrets (RFC 4226 §4 R6).

use rand::RngCore;
use totp_rs::{Builder, Secret, Totp};

/// RFC 6238 §5.2: the recommended time step.
pub const STEP_SECS: u64 = 30;
const SECRET_BYTES: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the TOTP secret cannot be used: {0}")]
pub struct TotpSecretError(String);

/// A TOTP secret. Its bytes never print.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random secret from the OS-seeded CSPRNG.
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> TotpSecret {
        TotpSecret(bytes)
    }

    /// A secret as people type it (RFC 4648 base32); `None` when malformed.
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let secret = Secret::try_from_base32(text.trim()).ok()?;
        Some(TotpSecret(secret.as_ref().to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as people type it into an app (RFC 4648 base32).
    pub fn base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    fn totp(&self, skew_steps: u32, issuer: &str, account: &str) -> Result<Totp, TotpSecretError> {
        Builder::new()
            .with_secret(Secret::from(self.0.clone()))
            .with_skew(u16::try_from(skew_steps).unwrap_or(u16::MAX))
            .with_step_duration(STEP_SECS)
            .with_issuer(Some(issuer.replace(':', " ")))
            .with_account_name(account.replace(':', " "))
            .build()
            .map_err(|e| TotpSecretError(e.to_string()))
    }

    /// The `otpauth://totp/…` URI an authenticator app scans.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, TotpSecretError> {
        self.totp(0, issuer, account)?
            .to_url()
            .map_err(|e| TotpSecretError(e.to_string()))
    }

    /// The time step `code` belongs to, when it is the code of a step within
    /// `skew_steps` of `now`. Whether that step was used already is the
    /// caller's to check (RFC 6238 §5.2: a code is accepted once).
    pub fn matching_step(&self, code: &str, now: i64, skew_steps: u32) -> Option<i64> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = u64::try_from(now).ok()?;
        let totp = self.totp(skew_steps, "sesame", "account").ok()?;
        totp.check(code, now).and_then(|step| i64::try_from(step).ok())
    }

    /// The code for time `at` (tests, and the `sesame` CLI's own checks).
    pub fn code_at(&self, at: i64) -> Option<String> {
        let totp = self.totp(0, "sesame", "account").ok()?;
        Some(totp.generate(u64::try_from(at).ok()?).to_string())
    }
}

/// The step a time falls in.
pub fn step_of(at: i64) -> i64 {
    at.div_euclid(STEP_SECS as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, truncated to six digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        assert_eq!(secret.code_at(59).unwrap(), "287082");
        assert_eq!(secret.code_at(1_111_111_109).unwrap(), "081804");
        assert_eq!(secret.code_at(2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn a_code_matches_its_step_within_the_skew_only() {
        let secret = TotpSecret::generate();
        let now = 1_700_000_000;
        for offset in [-1i64, 0, 1] {
            let code = secret.code_at(now + offset * 30).unwrap();
            assert_eq!(
                secret.matching_step(&code, now, 1),
                Some(step_of(now) + offset),
                "{offset}"
            );
        }
        for offset in [-2i64, 2] {
            let code = secret.code_at(now + offset * 30).unwrap();
            assert_eq!(secret.matching_step(&code, now, 1), None, "{offset}");
        }
        assert_eq!(secret.matching_step("12345", now, 1), None);
        assert_eq!(secret.matching_step("abcdef", now, 1), None);
    }

    #[test]
    fn the_uri_carries_the_secret_and_the_issuer() {
        let secret = TotpSecret::generate();
        let uri = secret.otpauth_uri("id.example.com", "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&secret.base32()), "{uri}");
        assert!(uri.contains("issuer=id.example.com"), "{uri}");
    }
}
