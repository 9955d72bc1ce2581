//! Carrying out the schedule: every node runs [`tick`] every
//! `keys.refresh_secs`, reloading the shared keys and creating or removing
//! keys when the schedule says so. Operators rotate, revoke and import by hand
//! through the same functions.

use std::sync::Arc;
use std::time::Duration;

use super::schedule::{self, Plan};
use super::{Alg, KeyError, KeyMaterial};
use crate::domain::StoredKey;
use crate::services::Services;

/// Reloads the keys from SQL; `true` when the loaded set changed.
pub async fn reload(services: &Services) -> Result<bool, KeyError> {
    let stored = services.key_store.list_keys().await?;
    services.keys.refresh(
        stored,
        services.clock.now(),
        services.settings.keys.retention_secs as i64,
    )
}

/// One pass of the schedule. Safe to run on every node at once: of two nodes
/// creating the same generation, one insert wins and the other reloads it.
pub async fn tick(services: &Services) -> Result<(), KeyError> {
    let now = services.clock.now();
    let settings = &services.settings.keys;
    let stored = services.key_store.list_keys().await?;
    for alg in Alg::ALL {
        match schedule::plan(&stored, alg, now, settings) {
            Plan::CreateActive => {
                create(services, &stored, alg, now, None).await?;
            }
            Plan::CreateNext { activates_at } => {
                create(services, &stored, alg, activates_at, None).await?;
            }
            Plan::Nothing => {}
        }
    }
    for key in schedule::removable(&stored, now, settings.retention_secs as i64) {
        services.key_store.delete_key(&key.kid).await?;
        tracing::info!(kid = %key.kid, alg = key.alg.as_str(), "removed a signing key no token needs any more");
    }
    reload(services).await?;
    Ok(())
}

/// Stores a new key (generated unless `material` is given) that signs from
/// `activates_at`. `Ok(None)` when another node created this generation first.
async fn create(
    services: &Services,
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
    let (kek_id, private_key) = services.keys.kek().encrypt(&material.kid, &material.private_pem)?;
    let key = StoredKey {
        kid: material.kid.clone(),
        alg,
        generation: schedule::next_generation(stored, alg),
        private_key,
        kek_id,
        public_jwk: serde_json::to_string(&material.public_jwk).unwrap_or_default(),
        created_at: services.clock.now(),
        activates_at,
        revoked_at: None,
    };
    if !services.key_store.insert_key(&key).await? {
        return Ok(None);
    }
    tracing::info!(kid = %key.kid, alg = alg.as_str(), activates_at, "created a signing key");
    Ok(Some(key.kid))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Publish now, sign after `jwks_max_age + margin`: no relying app that
    /// honours JWKS caching sees a token it cannot verify.
    Scheduled,
    /// Sign at once: apps holding a cached JWKS reject tokens until they refetch it.
    Now,
}

/// Creates the next key of `alg` (or, when one is already scheduled and
/// `when` is `Scheduled`, returns it). Returns the kid.
pub async fn rotate(
    services: &Services,
    alg: Alg,
    when: When,
    material: Option<KeyMaterial>,
) -> Result<String, KeyError> {
    let now = services.clock.now();
    let stored = services.key_store.list_keys().await?;
    if when == When::Scheduled
        && material.is_none()
        && let Some(next) = stored
            .iter()
            .find(|k| k.alg == alg && k.revoked_at.is_none() && k.activates_at > now)
    {
        return Ok(next.kid.clone());
    }
    let activates_at = match when {
        When::Scheduled => now + services.settings.keys.prepublish_secs(),
        When::Now => now,
    };
    let kid = create(services, &stored, alg, activates_at, material)
        .await?
        .ok_or_else(|| KeyError::Invalid("another node rotated at the same moment; list the keys and retry".into()))?;
    if when == When::Now {
        tracing::warn!(
            kid = %kid,
            "signing key rotated immediately: relying apps with a cached JWKS reject new tokens until they refetch it"
        );
    }
    reload(services).await?;
    Ok(kid)
}

/// Revokes a key at once: it leaves the JWKS and never signs again. When it
/// was the active key a new one takes over immediately.
pub async fn revoke(services: &Services, kid: &str) -> Result<(), KeyError> {
    if !services.key_store.revoke_key(kid, services.clock.now()).await? {
        return Err(KeyError::Invalid(format!("no key {kid} that is not already revoked")));
    }
    tracing::warn!(
        kid,
        "signing key REVOKED: every token it signed now fails verification at relying apps that refetch the JWKS, \
         and apps with a cached JWKS may reject new tokens until they refetch it"
    );
    tick(services).await
}

/// Runs [`tick`] every `keys.refresh_secs` until the runtime stops.
pub fn spawn(services: Arc<Services>) {
    let every = Duration::from_secs(services.settings.keys.refresh_secs);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(e) = tick(&services).await {
                tracing::error!(error = %e, "key schedule pass failed; retrying");
            }
        }
    });
}
