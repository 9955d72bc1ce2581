//! "Forgot your password?": a mailed link sets a new one.
//!
//! Nothing here tells whether an account exists: the request is answered
//! before it is looked at (the HTTP layer runs [`PasswordReset::request`]
//! after answering), unknown names and addresses send nothing, and the
//! per-account limit drops links silently. A link's token is 256 random
//! bits kept only as a digest; it works once, for `link_ttl_secs`, and only
//! while no newer link was sent. Following it asks for the account's second
//! factor (an authenticator code or a recovery code) before the new
//! password counts; setting it ends every session (apps are told) and
//! revokes refresh tokens, and the person is told by mail.

use std::time::Duration;

use uuid::Uuid;

use crate::admin::{self, OfflineTokens, UserAdmin};
use crate::auth::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::auth::second_factor::{CodeCheck, SecondFactors};
use crate::clock::Clock;
use crate::config::PasswordResetSettings;
use crate::domain::{AuditEvent, User, Username};
use crate::error::InternalError;
use crate::mail::{Outbox, messages};
use crate::store::records::{Counters, LinkTarget, MailedLinks, RateSubject};
use crate::store::{AuditLog, LinkedIdentityRepository, StoreError, UserRepository};

const HOUR: Duration = Duration::from_secs(3600);

/// What a person must give besides the new password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// Nothing: the account has no second factor.
    None,
    /// An authenticator code or a recovery code.
    Code,
    /// Only a security key or passkey, which this form cannot take: the
    /// person signs in with it instead, or an operator resets the factors.
    KeyOnly,
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("this link has expired, was used already, or a newer one was sent")]
    LinkDead,
    #[error("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("the two passwords differ")]
    Mismatch,
    #[error("enter the code from your authenticator app, or a recovery code")]
    CodeNeeded,
    #[error("that code is not right")]
    WrongCode,
    #[error("too many wrong codes: wait {0} seconds")]
    Throttled(u64),
    #[error("this account's second step is a security key or passkey: sign in with it")]
    KeyOnly,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<StoreError> for ResetError {
    fn from(e: StoreError) -> Self {
        ResetError::Internal(e.into())
    }
}

impl From<admin::AdminError> for ResetError {
    fn from(e: admin::AdminError) -> Self {
        match e {
            admin::AdminError::Store(e) => ResetError::Internal(e.into()),
            admin::AdminError::Password(e) => ResetError::Internal(InternalError::Password(e.to_string())),
            // The password was checked against the same rule before.
            _ => ResetError::WeakPassword,
        }
    }
}

/// What resetting a password touches.
pub struct PasswordReset<'a> {
    pub users: &'a dyn UserRepository,
    /// Accounts of the directory get no link: their password is kept there.
    pub identities: &'a dyn LinkedIdentityRepository,
    pub links: MailedLinks<'a>,
    pub counters: Counters<'a>,
    pub mail: Outbox<'a>,
    pub factors: SecondFactors<'a>,
    /// Ends sessions and revokes tokens, as an operator's password change does.
    pub admin: UserAdmin<'a>,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    pub settings: &'a PasswordResetSettings,
    /// `account.notices.password_changed`: mail the person once it changed.
    pub notices: bool,
    pub issuer: &'a str,
    pub service: &'a str,
}

/// A live link, as its page shows it.
pub struct Ticket {
    pub user: User,
    pub proof: Proof,
}

