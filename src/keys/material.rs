//! Key material: generating, parsing and identifying RS256 and ES256 keys
//! through josekit (OpenSSL), and PASETO v4.public (Ed25519) keys through
//! pasetors.

use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jws::{ES256, JwsSigner, RS256};

use super::{Alg, KeyError, paseto};
use crate::crypto;

/// A private key as PKCS#8 PEM (a PASETO key: its PASERK `k4.secret`), with
/// what is public about it (a PASETO key's as an RFC 8037 OKP JWK, for the
/// record only: it is published as PASERK, never in the JWKS).
pub struct KeyMaterial {
    pub kid: String,
    pub alg: Alg,
    pub private_pem: Vec<u8>,
    pub public_jwk: Jwk,
}

// Never print the private key.
impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl KeyMaterial {
    /// A new key: RSA 2048 for RS256, P-256 for ES256, Ed25519 for PASETO.
    /// RSA generation takes tens of milliseconds: call it off the async workers.
    pub fn generate(alg: Alg) -> Result<KeyMaterial, KeyError> {
        let generate = |e: josekit::JoseError| KeyError::Generate(e.to_string());
        let pem = match alg {
            Alg::RS256 => RS256.generate_key_pair(2048).map_err(generate)?.to_pem_private_key(),
            Alg::ES256 => ES256.generate_key_pair().map_err(generate)?.to_pem_private_key(),
            Alg::PasetoV4 => paseto::generate()?.into_bytes(),
        };
        Self::from_pem(alg, pem)
    }

    /// Parses a private key PEM (PKCS#8, or PKCS#1 / SEC1) for `alg`, or a
    /// PASERK `k4.secret` for PASETO.
    pub fn from_pem(alg: Alg, pem: Vec<u8>) -> Result<KeyMaterial, KeyError> {
        let invalid = |e: josekit::JoseError| KeyError::Invalid(e.to_string());
        let mut public_jwk = match alg {
            Alg::RS256 => RS256.key_pair_from_pem(&pem).map_err(invalid)?.to_jwk_public_key(),
            Alg::ES256 => ES256.key_pair_from_pem(&pem).map_err(invalid)?.to_jwk_public_key(),
            Alg::PasetoV4 => {
                let key = paseto::PasetoKey::from_secret_paserk(&pem)?;
                let mut jwk = key.public_jwk();
                jwk.set_key_id(key.kid());
                return Ok(KeyMaterial {
                    kid: key.kid().to_string(),
                    alg,
                    private_pem: pem,
                    public_jwk: jwk,
                });
            }
        };
        let kid = thumbprint(&public_jwk).ok_or_else(|| KeyError::Invalid("public key lacks its parameters".into()))?;
        public_jwk.set_key_id(&kid);
        public_jwk.set_algorithm(alg.as_str());
        public_jwk.set_key_use("sig");
        Ok(KeyMaterial {
            kid,
            alg,
            private_pem: pem,
            public_jwk,
        })
    }

    /// Whichever of RS256 or ES256 the PEM holds.
    pub fn from_any_pem(pem: Vec<u8>) -> Result<KeyMaterial, KeyError> {
        Self::from_pem(Alg::RS256, pem.clone()).or_else(|_| Self::from_pem(Alg::ES256, pem))
    }

    pub fn signer(&self) -> Result<Box<dyn JwsSigner>, KeyError> {
        let invalid = |e: josekit::JoseError| KeyError::Invalid(e.to_string());
        Ok(match self.alg {
            Alg::RS256 => {
                let mut signer = RS256.signer_from_pem(&self.private_pem).map_err(invalid)?;
                signer.set_key_id(&self.kid);
                Box::new(signer)
            }
            Alg::ES256 => {
                let mut signer = ES256.signer_from_pem(&self.private_pem).map_err(invalid)?;
                signer.set_key_id(&self.kid);
                Box::new(signer)
            }
            Alg::PasetoV4 => return Err(KeyError::Invalid("a PASETO key signs no JWS".into())),
        })
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order,
/// without white space.
fn thumbprint(jwk: &Jwk) -> Option<String> {
    let member = |name: &str| jwk.parameter(name).and_then(|v| v.as_str());
    let canonical = match jwk.key_type() {
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, member("e")?, member("n")?),
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            member("crv")?,
            member("x")?,
            member("y")?
        ),
        _ => return None,
    };
    Some(crypto::base64url(&crypto::sha256(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#,
        )
        .unwrap();
        assert_eq!(thumbprint(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn generated_keys_round_trip_through_pem_and_hide_in_debug() {
        for alg in [Alg::ES256, Alg::RS256] {
            let key = KeyMaterial::generate(alg).unwrap();
            let again = KeyMaterial::from_any_pem(key.private_pem.clone()).unwrap();
            assert_eq!(again.kid, key.kid);
            assert_eq!(again.alg, alg);
            assert!(!format!("{key:?}").contains("PRIVATE"));
            assert!(key.public_jwk.parameter("d").is_none());
        }
    }
}
