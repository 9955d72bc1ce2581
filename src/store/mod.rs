//! Storage behind narrow traits. Durable data (users, clients) lives in SQL
//! (`sql`); short-lived protocol state (authorization requests in flight,
//! codes, access tokens, SSO sessions) in an [`EphemeralStore`] (`ephemeral`).

pub mod cache;
pub mod ephemeral;
pub mod records;
pub mod sql;

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::{
    AuditEvent, Client, ClientAccess, ClientId, DeliveryStatus, FamilyId, Group, GroupName, LinkedIdentity,
    LogoutDelivery, PreviousSecret, QueuedMail, RecoveryCode, RefreshToken, RegistrationToken, Role, Scopes,
    SessionHandle, StoredKey, TotpFactor, User, Username, WebauthnCredential,
};

/// A backend's own error, kept for the log.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// What a store reports. Implementations map their backend's errors here
/// (`sql`, `ephemeral::redis`), so no trait names a database's types.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or answered too late: the request may
    /// succeed once it is back (503 `temporarily_unavailable`).
    #[error("storage unavailable: {0}")]
    Unavailable(BackendError),
    /// Anything else the backend reported (a bug or a broken store: 500).
    #[error("storage: {0}")]
    Backend(BackendError),
    #[error("stored value could not be decoded: {0}")]
    Corrupt(String),
    #[error("{0} already exists")]
    Conflict(String),
}

