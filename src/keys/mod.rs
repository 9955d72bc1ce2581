//! Signing keys: RS256 (the default) and ES256 for tokens, and PASETO
//! v4.public for the gateway's identity assertions, shared by every node through
//! SQL, private keys encrypted at rest, rotated on a schedule that publishes a
//! key before it signs and keeps it published until its tokens have expired
//! (see `schedule`). Keys are parsed once per change of the stored set, never
//! per request.

mod encryption;
mod material;
pub mod paseto;
pub mod rotation;
pub mod schedule;
mod sealing;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use josekit::jwk::Jwk;
use josekit::jws::{ES256, JwsHeader, JwsSigner, RS256};
use josekit::jwt::JwtPayload;
use serde::Serialize;

pub use self::encryption::KekRing;
pub use self::material::KeyMaterial;
use self::paseto::PasetoKey;
use self::schedule::KeyState;
pub use self::sealing::{Purpose, Sealer};
pub use crate::domain::Alg;
use crate::domain::StoredKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key storage: {0}")]
    Io(String),
    #[error("invalid key: {0}")]
    Invalid(String),
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("key encryption: {0}")]
    Crypto(String),
    #[error("no active {0} signing key")]
    NoActiveKey(&'static str),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// One key as loaded: its times, signer and public JWK.
struct LoadedKey {
    signer: Box<dyn JwsSigner>,
    public_jwk: Jwk,
}

/// What an operator sees of a key.
#[derive(Debug, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: &'static str,
    pub state: &'static str,
    pub created_at: i64,
    pub activates_at: i64,
    pub published_until: Option<i64>,
}

/// A published document and its ETag.
struct Published {
    json: Vec<u8>,
    etag: String,
}

impl Published {
    fn of(value: serde_json::Value) -> Published {
        let json = serde_json::to_vec(&value).unwrap_or_default();
        let etag = format!("\"{}\"", &crate::crypto::base64url(&crate::crypto::sha256(&json))[..22]);
        Published { json, etag }
    }
}

/// The keys as stored at one moment, ready to sign and publish.
pub struct KeySet {
    /// Every stored key's times (private key bytes dropped).
    stored: Vec<StoredKey>,
    loaded: HashMap<String, LoadedKey>,
    paseto: HashMap<String, PasetoKey>,
    retention: i64,
    jwks: Published,
    paserks: Published,
}

// Key material never reaches a log.
impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("keys", &self.stored)
            .finish_non_exhaustive()
    }
}

fn fingerprint(keys: &[StoredKey]) -> Vec<(String, i64, Option<i64>)> {
    let mut print: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.clone(), k.activates_at, k.revoked_at))
        .collect();
    print.sort();
    print
}

impl KeySet {
    /// No keys yet (before the first load): signs nothing, publishes nothing.
    pub fn empty() -> KeySet {
        KeySet {
            stored: Vec::new(),
            loaded: HashMap::new(),
            paseto: HashMap::new(),
            retention: 0,
            jwks: Published::of(serde_json::json!({ "keys": [] })),
            paserks: Published::of(serde_json::json!({ "keys": [] })),
        }
    }

    /// Decrypts and parses every key still of use at `now`.
    pub fn build(stored: Vec<StoredKey>, kek: Option<&KekRing>, now: i64, retention: i64) -> Result<KeySet, KeyError> {
        let mut loaded = HashMap::new();
        let mut paseto = HashMap::new();
        let mut published = Vec::new();
        let mut paserks = Vec::new();
        for key in &stored {
            let state = schedule::state(&stored, key, now, retention);
            if matches!(state, KeyState::Revoked | KeyState::Expired) {
                continue;
            }
            let kek = kek.ok_or_else(|| KeyError::Crypto("no key-encryption key".into()))?;
            let pem = kek.decrypt(&key.kek_id, &key.kid, &key.private_key)?;
            if key.alg == Alg::PasetoV4 {
                let loaded = PasetoKey::from_secret_paserk(&pem)?;
                if loaded.kid() != key.kid {
                    return Err(KeyError::Invalid(format!(
                        "stored key {} has kid {}",
                        key.kid,
                        loaded.kid()
                    )));
                }
                paserks.push(serde_json::json!({ "kid": loaded.kid(), "paserk": loaded.public_paserk() }));
                paseto.insert(key.kid.clone(), loaded);
                continue;
            }
            let material = KeyMaterial::from_pem(key.alg, pem)?;
            if material.kid != key.kid {
                return Err(KeyError::Invalid(format!(
                    "stored key {} has kid {}",
                    key.kid, material.kid
                )));
            }
            published.push(material.public_jwk.clone());
            loaded.insert(
                key.kid.clone(),
                LoadedKey {
                    signer: material.signer()?,
                    public_jwk: material.public_jwk,
                },
            );
        }
        let stored = stored
            .into_iter()
            .map(|k| StoredKey {
                private_key: Vec::new(),
                ..k
            })
            .collect();
        Ok(KeySet {
            stored,
            loaded,
            paseto,
            retention,
            jwks: Published::of(serde_json::json!({ "keys": published })),
            paserks: Published::of(serde_json::json!({ "keys": paserks })),
        })
    }

