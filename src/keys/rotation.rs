//! Carrying out the schedule: every node runs [`tick`] every
//! `keys.refresh_secs`, reloading the shared keys and creating or removing
//! keys when the schedule says so. Operators rotate, revoke and import by hand
//! through the same functions.

use std::sync::Arc;
use std::time::Duration;

use super::schedule::{self, Plan};
use super::{Alg, KeyError, KeyMaterial, KeyRing};
use crate::clock::{Clock, SharedClock};
use crate::config::KeySettings;
use crate::domain::StoredKey;
use crate::store::KeyRepository;

/// What the schedule touches: the shared keys, this node's key ring, the
/// clock and `[keys]`.
pub struct KeyRotation<'a> {
    pub store: &'a dyn KeyRepository,
    pub ring: &'a KeyRing,
    pub clock: &'a dyn Clock,
    pub settings: &'a KeySettings,
}

/// What the background schedule owns while it runs.
pub struct KeySchedule {
    pub store: Arc<dyn KeyRepository>,
    pub ring: Arc<KeyRing>,
    pub clock: SharedClock,
    pub settings: KeySettings,
}

impl KeySchedule {
    pub fn rotation(&self) -> KeyRotation<'_> {
        KeyRotation {
            store: &*self.store,
            ring: &self.ring,
            clock: &*self.clock,
            settings: &self.settings,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Publish now, sign after `jwks_max_age + margin`: no relying app that
    /// honours JWKS caching sees a token it cannot verify.
    Scheduled,
    /// Sign at once: apps holding a cached JWKS reject tokens until they refetch it.
    Now,
}

impl KeyRotation<'_> {
    /// Reloads the keys from SQL; `true` when the loaded set changed.
    pub async fn reload(&self) -> Result<bool, KeyError> {
        let stored = self.store.list_keys().await?;
        self.ring
            .refresh(stored, self.clock.now(), self.settings.retention_secs as i64)
    }

    /// One pass of the schedule. Safe to run on every node at once: of two nodes
    /// creating the same generation, one insert wins and the other reloads it.
    pub async fn tick(&self) -> Result<(), KeyError> {
        let now = self.clock.now();
        let settings = self.settings;
        let stored = self.store.list_keys().await?;
        for alg in Alg::ALL {
            match schedule::plan(&stored, alg, now, settings) {
                Plan::CreateActive => {
                    self.create(&stored, alg, now, None).await?;
                }
                Plan::CreateNext { activates_at } => {
                    self.create(&stored, alg, activates_at, None).await?;
                }
                Plan::Nothing => {}
            }
        }
        for key in schedule::removable(&stored, now, settings.retention_secs as i64) {
            self.store.delete_key(&key.kid).await?;
            tracing::info!(kid = %key.kid, alg = key.alg.as_str(), "removed a signing key no token needs any more");
        }
        self.reload().await?;
        Ok(())
    }

    /// Stores a new key (generated unless `material` is given) that signs from
    /// `activates_at`. `Ok(None)` when another node created this generation first.
    async fn create(
        &self,
        stored: &[StoredKey],
        alg: Alg,
        activates_at: i64,
        material: Option<KeyMaterial>,
    ) -> Result<Option<String>, KeyError> {
        let material = match material {
            Some(material) => material,
            None => tokio::task::spawn_blocking(move || KeyMaterial::generate(alg))
                .await
                .map_err(|e| KeyError::Generate(e.to_string()))??,
        };
        let (kek_id, private_key) = self.ring.kek().encrypt(&material.kid, &material.private_pem)?;
        let key = StoredKey {
            kid: material.kid.clone(),
            alg,
            generation: schedule::next_generation(stored, alg),
            private_key,
            kek_id,
            public_jwk: serde_json::to_string(&material.public_jwk).unwrap_or_default(),
            created_at: self.clock.now(),
            activates_at,
            revoked_at: None,
        };
        if !self.store.insert_key(&key).await? {
            return Ok(None);
        }
        tracing::info!(kid = %key.kid, alg = alg.as_str(), activates_at, "created a signing key");
        Ok(Some(key.kid))
    }

    /// Creates the next key of `alg` (or, when one is already scheduled and
    /// `when` is `Scheduled`, returns it). Returns the kid.
    pub async fn rotate(&self, alg: Alg, when: When, material: Option<KeyMaterial>) -> Result<String, KeyError> {
        let now = self.clock.now();
        let stored = self.store.list_keys().await?;
        if when == When::Scheduled
            && material.is_none()
            && let Some(next) = stored
                .iter()
                .find(|k| k.alg == alg && k.revoked_at.is_none() && k.activates_at > now)
        {
            return Ok(next.kid.clone());
        }
        let activates_at = match when {
            When::Scheduled => now + self.settings.prepublish_secs(),
            When::Now => now,
        };
        let kid = self
            .create(&stored, alg, activates_at, material)
            .await?
            .ok_or_else(|| {
                KeyError::Invalid("another node rotated at the same moment; list the keys and retry".into())
            })?;
        if when == When::Now {
            tracing::warn!(
                kid = %kid,
                "signing key rotated immediately: relying apps with a cached JWKS reject new tokens until they refetch it"
            );
        }
        self.reload().await?;
        Ok(kid)
    }

    /// Revokes a key at once: it leaves the JWKS and never signs again. When it
    /// was the active key a new one takes over immediately.
    pub async fn revoke(&self, kid: &str) -> Result<(), KeyError> {
        if !self.store.revoke_key(kid, self.clock.now()).await? {
            return Err(KeyError::Invalid(format!("no key {kid} that is not already revoked")));
        }
        tracing::warn!(
            kid,
            "signing key REVOKED: every token it signed now fails verification at relying apps that refetch the JWKS, \
         and apps with a cached JWKS may reject new tokens until they refetch it"
        );
        self.tick().await
    }
}

/// Runs [`KeyRotation::tick`] every `keys.refresh_secs` until the runtime stops.
pub fn spawn(schedule: KeySchedule) {
    let every = Duration::from_secs(schedule.settings.refresh_secs);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(e) = schedule.rotation().tick().await {
                tracing::error!(error = %e, "key schedule pass failed; retrying");
            }
        }
    });
}
