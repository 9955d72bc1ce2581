//! Values Sesame hands to a browser and must get back unchanged and unread:
//! an authorization request in flight, the device cookie. They are sealed
//! with AES-256-GCM (OpenSSL) under a key derived from the key-encryption
//! key for each purpose and epoch, so every node that shares the KEK opens
//! what another sealed, and nothing needs storing until a person acts.
//!
//! Format: `<kek id>.<epoch>.<base64url(nonce ‖ tag ‖ ciphertext)>`; the
//! purpose and the epoch are bound as associated data. Epochs bound how many
//! values one key seals (random 96-bit nonces stay far below the 2^32
//! messages NIST SP 800-38D allows per key, whatever a flood of requests
//! makes Sesame seal).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use rand::RngCore;

use super::{KekRing, KeyError};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Derived keys kept; past this the cache starts over (a handful of
/// purposes × the current and previous epoch is all that is ever in use).
const MAX_CACHED_KEYS: usize = 64;

/// What a sealed value is for; a value sealed for one purpose does not open
/// for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    AuthorizationRequest,
    DeviceCookie,
    /// A TOTP secret shown to a person and not yet confirmed.
    TotpEnrolment,
    /// A passkey challenge the login page carries for autofill.
    PasskeyChallenge,
    /// Keyed digests of HTTP Basic credentials the gateway verified.
    GatewayCredential,
    /// A sign-in at an upstream provider, in the browser's cookie.
    UpstreamSignIn,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::AuthorizationRequest => "authorization-request",
            Purpose::DeviceCookie => "device-cookie",
            Purpose::TotpEnrolment => "totp-enrolment",
            Purpose::PasskeyChallenge => "passkey-challenge",
            Purpose::GatewayCredential => "gateway-credential",
            Purpose::UpstreamSignIn => "upstream-sign-in",
        }
    }
}

pub struct Sealer {
    keks: KekRing,
    keys: Mutex<HashMap<(String, Purpose, u64), [u8; 32]>>,
}

