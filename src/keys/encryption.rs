//! Private keys are encrypted at rest with AES-256-GCM (OpenSSL) under a
//! key-encryption key (KEK). Each KEK has an id, stored beside every
//! ciphertext, so the KEK itself can be replaced: old ones stay to decrypt.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use rand::RngCore;

use super::KeyError;
use crate::config::Secret;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Clone)]
pub struct Kek {
    pub id: String,
    key: [u8; 32],
}

// The key never prints.
impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek({})", self.id)
    }
}

/// The KEK used to encrypt, and every KEK that can decrypt.
#[derive(Clone, Debug)]
pub struct KekRing {
    current: Kek,
    all: Vec<Kek>,
}

fn parse_kek(id: &str, encoded: &str) -> Result<Kek, KeyError> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|e| KeyError::Invalid(format!("key-encryption key {id}: {e}")))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::Invalid(format!("key-encryption key {id} must be 32 bytes")))?;
    Ok(Kek {
        id: id.to_string(),
        key,
    })
}

impl KekRing {
    /// From `keys.encryption_key` ("<id>:<base64>") when set, plus every
    /// `kek-<id>.key` in `dir`; the newest file encrypts when no setting is
    /// given. A first KEK file is created (0600) when there is none.
    pub fn load(dir: &Path, setting: &Secret) -> Result<KekRing, KeyError> {
        let io = |e: std::io::Error| KeyError::Io(format!("{}: {e}", dir.display()));
        crate::files::create_private_dir(dir).map_err(io)?;
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(id) = name.strip_prefix("kek-").and_then(|n| n.strip_suffix(".key")) {
                let modified = entry.metadata().and_then(|m| m.modified()).map_err(io)?;
                let text = std::fs::read_to_string(entry.path()).map_err(io)?;
                files.push((modified, parse_kek(id, &text)?));
            }
        }
        files.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        let mut all: Vec<Kek> = files.into_iter().map(|(_, kek)| kek).collect();
        if !setting.is_empty() {
            let (id, encoded) = setting
                .expose()
                .split_once(':')
                .ok_or_else(|| KeyError::Invalid("keys.encryption_key must be <id>:<base64>".into()))?;
            all.insert(0, parse_kek(id, encoded)?);
        }
        if all.is_empty() {
            all.push(create_kek_file(dir)?);
        }
        Ok(KekRing {
            current: all[0].clone(),
            all,
        })
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// `nonce ‖ tag ‖ ciphertext`, bound to `kid` as associated data.
    pub fn encrypt(&self, kid: &str, plaintext: &[u8]) -> Result<(String, Vec<u8>), KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut tag = [0u8; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.current.key,
            Some(&nonce),
            kid.as_bytes(),
            plaintext,
            &mut tag,
        )
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + TAG_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&tag);
        out.extend_from_slice(&ciphertext);
        Ok((self.current.id.clone(), out))
    }

    pub fn decrypt(&self, kek_id: &str, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let kek = self.all.iter().find(|k| k.id == kek_id).ok_or_else(|| {
            KeyError::Crypto(format!(
                "key {kid} is encrypted with unknown key-encryption key {kek_id}"
            ))
        })?;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(KeyError::Crypto(format!("key {kid}: ciphertext too short")));
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (tag, ciphertext) = rest.split_at(TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &kek.key,
            Some(nonce),
            kid.as_bytes(),
            ciphertext,
            tag,
        )
        .map_err(|_| KeyError::Crypto(format!("key {kid} could not be decrypted (wrong key-encryption key?)")))
    }
}

impl KekRing {
    /// The KEK that new sealed values use.
    pub(super) fn current_kek(&self) -> &Kek {
        &self.current
    }

    pub(super) fn find(&self, id: &str) -> Option<&Kek> {
        self.all.iter().find(|k| k.id == id)
    }
}

impl Kek {
    /// A 256-bit key for one purpose, derived with HKDF-SHA256 (RFC 5869,
    /// OpenSSL's implementation): distinct `info` gives independent keys, so
    /// the KEK itself never encrypts anything but signing keys.
    pub(super) fn derive(&self, info: &[u8]) -> Result<[u8; 32], KeyError> {
        use openssl::md::Md;
        use openssl::pkey::Id;
        use openssl::pkey_ctx::PkeyCtx;
        let crypto = |e: openssl::error::ErrorStack| KeyError::Crypto(e.to_string());
        let mut ctx = PkeyCtx::new_id(Id::HKDF).map_err(crypto)?;
        ctx.derive_init().map_err(crypto)?;
        ctx.set_hkdf_md(Md::sha256()).map_err(crypto)?;
        ctx.set_hkdf_key(&self.key).map_err(crypto)?;
        ctx.set_hkdf_salt(b"sesame key derivation").map_err(crypto)?;
        ctx.add_hkdf_info(info).map_err(crypto)?;
        let mut out = [0u8; 32];
        ctx.derive(Some(&mut out)).map_err(crypto)?;
        Ok(out)
    }
}

fn create_kek_file(dir: &Path) -> Result<Kek, KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let id = crate::crypto::random_token()[..8].to_string();
    let path = dir.join(format!("kek-{id}.key"));
    let io = |e: std::io::Error| KeyError::Io(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    file.write_all(STANDARD.encode(key).as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    tracing::info!(path = %path.display(), "created a key-encryption key");
    Ok(Kek { id, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_kek_and_kid() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KekRing::load(dir.path(), &Secret::default()).unwrap();
        let (kek_id, sealed) = ring.encrypt("kid-1", b"secret pem").unwrap();
        assert_eq!(ring.decrypt(&kek_id, "kid-1", &sealed).unwrap(), b"secret pem");
        assert!(ring.decrypt(&kek_id, "kid-2", &sealed).is_err(), "bound to the kid");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(ring.decrypt(&kek_id, "kid-1", &tampered).is_err());
        // The same folder loads the same KEK again.
        let again = KekRing::load(dir.path(), &Secret::default()).unwrap();
        assert_eq!(again.decrypt(&kek_id, "kid-1", &sealed).unwrap(), b"secret pem");
    }

    #[test]
    fn a_configured_kek_encrypts_and_file_keks_still_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let old = KekRing::load(dir.path(), &Secret::default()).unwrap();
        let (old_id, sealed) = old.encrypt("k", b"x").unwrap();
        let setting = Secret::new(format!("new:{}", STANDARD.encode([7u8; 32])));
        let ring = KekRing::load(dir.path(), &setting).unwrap();
        assert_eq!(ring.current_id(), "new");
        assert_eq!(ring.decrypt(&old_id, "k", &sealed).unwrap(), b"x");
        assert!(format!("{ring:?}").contains("new") && !format!("{ring:?}").contains("7, 7"));
    }
}