impl PasswordReset<'_> {
    /// Mails a link to each active account the username or address names
    /// (nothing when none does). Called after the person was answered.
    pub async fn request(&self, identifier: &str, client_ip: &str) -> Result<(), ResetError> {
        let identifier = identifier.trim();
        let accounts = if identifier.contains('@') {
            self.users.find_by_email(identifier).await?
        } else {
            match Username::parse(identifier) {
                Ok(name) => self
                    .users
                    .find_credentials(&name)
                    .await?
                    .map(|(u, _)| u)
                    .into_iter()
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        for user in accounts.into_iter().filter(|u| !u.disabled) {
            let Some(email) = user.email.clone() else { continue };
            if crate::auth::directory::from_directory(self.identities, user.id).await? {
                continue;
            }
            let account = user.id.to_string();
            let sent = self
                .counters
                .count(RateSubject::PasswordResetLinks { account: &account }, HOUR)
                .await?;
            let now = self.clock.now();
            if sent > self.settings.per_account_per_hour {
                let event = AuditEvent::new("password_reset_limited", now)
                    .user(user.id)
                    .ip(client_ip);
                crate::audit::record(self.audit, event).await;
                continue;
            }
            let ttl = Duration::from_secs(self.settings.link_ttl_secs.max(60));
            let target = LinkTarget {
                user_id: user.id,
                email: None,
                account: None,
            };
            let token = self.links.issue(target, now, ttl).await?;
            let link = format!("{}/login/reset?token={token}", self.issuer);
            let message =
                messages::password_reset(&email, display_name(&user), self.service, &link, ttl.as_secs() / 60);
            self.mail.queue(message).await?;
            let event = AuditEvent::new("password_reset_requested", now)
                .user(user.id)
                .ip(client_ip);
            crate::audit::record(self.audit, event).await;
        }
        Ok(())
    }

    /// The account a live link resets, and what it must prove.
    pub async fn ticket(&self, token: &str) -> Result<Option<Ticket>, ResetError> {
        let Some(target) = self.links.peek(token, self.clock.now()).await? else {
            return Ok(None);
        };
        let Some(user) = self.active(target.user_id).await? else {
            return Ok(None);
        };
        let proof = self.proof(user.id).await?;
        Ok(Some(Ticket { user, proof }))
    }

    /// Whether a form that sends mail may be used from `client_ip` now.
    pub async fn allowed_from(&self, client_ip: &str) -> Result<bool, ResetError> {
        let requests = self
            .counters
            .count(RateSubject::PasswordResetFrom { client_ip }, HOUR)
            .await?;
        Ok(requests <= self.settings.per_address_per_hour)
    }

    /// Sets the new password once everything holds, using the link up.
    pub async fn complete(
        &self,
        token: &str,
        password: String,
        repeated: &str,
        code: Option<&str>,
        client_ip: &str,
    ) -> Result<User, ResetError> {
        let ticket = self.ticket(token).await?.ok_or(ResetError::LinkDead)?;
        if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
            return Err(ResetError::WeakPassword);
        }
        if !crate::crypto::constant_time_eq(&password, repeated) {
            return Err(ResetError::Mismatch);
        }
        match ticket.proof {
            Proof::None => {}
            Proof::KeyOnly => return Err(ResetError::KeyOnly),
            Proof::Code => {
                let code = code
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .ok_or(ResetError::CodeNeeded)?;
                match self.factors.check(ticket.user.id, code, client_ip).await? {
                    CodeCheck::Accepted { .. } => {}
                    CodeCheck::Refused => return Err(ResetError::WrongCode),
                    CodeCheck::Throttled(wait) => return Err(ResetError::Throttled(wait.as_secs().max(1))),
                }
            }
        }
        if self.links.take(token, self.clock.now()).await?.map(|t| t.user_id) != Some(ticket.user.id) {
            return Err(ResetError::LinkDead);
        }
        let user = ticket.user;
        admin::set_password(&self.admin, user.username.as_str(), password, OfflineTokens::Revoke).await?;
        let now = self.clock.now();
        crate::audit::record(
            self.audit,
            AuditEvent::new("password_reset", now).user(user.id).ip(client_ip),
        )
        .await;
        if self.notices
            && let Some(email) = &user.email
        {
            let notice = messages::password_changed(
                email,
                display_name(&user),
                self.service,
                messages::PasswordChange::ResetLink,
            );
            self.mail.queue(notice).await?;
        }
        Ok(user)
    }

    async fn active(&self, user_id: Uuid) -> Result<Option<User>, StoreError> {
        Ok(self.users.find_user(user_id).await?.filter(|u| !u.disabled))
    }

    async fn proof(&self, user_id: Uuid) -> Result<Proof, StoreError> {
        let summary = self.factors.summary(user_id).await?;
        Ok(if summary.totp.is_some() || summary.recovery_codes_left > 0 {
            Proof::Code
        } else if !summary.keys.is_empty() {
            Proof::KeyOnly
        } else {
            Proof::None
        })
    }
}

fn display_name(user: &User) -> &str {
    user.display_name.as_deref().unwrap_or(user.username.as_str())
}
