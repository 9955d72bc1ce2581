//! One sign-in attempt with a password, from the throttle to the audit
//! trail: what `POST /login` does, without HTTP. Unknown user, wrong password
//! and disabled account are one outcome, alike in answer and in time.

use std::time::Duration;

use uuid::Uuid;

use super::device::DeviceCookie;
use super::directory::{Decider, DirectoryLogin, DirectorySignIn};
use super::password;
use super::throttle::{FailureEffect, LoginThrottle, Source};
use crate::clock::Clock;
use crate::config::{AuditUsername, LoginSettings};
use crate::domain::{AuditEvent, User, Username};
use crate::error::InternalError;
use crate::keys::Sealer;
use crate::mail::notices::{Change, Notices};
use crate::store::records::Counters;
use crate::store::{AuditLog, EphemeralStore, UserRepository};

/// What the person sent, and from where.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub client_ip: &'a str,
    /// The browser's device cookie, if it sent one.
    pub device_cookie: Option<&'a str>,
    /// `false` for a script's credentials (HTTP Basic at the gateway): a
    /// script keeps no device cookie, so telling the person of a "new
    /// browser" would be a mail for every few of its requests.
    pub from_browser: bool,
}

#[derive(Debug)]
pub enum LoginOutcome {
    /// The password is right: the account, and the device cookie to set
    /// (this browser is now known for the account).
    SignedIn { user: User, device_cookie: String },
    /// Unknown user, wrong password or disabled account.
    Refused,
    /// This source must wait before trying again.
    Throttled(Duration),
}

pub struct PasswordLogin<'a> {
    pub users: &'a dyn UserRepository,
    pub store: &'a dyn EphemeralStore,
    pub audit: &'a dyn AuditLog,
    pub sealer: &'a Sealer,
    pub clock: &'a dyn Clock,
    pub settings: &'a LoginSettings,
    /// Tells the person of a sign-in from a browser that had not signed in
    /// to the account before (a signal, never a lock-out).
    pub notices: Notices<'a>,
    /// The directory, when `ldap.enabled`.
    pub directory: Option<DirectoryLogin<'a>>,
}

/// The name failures are counted under: the username as stored (lower
/// case) when it is one, else what was typed, so that made-up names are
/// throttled too.
fn account_name(typed: &str) -> String {
    match Username::parse(typed) {
        Ok(name) => name.as_str().to_string(),
        Err(_) => typed.trim().to_lowercase(),
    }
}

