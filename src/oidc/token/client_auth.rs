//! Client authentication at the token endpoint (RFC 6749 §2.3, OIDC Core 9):
//! `client_secret_basic`, `client_secret_post`, and `none` for public clients.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::client_assertion::{AssertionError, AssertionVerifier};
use super::failed_auth::FailedClientAuth;
use crate::clock::Clock;
use crate::crypto;
use crate::domain::{AuthMethod, Client, ClientId};
use crate::error::{ErrorCode, ProtocolError};
use crate::oidc::params::Params;
use crate::store::ClientRepository;

#[derive(Debug)]
pub enum ClientCredentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    /// `private_key_jwt`: a JWT the client signed.
    Assertion {
        client_id: String,
        assertion: String,
    },
    None {
        client_id: String,
    },
}

fn bad_client() -> ProtocolError {
    // One description for every failure: it must not tell which part was wrong.
    ProtocolError::invalid_client("client authentication failed")
}

impl ClientCredentials {
    /// RFC 6749 §2.3: a client MUST NOT use more than one authentication method
    /// in a request.
    pub fn extract(authorization: Option<&str>, params: &Params) -> Result<ClientCredentials, ProtocolError> {
        let posted_secret = params.get("client_secret");
        if let Some(assertion) = params.get("client_assertion") {
            if authorization.is_some() || posted_secret.is_some() {
                return Err(ProtocolError::invalid_request(
                    "use one client authentication method, not a client_assertion and a secret",
                ));
            }
            if params.get("client_assertion_type") != Some(super::client_assertion::JWT_BEARER) {
                return Err(ProtocolError::invalid_request(
                    "client_assertion_type must be jwt-bearer",
                ));
            }
            let client_id = super::client_assertion::claimed_client_id(assertion).ok_or_else(bad_client)?;
            if params.get("client_id").is_some_and(|id| id != client_id) {
                return Err(ProtocolError::invalid_request(
                    "client_id differs from the assertion's subject",
                ));
            }
            return Ok(ClientCredentials::Assertion {
                client_id,
                assertion: assertion.to_string(),
            });
        }
        if let Some(header) = authorization {
            if posted_secret.is_some() {
                return Err(ProtocolError::invalid_request(
                    "use one client authentication method, not both Basic and client_secret",
                ));
            }
            let (client_id, secret) = parse_basic(header).ok_or_else(bad_client)?;
            if params.get("client_id").is_some_and(|id| id != client_id) {
                return Err(ProtocolError::invalid_request(
                    "client_id differs from the authenticated client",
                ));
            }
            return Ok(ClientCredentials::Basic { client_id, secret });
        }
        let client_id = params.get("client_id").ok_or_else(bad_client)?.to_string();
        Ok(match posted_secret {
            Some(secret) => ClientCredentials::Post {
                client_id,
                secret: secret.to_string(),
            },
            None => ClientCredentials::None { client_id },
        })
    }

    pub fn client_id(&self) -> &str {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::Assertion { client_id, .. }
            | ClientCredentials::None { client_id } => client_id,
        }
    }

    fn method(&self) -> AuthMethod {
        match self {
            ClientCredentials::Basic { .. } => AuthMethod::ClientSecretBasic,
            ClientCredentials::Post { .. } => AuthMethod::ClientSecretPost,
            ClientCredentials::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            ClientCredentials::None { .. } => AuthMethod::None,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => Some(secret),
            ClientCredentials::Assertion { .. } | ClientCredentials::None { .. } => None,
        }
    }
}

/// RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined by a
/// colon and base64-encoded.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Authenticates clients at the token, introspection and revocation
/// endpoints, counting failures per caller.
pub struct ClientAuthenticator<'a> {
    pub clients: &'a dyn ClientRepository,
    pub assertions: AssertionVerifier<'a>,
    pub failures: FailedClientAuth<'a>,
    pub clock: &'a dyn Clock,
}

impl ClientAuthenticator<'_> {
    /// The registered client, if the credentials prove it. The secret is
    /// compared by digest in constant time; an unknown client costs the same
    /// comparison.
    pub async fn authenticate(&self, credentials: &ClientCredentials) -> Result<Client, ProtocolError> {
        let client = match ClientId::parse(credentials.client_id()) {
            Ok(id) => self.clients.find_client(&id).await?,
            Err(_) => None,
        };
        // Compare against a stand-in when there is no stored secret, so that
        // an unknown client takes as long as a wrong secret.
        let stand_in = crypto::digest("no stored secret");
        let stored = client.as_ref().and_then(|c| c.secret_hash.as_deref());
        // A rotated-out secret works until its grace period ends.
        let now = self.clock.now();
        let previous = client
            .as_ref()
            .and_then(|c| c.previous_secret.as_ref())
            .filter(|p| p.expires_at > now && stored.is_some())
            .map(|p| p.hash.as_str());
        let secret_ok = match credentials.secret() {
            Some(presented) => {
                let presented = crypto::digest(presented);
                let current = crypto::constant_time_eq(&presented, stored.unwrap_or(&stand_in)) && stored.is_some();
                let old = crypto::constant_time_eq(&presented, previous.unwrap_or(&stand_in)) && previous.is_some();
                // Both comparisons always run: the time taken does not tell which matched.
                current | old
            }
            None => true,
        };
        let client = client.ok_or_else(bad_client)?;
        if client.auth_method != credentials.method() || !secret_ok {
            return Err(bad_client());
        }
        if let ClientCredentials::Assertion { assertion, .. } = credentials
            && let Err(reason) = self.assertions.verify(&client, assertion).await
        {
            if let AssertionError::Store(e) = reason {
                return Err(e.into());
            }
            tracing::info!(client_id = %client.client_id, %reason, "client assertion refused");
            return Err(bad_client());
        }
        Ok(client)
    }

    /// [`Self::authenticate`] at an endpoint that a client calls from
    /// `client_ip`: a failure is counted, and once its caller failed too
    /// often it is answered 429 (see [`super::failed_auth`]). Malformed
    /// credentials (no client id at all, two methods at once) count as
    /// failures too.
    pub async fn authenticate_from(
        &self,
        authorization: Option<&str>,
        params: &Params,
        client_ip: &str,
    ) -> Result<Client, ProtocolError> {
        let credentials = ClientCredentials::extract(authorization, params);
        let outcome = match &credentials {
            Ok(credentials) => self.authenticate(credentials).await,
            Err(error) => Err(error.clone()),
        };
        let error = match outcome {
            Ok(client) => return Ok(client),
            Err(error) if matches!(error.code, ErrorCode::InvalidClient | ErrorCode::InvalidRequest) => error,
            Err(other) => return Err(other),
        };
        let client_id = credentials.as_ref().map(|c| c.client_id()).unwrap_or("");
        match self.failures.record(client_id, client_ip).await? {
            Some(wait) => {
                crate::observability::rate_limited("client_authentication");
                Err(ProtocolError::invalid_client(format!(
                    "too many failed client authentications; try again in {} s",
                    wait.as_secs().max(1)
                ))
                .wait(wait))
            }
            None => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_url_decoded() {
        // "my%3Aclient:s%2Bcret" base64
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcret"));
        assert_eq!(parse_basic(&header), Some(("my:client".into(), "s+cret".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let params = Params::parse("client_secret=x&client_id=a").unwrap();
        let header = format!("Basic {}", STANDARD.encode("a:x"));
        assert_eq!(
            ClientCredentials::extract(Some(&header), &params).unwrap_err().code,
            crate::error::ErrorCode::InvalidRequest
        );
    }
}
