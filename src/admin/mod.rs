//! Operations on users and clients shared by the CLI (and, later, the
//! developer pages), so each rule is written once.

mod clients;
mod users;

pub use clients::{CreatedClient, NewClient, add_client, delete_client, rotate_secret};
pub use users::{NewUser, add_user, logout_user, set_password, set_user_disabled};

use crate::auth::password::PasswordError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}