impl StoreError {
    /// The store could not be reached or answered too late: the request may
    /// succeed once it is back (503 `temporarily_unavailable`), unlike a bug
    /// or a corrupt record (500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Short-lived key/value state with expiry, shared by every node when backed
/// by Redis.
///
/// Contract (checked by `tests/api/ephemeral_contract.rs` against every
/// implementation):
/// - `put` overwrites and sets the time to live;
/// - `get` never returns a value whose time to live has passed;
/// - `take` returns the value and removes it atomically: of any number of
///   concurrent `take`s of one key, exactly one sees the value;
/// - `incr` counts atomically; the time to live is set when the key is created
///   and not extended by later increments;
/// - sets hold distinct strings; `set_add` (re)sets the set's time to live.
#[async_trait]
pub trait EphemeralStore: Send + Sync + 'static {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StoreError>;
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError>;
    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError>;
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError>;
    /// `set_add`, then `get(read)`, in that order: a write to `read` that
    /// the read misses came after the add, so whoever wrote it and then
    /// read the set sees the member. One round trip where the store can
    /// keep the order (one Redis connection), otherwise one after the other.
    async fn set_add_then_get(
        &self,
        set: &str,
        member: &str,
        ttl: Duration,
        read: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.set_add(set, member, ttl).await?;
        self.get(read).await
    }
    /// Time left before `key` expires; `None` when it does not exist.
    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
    /// How many live entries the store holds, where that is cheap to know
    /// (the in-process store); `None` otherwise (Redis has its own metrics).
    async fn entry_count(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
    /// Makes every write so far durable (the journaled embedded store; Redis
    /// and the plain in-process store have nothing to do). Called when the
    /// node stops.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// People who can sign in.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Fails with `StoreError::Conflict` when the username is taken.
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError>;
    async fn find_user(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// The user and their argon2id PHC password hash.
    async fn find_credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError>;
    async fn set_disabled(&self, id: Uuid, disabled: bool, now: i64) -> Result<(), StoreError>;
    async fn set_password_hash(&self, id: Uuid, password_hash: &str, now: i64) -> Result<(), StoreError>;
    async fn set_roles(&self, id: Uuid, roles: &[Role], now: i64) -> Result<(), StoreError>;
    async fn set_email(&self, id: Uuid, email: Option<&str>, verified: bool, now: i64) -> Result<(), StoreError>;
    async fn set_display_name(&self, id: Uuid, name: Option<&str>, now: i64) -> Result<(), StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// One page of users by username, after `after` (keyset paging), whose
    /// username or email contains `query` (case-insensitive; empty: all).
    async fn search_users(&self, query: &str, after: &str, limit: u32) -> Result<Vec<User>, StoreError>;
    /// Accounts whose email is `email` (compared without case); at most 10.
    async fn find_by_email(&self, email: &str) -> Result<Vec<User>, StoreError>;
    /// Removes the account with its consents and second factors; `false`
    /// when there was none.
    async fn delete_user(&self, id: Uuid) -> Result<bool, StoreError>;
}

/// Initial access tokens for the registration API.
#[async_trait]
pub trait RegistrationTokenRepository: Send + Sync + 'static {
    async fn create_registration_token(&self, token: &RegistrationToken) -> Result<(), StoreError>;
    /// The live token with this digest (not expired, uses left).
    async fn find_registration_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<RegistrationToken>, StoreError>;
    /// Takes one use, atomically: of two registrations racing for the last
    /// use, one gets `true`.
    async fn use_registration_token(&self, token_hash: &str, now: i64) -> Result<bool, StoreError>;
    async fn list_registration_tokens(&self) -> Result<Vec<RegistrationToken>, StoreError>;
    /// `false` when there was no such token.
    async fn delete_registration_token(&self, id: Uuid) -> Result<bool, StoreError>;
}

/// Registered OAuth clients.
#[async_trait]
pub trait ClientRepository: Send + Sync + 'static {
    /// Fails with `StoreError::Conflict` when the client id is taken.
    async fn create_client(&self, client: &Client) -> Result<(), StoreError>;
    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError>;
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    /// The clients a developer registered on the portal.
    async fn list_clients_by_owner(&self, owner_id: Uuid) -> Result<Vec<Client>, StoreError>;
    /// Replaces a client's metadata and credentials (everything but its id,
    /// owner, registration token and creation time); `false` when there was
    /// no such client.
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError>;
    /// Replaces the stored secret digest, keeping the old one as `previous`
    /// (or none); `false` when there was no client with a secret.
    async fn set_client_secret(
        &self,
        client_id: &ClientId,
        secret_hash: &str,
        previous: Option<&PreviousSecret>,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Restricts an app to members of `groups` (none: anyone may sign in);
    /// `find_client` reads them back as `access_groups`.
    async fn set_access_groups(&self, client_id: &ClientId, groups: &[Uuid]) -> Result<(), StoreError>;
    /// Sets what only the operator decides about a client; `false` when
    /// there was no such client.
    async fn set_client_access(
        &self,
        client_id: &ClientId,
        access: &ClientAccess,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// `false` when there was no such client.
    async fn delete_client(&self, client_id: &ClientId) -> Result<bool, StoreError>;
}

/// Upstream accounts linked to local ones, by (issuer, subject).
#[async_trait]
pub trait LinkedIdentityRepository: Send + Sync + 'static {
    /// The local account an upstream account is linked to.
    async fn find_link(&self, issuer: &str, subject: &str) -> Result<Option<LinkedIdentity>, StoreError>;
    /// Links an upstream account; `Conflict` when it is linked already.
    async fn link(&self, link: &LinkedIdentity) -> Result<(), StoreError>;
    async fn links_of(&self, user_id: Uuid) -> Result<Vec<LinkedIdentity>, StoreError>;
    /// `true` when there was such a link.
    async fn unlink(&self, user_id: Uuid, issuer: &str, subject: &str) -> Result<bool, StoreError>;
}

/// Groups, their members, and the apps restricted to them.
#[async_trait]
pub trait GroupRepository: Send + Sync + 'static {
    /// Fails with `Conflict` when the name is taken.
    async fn create_group(&self, group: &Group) -> Result<(), StoreError>;
    async fn find_group(&self, name: &GroupName) -> Result<Option<Group>, StoreError>;
    /// Every group with its member count, by name.
    async fn list_groups(&self) -> Result<Vec<Group>, StoreError>;
    /// `false` when there is no such group; `Conflict` when the name is taken.
    async fn rename_group(&self, id: Uuid, name: &GroupName) -> Result<bool, StoreError>;
    /// Removes the group, its memberships and the access rules naming it.
    async fn delete_group(&self, id: Uuid) -> Result<bool, StoreError>;
    /// `false` when the person was a member already.
    async fn add_member(&self, group_id: Uuid, user_id: Uuid) -> Result<bool, StoreError>;
    async fn remove_member(&self, group_id: Uuid, user_id: Uuid) -> Result<bool, StoreError>;
    /// The usernames in the group, sorted.
    async fn member_names(&self, group_id: Uuid) -> Result<Vec<String>, StoreError>;
    /// The groups a person is in, by name.
    async fn groups_of(&self, user_id: Uuid) -> Result<Vec<GroupName>, StoreError>;
}

