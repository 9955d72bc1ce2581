//! Registering, changing and removing clients: one service behind the
//! registration API, the developer portal and the CLI. The rules themselves
//! are in [`super::client_metadata`].

use super::AdminError;
use super::ClientAdmin;
use crate::crypto;
use crate::domain::client_metadata::{NewClient, ValidMetadata, validate};
use crate::domain::{
    AuditEvent, AuthMethod, Client, ClientAccess, ClientId, ClientType, ManagementAccess, PreviousSecret, Scopes,
    valid_resource_indicator,
};

/// A new client and the credentials shown once (stored only as digests).
pub struct CreatedClient {
    pub client: Client,
    /// For a client authenticating with a secret.
    pub secret: Option<String>,
    /// RFC 7592: for a client registered through the API.
    pub registration_token: Option<String>,
}

/// How a client came to be; recorded in the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Cli,
    Portal,
    /// Dynamic registration: the client gets a registration access token.
    Api,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Cli => "cli",
            Via::Portal => "portal",
            Via::Api => "api",
        }
    }
}

fn needs_secret(method: AuthMethod) -> bool {
    matches!(method, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost)
}

fn client_type(method: AuthMethod) -> ClientType {
    match method {
        AuthMethod::None => ClientType::Public,
        _ => ClientType::Confidential,
    }
}

/// Copies validated metadata onto a client record.
fn apply(client: &mut Client, valid: ValidMetadata) {
    client.name = valid.name;
    client.application_type = valid.application_type;
    client.client_type = client_type(valid.auth_method);
    client.auth_method = valid.auth_method;
    client.redirect_uris = valid.redirect_uris;
    client.post_logout_redirect_uris = valid.post_logout_redirect_uris;
    client.grant_types = valid.grant_types;
    client.id_token_alg = valid.id_token_alg;
    client.backchannel_logout_uri = valid.backchannel_logout_uri;
    client.backchannel_logout_session_required = valid.backchannel_logout_session_required;
    client.frontchannel_logout_uri = valid.frontchannel_logout_uri;
    client.frontchannel_logout_session_required = valid.frontchannel_logout_session_required;
    client.jwks = valid.jwks;
    client.jwks_uri = valid.jwks_uri;
    client.info = valid.info;
}

pub async fn add_client(admin: &ClientAdmin<'_>, new: NewClient, via: Via) -> Result<CreatedClient, AdminError> {
    let valid = validate(admin.http_uris, &new)?;
    let client_id = match new.client_id {
        Some(id) => ClientId::parse(&id).map_err(|_| {
            AdminError::Invalid(format!(
                "client id {id:?} must be 1 to 128 characters of letters, digits and . _ - :"
            ))
        })?,
        None => ClientId::random(),
    };
    let secret = needs_secret(valid.auth_method).then(crypto::random_token);
    let registration_token = (via == Via::Api).then(crypto::random_token);
    let now = admin.clock.now();
    let mut client = Client {
        client_id,
        secret_hash: secret.as_deref().map(crypto::digest),
        client_type: ClientType::Public,
        auth_method: AuthMethod::None,
        name: String::new(),
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        allowed_scopes: Scopes::from_list(crate::domain::scope::supported()),
        grant_types: Vec::new(),
        // Only the operator vouches for an app as their own.
        first_party: new.first_party && via == Via::Cli,
        id_token_alg: valid.id_token_alg,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        frontchannel_logout_uri: None,
        frontchannel_logout_session_required: false,
        jwks: None,
        jwks_uri: None,
        jwt_access_tokens: new.jwt_access_tokens,
        // Only the operator decides what an app's tokens reach.
        audiences: if via == Via::Cli {
            valid_audiences(&new.audiences)?
        } else {
            Vec::new()
        },
        resource_server: new.resource_server && via == Via::Cli,
        access_groups: Vec::new(),
        // Granted afterwards, on its own (`set_client_access`).
        management: None,
        require_second_factor: new.require_second_factor && via == Via::Cli,
        require_verified_email: new.require_verified_email && via == Via::Cli,
        application_type: valid.application_type,
        info: Default::default(),
        owner_id: new.owner_id,
        registration_token_hash: registration_token.as_deref().map(crypto::digest),
        previous_secret: None,
        created_at: now,
        updated_at: now,
    };
    apply(&mut client, valid);
    admin.clients.create_client(&client).await?;
    let mut event = AuditEvent::new("client_registered", now)
        .client(&client.client_id)
        .detail(via.as_str());
    if let Some(owner) = client.owner_id {
        event = event.user(owner);
    }
    crate::audit::record(admin.audit, event).await;
    Ok(CreatedClient {
        client,
        secret,
        registration_token,
    })
}