// Key material never prints.
impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(keks: KekRing) -> Sealer {
        Sealer {
            keks,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, kek_id: &str, purpose: Purpose, epoch: u64) -> Result<[u8; 32], KeyError> {
        let cache_key = (kek_id.to_string(), purpose, epoch);
        // Every operation under the lock is one map call: a poisoned lock holds no half-made entry.
        if let Some(key) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(&cache_key) {
            return Ok(*key);
        }
        let kek = self
            .keks
            .find(kek_id)
            .ok_or_else(|| KeyError::Crypto(format!("unknown key-encryption key {kek_id}")))?;
        let key = kek.derive(format!("sesame/{}/{epoch}", purpose.label()).as_bytes())?;
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(cache_key, key);
        Ok(key)
    }

    fn associated_data(purpose: Purpose, epoch: u64) -> Vec<u8> {
        format!("{}.{epoch}", purpose.label()).into_bytes()
    }

    /// HMAC-SHA256 of `data` under the current KEK's key for `purpose`,
    /// base64url: the same on every node sharing the KEK, and useless for
    /// testing guesses to anyone without it.
    pub fn keyed_digest(&self, purpose: Purpose, data: &[u8]) -> Result<String, KeyError> {
        let kek_id = self.keks.current_kek().id.clone();
        let key = self.key(&kek_id, purpose, 0)?;
        let crypto = |e: openssl::error::ErrorStack| KeyError::Crypto(e.to_string());
        let key = openssl::pkey::PKey::hmac(&key).map_err(crypto)?;
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).map_err(crypto)?;
        let mac = signer.sign_oneshot_to_vec(data).map_err(crypto)?;
        Ok(URL_SAFE_NO_PAD.encode(mac))
    }

    /// Seals `plaintext` for `purpose` in `epoch`.
    pub fn seal(&self, purpose: Purpose, epoch: u64, plaintext: &[u8]) -> Result<String, KeyError> {
        let kek_id = self.keks.current_kek().id.clone();
        let key = self.key(&kek_id, purpose, epoch)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut tag = [0u8; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &key,
            Some(&nonce),
            &Self::associated_data(purpose, epoch),
            plaintext,
            &mut tag,
        )
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + TAG_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&tag);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{kek_id}.{epoch}.{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// The plaintext and the epoch it was sealed in, when `value` was sealed
    /// by a node sharing this KEK ring for `purpose` and is unaltered.
    /// Anything else (forged, truncated, another purpose, an unknown KEK) is
    /// `None`.
    /// Only epochs in `epochs` are opened: the caller knows which a live
    /// value can carry, and a made-up epoch costs no key derivation.
    pub fn open(&self, purpose: Purpose, value: &str, epochs: RangeInclusive<u64>) -> Option<(u64, Vec<u8>)> {
        let mut parts = value.splitn(3, '.');
        let (kek_id, epoch, body) = (parts.next()?, parts.next()?, parts.next()?);
        let epoch: u64 = epoch.parse().ok()?;
        if !epochs.contains(&epoch) {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(body).ok()?;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let key = self.key(kek_id, purpose, epoch).ok()?;
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (tag, ciphertext) = rest.split_at(TAG_LEN);
        let plaintext = decrypt_aead(
            Cipher::aes_256_gcm(),
            &key,
            Some(nonce),
            &Self::associated_data(purpose, epoch),
            ciphertext,
            tag,
        )
        .ok()?;
        Some((epoch, plaintext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const ALL: RangeInclusive<u64> = 0..=u64::MAX;

    fn sealer() -> (tempfile::TempDir, Sealer) {
        let dir = tempfile::tempdir().unwrap();
        let ring = KekRing::load(dir.path(), &Secret::default()).unwrap();
        (dir, Sealer::new(ring))
    }

    #[test]
    fn sealed_values_open_only_unaltered_and_for_their_purpose() {
        let (_dir, sealer) = sealer();
        let sealed = sealer.seal(Purpose::AuthorizationRequest, 7, b"request").unwrap();
        assert_eq!(
            sealer.open(Purpose::AuthorizationRequest, &sealed, ALL),
            Some((7, b"request".to_vec()))
        );
        assert_eq!(
            sealer.open(Purpose::DeviceCookie, &sealed, ALL),
            None,
            "another purpose"
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            sealer.open(
                Purpose::AuthorizationRequest,
                &String::from_utf8(tampered).unwrap(),
                ALL
            ),
            None
        );
        let other_epoch = sealed.replacen(".7.", ".8.", 1);
        assert_eq!(sealer.open(Purpose::AuthorizationRequest, &other_epoch, ALL), None);
        assert_eq!(
            sealer.open(Purpose::AuthorizationRequest, &sealed, 0..=6),
            None,
            "outside the epochs asked for"
        );
        for garbage in ["", "x", "a.b.c", "a.1.", "..."] {
            assert_eq!(sealer.open(Purpose::AuthorizationRequest, garbage, ALL), None);
        }
        assert_ne!(
            sealer.seal(Purpose::AuthorizationRequest, 7, b"request").unwrap(),
            sealed,
            "fresh nonce each time"
        );
    }

    #[test]
    fn another_kek_ring_cannot_open() {
        let (_a, one) = sealer();
        let (_b, other) = sealer();
        let sealed = one.seal(Purpose::DeviceCookie, 0, b"x").unwrap();
        assert_eq!(other.open(Purpose::DeviceCookie, &sealed, ALL), None);
    }

    #[test]
    fn keyed_digests_are_stable_under_one_kek_and_differ_under_another() {
        let (_a, one) = sealer();
        let (_b, other) = sealer();
        let digest = one.keyed_digest(Purpose::GatewayCredential, b"alice\0pw").unwrap();
        assert_eq!(digest.len(), 43, "256 bits, base64url");
        assert_eq!(
            one.keyed_digest(Purpose::GatewayCredential, b"alice\0pw").unwrap(),
            digest
        );
        assert_ne!(
            one.keyed_digest(Purpose::GatewayCredential, b"alice\0px").unwrap(),
            digest
        );
        assert_ne!(
            other.keyed_digest(Purpose::GatewayCredential, b"alice\0pw").unwrap(),
            digest
        );
        assert_ne!(one.keyed_digest(Purpose::DeviceCookie, b"alice\0pw").unwrap(), digest);
    }
}