/// What each person allowed each app.
#[async_trait]
pub trait ConsentRepository: Send + Sync + 'static {
    /// The scopes `user_id` has allowed `client_id`, if any.
    async fn granted_scopes(&self, user_id: Uuid, client_id: &ClientId) -> Result<Option<Scopes>, StoreError>;
    /// Records that `scopes` (the full set now allowed) are granted.
    async fn grant(&self, user_id: Uuid, client_id: &ClientId, scopes: &Scopes, now: i64) -> Result<(), StoreError>;
    /// Every app `user_id` allowed, by client id.
    async fn consents_of(&self, user_id: Uuid) -> Result<Vec<Consent>, StoreError>;
    /// Forgets what `user_id` allowed `client_id` (asked again next time);
    /// `false` when there was nothing.
    async fn revoke_consent(&self, user_id: Uuid, client_id: &ClientId) -> Result<bool, StoreError>;
}

/// What a person allowed an app, and since when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Consent {
    pub client_id: ClientId,
    pub scopes: Scopes,
    pub granted_at: i64,
    pub updated_at: i64,
}

/// Which audit events an operator looks for; every field optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub client_id: Option<String>,
    pub event: Option<String>,
    /// Events at or after this time.
    pub since: Option<i64>,
    /// Events before this time.
    pub until: Option<i64>,
    /// Keyset paging: events strictly older than this `(at, id)`.
    pub before: Option<(i64, Uuid)>,
}