    fn same_keys_as(&self, stored: &[StoredKey]) -> bool {
        fingerprint(&self.stored) == fingerprint(stored)
    }

    pub fn stored(&self) -> &[StoredKey] {
        &self.stored
    }

    /// The kid that signs `alg` tokens at `now`.
    pub fn active_kid(&self, alg: Alg, now: i64) -> Option<&str> {
        schedule::active(&self.stored, alg, now).map(|k| k.kid.as_str())
    }

    /// The JWKS document (RFC 7517, public keys only) and its ETag.
    pub fn jwks(&self) -> (&[u8], &str) {
        (&self.jwks.json, &self.jwks.etag)
    }

    /// The PASETO keys' public halves (`{"keys":[{"kid":"k4.pid…",
    /// "paserk":"k4.public…"}]}`) and its ETag.
    pub fn paserks(&self) -> (&[u8], &str) {
        (&self.paserks.json, &self.paserks.etag)
    }

    /// A PASETO `v4.public` token of `claims`, signed by the key active at `now`.
    pub fn sign_paseto(&self, claims: &pasetors::claims::Claims, now: i64) -> Result<String, KeyError> {
        let alg = Alg::PasetoV4;
        let kid = self.active_kid(alg, now).ok_or(KeyError::NoActiveKey(alg.as_str()))?;
        let key = self.paseto.get(kid).ok_or(KeyError::NoActiveKey(alg.as_str()))?;
        key.sign(claims)
    }

    pub fn describe(&self, now: i64) -> Vec<KeyInfo> {
        self.stored
            .iter()
            .map(|k| {
                let state = schedule::state(&self.stored, k, now, self.retention);
                KeyInfo {
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    state: state.label(),
                    created_at: k.created_at,
                    activates_at: k.activates_at,
                    published_until: match state {
                        KeyState::Retired { until } => Some(until),
                        _ => None,
                    },
                }
            })
            .collect()
    }

    /// Signs `claims` as a compact JWS with the key active for `alg` at `now`.
    pub fn sign(&self, claims: &impl Serialize, typ: &str, alg: Alg, now: i64) -> Result<String, KeyError> {
        let kid = self.active_kid(alg, now).ok_or(KeyError::NoActiveKey(alg.as_str()))?;
        let key = self.loaded.get(kid).ok_or(KeyError::NoActiveKey(alg.as_str()))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(kid);
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        josekit::jws::serialize_compact(&payload, &header, &*key.signer).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Verifies a JWT signed by one of the published keys, whatever its
    /// expiry; `None` when the signature, format or key is wrong.
    pub fn verify(&self, jwt: &str) -> Option<JwtPayload> {
        let header = josekit::jwt::decode_header(jwt).ok()?;
        let kid = header.claim("kid")?.as_str()?;
        let key = self.loaded.get(kid)?;
        let payload = match header.claim("alg")?.as_str()? {
            "RS256" => josekit::jwt::decode_with_verifier(jwt, &RS256.verifier_from_jwk(&key.public_jwk).ok()?),
            "ES256" => josekit::jwt::decode_with_verifier(jwt, &ES256.verifier_from_jwk(&key.public_jwk).ok()?),
            _ => return None,
        };
        payload.ok().map(|(payload, _)| payload)
    }
}

/// The key set every request reads, swapped whole when the stored keys change.
pub struct KeyRing {
    kek: KekRing,
    set: RwLock<Arc<KeySet>>,
}

impl KeyRing {
    pub fn new(kek: KekRing) -> KeyRing {
        KeyRing {
            kek,
            set: RwLock::new(Arc::new(KeySet::empty())),
        }
    }

    pub fn kek(&self) -> &KekRing {
        &self.kek
    }

    pub fn current(&self) -> Arc<KeySet> {
        self.set.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds the set when `stored` differs from what is loaded; returns
    /// whether it changed.
    pub fn refresh(&self, stored: Vec<StoredKey>, now: i64, retention: i64) -> Result<bool, KeyError> {
        if self.current().same_keys_as(&stored) {
            return Ok(false);
        }
        let set = Arc::new(KeySet::build(stored, Some(&self.kek), now, retention)?);
        *self.set.write().unwrap_or_else(|p| p.into_inner()) = set;
        Ok(true)
    }

    pub fn sign(&self, claims: &impl Serialize, typ: &str, alg: Alg, now: i64) -> Result<String, KeyError> {
        self.current().sign(claims, typ, alg, now)
    }

    pub fn verify(&self, jwt: &str) -> Option<JwtPayload> {
        self.current().verify(jwt)
    }
}
