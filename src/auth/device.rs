//! The device cookie (OWASP's answer to lockouts): a browser that signed in
//! to an account before carries a sealed list of those accounts, and the
//! login throttle judges it by its own failures only. It proves nothing
//! about who is at the keyboard (the password still does that); it only
//! keeps other people's failures from holding the person back.

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::keys::{KeyError, Purpose, Sealer};

/// Accounts one browser is remembered for; the oldest go first.
const MAX_ACCOUNTS: usize = 10;
/// Device cookies are sealed in one epoch: they are made only by
/// successful sign-ins, far too few to strain a key.
const EPOCH: u64 = 0;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceCookie {
    /// Random; the throttle counts this browser's failures under it.
    pub id: String,
    /// Digests of the account names this browser signed in to, newest last.
    accounts: Vec<String>,
    issued_at: i64,
}

fn account_digest(account: &str) -> String {
    crypto::digest(account)[..22].to_string()
}

impl DeviceCookie {
    /// A browser no account trusts yet.
    pub fn fresh(now: i64) -> DeviceCookie {
        DeviceCookie {
            id: crypto::random_token(),
            accounts: Vec::new(),
            issued_at: now,
        }
    }

    /// The cookie this browser sent, when it is ours, unaltered and younger
    /// than `max_age_secs`.
    pub fn open(sealer: &Sealer, value: &str, now: i64, max_age_secs: i64) -> Option<DeviceCookie> {
        let (_, plaintext) = sealer.open(Purpose::DeviceCookie, value, EPOCH..=EPOCH)?;
        let cookie: DeviceCookie = serde_json::from_slice(&plaintext).ok()?;
        (now - cookie.issued_at < max_age_secs).then_some(cookie)
    }

    pub fn knows(&self, account: &str) -> bool {
        let digest = account_digest(account);
        self.accounts.contains(&digest)
    }

    /// This browser, now also trusted for `account`, renewed at `now`.
    pub fn with_account(mut self, account: &str, now: i64) -> DeviceCookie {
        let digest = account_digest(account);
        self.accounts.retain(|a| *a != digest);
        self.accounts.push(digest);
        if self.accounts.len() > MAX_ACCOUNTS {
            self.accounts.remove(0);
        }
        self.issued_at = now;
        self
    }

    pub fn seal(&self, sealer: &Sealer) -> Result<String, KeyError> {
        let plaintext = serde_json::to_vec(self).map_err(|e| KeyError::Sign(e.to_string()))?;
        sealer.seal(Purpose::DeviceCookie, EPOCH, &plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::keys::KekRing;

    #[test]
    fn a_cookie_vouches_for_the_accounts_it_signed_in_to_until_it_is_too_old() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::new(KekRing::load(dir.path(), &Secret::default()).unwrap());
        let cookie = DeviceCookie::fresh(100).with_account("alice", 100);
        let sealed = cookie.seal(&sealer).unwrap();
        let opened = DeviceCookie::open(&sealer, &sealed, 200, 1000).unwrap();
        assert!(opened.knows("alice") && !opened.knows("bob"));
        assert_eq!(opened.id, cookie.id);
        assert_eq!(DeviceCookie::open(&sealer, &sealed, 1100, 1000), None, "too old");
        assert_eq!(DeviceCookie::open(&sealer, "forged", 200, 1000), None);
        let mut many = opened;
        for n in 0..20 {
            many = many.with_account(&format!("user{n}"), 300);
        }
        assert!(!many.knows("alice"), "the oldest account goes first");
        assert!(many.knows("user19"));
    }
}