/// Security events, kept in SQL.
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The newest events first, for operators and tests.
    async fn recent(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
    /// The newest events matching `filter`, older than `filter.before`.
    async fn search(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Signing keys, shared by every node.
#[async_trait]
pub trait KeyRepository: Send + Sync + 'static {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Inserts a key; `Ok(false)` when another key of the same algorithm and
    /// generation exists (another node rotated first).
    async fn insert_key(&self, key: &StoredKey) -> Result<bool, StoreError>;
    async fn revoke_key(&self, kid: &str, now: i64) -> Result<bool, StoreError>;
    async fn delete_key(&self, kid: &str) -> Result<(), StoreError>;
}

/// Mail waiting to be sent, shared by every node.
#[async_trait]
pub trait MailOutbox: Send + Sync + 'static {
    async fn enqueue_mail(&self, mail: &QueuedMail) -> Result<(), StoreError>;
    /// Claims up to `limit` pending messages due at `now` for `lease_secs`:
    /// no other node sends them meanwhile.
    async fn claim_due_mail(&self, now: i64, lease_secs: i64, limit: i64) -> Result<Vec<QueuedMail>, StoreError>;
    /// Sent: the body is erased.
    async fn record_mail_sent(&self, id: Uuid, now: i64) -> Result<(), StoreError>;
    /// Failed; retried at `retry_at`, or given up (the body erased) when `None`.
    async fn record_mail_failure(&self, id: Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError>;
    /// The newest messages first, without bodies.
    async fn list_mail(&self, limit: i64) -> Result<Vec<QueuedMail>, StoreError>;
    /// A message still waiting for its next attempt is due at `now` (an
    /// operator's "retry now"); `false` when it is sent, given up (its body
    /// is gone), being sent right now, or unknown.
    async fn retry_mail_now(&self, id: Uuid, now: i64) -> Result<bool, StoreError>;
    async fn count_mail_by_status(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError>;
}

/// The back-channel logout outbox, shared by every node.
#[async_trait]
pub trait LogoutOutbox: Send + Sync + 'static {
    /// Stores notices, all or none. A notice for a client that already has
    /// `max_pending_per_client` pending is stored as failed, not pending.
    async fn enqueue(&self, deliveries: &[LogoutDelivery], max_pending_per_client: i64) -> Result<(), StoreError>;
    /// Claims up to `limit` pending notices that are due, for `lease_secs`:
    /// no other node gets them meanwhile. Fair: each client's first notice
    /// comes before any client's second, and no client gets more than
    /// `per_client` claimed at once (counting those claimed before, by any
    /// node, still within their lease).
    async fn claim_due(
        &self,
        now: i64,
        lease_secs: i64,
        limit: i64,
        per_client: i64,
    ) -> Result<Vec<LogoutDelivery>, StoreError>;
    /// Records the delivery (keeping the last failure's reason, if any, for operators).
    async fn record_delivered(&self, id: uuid::Uuid, now: i64) -> Result<(), StoreError>;
    /// Records a failed attempt: retried at `retry_at`, or failed for good when `None`.
    async fn record_failure(&self, id: uuid::Uuid, error: &str, retry_at: Option<i64>) -> Result<(), StoreError>;
    /// The newest notices first.
    async fn list_deliveries(&self, limit: i64) -> Result<Vec<LogoutDelivery>, StoreError>;
    /// A notice waiting or failed for good is due again at `now` and kept
    /// until at least `give_up_at` (an operator's "retry now"); `false` when
    /// it was delivered, is being delivered right now, or is unknown.
    async fn retry_delivery_now(&self, id: uuid::Uuid, now: i64, give_up_at: i64) -> Result<bool, StoreError>;
    /// How many notices are in each status (for metrics).
    async fn count_by_status(&self) -> Result<Vec<(DeliveryStatus, i64)>, StoreError>;
}

/// Refresh tokens, in families.
#[async_trait]
pub trait RefreshTokenRepository: Send + Sync + 'static {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError>;
    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError>;
    /// The token, and whether its holder may still use it (the account exists
    /// and is not disabled), in one query: what a refresh reads first.
    async fn find_refresh_token_and_holder(&self, token_hash: &str)
    -> Result<Option<(RefreshToken, bool)>, StoreError>;
    /// Consumes `old_hash` (as of `successor.issued_at`) and stores
    /// `successor`, atomically. `false` (and nothing stored) when `old_hash`
    /// is not a current token: unknown, consumed or revoked, or its holder
    /// disabled or deleted. Of concurrent rotations of one token, exactly
    /// one wins.
    async fn rotate_refresh_token(&self, old_hash: &str, successor: &RefreshToken) -> Result<bool, StoreError>;
    async fn revoke_family(&self, family_id: FamilyId, now: i64) -> Result<(), StoreError>;
    /// Revokes the tokens bound to an SSO session; returns their families.
    async fn revoke_session_tokens(&self, session: &SessionHandle, now: i64) -> Result<Vec<FamilyId>, StoreError>;
    /// Revokes every refresh token of a person (only those bound to a
    /// session unless `include_offline`); returns their families.
    async fn revoke_user_tokens(
        &self,
        user_id: Uuid,
        now: i64,
        include_offline: bool,
    ) -> Result<Vec<FamilyId>, StoreError>;
    /// Revokes every refresh token `user_id` holds at `client_id`; returns
    /// their families.
    async fn revoke_user_client_tokens(
        &self,
        user_id: Uuid,
        client_id: &ClientId,
        now: i64,
    ) -> Result<Vec<FamilyId>, StoreError>;
    /// Revokes every refresh token of a client; returns their families.
    async fn revoke_client_tokens(&self, client_id: &ClientId, now: i64) -> Result<Vec<FamilyId>, StoreError>;
}

