//! New accounts made by people rather than operators, as `signup.mode`
//! allows: an operator's invitation (the person chooses a username and
//! password from the mailed link), or open sign-up, where the account is
//! created only once its address is confirmed from a mailed link. Sign-up
//! never tells whether an address has an account: the answer is the same,
//! and the address's owner is mailed instead of a confirmation link. Either
//! way the address is proven, so the account starts with `email_verified`.

use std::time::Duration;

use uuid::Uuid;

use crate::auth::password::{self, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::clock::Clock;
use crate::config::{SignupMode, SignupSettings};
use crate::domain::{AuditEvent, Role, User, Username, is_display_name, is_email_address};
use crate::error::InternalError;
use crate::mail::{Outbox, messages};
use crate::store::records::{Counters, LinkTarget, MailedLinks, PendingAccount, RateSubject};
use crate::store::{AuditLog, StoreError, UserRepository};

const HOUR: Duration = Duration::from_secs(3600);
/// Sign-up messages one address receives per hour at most, from sign-ups
/// made from one network, and from all of them together.
const MAIL_PER_ADDRESS_PER_NETWORK_PER_HOUR: u64 = 3;
const MAIL_PER_ADDRESS_PER_HOUR: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("accounts are not created this way here")]
    Closed,
    #[error("too many sign-ups from your network: try again in an hour")]
    TooMany,
    #[error("{0}")]
    InvalidUsername(String),
    #[error("this username is taken: choose another")]
    UsernameTaken,
    #[error("that is not an email address")]
    NotAnAddress,
    #[error("a name has at most 200 characters and no control characters")]
    BadName,
    #[error("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    WeakPassword,
    #[error("the two passwords differ")]
    Mismatch,
    #[error("this link has expired or was used already")]
    LinkDead,
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<StoreError> for SignupError {
    fn from(e: StoreError) -> Self {
        SignupError::Internal(e.into())
    }
}

impl From<password::PasswordError> for SignupError {
    fn from(e: password::PasswordError) -> Self {
        SignupError::Internal(InternalError::Password(e.to_string()))
    }
}

/// What a person fills in to sign up (or to accept an invitation, without
/// the address).
pub struct Application<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: String,
    pub repeated: &'a str,
}

pub struct Signup<'a> {
    pub users: &'a dyn UserRepository,
    pub invitations: MailedLinks<'a>,
    pub confirmations: MailedLinks<'a>,
    pub counters: Counters<'a>,
    pub mail: Outbox<'a>,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    pub settings: &'a SignupSettings,
    pub issuer: &'a str,
    pub service: &'a str,
}

fn check_password(password: &str, repeated: &str) -> Result<(), SignupError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(SignupError::WeakPassword);
    }
    if !crate::crypto::constant_time_eq(password, repeated) {
        return Err(SignupError::Mismatch);
    }
    Ok(())
}

