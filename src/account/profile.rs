//! What a signed-in person changes on their account page: their password
//! (with the current one, or a recent sign-in), their display name, and
//! their email address, which counts only once confirmed from a link sent
//! to it — the old address is told, and `email_verified` becomes true only
//! through such a link (or an operator).

use std::time::Duration;

use crate::auth::password::{self, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::clock::Clock;
use crate::config::AccountSettings;
use crate::domain::{AuditEvent, SessionHandle, User, is_display_name, is_email_address};
use crate::error::InternalError;
use crate::mail::{Outbox, messages};
use crate::oidc::logout::fanout::Fanout;
use crate::store::records::{Counters, LinkTarget, MailedLinks, RateSubject};
use crate::store::{AuditLog, LinkedIdentityRepository, StoreError, UserRepository};

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("enter your current password")]
    CurrentPasswordNeeded,
    #[error("your current password is not right")]
    WrongPassword,
    #[error("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("that is not an email address")]
    NotAnAddress,
    #[error("a name has at most 200 characters and no control characters")]
    BadName,
    #[error("this link has expired, was used already, or a newer one was sent")]
    LinkDead,
    /// The account signs in with a directory password, changed there.
    #[error("the password is kept in the directory")]
    PasswordInDirectory,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<StoreError> for ProfileError {
    fn from(e: StoreError) -> Self {
        ProfileError::Internal(e.into())
    }
}

impl From<password::PasswordError> for ProfileError {
    fn from(e: password::PasswordError) -> Self {
        ProfileError::Internal(InternalError::Password(e.to_string()))
    }
}

/// A password change, as the form gives it.
pub struct NewPassword<'a> {
    /// The current password; may be empty after a recent sign-in.
    pub current: &'a str,
    pub new: String,
    pub repeated: &'a str,
    /// End every other session of the person (apps are told).
    pub end_others: bool,
}

/// What changing one's own account touches.
pub struct Profile<'a> {
    pub users: &'a dyn UserRepository,
    pub links: MailedLinks<'a>,
    /// Upstream and directory accounts linked to local ones.
    pub identities: &'a dyn LinkedIdentityRepository,
    pub counters: Counters<'a>,
    pub mail: Outbox<'a>,
    pub fanout: Fanout<'a>,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    pub settings: &'a AccountSettings,
    pub issuer: &'a str,
    pub service: &'a str,
}

fn display_name(user: &User) -> &str {
    user.display_name.as_deref().unwrap_or(user.username.as_str())
}