/// Second factors: each account's TOTP authenticator and recovery codes.
#[async_trait]
pub trait SecondFactorRepository: Send + Sync + 'static {
    async fn find_totp(&self, user_id: Uuid) -> Result<Option<TotpFactor>, StoreError>;
    /// Stores a new authenticator; `StoreError::Conflict` when the account
    /// has one already.
    async fn insert_totp(&self, factor: &TotpFactor) -> Result<(), StoreError>;
    /// `false` when the account had none.
    async fn delete_totp(&self, user_id: Uuid) -> Result<bool, StoreError>;
    /// Records that the code of time step `step` was accepted, only if no
    /// code of that step or a later one was: `false` when one was (a replay,
    /// or an older code). Of two concurrent uses of one code, one wins.
    async fn accept_totp_step(&self, user_id: Uuid, step: i64, now: i64) -> Result<bool, StoreError>;
    /// Replaces every recovery code of the account with these digests.
    async fn replace_recovery_codes(&self, user_id: Uuid, code_hashes: &[String], now: i64) -> Result<(), StoreError>;
    /// Marks an unused code used; `false` when there is no such unused code.
    async fn use_recovery_code(&self, user_id: Uuid, code_hash: &str, now: i64) -> Result<bool, StoreError>;
    async fn recovery_codes(&self, user_id: Uuid) -> Result<Vec<RecoveryCode>, StoreError>;
    async fn delete_recovery_codes(&self, user_id: Uuid) -> Result<(), StoreError>;
    /// Stores a new WebAuthn credential; `StoreError::Conflict` when its
    /// credential id is registered already (to anyone).
    async fn insert_webauthn(&self, credential: &WebauthnCredential) -> Result<(), StoreError>;
    async fn webauthn_credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnCredential>, StoreError>;
    async fn find_webauthn(&self, credential_id: &str) -> Result<Option<WebauthnCredential>, StoreError>;
    /// Records a use: the credential as the library updated it (counter), and when.
    async fn webauthn_used(&self, id: Uuid, credential: &str, now: i64) -> Result<(), StoreError>;
    /// `false` when the account has no such credential.
    async fn delete_webauthn(&self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError>;
    async fn delete_all_webauthn(&self, user_id: Uuid) -> Result<(), StoreError>;
}

/// Deleting what has outlived its use, in batches (see `admin::retention`).
#[async_trait]
pub trait Retention: Send + Sync + 'static {
    /// Up to `batch` refresh-token families whose absolute lifetime ended
    /// before `now`, each with its tokens; how many families were deleted.
    async fn prune_refresh_tokens(&self, now: i64, batch: u32) -> Result<u64, StoreError>;
    /// Up to `batch` audit events older than `before`.
    async fn prune_audit_events(&self, before: i64, batch: u32) -> Result<u64, StoreError>;
    /// Up to `batch` delivered or abandoned logout notices made before `before`.
    async fn prune_logout_deliveries(&self, before: i64, batch: u32) -> Result<u64, StoreError>;
    /// Up to `batch` sent or given-up messages queued before `before`.
    async fn prune_mail(&self, before: i64, batch: u32) -> Result<u64, StoreError>;
    /// Rows in each table that grows with use, for the operator's metrics.
    async fn table_rows(&self) -> Result<Vec<(&'static str, u64)>, StoreError>;
}

/// Checks that the backing service answers, for `/readyz`.
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    async fn ping(&self) -> Result<(), StoreError>;
}
