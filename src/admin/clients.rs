use super::AdminError;
use crate::clock::Clock;
use crate::crypto;
use crate::domain::{Alg, AuthMethod, Client, ClientType, RedirectUri, Scopes};
use crate::oidc::discovery::SUPPORTED_SCOPES;
use crate::store::ClientRepository;

#[derive(Default)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    /// Chosen by the operator; generated when absent.
    pub client_id: Option<String>,
    /// For confidential clients: `client_secret_basic` (default) or `client_secret_post`.
    pub auth_method: Option<AuthMethod>,
    /// The operator's own app: no consent page.
    pub first_party: bool,
    /// ID token signing algorithm; RS256 when absent.
    pub id_token_alg: Option<Alg>,
    /// Where RP-initiated logout may send the browser back to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout 1.0: where logout tokens are POSTed.
    pub backchannel_logout_uri: Option<String>,
    /// Front-Channel Logout 1.0: loaded in an iframe at logout.
    pub frontchannel_logout_uri: Option<String>,
    /// Grant types; `authorization_code` and `refresh_token` when empty.
    pub grant_types: Vec<String>,
    /// For `private_key_jwt`: the client's public keys (a JWK Set, JSON)…
    pub jwks: Option<String>,
    /// …or where Sesame fetches them.
    pub jwks_uri: Option<String>,
    /// RFC 9068 JWT access tokens instead of opaque ones.
    pub jwt_access_tokens: bool,
}

const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// A new client and, for a confidential one, its secret: shown once, stored
/// only as a digest.
pub struct CreatedClient {
    pub client: Client,
    pub secret: Option<String>,
}

pub async fn add_client(
    clients: &dyn ClientRepository,
    clock: &dyn Clock,
    new: NewClient,
) -> Result<CreatedClient, AdminError> {
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AdminError::Invalid("a client name has 1 to 100 characters".into()));
    }
    if new.redirect_uris.is_empty() {
        return Err(AdminError::Invalid("at least one redirect URI is required".into()));
    }
    let redirect_uris = new
        .redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AdminError::Invalid)?;
    let post_logout_redirect_uris = new
        .post_logout_redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AdminError::Invalid)?;
    let backchannel_logout_uri = new.backchannel_logout_uri.as_deref().map(logout_uri).transpose()?;
    let frontchannel_logout_uri = new.frontchannel_logout_uri.as_deref().map(logout_uri).transpose()?;
    client_keys(&new)?;
    let grant_types = if new.grant_types.is_empty() {
        vec!["authorization_code".to_string(), "refresh_token".to_string()]
    } else {
        new.grant_types.clone()
    };
    if let Some(unknown) = grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(AdminError::Invalid(format!("grant type {unknown:?} is not supported")));
    }
    if new.public && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(AdminError::Invalid(
            "a public client cannot use client_credentials".into(),
        ));
    }
    let client_id = match new.client_id {
        Some(id) if valid_client_id(&id) => id,
        Some(id) => {
            return Err(AdminError::Invalid(format!(
                "client id {id:?} must be 1 to 128 characters of letters, digits and . _ - :"
            )));
        }
        None => crypto::random_token()[..22].to_string(),
    };
    let (client_type, auth_method, secret) = match (new.public, new.auth_method) {
        (true, None | Some(AuthMethod::None)) => (ClientType::Public, AuthMethod::None, None),
        (true, Some(_)) => {
            return Err(AdminError::Invalid(
                "a public client has no secret to authenticate with".into(),
            ));
        }
        (false, Some(AuthMethod::None)) => {
            return Err(AdminError::Invalid(
                "a confidential client authenticates with its secret".into(),
            ));
        }
        (false, Some(AuthMethod::PrivateKeyJwt)) => (ClientType::Confidential, AuthMethod::PrivateKeyJwt, None),
        (false, method) => (
            ClientType::Confidential,
            method.unwrap_or(AuthMethod::ClientSecretBasic),
            Some(crypto::random_token()),
        ),
    };
    let now = clock.now();
    let client = Client {
        client_id,
        secret_hash: secret.as_deref().map(crypto::digest),
        client_type,
        auth_method,
        name,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_scopes: Scopes::from_list(SUPPORTED_SCOPES.iter().copied()),
        grant_types,
        first_party: new.first_party,
        id_token_alg: new.id_token_alg.unwrap_or(Alg::RS256),
        jwks: new.jwks.clone(),
        jwks_uri: new.jwks_uri.clone(),
        jwt_access_tokens: new.jwt_access_tokens,
        backchannel_logout_uri,
        backchannel_logout_session_required: false,
        frontchannel_logout_uri,
        frontchannel_logout_session_required: false,
        created_at: now,
        updated_at: now,
    };
    clients.create_client(&client).await?;
    Ok(CreatedClient { client, secret })
}

