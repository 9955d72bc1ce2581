use serde::{Deserialize, Serialize};

/// What Sesame's keys sign with: the JWS algorithms of its tokens, and
/// PASETO `v4.public` (Ed25519), which signs only the session gateway's
/// identity assertions and is never in the JWKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Alg {
    RS256,
    ES256,
    PasetoV4,
}

impl Alg {
    /// Every kind of key the schedule keeps.
    pub const ALL: [Alg; 3] = [Alg::RS256, Alg::ES256, Alg::PasetoV4];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::PasetoV4 => "v4.public",
        }
    }

    /// Any key's algorithm, as stored or named by an operator.
    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::RS256),
            "ES256" => Some(Alg::ES256),
            "v4.public" => Some(Alg::PasetoV4),
            _ => None,
        }
    }

    /// A JWS algorithm a token may be signed with (an app's ID token
    /// algorithm): never PASETO.
    pub fn parse_jws(s: &str) -> Option<Alg> {
        Alg::parse(s).filter(|alg| alg.is_jws())
    }

    pub fn is_jws(self) -> bool {
        matches!(self, Alg::RS256 | Alg::ES256)
    }
}

/// A signing key as stored in SQL: its private key encrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: Alg,
    pub generation: i64,
    pub private_key: Vec<u8>,
    pub kek_id: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("generation", &self.generation)
            .field("activates_at", &self.activates_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}
