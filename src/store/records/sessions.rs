//! SSO sessions by handle (the digest of the cookie's id), each person's
//! index of their session handles, and whose sessions an upstream
//! provider's session id names (for its logout tokens that carry only `sid`).

use std::time::Duration;

use uuid::Uuid;

use super::{get_json, put_json};
use crate::domain::{SessionHandle, SsoSession};
use crate::store::{EphemeralStore, StoreError};

pub struct SessionRecords<'a> {
    store: &'a dyn EphemeralStore,
}

fn session_key(handle: &SessionHandle) -> String {
    format!("sso:{handle}")
}

fn user_index_key(user_id: Uuid) -> String {
    format!("user-sessions:{user_id}")
}

fn upstream_sid_key(upstream: &str, sid: &str) -> String {
    format!("upstream-sid:{}", crate::crypto::digest(&format!("{upstream}\n{sid}")))
}

impl<'a> SessionRecords<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        SessionRecords { store }
    }

    /// Writes the session, to live `ttl` (until its end).
    pub async fn put(&self, handle: &SessionHandle, session: &SsoSession, ttl: Duration) -> Result<(), StoreError> {
        put_json(self.store, &session_key(handle), session, ttl).await
    }

    pub async fn get(&self, handle: &SessionHandle) -> Result<Option<SsoSession>, StoreError> {
        get_json(self.store, &session_key(handle)).await
    }

    /// Adds a handle to the person's index, which lives `ttl` (the longest a
    /// session can).
    pub async fn index(&self, user_id: Uuid, handle: &SessionHandle, ttl: Duration) -> Result<(), StoreError> {
        self.store.set_add(&user_index_key(user_id), handle.as_str(), ttl).await
    }

    pub async fn handles_of(&self, user_id: Uuid) -> Result<Vec<SessionHandle>, StoreError> {
        let members = self.store.set_members(&user_index_key(user_id)).await?;
        Ok(members.into_iter().map(SessionHandle::from_stored).collect())
    }

    /// Records that upstream `upstream`'s session `sid` signed `user_id` in,
    /// for `ttl` (the longest a session can live).
    pub async fn index_upstream_sid(
        &self,
        (upstream, sid): (&str, &str),
        user_id: Uuid,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        put_json(self.store, &upstream_sid_key(upstream, sid), &user_id, ttl).await
    }

    /// Whom upstream `upstream`'s session `sid` signed in.
    pub async fn user_of_upstream_sid(&self, upstream: &str, sid: &str) -> Result<Option<Uuid>, StoreError> {
        get_json(self.store, &upstream_sid_key(upstream, sid)).await
    }

    /// Removes the session and its entry in the person's index.
    pub async fn remove(&self, handle: &SessionHandle, user_id: Uuid) -> Result<(), StoreError> {
        self.store.delete(&session_key(handle)).await?;
        self.store.set_remove(&user_index_key(user_id), handle.as_str()).await
    }
}
