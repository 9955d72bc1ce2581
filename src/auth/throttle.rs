//! Sign-in throttling that an attacker cannot turn against the person they
//! target. Failures are counted where they come from:
//!
//! - per (account, address): the tight budget, `throttle_free_attempts`;
//! - per address, whatever the account: a loose one for password sprays
//!   (`throttle_address_free_attempts`; many people can share an address);
//! - per (account, browser) for a browser that signed in to that account
//!   before (its device cookie): such a browser is judged by its own
//!   failures only, never by the address's or anyone else's.
//!
//! Past a budget each further failure makes that source wait, the wait
//! doubling up to `throttle_max_delay_secs`; nothing is locked for good.
//! The account's failures from everywhere are only counted, to report an
//! account under attack: they refuse no one. So an attacker rotating
//! addresses slows only themselves, and the person, on a browser they used
//! before or from an address the attacker does not share, signs in.

use std::time::Duration;

use crate::config::LoginSettings;
use crate::store::StoreError;
use crate::store::records::{Counters, ThrottleSubject};

/// Where an attempt comes from, as the throttle judges it.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A browser that signed in to this account before (its device id).
    KnownBrowser(&'a str),
    /// Anything else, by client address.
    Address(&'a str),
}

/// What recording a failure set off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureEffect {
    /// Failures of this source for this account within the window.
    pub failures: u64,
    /// Failures from this address for any account (not for a known browser).
    pub address_failures: Option<u64>,
    /// Failures for this account from every address (not for a known browser).
    pub account_failures: Option<u64>,
    /// The wait this failure imposed on the source, if any.
    pub wait: Option<Duration>,
    /// This failure spent the last free attempt of one of the source's
    /// budgets: it waits from now on.
    pub started_waiting: bool,
    /// This failure made the account's count reach the alert level.
    pub account_alert: bool,
}

