//! Client and user records cached in the process, because every token
//! request and every authorization reads them. A cached record is used only
//! while its version mark in the shared ephemeral store is unchanged: every
//! write to a record (through any node) replaces the mark, so an update, a
//! new secret, a disabled account or a deletion takes effect at once on every
//! node. Writes that do not reach the shared store (the CLI beside a server
//! without Redis) are seen within [`MAX_AGE_SECS`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use uuid::Uuid;

use super::records::{CachedKind, VersionMarks};
use super::{ClientRepository, EphemeralStore, SecondFactorRepository, StoreError, UserRepository};
use crate::clock::SharedClock;
use crate::domain::{
    Client, ClientAccess, ClientId, PreviousSecret, RecoveryCode, Role, TotpFactor, User, Username, WebauthnCredential,
};

/// The longest a cached record is used without reading it again.
pub const MAX_AGE_SECS: i64 = 5;

struct Cached<V> {
    value: V,
    version: Option<Vec<u8>>,
    loaded_at: i64,
}

/// Records of one kind by key, each checked against its version mark.
struct VersionedCache<V> {
    /// Which version marks this cache reads.
    kind: CachedKind,
    marks: Arc<dyn EphemeralStore>,
    clock: SharedClock,
    entries: Mutex<HashMap<String, Cached<V>>>,
}

impl<V: Clone> VersionedCache<V> {
    fn new(kind: CachedKind, marks: Arc<dyn EphemeralStore>, clock: SharedClock) -> Self {
        VersionedCache {
            kind,
            marks,
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn marks(&self) -> VersionMarks<'_> {
        VersionMarks::new(&*self.marks, self.kind)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached<V>>> {
        // Every operation under the lock is a single map call: a poisoned
        // lock cannot hold a half-made entry.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached record while its mark is unchanged and it is young enough;
    /// otherwise what `load` reads, cached under the mark seen before it.
    async fn get_or_load<F, Fut>(&self, key: &str, load: F) -> Result<Option<V>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>, StoreError>>,
    {
        // The mark is read before the record: a write that lands in between
        // leaves this entry with the old mark, so it is read again next time.
        let version = self.marks().get(key).await?;
        let now = self.clock.now();
        if let Some(cached) = self.entries().get(key)
            && cached.version == version
            && now - cached.loaded_at < MAX_AGE_SECS
        {
            return Ok(Some(cached.value.clone()));
        }
        let found = load().await?;
        match &found {
            Some(value) => {
                let entry = Cached {
                    value: value.clone(),
                    version,
                    loaded_at: now,
                };
                self.entries().insert(key.to_string(), entry);
            }
            None => {
                self.entries().remove(key);
            }
        }
        Ok(found)
    }

    /// After a write: a new mark for every node, and nothing cached here.
    async fn changed(&self, key: &str) -> Result<(), StoreError> {
        self.entries().remove(key);
        self.marks().bump(key).await
    }
}

pub struct CachedClients {
    inner: Arc<dyn ClientRepository>,
    cache: VersionedCache<Client>,
}

impl CachedClients {
    pub fn new(inner: Arc<dyn ClientRepository>, marks: Arc<dyn EphemeralStore>, clock: SharedClock) -> Self {
        CachedClients {
            inner,
            cache: VersionedCache::new(CachedKind::Client, marks, clock),
        }
    }

    async fn changed(&self, client_id: &ClientId) -> Result<(), StoreError> {
        self.cache.changed(client_id.as_str()).await
    }
}

#[async_trait]
impl ClientRepository for CachedClients {
    async fn create_client(&self, client: &Client) -> Result<(), StoreError> {
        self.inner.create_client(client).await?;
        self.changed(&client.client_id).await
    }

    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
        self.cache
            .get_or_load(client_id.as_str(), || self.inner.find_client(client_id))
            .await
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.inner.list_clients().await
    }

    async fn list_clients_by_owner(&self, owner_id: Uuid) -> Result<Vec<Client>, StoreError> {
        self.inner.list_clients_by_owner(owner_id).await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let updated = self.inner.update_client(client).await?;
        self.changed(&client.client_id).await?;
        Ok(updated)
    }

    async fn set_client_secret(
        &self,
        client_id: &ClientId,
        secret_hash: &str,
        previous: Option<&PreviousSecret>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let set = self
            .inner
            .set_client_secret(client_id, secret_hash, previous, now)
            .await?;
        self.changed(client_id).await?;
        Ok(set)
    }

    async fn set_access_groups(&self, client_id: &ClientId, groups: &[Uuid]) -> Result<(), StoreError> {
        self.inner.set_access_groups(client_id, groups).await?;
        self.changed(client_id).await
    }

    async fn set_client_access(
        &self,
        client_id: &ClientId,
        access: &ClientAccess,
        now: i64,
    ) -> Result<bool, StoreError> {
        let set = self.inner.set_client_access(client_id, access, now).await?;
        self.changed(client_id).await?;
        Ok(set)
    }

    async fn delete_client(&self, client_id: &ClientId) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_client(client_id).await?;
        self.changed(client_id).await?;
        Ok(deleted)
    }
}

/// Users, cached for the reads on the hot paths (authorize, token, userinfo);
/// sign-in reads credentials from SQL every time.
pub struct CachedUsers {
    inner: Arc<dyn UserRepository>,
    cache: VersionedCache<User>,
}

impl CachedUsers {
    pub fn new(inner: Arc<dyn UserRepository>, marks: Arc<dyn EphemeralStore>, clock: SharedClock) -> Self {
        CachedUsers {
            inner,
            cache: VersionedCache::new(CachedKind::User, marks, clock),
        }
    }
}

#[async_trait]
impl UserRepository for CachedUsers {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        self.inner.create_user(user, password_hash).await
    }