impl Profile<'_> {
    /// Sets a new password; returns how many other sessions ended. `recent`:
    /// the person signed in recently enough not to retype the current one.
    pub async fn change_password(
        &self,
        user: &User,
        change: NewPassword<'_>,
        recent: bool,
        this_session: &SessionHandle,
        client_ip: &str,
    ) -> Result<usize, ProfileError> {
        // A password set here would never be asked for: the directory decides.
        if crate::auth::directory::from_directory(self.identities, user.id).await? {
            return Err(ProfileError::PasswordInDirectory);
        }
        if change.current.is_empty() && !recent {
            return Err(ProfileError::CurrentPasswordNeeded);
        }
        if !change.current.is_empty() {
            let stored = self.users.find_credentials(&user.username).await?.map(|(_, hash)| hash);
            if !password::verify_password(change.current.to_string(), stored).await? {
                let event = AuditEvent::new("password_change_refused", self.clock.now())
                    .user(user.id)
                    .ip(client_ip);
                crate::audit::record(self.audit, event).await;
                return Err(ProfileError::WrongPassword);
            }
        }
        if change.new.chars().count() < MIN_PASSWORD_LEN || change.new.len() > MAX_PASSWORD_LEN {
            return Err(ProfileError::WeakPassword);
        }
        if !crate::crypto::constant_time_eq(&change.new, change.repeated) {
            return Err(ProfileError::Mismatch);
        }
        let hash = password::hash_password(change.new).await?;
        let now = self.clock.now();
        self.users.set_password_hash(user.id, &hash, now).await?;
        let mut ended = 0;
        if change.end_others {
            for live in self.fanout.sessions.list_for_user(user.id).await? {
                if &live.handle != this_session {
                    self.fanout.end_session(&live, "password changed").await?;
                    ended += 1;
                }
            }
        }
        let event = AuditEvent::new("password_changed", now).user(user.id).ip(client_ip);
        crate::audit::record(self.audit, event).await;
        if self.settings.notices.password_changed
            && let Some(email) = &user.email
        {
            let how = messages::PasswordChange::AccountPage;
            let notice = messages::password_changed(email, display_name(user), self.service, how);
            self.mail.queue(notice).await?;
        }
        Ok(ended)
    }

    /// Sets (or, empty, clears) the name apps are told.
    pub async fn set_display_name(&self, user: &User, name: &str) -> Result<(), ProfileError> {
        let name = name.trim();
        if !is_display_name(name) {
            return Err(ProfileError::BadName);
        }
        let name = (!name.is_empty()).then_some(name);
        let now = self.clock.now();
        self.users.set_display_name(user.id, name, now).await?;
        crate::audit::record(self.audit, AuditEvent::new("display_name_changed", now).user(user.id)).await;
        Ok(())
    }

    /// Mails a confirmation link to `address` (a new one, or the current
    /// unconfirmed one); nothing changes until it is followed. The current
    /// address, when another, is told.
    pub async fn request_email(&self, user: &User, address: &str, client_ip: &str) -> Result<(), ProfileError> {
        let address = address.trim();
        if !is_email_address(address) {
            return Err(ProfileError::NotAnAddress);
        }
        let account = user.id.to_string();
        let sent = self
            .counters
            .count(RateSubject::VerifyLinks { account: &account }, HOUR)
            .await?;
        if sent > self.settings.verify_per_account_per_hour {
            return Ok(());
        }
        let now = self.clock.now();
        let ttl = Duration::from_secs(self.settings.verify_link_ttl_secs.max(60));
        let target = LinkTarget {
            user_id: user.id,
            email: Some(address.to_string()),
            account: None,
        };
        let token = self.links.issue(target, now, ttl).await?;
        let link = format!("{}/account/email/confirm?token={token}", self.issuer);
        let minutes = ttl.as_secs() / 60;
        let message = messages::verify_email(address, display_name(user), self.service, &link, minutes);
        self.mail.queue(message).await?;
        let changing = user
            .email
            .as_deref()
            .is_some_and(|current| !current.eq_ignore_ascii_case(address));
        if changing
            && self.settings.notices.email_change
            && let Some(current) = &user.email
        {
            let notice = messages::email_change_requested(current, display_name(user), self.service);
            self.mail.queue(notice).await?;
        }
        let event = AuditEvent::new("email_confirmation_sent", now)
            .user(user.id)
            .ip(client_ip);
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    /// The account and address a live confirmation link proves.
    pub async fn pending_email(&self, token: &str) -> Result<Option<(User, String)>, ProfileError> {
        let Some(target) = self.links.peek(token, self.clock.now()).await? else {
            return Ok(None);
        };
        let Some(email) = target.email else { return Ok(None) };
        let user = self.users.find_user(target.user_id).await?.filter(|u| !u.disabled);
        Ok(user.map(|user| (user, email)))
    }

    /// Follows a confirmation link: the address becomes the account's, verified.
    pub async fn confirm_email(&self, token: &str, client_ip: &str) -> Result<(User, String), ProfileError> {
        let (user, email) = self.pending_email(token).await?.ok_or(ProfileError::LinkDead)?;
        let taken = self.links.take(token, self.clock.now()).await?;
        if taken.map(|t| t.user_id) != Some(user.id) {
            return Err(ProfileError::LinkDead);
        }
        let now = self.clock.now();
        self.users.set_email(user.id, Some(&email), true, now).await?;
        let event = AuditEvent::new("email_verified", now).user(user.id).ip(client_ip);
        crate::audit::record(self.audit, event).await;
        Ok((user, email))
    }
}