fn check_name(name: &str) -> Result<Option<String>, SignupError> {
    let name = name.trim();
    if !is_display_name(name) {
        return Err(SignupError::BadName);
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

impl Signup<'_> {
    /// Mails an invitation to `email`, granting `roles` once accepted
    /// (an operator's command).
    pub async fn invite(&self, email: &str, roles: Vec<Role>) -> Result<(), SignupError> {
        if self.settings.mode == SignupMode::Closed {
            return Err(SignupError::Closed);
        }
        let email = email.trim();
        if !is_email_address(email) {
            return Err(SignupError::NotAnAddress);
        }
        let ttl = Duration::from_secs(self.settings.invitation_ttl_secs.max(60));
        let target = LinkTarget {
            user_id: Uuid::now_v7(),
            email: Some(email.to_string()),
            account: Some(PendingAccount {
                roles,
                ..PendingAccount::default()
            }),
        };
        let now = self.clock.now();
        let token = self.invitations.issue(target, now, ttl).await?;
        let link = format!("{}/invitation?token={token}", self.issuer);
        let days = (ttl.as_secs() / 86_400).max(1);
        self.mail
            .queue(messages::invitation(email, self.service, &link, days))
            .await?;
        let event = AuditEvent::new("user_invited", now).detail(email);
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    /// The address a live invitation was sent to.
    pub async fn invitation(&self, token: &str) -> Result<Option<String>, SignupError> {
        Ok(self
            .invitations
            .peek(token, self.clock.now())
            .await?
            .and_then(|target| target.email))
    }

    /// Accepts an invitation: the account exists, its address proven.
    pub async fn accept(&self, token: &str, application: Application<'_>) -> Result<User, SignupError> {
        if self.settings.mode == SignupMode::Closed {
            return Err(SignupError::Closed);
        }
        let now = self.clock.now();
        self.invitations.peek(token, now).await?.ok_or(SignupError::LinkDead)?;
        let username = self.free_username(application.username).await?;
        let display_name = check_name(application.display_name)?;
        check_password(&application.password, application.repeated)?;
        let hash = password::hash_password(application.password).await?;
        let target = self.invitations.take(token, now).await?.ok_or(SignupError::LinkDead)?;
        let pending = PendingAccount {
            username: Some(username.to_string()),
            display_name,
            password_hash: Some(hash),
            ..target.account.clone().unwrap_or_default()
        };
        self.create(target, pending, "invitation_accepted").await
    }

    /// Open sign-up: mails a confirmation link to the address, or, when it
    /// has an account, a notice to its owner; the answer is the same.
    pub async fn sign_up(&self, application: Application<'_>, client_ip: &str) -> Result<(), SignupError> {
        if self.settings.mode != SignupMode::Open {
            return Err(SignupError::Closed);
        }
        let requests = self.counters.count(RateSubject::SignUpFrom { client_ip }, HOUR).await?;
        if requests > self.settings.per_address_per_hour {
            return Err(SignupError::TooMany);
        }
        let username = self.free_username(application.username).await?;
        let email = application.email.trim();
        if !is_email_address(email) {
            return Err(SignupError::NotAnAddress);
        }
        let display_name = check_name(application.display_name)?;
        check_password(&application.password, application.repeated)?;
        // Hashed whether or not the address is taken: both answers take as long.
        let hash = password::hash_password(application.password).await?;
        let now = self.clock.now();
        // Sign-ups naming one address must not flood its inbox: beyond a
        // few an hour nothing more is mailed there (the answer is the same).
        // Counted per network first, so that one network naming someone
        // else's address does not keep its owner from signing up: that
        // takes several networks, and the inbox still gets at most a few.
        let from_here = RateSubject::SignUpMailToFrom { email, client_ip };
        if self.counters.count(from_here, HOUR).await? > MAIL_PER_ADDRESS_PER_NETWORK_PER_HOUR {
            return Ok(());
        }
        let mailed = self.counters.count(RateSubject::SignUpMailTo { email }, HOUR).await?;
        if mailed > MAIL_PER_ADDRESS_PER_HOUR {
            return Ok(());
        }
        if !self.users.find_by_email(email).await?.is_empty() {
            self.mail.queue(messages::account_exists(email, self.service)).await?;
            let event = AuditEvent::new("signup_address_taken", now).ip(client_ip);
            crate::audit::record(self.audit, event).await;
            return Ok(());
        }
        let ttl = Duration::from_secs(self.settings.link_ttl_secs.max(60));
        let target = LinkTarget {
            user_id: Uuid::now_v7(),
            email: Some(email.to_string()),
            account: Some(PendingAccount {
                username: Some(username.to_string()),
                display_name,
                password_hash: Some(hash),
                roles: Vec::new(),
            }),
        };
        let token = self.confirmations.issue(target, now, ttl).await?;
        let link = format!("{}/signup/confirm?token={token}", self.issuer);
        let message = messages::verify_email(email, username.as_str(), self.service, &link, ttl.as_secs() / 60);
        self.mail.queue(message).await?;
        Ok(())
    }

    /// The username and address a live sign-up link confirms.
    pub async fn pending_sign_up(&self, token: &str) -> Result<Option<(String, String)>, SignupError> {
        let target = self.confirmations.peek(token, self.clock.now()).await?;
        Ok(target.and_then(|t| Some((t.account?.username?, t.email?))))
    }

    /// Follows a sign-up's link: the account exists, its address proven.
    pub async fn confirm(&self, token: &str) -> Result<User, SignupError> {
        let target = self
            .confirmations
            .take(token, self.clock.now())
            .await?
            .ok_or(SignupError::LinkDead)?;
        let pending = target.account.clone().ok_or(SignupError::LinkDead)?;
        self.create(target, pending, "signed_up").await
    }

    async fn free_username(&self, username: &str) -> Result<Username, SignupError> {
        let username = Username::parse(username.trim()).map_err(|e| SignupError::InvalidUsername(e.to_string()))?;
        if self.users.find_credentials(&username).await?.is_some() {
            return Err(SignupError::UsernameTaken);
        }
        Ok(username)
    }

    async fn create(&self, target: LinkTarget, pending: PendingAccount, event: &str) -> Result<User, SignupError> {
        let username = pending.username.as_deref().unwrap_or_default();
        let username = Username::parse(username).map_err(|e| SignupError::InvalidUsername(e.to_string()))?;
        let hash = pending.password_hash.ok_or(SignupError::LinkDead)?;
        let now = self.clock.now();
        let user = User {
            id: target.user_id,
            username,
            email: target.email,
            email_verified: true,
            display_name: pending.display_name,
            disabled: false,
            roles: pending.roles,
            created_at: now,
            updated_at: now,
        };
        match self.users.create_user(&user, &hash).await {
            Ok(()) => {}
            // Taken between the sign-up and its confirmation.
            Err(StoreError::Conflict(_)) => return Err(SignupError::UsernameTaken),
            Err(e) => return Err(e.into()),
        }
        crate::audit::record(self.audit, AuditEvent::new(event, now).user(user.id)).await;
        Ok(user)
    }
}