    async fn find_user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.cache
            .get_or_load(&id.to_string(), || self.inner.find_user(id))
            .await
    }

    async fn find_credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError> {
        self.inner.find_credentials(username).await
    }

    async fn set_disabled(&self, id: Uuid, disabled: bool, now: i64) -> Result<(), StoreError> {
        self.inner.set_disabled(id, disabled, now).await?;
        self.cache.changed(&id.to_string()).await
    }

    async fn set_password_hash(&self, id: Uuid, password_hash: &str, now: i64) -> Result<(), StoreError> {
        self.inner.set_password_hash(id, password_hash, now).await?;
        self.cache.changed(&id.to_string()).await
    }

    async fn set_roles(&self, id: Uuid, roles: &[Role], now: i64) -> Result<(), StoreError> {
        self.inner.set_roles(id, roles, now).await?;
        self.cache.changed(&id.to_string()).await
    }

    async fn set_email(&self, id: Uuid, email: Option<&str>, verified: bool, now: i64) -> Result<(), StoreError> {
        self.inner.set_email(id, email, verified, now).await?;
        self.cache.changed(&id.to_string()).await
    }

    async fn set_display_name(&self, id: Uuid, name: Option<&str>, now: i64) -> Result<(), StoreError> {
        self.inner.set_display_name(id, name, now).await?;
        self.cache.changed(&id.to_string()).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list_users().await
    }

    async fn search_users(&self, query: &str, after: &str, limit: u32) -> Result<Vec<User>, StoreError> {
        self.inner.search_users(query, after, limit).await
    }

    async fn find_by_email(&self, email: &str) -> Result<Vec<User>, StoreError> {
        self.inner.find_by_email(email).await
    }

    async fn delete_user(&self, id: Uuid) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_user(id).await?;
        self.cache.changed(&id.to_string()).await?;
        Ok(deleted)
    }
}

/// Second factors, where adding or removing one replaces the account's
/// version mark as a write to the account does: what is kept under that
/// mark (the gateway's remembered HTTP Basic credentials, refused for an
/// account with a second factor) is decided again at once.
pub struct MarkedFactors {
    inner: Arc<dyn SecondFactorRepository>,
    marks: Arc<dyn EphemeralStore>,
}

impl MarkedFactors {
    pub fn new(inner: Arc<dyn SecondFactorRepository>, marks: Arc<dyn EphemeralStore>) -> Self {
        MarkedFactors { inner, marks }
    }

    async fn changed(&self, user_id: Uuid) -> Result<(), StoreError> {
        VersionMarks::new(&*self.marks, CachedKind::User)
            .bump(&user_id.to_string())
            .await
    }
}

#[async_trait]
impl SecondFactorRepository for MarkedFactors {
    async fn find_totp(&self, user_id: Uuid) -> Result<Option<TotpFactor>, StoreError> {
        self.inner.find_totp(user_id).await
    }

    async fn insert_totp(&self, factor: &TotpFactor) -> Result<(), StoreError> {
        self.inner.insert_totp(factor).await?;
        self.changed(factor.user_id).await
    }

    async fn delete_totp(&self, user_id: Uuid) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_totp(user_id).await?;
        self.changed(user_id).await?;
        Ok(deleted)
    }

    async fn accept_totp_step(&self, user_id: Uuid, step: i64, now: i64) -> Result<bool, StoreError> {
        self.inner.accept_totp_step(user_id, step, now).await
    }

    async fn replace_recovery_codes(&self, user_id: Uuid, code_hashes: &[String], now: i64) -> Result<(), StoreError> {
        self.inner.replace_recovery_codes(user_id, code_hashes, now).await
    }

    async fn use_recovery_code(&self, user_id: Uuid, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        self.inner.use_recovery_code(user_id, code_hash, now).await
    }

    async fn recovery_codes(&self, user_id: Uuid) -> Result<Vec<RecoveryCode>, StoreError> {
        self.inner.recovery_codes(user_id).await
    }

    async fn delete_recovery_codes(&self, user_id: Uuid) -> Result<(), StoreError> {
        self.inner.delete_recovery_codes(user_id).await
    }

    async fn insert_webauthn(&self, credential: &WebauthnCredential) -> Result<(), StoreError> {
        self.inner.insert_webauthn(credential).await?;
        self.changed(credential.user_id).await
    }

    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnCredential>, StoreError> {
        self.inner.webauthn_credentials(user_id).await
    }

    async fn find_webauthn(&self, credential_id: &str) -> Result<Option<WebauthnCredential>, StoreError> {
        self.inner.find_webauthn(credential_id).await
    }

    async fn webauthn_used(&self, id: Uuid, credential: &str, now: i64) -> Result<(), StoreError> {
        self.inner.webauthn_used(id, credential, now).await
    }

    async fn delete_webauthn(&self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_webauthn(user_id, id).await?;
        self.changed(user_id).await?;
        Ok(deleted)
    }

    async fn delete_all_webauthn(&self, user_id: Uuid) -> Result<(), StoreError> {
        self.inner.delete_all_webauthn(user_id).await?;
        self.changed(user_id).await
    }
}
