//! The accounts signed in on one browser: the session cookie holds up to
//! `max_accounts_per_browser` session ids, joined by `.`; the first is the
//! account in use.

use super::{LiveSession, SessionHandle, Sessions};
use crate::store::StoreError;

#[derive(Clone, Debug, Default)]
pub struct BrowserAccounts {
    /// `(cookie id, live session)`, the account in use first.
    pub accounts: Vec<(String, LiveSession)>,
    /// Whether the browser sent a session cookie at all.
    pub had_cookie: bool,
}

/// Session ids are base64url 256-bit tokens: 43 characters, never a `.`.
fn valid_id(id: &str) -> bool {
    id.len() == 43 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl BrowserAccounts {
    /// The live sessions named by the cookie, at most `max`; dead or
    /// malformed ids are dropped.
    pub async fn load(
        sessions: &Sessions<'_>,
        max: usize,
        cookie: Option<&str>,
    ) -> Result<BrowserAccounts, StoreError> {
        let mut accounts: Vec<(String, LiveSession)> = Vec::new();
        for id in cookie.unwrap_or("").split('.').filter(|id| valid_id(id)).take(max) {
            if accounts.iter().any(|(known, _)| known == id) {
                continue;
            }
            if let Some(live) = sessions.find_by_handle(&SessionHandle::of_cookie(id)).await? {
                accounts.push((id.to_string(), live));
            }
        }
        Ok(BrowserAccounts {
            accounts,
            had_cookie: cookie.is_some(),
        })
    }

    pub fn current(&self) -> Option<&LiveSession> {
        self.accounts.first().map(|(_, live)| live)
    }

    pub fn find(&self, handle: &SessionHandle) -> Option<&LiveSession> {
        self.accounts.iter().map(|(_, l)| l).find(|l| &l.handle == handle)
    }

    /// Puts a newly signed-in session first, replacing any older session of
    /// the same person on this browser. Returns the sessions pushed out.
    pub fn add_first(&mut self, cookie_id: String, live: LiveSession, max: usize) -> Vec<LiveSession> {
        let user = live.session.user_id;
        let mut dropped = Vec::new();
        self.accounts.retain(|(_, l)| {
            let keep = l.session.user_id != user;
            if !keep {
                dropped.push(l.clone());
            }
            keep
        });
        self.accounts.insert(0, (cookie_id, live));
        while self.accounts.len() > max {
            if let Some((_, l)) = self.accounts.pop() {
                dropped.push(l);
            }
        }
        dropped
    }

    /// Makes the session with `handle` the one in use.
    pub fn promote(&mut self, handle: &SessionHandle) -> bool {
        match self.accounts.iter().position(|(_, l)| &l.handle == handle) {
            Some(index) => {
                let account = self.accounts.remove(index);
                self.accounts.insert(0, account);
                true
            }
            None => false,
        }
    }

    pub fn remove(&mut self, handle: &SessionHandle) {
        self.accounts.retain(|(_, l)| &l.handle != handle);
    }

    /// The cookie value, or `None` when no account is left.
    pub fn cookie_value(&self) -> Option<String> {
        if self.accounts.is_empty() {
            return None;
        }
        Some(
            self.accounts
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join("."),
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &LiveSession> {
        self.accounts.iter().map(|(_, l)| l)
    }
}