/// A client after an update, and its new secret when the update moved it to
/// an auth method that needs one.
pub struct UpdatedClient {
    pub client: Client,
    pub secret: Option<String>,
}

/// Replaces a client's metadata (RFC 7592 §2.2: fields left out return to
/// their defaults). Its id, owner, registration token, first-party mark and
/// token format stay.
pub async fn update_client(
    admin: &ClientAdmin<'_>,
    client_id: &ClientId,
    new: NewClient,
) -> Result<UpdatedClient, AdminError> {
    let valid = validate(admin.http_uris, &new)?;
    let mut client = admin
        .clients
        .find_client(client_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no client {client_id}")))?;
    let mut secret = None;
    if needs_secret(valid.auth_method) && client.secret_hash.is_none() {
        let fresh = crypto::random_token();
        client.secret_hash = Some(crypto::digest(&fresh));
        secret = Some(fresh);
    } else if !needs_secret(valid.auth_method) {
        client.secret_hash = None;
        client.previous_secret = None;
    }
    apply(&mut client, valid);
    let now = admin.clock.now();
    client.updated_at = now;
    if !admin.clients.update_client(&client).await? {
        return Err(AdminError::NotFound(format!("no client {client_id}")));
    }
    crate::audit::record(admin.audit, AuditEvent::new("client_updated", now).client(client_id)).await;
    Ok(UpdatedClient { client, secret })
}

/// The metadata a client was registered with, as a starting point for an
/// update that changes a few fields.
pub fn metadata_of(client: &Client) -> NewClient {
    NewClient {
        name: client.name.clone(),
        application_type: Some(client.application_type),
        redirect_uris: client.redirect_uris.iter().map(|u| u.as_str().to_string()).collect(),
        public: false,
        auth_method: Some(client.auth_method),
        client_id: Some(client.client_id.to_string()),
        first_party: client.first_party,
        id_token_alg: Some(client.id_token_alg),
        post_logout_redirect_uris: client
            .post_logout_redirect_uris
            .iter()
            .map(|u| u.as_str().to_string())
            .collect(),
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: client.backchannel_logout_session_required,
        frontchannel_logout_uri: client.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: client.frontchannel_logout_session_required,
        grant_types: client.grant_types.clone(),
        response_types: Vec::new(),
        jwks: client.jwks.clone(),
        jwks_uri: client.jwks_uri.clone(),
        jwt_access_tokens: client.jwt_access_tokens,
        audiences: client.audiences.clone(),
        resource_server: client.resource_server,
        require_second_factor: client.require_second_factor,
        require_verified_email: client.require_verified_email,
        info: client.info.clone(),
        owner_id: client.owner_id,
    }
}

/// At most this many audiences per client.
const MAX_AUDIENCES: usize = 10;

fn valid_audiences(audiences: &[String]) -> Result<Vec<String>, AdminError> {
    if audiences.len() > MAX_AUDIENCES {
        return Err(AdminError::Invalid(format!("at most {MAX_AUDIENCES} audiences")));
    }
    let mut valid: Vec<String> = Vec::new();
    for audience in audiences {
        if !valid_resource_indicator(audience) {
            return Err(AdminError::Invalid(format!(
                "audience {audience:?} is not an absolute URI without a fragment (RFC 8707)"
            )));
        }
        if !valid.contains(audience) {
            valid.push(audience.clone());
        }
    }
    Ok(valid)
}

/// A change to what only operators set (`None`: unchanged).
#[derive(Clone, Debug, Default)]
pub struct AccessChange {
    pub audiences: Option<Vec<String>>,
    pub resource_server: Option<bool>,
    pub require_second_factor: Option<bool>,
    pub require_verified_email: Option<bool>,
    pub first_party: Option<bool>,
    /// `Some(None)`: no management API access.
    pub management: Option<Option<ManagementAccess>>,
}

/// Sets what a client's access tokens reach (RFC 8707 audiences), whether it
/// may introspect every access token and whether signing in to it needs a
/// second factor. Only operators do this (the CLI); registration and the
/// portal cannot.
pub async fn set_client_access(
    admin: &ClientAdmin<'_>,
    client_id: &ClientId,
    change: AccessChange,
) -> Result<Client, AdminError> {
    let client = admin
        .clients
        .find_client(client_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no client {client_id}")))?;
    let access = ClientAccess {
        audiences: match change.audiences {
            Some(audiences) => valid_audiences(&audiences)?,
            None => client.audiences.clone(),
        },
        resource_server: change.resource_server.unwrap_or(client.resource_server),
        require_second_factor: change.require_second_factor.unwrap_or(client.require_second_factor),
        require_verified_email: change.require_verified_email.unwrap_or(client.require_verified_email),
        first_party: change.first_party.unwrap_or(client.first_party),
        management: change.management.unwrap_or(client.management),
    };
    if access.management.is_some() && !client.grant_types.iter().any(|g| g == "client_credentials") {
        return Err(AdminError::Invalid(format!(
            "{client_id} cannot use the management API: it does not use client_credentials"
        )));
    }
    let now = admin.clock.now();
    if !admin.clients.set_client_access(client_id, &access, now).await? {
        return Err(AdminError::NotFound(format!("no client {client_id}")));
    }
    let detail = format!(
        "audiences {:?}, resource server {}, second factor required {}, confirmed email required {}, \
         first party {}, management API {}",
        access.audiences,
        access.resource_server,
        access.require_second_factor,
        access.require_verified_email,
        access.first_party,
        access.management.map_or("none", ManagementAccess::as_str)
    );
    crate::audit::record(
        admin.audit,
        AuditEvent::new("client_access_changed", now)
            .client(client_id)
            .detail(detail),
    )
    .await;
    Ok(Client {
        audiences: access.audiences,
        resource_server: access.resource_server,
        require_second_factor: access.require_second_factor,
        require_verified_email: access.require_verified_email,
        first_party: access.first_party,
        management: access.management,
        updated_at: now,
        ..client
    })
}

/// A new secret for a client that has one, shown once. The old one keeps
/// working for `grace_secs` (0: it stops at once), so an app can be
/// redeployed with the new one first.
pub async fn rotate_secret(
    admin: &ClientAdmin<'_>,
    client_id: &ClientId,
    grace_secs: u64,
) -> Result<String, AdminError> {
    let client = admin
        .clients
        .find_client(client_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no client {client_id}")))?;
    let Some(old_hash) = client.secret_hash else {
        return Err(AdminError::Invalid(format!(
            "client {client_id} has no secret (it authenticates with {})",
            client.auth_method.as_str()
        )));
    };
    let secret = crypto::random_token();
    let now = admin.clock.now();
    let previous = (grace_secs > 0).then(|| PreviousSecret {
        hash: old_hash,
        expires_at: now.saturating_add(grace_secs.min(i64::MAX as u64) as i64),
    });
    if !admin
        .clients
        .set_client_secret(client_id, &crypto::digest(&secret), previous.as_ref(), now)
        .await?
    {
        return Err(AdminError::NotFound(format!("no client {client_id}")));
    }
    crate::audit::record(
        admin.audit,
        AuditEvent::new("client_secret_rotated", now)
            .client(client_id)
            .detail(format!("grace {grace_secs}s")),
    )
    .await;
    Ok(secret)
}

/// Deletes a client; its tokens die with it (refresh tokens revoked, access
/// tokens refused from now on).
pub async fn delete_client(admin: &ClientAdmin<'_>, client_id: &ClientId) -> Result<(), AdminError> {
    let now = admin.clock.now();
    if !admin.clients.delete_client(client_id).await? {
        return Err(AdminError::NotFound(format!("no client {client_id}")));
    }
    admin.refresh_tokens.revoke_client_tokens(client_id, now).await?;
    admin.access_tokens.revoke_client(client_id).await?;
    crate::audit::record(admin.audit, AuditEvent::new("client_deleted", now).client(client_id)).await;
    Ok(())
}