pub struct LoginThrottle<'a> {
    counters: Counters<'a>,
    settings: &'a LoginSettings,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(counters: Counters<'a>, settings: &'a LoginSettings) -> Self {
        LoginThrottle { counters, settings }
    }

    /// The subjects an attempt on `account` from `source` answers to, each
    /// with its free attempts.
    fn subjects<'s>(&self, account: &'s str, source: Source<'s>) -> Vec<(ThrottleSubject<'s>, u64)> {
        let tight = u64::from(self.settings.throttle_free_attempts).max(1);
        match source {
            Source::KnownBrowser(device) => vec![(ThrottleSubject::KnownBrowser { account, device }, tight)],
            Source::Address(client_ip) => vec![
                (ThrottleSubject::Pair { account, client_ip }, tight),
                (
                    ThrottleSubject::Address { client_ip },
                    u64::from(self.settings.throttle_address_free_attempts).max(1),
                ),
            ],
        }
    }

    /// `Some(wait)` when `source` must wait before trying `account` again.
    pub async fn wait_before_attempt(&self, account: &str, source: Source<'_>) -> Result<Option<Duration>, StoreError> {
        let mut longest: Option<Duration> = None;
        for (subject, _) in self.subjects(account, source) {
            if let Some(wait) = self.counters.wait_left(subject).await? {
                longest = Some(longest.map_or(wait, |l| l.max(wait)));
            }
        }
        Ok(longest.map(|w| w.max(Duration::from_secs(1))))
    }

    pub async fn record_failure(&self, account: &str, source: Source<'_>) -> Result<FailureEffect, StoreError> {
        let window = Duration::from_secs(self.settings.throttle_window_secs);
        let mut effect = FailureEffect::default();
        for (index, (subject, free)) in self.subjects(account, source).into_iter().enumerate() {
            let failures = self.counters.add_failure(subject, window).await?;
            match index {
                0 => effect.failures = failures,
                _ => effect.address_failures = Some(failures),
            }
            if let Some(wait) = self.delay_after(failures, free) {
                self.counters.impose_wait(subject, wait).await?;
                effect.wait = Some(effect.wait.map_or(wait, |w| w.max(wait)));
                effect.started_waiting |= failures == free;
            }
        }
        // A browser that signed in before failing is the person mistyping,
        // not an attack on the account.
        if let Source::Address(_) = source {
            let failures = self.counters.add_account_failure(account, window).await?;
            effect.account_failures = Some(failures);
            effect.account_alert = failures == u64::from(self.settings.account_alert_failures);
        }
        Ok(effect)
    }

    /// A successful sign-in clears the failures of this account from this
    /// source (not the address's: one good password must not reset a spray
    /// across many accounts).
    pub async fn record_success(&self, account: &str, source: Source<'_>) -> Result<(), StoreError> {
        if let Some((first, _)) = self.subjects(account, source).into_iter().next() {
            self.counters.clear(first).await?;
        }
        Ok(())
    }

    fn delay_after(&self, failures: u64, free: u64) -> Option<Duration> {
        if failures < free {
            return None;
        }
        let doublings = (failures - free).min(30) as u32;
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
            throttle_address_free_attempts: 5,
            throttle_window_secs: 900,
            throttle_max_delay_secs: 60,
            account_alert_failures: 4,
            audit_username: crate::config::AuditUsername::Plain,
            device_cookie_days: 365,
        }
    }

    #[test]
    fn delay_doubles_after_free_attempts_up_to_the_ceiling() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock);
        let s = settings();
        let t = LoginThrottle::new(Counters::new(&store), &s);
        assert_eq!(t.delay_after(2, 3), None);
        assert_eq!(t.delay_after(3, 3), Some(Duration::from_secs(1)));
        assert_eq!(t.delay_after(4, 3), Some(Duration::from_secs(2)));
        assert_eq!(t.delay_after(10, 3), Some(Duration::from_secs(60)));
        assert_eq!(t.delay_after(1000, 3), Some(Duration::from_secs(60)));
    }

    #[tokio::test]
    async fn failures_hold_back_their_own_source_only() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock.clone());
        let s = settings();
        let t = LoginThrottle::new(Counters::new(&store), &s);
        let attacker = Source::Address("10.0.0.1");
        for _ in 0..4 {
            t.record_failure("alice", attacker).await.unwrap();
        }
        assert!(t.wait_before_attempt("alice", attacker).await.unwrap().is_some());
        // Another address, or alice's own browser, is not held back.
        assert!(
            t.wait_before_attempt("alice", Source::Address("10.0.0.2"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            t.wait_before_attempt("alice", Source::KnownBrowser("device-1"))
                .await
                .unwrap()
                .is_none()
        );
        // The address's loose budget is not spent yet: bob from there is fine.
        assert!(t.wait_before_attempt("bob", attacker).await.unwrap().is_none());
        clock.advance(3);
        assert!(t.wait_before_attempt("alice", attacker).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_spray_from_one_address_waits_and_the_account_alert_fires_once() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock.clone());
        let s = settings();
        let t = LoginThrottle::new(Counters::new(&store), &s);
        let sprayer = Source::Address("10.0.0.9");
        for name in ["a", "b", "c", "d", "e"] {
            t.record_failure(name, sprayer).await.unwrap();
        }
        assert!(t.wait_before_attempt("f", sprayer).await.unwrap().is_some());
        let mut alerts = 0;
        for n in 0..8 {
            let source = Source::Address(if n % 2 == 0 { "10.1.0.1" } else { "10.1.0.2" });
            alerts += usize::from(t.record_failure("carol", source).await.unwrap().account_alert);
        }
        assert_eq!(alerts, 1);
    }

    #[tokio::test]
    async fn success_clears_the_source_for_the_account() {
        let clock = MockClock::new();
        let store = MemoryStore::new(clock.clone());
        let s = settings();
        let t = LoginThrottle::new(Counters::new(&store), &s);
        let browser = Source::KnownBrowser("device-1");
        for _ in 0..3 {
            t.record_failure("alice", browser).await.unwrap();
        }
        assert!(t.wait_before_attempt("alice", browser).await.unwrap().is_some());
        t.record_success("alice", browser).await.unwrap();
        assert!(t.wait_before_attempt("alice", browser).await.unwrap().is_none());
    }
}
