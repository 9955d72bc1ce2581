//! The signing key set: every key published in the JWKS, one of them active
//! (signs new tokens). Keys are parsed once, at load, never per request.
//!
//! Key material lives in `keys_dir` as PKCS#8 PEM files created 0600; the most
//! recently written one is active. (Scheduled rotation and keys shared through
//! SQL build on this shape: a list of published keys with one active.)

use std::path::{Path, PathBuf};

use josekit::jwk::Jwk;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::alg::rsassa::RsassaJwsSigner;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use serde::Serialize;

use crate::crypto;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("key file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// One RSA key: its `kid` (RFC 7638 thumbprint), the signer and the public JWK.
pub struct SigningKey {
    kid: String,
    signer: RsassaJwsSigner,
    public_jwk: Jwk,
}

// Key material must never reach a log: show only the kid.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pem(pem: &[u8], path: &Path) -> Result<SigningKey, KeyError> {
        let invalid = |message: String| KeyError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let pair = RS256.key_pair_from_pem(pem).map_err(|e| invalid(e.to_string()))?;
        let mut public_jwk = pair.to_jwk_public_key();
        let kid = thumbprint(&public_jwk).ok_or_else(|| invalid("public key has no n/e".into()))?;
        public_jwk.set_key_id(&kid);
        public_jwk.set_algorithm("RS256");
        public_jwk.set_key_use("sig");
        let mut signer = RS256.signer_from_pem(pem).map_err(|e| invalid(e.to_string()))?;
        signer.set_key_id(&kid);
        Ok(SigningKey {
            kid,
            signer,
            public_jwk,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order,
/// without white space.
fn thumbprint(jwk: &Jwk) -> Option<String> {
    let e = jwk.parameter("e")?.as_str()?;
    let n = jwk.parameter("n")?.as_str()?;
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    Some(crypto::base64url(&crypto::sha256(canonical.as_bytes())))
}

#[derive(Debug)]
pub struct KeySet {
    /// Published keys; `keys[0]` is active.
    keys: Vec<SigningKey>,
    /// The JWKS document, serialised once.
    jwks_json: Vec<u8>,
}

impl KeySet {
    /// Loads every `*.pem` in `dir`, generating a first RSA 2048 key when
    /// there is none. Generation runs off the async workers.
    pub async fn load_or_generate(dir: &Path) -> Result<KeySet, KeyError> {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let set = Self::load(&dir)?;
            if set.keys.is_empty() {
                generate_key_file(&dir)?;
                return Self::load(&dir);
            }
            Ok(set)
        })
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))?
    }

    fn load(dir: &Path) -> Result<KeySet, KeyError> {
        let io = |source| KeyError::Io {
            path: dir.to_path_buf(),
            source,
        };
        create_private_dir(dir).map_err(io)?;
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "pem") {
                let modified = entry.metadata().and_then(|m| m.modified()).map_err(io)?;
                files.push((modified, path));
            }
        }
        // Newest first: the newest key is the active one.
        files.sort_by(|a, b| b.cmp(a));
        let mut keys = Vec::new();
        for (_, path) in files {
            let pem = std::fs::read(&path).map_err(|source| KeyError::Io {
                path: path.clone(),
                source,
            })?;
            keys.push(SigningKey::from_pem(&pem, &path)?);
        }
        Ok(Self::from_keys(keys))
    }

    fn from_keys(keys: Vec<SigningKey>) -> KeySet {
        let jwks = serde_json::json!({ "keys": keys.iter().map(|k| &k.public_jwk).collect::<Vec<_>>() });
        KeySet {
            jwks_json: serde_json::to_vec(&jwks).unwrap_or_default(),
            keys,
        }
    }

    pub fn active(&self) -> &SigningKey {
        &self.keys[0]
    }

    pub fn published(&self) -> impl Iterator<Item = &SigningKey> {
        self.keys.iter()
    }

    /// The JWKS document (RFC 7517): public keys only.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks_json
    }

    /// Signs `claims` as a compact JWS with the active key (`alg` RS256,
    /// `kid`, and `typ` as given: "JWT" for ID tokens).
    pub fn sign(&self, claims: &impl Serialize, typ: &str) -> Result<String, KeyError> {
        let key = self.active();
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.kid);
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        josekit::jws::serialize_compact(&payload, &header, &key.signer).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Verifies a JWT signed by one of our keys, whatever its expiry; `None`
    /// when the signature or format is wrong or the key is unknown.
    pub fn verify(&self, jwt: &str) -> Option<JwtPayload> {
        let header = josekit::jwt::decode_header(jwt).ok()?;
        let kid = header.claim("kid")?.as_str()?;
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        let verifier = RS256.verifier_from_jwk(&key.public_jwk).ok()?;
        josekit::jwt::decode_with_verifier(jwt, &verifier)
            .ok()
            .map(|(payload, _)| payload)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    Ok(())
}

/// Writes a new RSA 2048 key as `rs256-<unix time>.pem`, readable by the owner only.
fn generate_key_file(dir: &Path) -> Result<PathBuf, KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    use josekit::jwk::KeyPair;

    let pair = RsaKeyPair::generate(2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("rs256-{stamp}.pem"));
    let io = |source| KeyError::Io {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    file.write_all(&pair.to_pem_private_key()).map_err(io)?;
    file.sync_all().map_err(io)?;
    tracing::info!(path = %path.display(), "generated a new RS256 signing key");
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_start_generates_a_private_key_and_later_starts_reuse_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = KeySet::load_or_generate(dir.path()).await.unwrap();
        let again = KeySet::load_or_generate(dir.path()).await.unwrap();
        assert_eq!(first.active().kid(), again.active().kid());
        let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!format!("{first:?}").contains("PRIVATE"));
    }

    #[tokio::test]
    async fn jwks_is_public_only_and_signatures_verify() {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::load_or_generate(dir.path()).await.unwrap();
        let jwks: serde_json::Value = serde_json::from_slice(keys.jwks_json()).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kid"], keys.active().kid());
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none() && key.get("p").is_none());
        let jwt = keys.sign(&serde_json::json!({"sub": "x"}), "JWT").unwrap();
        assert_eq!(keys.verify(&jwt).unwrap().subject(), Some("x"));
        assert!(keys.verify(&format!("{jwt}x")).is_none());
    }
}
