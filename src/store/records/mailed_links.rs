//! Links Sesame mails (a password reset, an address to verify): the digest
//! of the link's token names the account (and the address) it acts on, and
//! a per-account, per-purpose mark names the newest link, so that a link
//! works once, until it expires, and only while no newer one was sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{get_json, put_json, take_json};
use crate::crypto;
use crate::domain::Role;
use crate::store::{EphemeralStore, StoreError};

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    PasswordReset,
    /// Proves the address the link was sent to (a new one, or the current one).
    VerifyEmail,
    /// An operator's invitation: the person chooses a username and password.
    Invitation,
    /// Open sign-up: the account is created once its address is proven.
    SignUp,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "reset",
            LinkPurpose::VerifyEmail => "verify",
            LinkPurpose::Invitation => "invite",
            LinkPurpose::SignUp => "signup",
        }
    }
}

/// What a live link acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTarget {
    /// The account (for an invitation or a sign-up, the id it will have).
    pub user_id: Uuid,
    /// The address a verification link proves.
    pub email: Option<String>,
    /// An account that does not exist yet: created when the link is followed.
    #[serde(default)]
    pub account: Option<PendingAccount>,
}

/// What an invitation or a sign-up holds for the account it creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAccount {
    /// Chosen at sign-up; at an invitation, chosen when it is accepted.
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// The argon2id hash of the password chosen at sign-up.
    pub password_hash: Option<String>,
    /// Granted by the operator who invited.
    pub roles: Vec<Role>,
}

#[derive(Serialize, Deserialize)]
struct Link {
    target: LinkTarget,
    /// Checked against the clock as well as kept by the store's expiry.
    expires_at: i64,
}

pub struct MailedLinks<'a> {
    store: &'a dyn EphemeralStore,
    purpose: LinkPurpose,
}

impl<'a> MailedLinks<'a> {
    pub fn new(store: &'a dyn EphemeralStore, purpose: LinkPurpose) -> Self {
        MailedLinks { store, purpose }
    }

    fn link_key(&self, digest: &str) -> String {
        format!("link:{}:{digest}", self.purpose.as_str())
    }

    fn newest_key(&self, user_id: Uuid) -> String {
        format!(
            "link-newest:{}:{}",
            self.purpose.as_str(),
            crypto::digest(&user_id.to_string())
        )
    }

    /// A new link's token for `target`, valid for `ttl` from `now`; older
    /// links of the same purpose for the account die.
    pub async fn issue(&self, target: LinkTarget, now: i64, ttl: Duration) -> Result<String, StoreError> {
        let token = crypto::random_token();
        let digest = crypto::digest(&token);
        let newest = self.newest_key(target.user_id);
        let link = Link {
            target,
            expires_at: now.saturating_add(ttl.as_secs() as i64),
        };
        put_json(self.store, &self.link_key(&digest), &link, ttl).await?;
        self.store.put(&newest, digest.as_bytes(), ttl).await?;
        Ok(token)
    }

    /// What a live link acts on, without using it up (a mail scanner
    /// opening the link must not spend it).
    pub async fn peek(&self, token: &str, now: i64) -> Result<Option<LinkTarget>, StoreError> {
        let digest = crypto::digest(token);
        let Some(link) = get_json::<Link>(self.store, &self.link_key(&digest)).await? else {
            return Ok(None);
        };
        let live = now < link.expires_at && self.is_newest(link.target.user_id, &digest).await?;
        Ok(live.then_some(link.target))
    }

    /// Uses the link up: of two requests racing with it, one gets it.
    pub async fn take(&self, token: &str, now: i64) -> Result<Option<LinkTarget>, StoreError> {
        let digest = crypto::digest(token);
        let Some(link) = take_json::<Link>(self.store, &self.link_key(&digest)).await? else {
            return Ok(None);
        };
        if now >= link.expires_at || !self.is_newest(link.target.user_id, &digest).await? {
            return Ok(None);
        }
        self.store.delete(&self.newest_key(link.target.user_id)).await?;
        Ok(Some(link.target))
    }

    async fn is_newest(&self, user_id: Uuid, digest: &str) -> Result<bool, StoreError> {
        let newest = self.store.get(&self.newest_key(user_id)).await?;
        Ok(newest.is_some_and(|newest| crypto::constant_time_eq(&String::from_utf8_lossy(&newest), digest)))
    }
}
