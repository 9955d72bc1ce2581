//! A `private_key_jwt` client's public keys.

use super::uris::optional_web_uri;
use super::{HttpUris, MetadataError, NewClient, invalid};
use crate::domain::AuthMethod;

/// `private_key_jwt` needs the client's public keys: exactly one of an inline
/// JWK Set (public keys only) or an https URI.
pub(super) fn client_keys(
    http_uris: HttpUris,
    new: &NewClient,
    auth_method: AuthMethod,
) -> Result<(Option<String>, Option<String>), MetadataError> {
    let wants_keys = auth_method == AuthMethod::PrivateKeyJwt;
    match (&new.jwks, &new.jwks_uri) {
        (None, None) if wants_keys => Err(invalid("jwks", "private_key_jwt needs jwks or jwks_uri")),
        (Some(_), Some(_)) => Err(invalid("jwks", "give jwks or jwks_uri, not both")),
        (Some(_), None) | (None, Some(_)) if !wants_keys => Err(invalid(
            "jwks",
            "jwks and jwks_uri are for the private_key_jwt auth method",
        )),
        (Some(jwks), None) => {
            let set = josekit::jwk::JwkSet::from_bytes(jwks.as_bytes())
                .map_err(|e| invalid("jwks", format!("not a JWK Set: {e}")))?;
            if set.keys().is_empty() {
                return Err(invalid("jwks", "the JWK Set holds no key"));
            }
            // A private part ("d") or a symmetric key ("oct", all secret) has
            // no place in a set of public keys.
            if set
                .keys()
                .iter()
                .any(|k| k.parameter("d").is_some() || !matches!(k.key_type(), "RSA" | "EC"))
            {
                return Err(invalid("jwks", "the JWK Set must hold public RSA or EC keys only"));
            }
            Ok((Some(jwks.clone()), None))
        }
        (None, Some(_)) => Ok((None, optional_web_uri(http_uris, "jwks_uri", &new.jwks_uri)?)),
        (None, None) => Ok((None, None)),
    }
}
