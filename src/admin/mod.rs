//! Operations on users and clients shared by the CLI, the developer portal
//! and the registration API, so each rule is written once.

mod clients;
mod groups;
pub mod registration;
mod registration_tokens;
pub mod retention;
mod users;

pub use crate::domain::client_metadata::{
    MetadataError, MetadataErrorCode, NewClient, ValidMetadata, validate as validate_metadata,
};
pub use clients::{
    AccessChange, CreatedClient, UpdatedClient, Via, add_client, delete_client, metadata_of, rotate_secret,
    set_client_access, update_client,
};
pub use groups::GroupAdmin;
pub use registration_tokens::{create_registration_token, revoke_registration_token};
pub use users::{
    Ended, NewUser, OfflineTokens, UserEdit, add_user, delete_user, edit_user, logout_user, reset_second_factors,
    second_factors_of, set_password, set_user_disabled, set_user_role,
};

use crate::auth::password::PasswordError;
use crate::clock::Clock;
use crate::domain::client_metadata::HttpUris;
use crate::oidc::access_token::AccessTokens;
use crate::oidc::logout::fanout::Fanout;
use crate::store::{
    AuditLog, ClientRepository, RefreshTokenRepository, RegistrationTokenRepository, StoreError, UserRepository,
};

/// What operations on clients touch.
pub struct ClientAdmin<'a> {
    pub clients: &'a dyn ClientRepository,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
    pub access_tokens: AccessTokens<'a>,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    /// `registration.http_uris`.
    pub http_uris: HttpUris,
}

/// What operations on people touch.
pub struct UserAdmin<'a> {
    pub users: &'a dyn UserRepository,
    /// Ends sessions, with single logout; its access tokens end grants.
    pub fanout: Fanout<'a>,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
}

/// What initial access tokens for the registration API touch.
pub struct RegistrationTokenAdmin<'a> {
    pub tokens: &'a dyn RegistrationTokenRepository,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl crate::error::Availability for AdminError {
    fn is_unavailable(&self) -> bool {
        matches!(self, AdminError::Store(e) if e.is_unavailable())
    }
}
