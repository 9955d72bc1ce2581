//! Access-token records, by the digest of the token's value, and what groups
//! them: the grant (a code and its refresh family), in one index per
//! access-token lifetime ("bucket"), the SSO session, and revocation marks
//! for a grant and for a deleted client. Every record lives one access-token
//! lifetime (`ttl`).

use std::time::Duration;

use super::{get_json, put_json};
use crate::domain::{AccessTokenRecord, ClientId, FamilyId, SessionHandle};
use crate::store::{EphemeralStore, StoreError};

pub struct AccessTokenRecords<'a> {
    store: &'a dyn EphemeralStore,
    /// `tokens.access_token_ttl_secs`.
    ttl: Duration,
}

fn token_key(digest: &str) -> String {
    format!("at:{digest}")
}

fn grant_tokens_key(grant_id: FamilyId, bucket: i64) -> String {
    format!("grant:{grant_id}:tokens:{bucket}")
}

fn grant_revoked_key(grant_id: FamilyId) -> String {
    format!("grant:{grant_id}:revoked")
}

fn session_tokens_key(session: &SessionHandle) -> String {
    format!("session:{session}:tokens")
}

fn client_revoked_key(client_id: &ClientId) -> String {
    format!("client:{client_id}:revoked")
}

impl<'a> AccessTokenRecords<'a> {
    pub fn new(store: &'a dyn EphemeralStore, ttl: Duration) -> Self {
        AccessTokenRecords { store, ttl }
    }

    /// The grant index a token issued at `at` belongs to. A grant's tokens
    /// are indexed in one set per access-token lifetime, each kept two
    /// lifetimes: a token issued in bucket k is dead before bucket k + 2
    /// begins, so revoking reads the current bucket and the one before, and
    /// a family refreshed for months holds two lifetimes of digests, not all.
    pub fn bucket(&self, at: i64) -> i64 {
        at.div_euclid(self.ttl.as_secs().max(1) as i64)
    }

    /// Records the token, indexed by its SSO session (when it has one) so
    /// that it ends with it. The two writes go out together.
    pub async fn record(&self, token: &AccessTokenRecord, digest: &str) -> Result<(), StoreError> {
        let session_index = async {
            match &token.session {
                Some(session) => self.store.set_add(&session_tokens_key(session), digest, self.ttl).await,
                None => Ok(()),
            }
        };
        let key = token_key(digest);
        tokio::try_join!(put_json(self.store, &key, token, self.ttl), session_index)?;
        Ok(())
    }

    /// Adds the token to its grant's index for bucket `bucket`, then reads
    /// whether the grant is revoked: `true` when it is. A revocation marks
    /// the grant before it reads the index, so either it finds the token
    /// or this finds its mark.
    pub async fn index_in_grant_then_read_revocation(
        &self,
        grant_id: FamilyId,
        bucket: i64,
        digest: &str,
    ) -> Result<bool, StoreError> {
        let mark = self
            .store
            .set_add_then_get(
                &grant_tokens_key(grant_id, bucket),
                digest,
                self.ttl * 2,
                &grant_revoked_key(grant_id),
            )
            .await?;
        Ok(mark.is_some())
    }

    pub async fn find(&self, digest: &str) -> Result<Option<AccessTokenRecord>, StoreError> {
        get_json(self.store, &token_key(digest)).await
    }

    /// Removes one record; `true` when it was there.
    pub async fn take(&self, digest: &str) -> Result<bool, StoreError> {
        Ok(self.store.take(&token_key(digest)).await?.is_some())
    }

    pub async fn delete(&self, digest: &str) -> Result<(), StoreError> {
        self.store.delete(&token_key(digest)).await
    }

    pub async fn mark_grant_revoked(&self, grant_id: FamilyId) -> Result<(), StoreError> {
        self.store.put(&grant_revoked_key(grant_id), b"1", self.ttl).await
    }

    /// The digests indexed under a grant in bucket `bucket`.
    pub async fn grant_tokens(&self, grant_id: FamilyId, bucket: i64) -> Result<Vec<String>, StoreError> {
        self.store.set_members(&grant_tokens_key(grant_id, bucket)).await
    }

    /// The digests of the tokens issued within an SSO session.
    pub async fn session_tokens(&self, session: &SessionHandle) -> Result<Vec<String>, StoreError> {
        self.store.set_members(&session_tokens_key(session)).await
    }

    pub async fn forget_session(&self, session: &SessionHandle) -> Result<(), StoreError> {
        self.store.delete(&session_tokens_key(session)).await
    }

    /// A deleted client's tokens are refused while this mark lives (as long
    /// as any of them could).
    pub async fn mark_client_revoked(&self, client_id: &ClientId) -> Result<(), StoreError> {
        self.store.put(&client_revoked_key(client_id), b"1", self.ttl).await
    }

    pub async fn is_client_revoked(&self, client_id: &ClientId) -> Result<bool, StoreError> {
        Ok(self.store.get(&client_revoked_key(client_id)).await?.is_some())
    }
}