impl PasswordLogin<'_> {
    pub async fn attempt(&self, attempt: Attempt<'_>) -> Result<LoginOutcome, InternalError> {
        let now = self.clock.now();
        let account = account_name(attempt.username);
        let max_age = (self.settings.device_cookie_days.saturating_mul(86_400)).min(i64::MAX as u64) as i64;
        let device = attempt
            .device_cookie
            .and_then(|value| DeviceCookie::open(self.sealer, value, now, max_age));
        let known_browser = device.as_ref().filter(|d| d.knows(&account));
        let source = match known_browser {
            Some(device) => Source::KnownBrowser(&device.id),
            None => Source::Address(attempt.client_ip),
        };
        let throttle = LoginThrottle::new(Counters::new(self.store), self.settings);
        if let Some(wait) = throttle.wait_before_attempt(&account, source).await? {
            // Counted, not written to SQL: the wait itself was recorded when
            // it began, and a flood of refused attempts must not become rows.
            crate::observability::login("throttled");
            return Ok(LoginOutcome::Throttled(wait));
        }
        let (known_user, verified) = self.verify(attempt.username, attempt.password).await?;
        match verified {
            Some(user) => {
                crate::observability::login("succeeded");
                throttle.record_success(&account, source).await?;
                if known_browser.is_none() && attempt.from_browser {
                    let detail = format!("from the network address {}", attempt.client_ip);
                    self.notices.tell(user.id, Change::NewBrowser, &detail).await;
                }
                let cookie = device
                    .unwrap_or_else(|| DeviceCookie::fresh(now))
                    .with_account(&account, now)
                    .seal(self.sealer)?;
                Ok(LoginOutcome::SignedIn {
                    user,
                    device_cookie: cookie,
                })
            }
            None => {
                crate::observability::login("failed");
                let effect = throttle.record_failure(&account, source).await?;
                self.audit_failure(&effect, (known_user, attempt.username), source, attempt.client_ip, now)
                    .await;
                Ok(LoginOutcome::Refused)
            }
        }
    }

    /// The account's id when the name exists, and the account when the
    /// password is right and the account active: the directory decides for
    /// its accounts (see `DirectoryLogin::decider`), argon2 for the others
    /// — and runs for unknown names too.
    async fn verify(&self, username: &str, password: &str) -> Result<(Option<Uuid>, Option<User>), InternalError> {
        let credentials = match Username::parse(username) {
            Ok(name) => self.users.find_credentials(&name).await?,
            Err(_) => None,
        };
        if let Some(directory) = &self.directory {
            let local = credentials.as_ref().map(|(user, hash)| (user, !hash.is_empty()));
            if directory.decider(local).await? == Decider::Directory {
                let known = credentials.as_ref().map(|(user, _)| user.id);
                let now = self.clock.now();
                match directory.sign_in(self.users, (username, password), now).await? {
                    DirectorySignIn::SignedIn(user) => return Ok((Some(user.id), Some(user))),
                    DirectorySignIn::Refused => return Ok((known, None)),
                    DirectorySignIn::NoSuchEntry => {}
                }
            }
        }
        let (user, hash) = match credentials {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let matches = password::verify_password(password.to_string(), hash)
            .await
            .map_err(|e| InternalError::Password(e.to_string()))?;
        let known = user.as_ref().map(|u| u.id);
        Ok((known, user.filter(|u| matches && !u.disabled)))
    }

    /// Failures are written as aggregates, not one row each: at every power
    /// of two of the account's count from everywhere (of the address's count
    /// for names that are no account, so a spray of made-up names writes a
    /// handful of rows; of the browser's count for a known browser), when a
    /// source starts waiting, and once when the account's failures reach the
    /// alert level.
    async fn audit_failure(
        &self,
        effect: &FailureEffect,
        (user, typed): (Option<Uuid>, &str),
        source: Source<'_>,
        client_ip: &str,
        now: i64,
    ) {
        let from = match source {
            Source::KnownBrowser(_) => "a browser that signed in to it before",
            Source::Address(_) => "this address",
        };
        let window_min = self.settings.throttle_window_secs / 60;
        let event = |name: &str, detail: String| {
            let event = AuditEvent::new(name, now).ip(client_ip).detail(detail);
            match user {
                Some(id) => event.user(id),
                None => event,
            }
        };
        let counted = match (user, effect.account_failures, effect.address_failures) {
            (Some(_), Some(account), _) => Some((account, "for this account")),
            (None, _, Some(address)) => Some((address, "from this address")),
            _ => None,
        };
        let (count, scope) = counted.unwrap_or((effect.failures, "for this account from a browser it knows"));
        if count.is_power_of_two() {
            let tried = match self.settings.audit_username {
                AuditUsername::Plain => format!("{:?}", typed.trim().chars().take(64).collect::<String>()),
                AuditUsername::Digest => format!("sha256:{}", crate::crypto::digest(typed.trim())),
            };
            let detail = format!("{count} failed sign-in(s) {scope} in {window_min} min; username tried {tried}");
            crate::audit::record(self.audit, event("login_failed", detail)).await;
        }
        if effect.started_waiting
            && let Some(wait) = effect.wait
        {
            let detail = format!("sign-ins from {from} wait {} s from now on", wait.as_secs());
            crate::audit::record(self.audit, event("login_throttled", detail)).await;
        }
        if effect.account_alert {
            crate::observability::account_targeted();
            let detail = format!(
                "{} failed sign-ins for this account from elsewhere in {window_min} min; nobody is refused for it",
                self.settings.account_alert_failures
            );
            crate::audit::record(self.audit, event("account_targeted", detail)).await;
        }
    }
}
