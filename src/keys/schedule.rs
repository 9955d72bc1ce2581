//! The key schedule, as pure functions of the stored keys' times and now, so
//! that every node reaches the same answer without talking to the others.
//!
//! - a key is *next* from its creation (published, not signing) until its
//!   `activates_at`;
//! - the *active* key of an algorithm is the one with the latest
//!   `activates_at` that has passed;
//! - a key a newer one has replaced is *retired*: still published until
//!   `retention` after its successor activated, then *expired* (removed);
//! - a *revoked* key is never published nor used.

use crate::config::KeySettings;
use crate::domain::{Alg, StoredKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    /// Published until the given time.
    Retired {
        until: i64,
    },
    Expired,
    Revoked,
}

impl KeyState {
    pub fn is_published(self) -> bool {
        matches!(self, KeyState::Next | KeyState::Active | KeyState::Retired { .. })
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired { .. } => "retired",
            KeyState::Expired => "expired",
            KeyState::Revoked => "revoked",
        }
    }
}

fn usable(keys: &[StoredKey], alg: Alg) -> impl Iterator<Item = &StoredKey> {
    keys.iter().filter(move |k| k.alg == alg && k.revoked_at.is_none())
}

/// The key that signs `alg` tokens at `now`.
pub fn active(keys: &[StoredKey], alg: Alg, now: i64) -> Option<&StoredKey> {
    usable(keys, alg)
        .filter(|k| k.activates_at <= now)
        .max_by_key(|k| (k.activates_at, k.generation))
}

pub fn state(keys: &[StoredKey], key: &StoredKey, now: i64, retention: i64) -> KeyState {
    if key.revoked_at.is_some() {
        return KeyState::Revoked;
    }
    if key.activates_at > now {
        return KeyState::Next;
    }
    if active(keys, key.alg, now).is_some_and(|a| a.kid == key.kid) {
        return KeyState::Active;
    }
    // Replaced: by the first key of its algorithm that activated after it.
    let successor = usable(keys, key.alg)
        .filter(|k| k.kid != key.kid && (k.activates_at, k.generation) > (key.activates_at, key.generation))
        .map(|k| k.activates_at)
        .min()
        .unwrap_or(now);
    let until = successor.saturating_add(retention);
    if now >= until {
        KeyState::Expired
    } else {
        KeyState::Retired { until }
    }
}

/// What the schedule asks for, for one algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// No key signs: one must, now (first start, or the active key was revoked).
    CreateActive,
    /// The active key is due for rotation: publish its successor, to sign from the given time.
    CreateNext {
        activates_at: i64,
    },
    Nothing,
}

pub fn plan(keys: &[StoredKey], alg: Alg, now: i64, settings: &KeySettings) -> Plan {
    let Some(current) = active(keys, alg, now) else {
        return Plan::CreateActive;
    };
    if usable(keys, alg).any(|k| k.activates_at > now) {
        return Plan::Nothing;
    }
    let prepublish = settings.prepublish_secs();
    let due = current.activates_at + settings.rotation_period_secs as i64 - prepublish;
    if now >= due {
        Plan::CreateNext {
            activates_at: now + prepublish,
        }
    } else {
        Plan::Nothing
    }
}

/// Keys that no token can still need: expired, or revoked past retention.
pub fn removable(keys: &[StoredKey], now: i64, retention: i64) -> Vec<&StoredKey> {
    keys.iter()
        .filter(|k| match state(keys, k, now, retention) {
            KeyState::Expired => true,
            KeyState::Revoked => k.revoked_at.is_some_and(|at| now >= at.saturating_add(retention)),
            _ => false,
        })
        .collect()
}

/// The generation a new key of `alg` takes.
pub fn next_generation(keys: &[StoredKey], alg: Alg) -> i64 {
    keys.iter()
        .filter(|k| k.alg == alg)
        .map(|k| k.generation)
        .max()
        .unwrap_or(0)
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn settings() -> KeySettings {
        KeySettings {
            rotation_period_secs: 1000,
            jwks_max_age_secs: 60,
            prepublish_margin_secs: 40,
            retention_secs: 500,
            refresh_secs: 10,
            encryption_key: Secret::default(),
        }
    }

    fn key(kid: &str, generation: i64, activates_at: i64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: Alg::RS256,
            generation,
            private_key: Vec::new(),
            kek_id: String::new(),
            public_jwk: String::new(),
            created_at: activates_at - 100,
            activates_at,
            revoked_at: None,
        }
    }

    #[test]
    fn first_start_creates_an_active_key() {
        assert_eq!(plan(&[], Alg::RS256, 0, &settings()), Plan::CreateActive);
    }

    #[test]
    fn rotation_publishes_the_successor_before_it_signs() {
        let s = settings();
        let keys = vec![key("a", 1, 0)];
        assert_eq!(plan(&keys, Alg::RS256, 899, &s), Plan::Nothing);
        assert_eq!(
            plan(&keys, Alg::RS256, 900, &s),
            Plan::CreateNext { activates_at: 1000 }
        );
        let keys = vec![key("a", 1, 0), key("b", 2, 1000)];
        assert_eq!(
            plan(&keys, Alg::RS256, 950, &s),
            Plan::Nothing,
            "a successor is already scheduled"
        );
        assert_eq!(active(&keys, Alg::RS256, 999).unwrap().kid, "a");
        assert_eq!(state(&keys, &keys[1], 999, 500), KeyState::Next);
        assert_eq!(active(&keys, Alg::RS256, 1000).unwrap().kid, "b");
    }

    #[test]
    fn retired_keys_stay_published_for_the_retention_then_expire() {
        let keys = vec![key("a", 1, 0), key("b", 2, 1000)];
        assert_eq!(state(&keys, &keys[0], 1000, 500), KeyState::Retired { until: 1500 });
        assert!(state(&keys, &keys[0], 1499, 500).is_published());
        assert_eq!(state(&keys, &keys[0], 1500, 500), KeyState::Expired);
        assert_eq!(removable(&keys, 1500, 500).len(), 1);
    }

    #[test]
    fn revoked_keys_never_sign_and_their_loss_calls_for_a_new_key() {
        let mut keys = vec![key("a", 1, 0)];
        keys[0].revoked_at = Some(10);
        assert!(active(&keys, Alg::RS256, 20).is_none());
        assert_eq!(plan(&keys, Alg::RS256, 20, &settings()), Plan::CreateActive);
        assert!(!state(&keys, &keys[0], 20, 500).is_published());
        assert_eq!(next_generation(&keys, Alg::RS256), 2);
    }
}
