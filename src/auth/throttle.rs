//! Login throttling per account and per client address. After a number of
//! free failures within a window, each further failure imposes a wait that
//! doubles, up to a ceiling. Nothing is locked for good, so an attacker cannot
//! lock a person out, only slow their own guessing.

use std::time::Duration;

use crate::config::LoginSettings;
use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

pub struct LoginThrottle<'a> {
    store: &'a dyn EphemeralStore,
    settings: &'a LoginSettings,
}

/// What is throttled: one account, and one client address.
fn subjects(username: &str, client_ip: &str) -> [String; 2] {
    [
        format!("throttle:user:{}", crypto::digest(username)),
        format!("throttle:ip:{}", crypto::digest(client_ip)),
    ]
}

impl<'a> LoginThrottle<'a> {
    pub fn new(store: &'a dyn EphemeralStore, settings: &'a LoginSettings) -> Self {
        LoginThrottle { store, settings }
    }

    /// `Some(wait)` when this account or address must wait before trying again.
    pub async fn wait_before_attempt(&self, username: &str, client_ip: &str) -> Result<Option<Duration>, StoreError> {
        let mut longest: Option<Duration> = None;
        for subject in subjects(username, client_ip) {
            if let Some(wait) = self.store.time_to_live(&format!("{subject}:wait")).await? {
                longest = Some(longest.map_or(wait, |l| l.max(wait)));
            }
        }
        Ok(longest.map(|w| w.max(Duration::from_secs(1))))
    }

    pub async fn record_failure(&self, username: &str, client_ip: &str) -> Result<(), StoreError> {
        let window = Duration::from_secs(self.settings.throttle_window_secs);
        for subject in subjects(username, client_ip) {
            let failures = self.store.incr(&format!("{subject}:failures"), window).await?;
            if let Some(wait) = self.delay_after(failures) {
                self.store.put(&format!("{subject}:wait"), b"1", wait).await?;
            }
        }
        Ok(())
    }

    /// A successful login clears the account's failures (not the address's:
    /// one good password must not reset a spray across many accounts).
    pub async fn record_success(&self, username: &str, client_ip: &str) -> Result<(), StoreError> {
        let [user, _] = subjects(username, client_ip);
        self.store.delete(&format!("{user}:failures")).await?;
        self.store.delete(&format!("{user}:wait")).await
    }

    fn delay_after(&self, failures: u64) -> Option<Duration> {
        let free = u64::from(self.settings.throttle_free_attempts);
        if failures < free.max(1) {
            return None;
        }
        let doublings = (failures - free.max(1)).min(30) as u32;
        let seconds = 1u64.checked_shl(doublings).unwrap_or(u64::MAX);
        Some(Duration::from_secs(
            seconds.min(self.settings.throttle_max_delay_secs.max(1)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MockClock;
    use crate::store::ephemeral::MemoryStore;

    fn settings() -> LoginSettings {
        LoginSettings {
            throttle_free_attempts: 3,
            throttle_window_secs: 900,
            throttle_max_delay_secs: 60,
        }
    }

    #[test]
    fn delay_doubles_after_free_attempts_up_to_the_ceiling() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock);
        let s = settings();
        let t = LoginThrottle::new(&store, &s);
        assert_eq!(t.delay_after(2), None);
        assert_eq!(t.delay_after(3), Some(Duration::from_secs(1)));
        assert_eq!(t.delay_after(4), Some(Duration::from_secs(2)));
        assert_eq!(t.delay_after(10), Some(Duration::from_secs(60)));
        assert_eq!(t.delay_after(1000), Some(Duration::from_secs(60)));
    }

    #[tokio::test]
    async fn waits_pass_with_time_and_success_clears_the_account() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock.clone());
        let s = settings();
        let t = LoginThrottle::new(&store, &s);
        for _ in 0..4 {
            t.record_failure("alice", "10.0.0.1").await.unwrap();
        }
        assert!(t.wait_before_attempt("alice", "10.0.0.2").await.unwrap().is_some());
        assert!(t.wait_before_attempt("bob", "10.0.0.1").await.unwrap().is_some());
        assert!(t.wait_before_attempt("bob", "10.0.0.2").await.unwrap().is_none());
        clock.advance(3);
        assert!(t.wait_before_attempt("alice", "10.0.0.2").await.unwrap().is_none());
        t.record_success("alice", "10.0.0.1").await.unwrap();
        t.record_failure("alice", "10.0.0.3").await.unwrap();
        assert!(t.wait_before_attempt("alice", "10.0.0.3").await.unwrap().is_none());
    }
}
