//! Operator commands that act on what only the serving node holds. Without
//! Redis, sessions, access tokens and the key ring live in the server's
//! memory: `sesame user logout` run beside it must be carried out by it, or
//! it would end nothing. The CLI sends an [`Operation`] over the node's
//! admin socket ([`socket`]) and the node performs it; with Redis the CLI
//! performs it itself. Either way [`perform`] is the one place it is done.

pub mod socket;

use serde::{Deserialize, Serialize};

use crate::admin::{self, AdminError, Ended, OfflineTokens};
use crate::domain::{ClientId, Role};
use crate::keys::KeyError;
use crate::startup::Services;

/// What an operator asks of the running node.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "snake_case")]
pub enum Operation {
    LogoutUser {
        username: String,
        offline: OfflineTokens,
    },
    DisableUser {
        username: String,
        offline: OfflineTokens,
    },
    DeleteUser {
        username: String,
    },
    SetPassword {
        username: String,
        password: String,
        offline: OfflineTokens,
    },
    ResetSecondFactors {
        username: String,
    },
    DeleteClient {
        client_id: String,
    },
    RevokeKey {
        kid: String,
    },
    /// Mails an invitation (its link lives in the ephemeral store, hence here).
    InviteUser {
        email: String,
        roles: Vec<Role>,
    },
}

impl Operation {
    /// Names the operation in logs and audit trails, without its arguments
    /// (a password is one of them).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::LogoutUser { .. } => "logout_user",
            Operation::DisableUser { .. } => "disable_user",
            Operation::DeleteUser { .. } => "delete_user",
            Operation::SetPassword { .. } => "set_password",
            Operation::ResetSecondFactors { .. } => "reset_second_factors",
            Operation::DeleteClient { .. } => "delete_client",
            Operation::RevokeKey { .. } => "revoke_key",
            Operation::InviteUser { .. } => "invite_user",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Signup(#[from] crate::account::signup::SignupError),
}

/// Carries out `operation` on this node; what it ended, for the operator.
pub async fn perform(services: &Services, operation: Operation) -> Result<Ended, OperationError> {
    let users = services.user_admin();
    let ended = match operation {
        Operation::LogoutUser { username, offline } => admin::logout_user(&users, &username, offline).await?,
        Operation::DisableUser { username, offline } => {
            admin::set_user_disabled(&users, &username, true, offline).await?
        }
        Operation::DeleteUser { username } => admin::delete_user(&users, &username).await?,
        Operation::SetPassword {
            username,
            password,
            offline,
        } => admin::set_password(&users, &username, password, offline).await?,
        Operation::ResetSecondFactors { username } => {
            admin::reset_second_factors(&users, &services.second_factors(), &username).await?
        }
        Operation::DeleteClient { client_id } => {
            let client_id =
                ClientId::parse(&client_id).map_err(|_| AdminError::NotFound(format!("no client {client_id:?}")))?;
            admin::delete_client(&services.client_admin(), &client_id).await?;
            Ended::default()
        }
        Operation::RevokeKey { kid } => {
            services.key_rotation().revoke(&kid).await?;
            Ended::default()
        }
        Operation::InviteUser { email, roles } => {
            services.signup().invite(&email, roles).await?;
            Ended::default()
        }
    };
    Ok(ended)
}
