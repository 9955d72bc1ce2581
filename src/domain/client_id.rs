use std::fmt;

use serde::{Deserialize, Serialize};

/// A client identifier as Sesame issues and accepts them: 1 to 128 ASCII
/// letters, digits and `. _ - :`. Anything else cannot name a client, so it is
/// refused before any lookup (a NUL byte, say, which PostgreSQL text cannot
/// hold).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a client id has 1 to 128 characters of letters, digits and . _ - :")]
pub struct InvalidClientId;

impl ClientId {
    pub fn parse(input: &str) -> Result<ClientId, InvalidClientId> {
        let well_formed = (1..=128).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
        if well_formed {
            Ok(ClientId(input.to_string()))
        } else {
            Err(InvalidClientId)
        }
    }

    /// A fresh id for a client registered without one: 22 base64url
    /// characters (about 130 random bits), inside the alphabet by
    /// construction. Never starting with `-`, which a shell command would
    /// take for an option (`sesame client show -Fx…`).
    pub fn random() -> ClientId {
        loop {
            let token = crate::crypto::random_token();
            if !token.starts_with('-') {
                return ClientId(token[..22].to_string());
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientId {
    type Error = InvalidClientId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ClientId::parse(&value)
    }
}

impl From<ClientId> for String {
    fn from(id: ClientId) -> String {
        id.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_never_look_like_options() {
        for _ in 0..2000 {
            let id = ClientId::random();
            assert!(
                !id.as_str().starts_with('-') && id.as_str().len() == 22,
                "{}",
                id.as_str()
            );
        }
    }

    #[test]
    fn only_the_issued_alphabet_is_a_client_id() {
        for good in ["demo-app", "a", "urn:x:y", "Ab_9.z", &"x".repeat(128)] {
            assert!(ClientId::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "x\0", "a b", "é", "a/b", "a%00", &"x".repeat(129)] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