/// `private_key_jwt` needs the client's public keys: exactly one of an inline
/// JWK Set (public keys only) or an https URI (loopback http for development).
fn client_keys(new: &NewClient) -> Result<(), AdminError> {
    let wants_keys = new.auth_method == Some(AuthMethod::PrivateKeyJwt);
    match (&new.jwks, &new.jwks_uri) {
        (None, None) if wants_keys => Err(AdminError::Invalid("private_key_jwt needs jwks or jwks_uri".into())),
        (Some(_), Some(_)) => Err(AdminError::Invalid("give jwks or jwks_uri, not both".into())),
        (Some(_), None) | (None, Some(_)) if !wants_keys => Err(AdminError::Invalid(
            "jwks and jwks_uri are for the private_key_jwt auth method".into(),
        )),
        (Some(jwks), None) => {
            let set = josekit::jwk::JwkSet::from_bytes(jwks.as_bytes())
                .map_err(|e| AdminError::Invalid(format!("jwks is not a JWK Set: {e}")))?;
            if set.keys().is_empty() {
                return Err(AdminError::Invalid("jwks holds no key".into()));
            }
            if set.keys().iter().any(|k| k.parameter("d").is_some()) {
                return Err(AdminError::Invalid("jwks must hold public keys only".into()));
            }
            Ok(())
        }
        (None, Some(uri)) => logout_uri(uri).map(|_| ()),
        (None, None) => Ok(()),
    }
}

/// A logout URI: absolute http(s), no fragment (Back-Channel Logout 1.0 §2.2,
/// Front-Channel Logout 1.0 §2). Whether its address may be called is checked
/// when it is called.
fn logout_uri(uri: &str) -> Result<String, AdminError> {
    let parsed = url::Url::parse(uri).map_err(|e| AdminError::Invalid(format!("{uri:?}: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.fragment().is_some() || uri.contains('#') {
        return Err(AdminError::Invalid(format!(
            "{uri:?} must be an http(s) URI without fragment"
        )));
    }
    Ok(uri.to_string())
}

fn valid_client_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

/// A new secret for a confidential client, shown once; the old one stops
/// working at once.
pub async fn rotate_secret(services: &crate::services::Services, client_id: &str) -> Result<String, AdminError> {
    let secret = crypto::random_token();
    let now = services.clock.now();
    if !services
        .clients
        .set_client_secret(client_id, &crypto::digest(&secret), now)
        .await?
    {
        return Err(AdminError::Invalid(format!(
            "no confidential client {client_id} with a secret"
        )));
    }
    services
        .audit(crate::domain::AuditEvent::new("client_secret_rotated", now).client(client_id))
        .await;
    Ok(secret)
}

/// Deletes a client; its tokens die with it (refresh tokens revoked, access
/// tokens refused from now on).
pub async fn delete_client(services: &crate::services::Services, client_id: &str) -> Result<(), AdminError> {
    let now = services.clock.now();
    if !services.clients.delete_client(client_id).await? {
        return Err(AdminError::Invalid(format!("no client {client_id}")));
    }
    services.refresh_tokens.revoke_client_tokens(client_id, now).await?;
    crate::oidc::access_token::revoke_client(services, client_id).await?;
    services
        .audit(crate::domain::AuditEvent::new("client_deleted", now).client(client_id))
        .await;
    Ok(())
}
