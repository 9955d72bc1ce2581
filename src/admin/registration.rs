//! Registering, replacing and deleting clients through the registration API
//! (RFC 7591/7592): the protocol's checks (`oidc::registration`) and the
//! shared client operations, answered in the API's error codes.

use super::AdminError;
use super::ClientAdmin;
use super::clients::{CreatedClient, UpdatedClient, Via, add_client, delete_client, update_client};
use crate::domain::Client;
use crate::domain::client_metadata::{self, NewClient};
use crate::error::{ErrorCode, ProtocolError};
use crate::store::RegistrationTokenRepository;

/// Registers a client from API metadata, taking one use of the initial
/// access token (when the policy needs one) only if the metadata is valid.
pub async fn register(
    admin: &ClientAdmin<'_>,
    tokens: &dyn RegistrationTokenRepository,
    initial_token: Option<&str>,
    metadata: NewClient,
) -> Result<CreatedClient, ProtocolError> {
    // Validate before spending a use of the token on a request that fails.
    client_metadata::validate(admin.http_uris, &metadata)?;
    if let Some(digest) = initial_token
        && !tokens.use_registration_token(digest, admin.clock.now()).await?
    {
        return Err(ProtocolError::invalid_token(
            "the initial access token is unknown, expired or used up",
        ));
    }
    add_client(admin, metadata, Via::Api).await.map_err(protocol_error)
}

/// Replaces a registration with the metadata of an RFC 7592 update.
pub async fn replace(
    admin: &ClientAdmin<'_>,
    client: &Client,
    metadata: NewClient,
) -> Result<UpdatedClient, ProtocolError> {
    update_client(admin, &client.client_id, metadata)
        .await
        .map_err(protocol_error)
}

pub async fn delete(admin: &ClientAdmin<'_>, client: &Client) -> Result<(), ProtocolError> {
    delete_client(admin, &client.client_id).await.map_err(protocol_error)
}

fn protocol_error(error: AdminError) -> ProtocolError {
    match error {
        AdminError::Metadata(e) => e.into(),
        AdminError::Invalid(message) => ProtocolError::new(ErrorCode::InvalidClientMetadata, message),
        AdminError::NotFound(_) => ProtocolError::invalid_token("the client no longer exists"),
        AdminError::Store(e) => e.into(),
        AdminError::Password(e) => ProtocolError::server_error(&e),
    }
}
