//! Password reset links: the digest of the link's token names the account
//! it resets, and a per-account mark names the newest link, so that a link
//! works once, until it expires, and only while no newer one was sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{get_json, put_json, take_json};
use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

#[derive(Serialize, Deserialize)]
struct Link {
    user_id: Uuid,
    /// Checked against the clock as well as kept by the store's expiry.
    expires_at: i64,
}

pub struct ResetLinks<'a> {
    store: &'a dyn EphemeralStore,
}

fn link_key(digest: &str) -> String {
    format!("reset:{digest}")
}

fn newest_key(user_id: Uuid) -> String {
    format!("reset-newest:{}", crypto::digest(&user_id.to_string()))
}

impl<'a> ResetLinks<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        ResetLinks { store }
    }

    /// A new link's token for `user_id`, valid for `ttl` from `now`; older
    /// links die.
    pub async fn issue(&self, user_id: Uuid, now: i64, ttl: Duration) -> Result<String, StoreError> {
        let token = crypto::random_token();
        let digest = crypto::digest(&token);
        let link = Link {
            user_id,
            expires_at: now.saturating_add(ttl.as_secs() as i64),
        };
        put_json(self.store, &link_key(&digest), &link, ttl).await?;
        self.store.put(&newest_key(user_id), digest.as_bytes(), ttl).await?;
        Ok(token)
    }

    /// The account a live link resets, without using it up (a mail scanner
    /// opening the link must not spend it).
    pub async fn peek(&self, token: &str, now: i64) -> Result<Option<Uuid>, StoreError> {
        let digest = crypto::digest(token);
        let Some(link) = get_json::<Link>(self.store, &link_key(&digest)).await? else {
            return Ok(None);
        };
        if now >= link.expires_at {
            return Ok(None);
        }
        Ok(self.is_newest(link.user_id, &digest).await?.then_some(link.user_id))
    }

    /// Uses the link up: of two requests racing with it, one gets the account.
    pub async fn take(&self, token: &str, now: i64) -> Result<Option<Uuid>, StoreError> {
        let digest = crypto::digest(token);
        let Some(link) = take_json::<Link>(self.store, &link_key(&digest)).await? else {
            return Ok(None);
        };
        if now >= link.expires_at || !self.is_newest(link.user_id, &digest).await? {
            return Ok(None);
        }
        self.store.delete(&newest_key(link.user_id)).await?;
        Ok(Some(link.user_id))
    }

    async fn is_newest(&self, user_id: Uuid, digest: &str) -> Result<bool, StoreError> {
        let newest = self.store.get(&newest_key(user_id)).await?;
        Ok(newest.is_some_and(|newest| crypto::constant_time_eq(&String::from_utf8_lossy(&newest), digest)))
    }
}
