//! RFC 7636 (PKCE). Only `S256` is supported: `plain` protects nothing
//! against an attacker who can read the authorization request.

use crate::crypto;

/// A `code_challenge` sent with `code_challenge_method=S256`: the base64url
/// SHA-256 of the verifier, which is always 43 characters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

/// A `code_verifier`: 43–128 characters of `[A-Z] / [a-z] / [0-9] / - . _ ~`
/// (RFC 7636 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeVerifier(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPkce {
    #[error("code_challenge must be the 43-character base64url SHA-256 of the verifier")]
    Challenge,
    #[error("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)")]
    Verifier,
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

impl CodeChallenge {
    pub fn parse_s256(input: &str) -> Result<CodeChallenge, InvalidPkce> {
        if input.len() != 43 || !input.chars().all(is_unreserved) {
            return Err(InvalidPkce::Challenge);
        }
        Ok(CodeChallenge(input.to_string()))
    }

    /// RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
    pub fn is_satisfied_by(&self, verifier: &CodeVerifier) -> bool {
        let computed = crypto::base64url(&crypto::sha256(verifier.0.as_bytes()));
        crypto::constant_time_eq(&computed, &self.0)
    }
}

impl CodeVerifier {
    pub fn parse(input: &str) -> Result<CodeVerifier, InvalidPkce> {
        if !(43..=128).contains(&input.len()) || !input.chars().all(is_unreserved) {
            return Err(InvalidPkce::Verifier);
        }
        Ok(CodeVerifier(input.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let challenge = CodeChallenge::parse_s256("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap();
        assert!(challenge.is_satisfied_by(&verifier));
        let other = CodeVerifier::parse(&"a".repeat(43)).unwrap();
        assert!(!challenge.is_satisfied_by(&other));
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(CodeVerifier::parse("short").is_err());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_err());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(43))).is_err());
        assert!(CodeChallenge::parse_s256("plain-value").is_err());
    }
}
