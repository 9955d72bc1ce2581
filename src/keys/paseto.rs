//! PASETO `v4.public` keys (Ed25519, through pasetors): they sign the
//! session gateway's identity assertions, so an app behind a proxy can
//! verify who it is told about instead of trusting its network. Their
//! public halves are published as PASERK (`k4.public`), each named by its
//! PASERK id (`k4.pid`), which every token carries in its footer as `kid`.

use josekit::jwk::Jwk;
use pasetors::claims::Claims;
use pasetors::footer::Footer;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;

use super::KeyError;

/// One loaded key: what signs, and what is published.
pub struct PasetoKey {
    id: Id,
    kid: String,
    secret: AsymmetricSecretKey<V4>,
    public: AsymmetricPublicKey<V4>,
    public_paserk: String,
}

// The secret never reaches a log.
impl std::fmt::Debug for PasetoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasetoKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn paserk(key: &dyn FormatAsPaserk) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = key.fmt(&mut text);
    text
}

/// A new secret key, as PASERK `k4.secret`.
pub fn generate() -> Result<String, KeyError> {
    let pair = AsymmetricKeyPair::<V4>::generate().map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(paserk(&pair.secret))
}

impl PasetoKey {
    /// Reads a PASERK `k4.secret` (as stored, decrypted).
    pub fn from_secret_paserk(bytes: &[u8]) -> Result<PasetoKey, KeyError> {
        let invalid = |_| KeyError::Invalid("not a PASERK k4.secret".into());
        let text = std::str::from_utf8(bytes).map_err(|_| KeyError::Invalid("not a PASERK k4.secret".into()))?;
        let secret = AsymmetricSecretKey::<V4>::try_from(text.trim()).map_err(invalid)?;
        let public = AsymmetricPublicKey::<V4>::try_from(&secret).map_err(invalid)?;
        let id = Id::from(&public);
        Ok(PasetoKey {
            kid: paserk(&id),
            id,
            public_paserk: paserk(&public),
            secret,
            public,
        })
    }

    /// The PASERK id (`k4.pid.…`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as PASERK (`k4.public.…`).
    pub fn public_paserk(&self) -> &str {
        &self.public_paserk
    }

    /// The public key as an RFC 8037 OKP JWK (kept with the stored key).
    pub fn public_jwk(&self) -> Jwk {
        let mut jwk = Jwk::new("OKP");
        jwk.set_curve("Ed25519");
        jwk.set_key_use("sig");
        let x = crate::crypto::base64url(self.public.as_bytes());
        // A string is always a valid JWK parameter value.
        let _ = jwk.set_parameter("x", Some(serde_json::Value::String(x)));
        jwk
    }

    /// A `v4.public` token of `claims`, its footer naming this key.
    pub fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        let sign = |e: pasetors::errors::Error| KeyError::Sign(e.to_string());
        let mut footer = Footer::new();
        footer.key_id(&self.id);
        pasetors::public::sign(&self.secret, claims, Some(&footer), None).map_err(sign)
    }
}

#[cfg(test)]
mod tests {
    use pasetors::claims::ClaimsValidationRules;
    use pasetors::token::UntrustedToken;
    use pasetors::{Public, public};

    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_published_paserk_verifies() {
        let key = PasetoKey::from_secret_paserk(generate().unwrap().as_bytes()).unwrap();
        assert!(key.kid().starts_with("k4.pid."));
        assert!(key.public_paserk().starts_with("k4.public."));
        assert!(!format!("{key:?}").contains("k4.secret"));
        let mut claims = Claims::new().unwrap();
        claims.audience("wiki.example.com").unwrap();
        let token = key.sign(&claims).unwrap();
        assert!(token.starts_with("v4.public."));

        let published = AsymmetricPublicKey::<V4>::try_from(key.public_paserk()).unwrap();
        let untrusted = UntrustedToken::<Public, V4>::try_from(token.as_str()).unwrap();
        let mut rules = ClaimsValidationRules::new();
        rules.validate_audience_with("wiki.example.com");
        let footer = untrusted.untrusted_footer().to_vec();
        let mut expected = Footer::new();
        expected.parse_bytes(&footer).unwrap();
        assert_eq!(expected.get_claim("kid").unwrap(), key.kid());
        assert!(public::verify(&published, &untrusted, &rules, Some(&expected), None).is_ok());

        rules.validate_audience_with("other.example.com");
        assert!(public::verify(&published, &untrusted, &rules, Some(&expected), None).is_err());
        let other = PasetoKey::from_secret_paserk(generate().unwrap().as_bytes()).unwrap();
        let other = AsymmetricPublicKey::<V4>::try_from(other.public_paserk()).unwrap();
        rules.validate_audience_with("wiki.example.com");
        assert!(public::verify(&other, &untrusted, &rules, Some(&expected), None).is_err());
    }

    #[test]
    fn a_broken_secret_is_refused() {
        assert!(PasetoKey::from_secret_paserk(b"k4.secret.AAAA").is_err());
        assert!(PasetoKey::from_secret_paserk(b"-----BEGIN PRIVATE KEY-----").is_err());
    }
}
