//! Authorization codes: 256-bit random, kept by digest, taken exactly once;
//! and the mark a redeemed code leaves, naming the grant's token family, so
//! that a second use can be told from a bad code and revoke what the first
//! use issued.

use std::time::Duration;

use super::{put_json, take_json};
use crate::crypto;
use crate::domain::{FamilyId, StoredGrant};
use crate::store::{EphemeralStore, StoreError};

pub struct Codes<'a> {
    store: &'a dyn EphemeralStore,
}

fn code_key(code: &str) -> String {
    format!("code:{}", crypto::digest(code))
}

fn used_key(code: &str) -> String {
    format!("code-used:{}", crypto::digest(code))
}

impl<'a> Codes<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        Codes { store }
    }

    /// Stores the grant until `grant.expires_at` (`ttl` from now) and returns
    /// the code to send to the client.
    pub async fn issue(&self, grant: &StoredGrant, ttl: Duration) -> Result<String, StoreError> {
        let code = crypto::random_token();
        put_json(self.store, &code_key(&code), grant, ttl).await?;
        Ok(code)
    }

    /// Takes the grant atomically: of concurrent redemptions, exactly one gets it.
    pub async fn take(&self, code: &str) -> Result<Option<StoredGrant>, StoreError> {
        take_json(self.store, &code_key(code)).await
    }

    /// Records that `code` was redeemed into `family`, for `ttl`.
    pub async fn mark_used(&self, code: &str, family: FamilyId, ttl: Duration) -> Result<(), StoreError> {
        self.store
            .put(&used_key(code), family.to_string().as_bytes(), ttl)
            .await
    }

    /// The family a redeemed `code` yielded, while its mark lives.
    pub async fn used_family(&self, code: &str) -> Result<Option<FamilyId>, StoreError> {
        let Some(mark) = self.store.get(&used_key(code)).await? else {
            return Ok(None);
        };
        let family = std::str::from_utf8(&mark)
            .ok()
            .and_then(|text| uuid::Uuid::parse_str(text).ok())
            .ok_or_else(|| StoreError::Corrupt("a used code's mark names no token family".into()))?;
        Ok(Some(FamilyId::from_uuid(family)))
    }
}
