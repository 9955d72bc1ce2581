//! Counters shared by every node: fixed-window rate limits, and the sign-in
//! throttle's failure counts and waits. Subjects are named here, and only
//! their digests are stored (addresses and account names are personal).

use std::time::Duration;

use crate::crypto;
use crate::store::{EphemeralStore, StoreError};

/// The network an address counts as, for every limit kept per address: an
/// IPv4 address itself, an IPv6 address its /64 (the smallest network a
/// subscriber is given: counted per address, one holder of a /64 would have
/// 2^64 fresh allowances). An IPv4 address seen through a dual-stack socket
/// (`::ffff:a.b.c.d`) is that IPv4 address, not a share of one /64 with
/// every other IPv4 client.
fn network(client_ip: &str) -> String {
    match client_ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => client_ip.to_string(),
    }
}

/// What a rate limit counts.
#[derive(Clone, Copy, Debug)]
pub enum RateSubject<'a> {
    /// Registrations from an address.
    Registration { client_ip: &'a str },
    /// Authenticated token requests of a client.
    TokenRequests { client_id: &'a str },
    /// Failed client authentications for a client id from an address.
    FailedClientAuth { client_id: &'a str, client_ip: &'a str },
    /// Failed client authentications from an address, any client id.
    FailedClientAuthFrom { client_ip: &'a str },
    /// Password reset requests from an address.
    PasswordResetFrom { client_ip: &'a str },
    /// Password reset links mailed to an account.
    PasswordResetLinks { account: &'a str },
    /// Address confirmation links mailed for an account.
    VerifyLinks { account: &'a str },
    /// Sign-ups from an address.
    SignUpFrom { client_ip: &'a str },
    /// Sign-up mail to one email address, whoever asks.
    SignUpMailTo { email: &'a str },
    /// Sign-up mail to one email address, asked from one network.
    SignUpMailToFrom { email: &'a str, client_ip: &'a str },
}

impl RateSubject<'_> {
    fn key(&self) -> String {
        let subject = match self {
            RateSubject::Registration { client_ip } => format!("register:{}", network(client_ip)),
            RateSubject::TokenRequests { client_id } => format!("token-client:{client_id}"),
            RateSubject::FailedClientAuth { client_id, client_ip } => {
                format!("client-auth-failed:{client_id}:{}", network(client_ip))
            }
            RateSubject::FailedClientAuthFrom { client_ip } => {
                format!("client-auth-failed-ip:{}", network(client_ip))
            }
            RateSubject::PasswordResetFrom { client_ip } => format!("reset-from:{}", network(client_ip)),
            RateSubject::PasswordResetLinks { account } => format!("reset-links:{account}"),
            RateSubject::VerifyLinks { account } => format!("verify-links:{account}"),
            RateSubject::SignUpFrom { client_ip } => format!("signup-from:{}", network(client_ip)),
            RateSubject::SignUpMailTo { email } => format!("signup-to:{}", email.to_lowercase()),
            RateSubject::SignUpMailToFrom { email, client_ip } => {
                format!("signup-to-from:{}\n{}", network(client_ip), email.to_lowercase())
            }
        };
        format!("rate:{}", crypto::digest(&subject))
    }
}

/// What the sign-in throttle counts failures of.
#[derive(Clone, Copy, Debug)]
pub enum ThrottleSubject<'a> {
    /// An account from an address.
    Pair { account: &'a str, client_ip: &'a str },
    /// An address, any account.
    Address { client_ip: &'a str },
    /// An account from a browser that signed in to it before.
    KnownBrowser { account: &'a str, device: &'a str },
    /// Wrong second-factor codes for an account (reached only past its password).
    SecondFactor { account: &'a str },
}

impl ThrottleSubject<'_> {
    fn key(&self) -> String {
        match self {
            ThrottleSubject::Pair { account, client_ip } => {
                let network = network(client_ip);
                format!("throttle:pair:{}", crypto::digest(&format!("{network}\n{account}")))
            }
            ThrottleSubject::Address { client_ip } => format!("throttle:ip:{}", crypto::digest(&network(client_ip))),
            ThrottleSubject::KnownBrowser { account, device } => {
                format!("throttle:browser:{}", crypto::digest(&format!("{device}\n{account}")))
            }
            ThrottleSubject::SecondFactor { account } => format!("throttle:2fa:{}", crypto::digest(account)),
        }
    }
}

pub struct Counters<'a> {
    store: &'a dyn EphemeralStore,
}

impl<'a> Counters<'a> {
    pub fn new(store: &'a dyn EphemeralStore) -> Self {
        Counters { store }
    }

    /// Counts one event for `subject` in a fixed window that starts with its
    /// first event; the count so far.
    pub async fn count(&self, subject: RateSubject<'_>, window: Duration) -> Result<u64, StoreError> {
        self.store.incr(&subject.key(), window).await
    }

    /// How long `subject`'s window still runs.
    pub async fn window_left(&self, subject: RateSubject<'_>) -> Result<Option<Duration>, StoreError> {
        self.store.time_to_live(&subject.key()).await
    }

    /// One more failure of `subject` within `window`; the count so far.
    pub async fn add_failure(&self, subject: ThrottleSubject<'_>, window: Duration) -> Result<u64, StoreError> {
        self.store.incr(&format!("{}:failures", subject.key()), window).await
    }

    /// `subject` must wait `wait` before its next attempt.
    pub async fn impose_wait(&self, subject: ThrottleSubject<'_>, wait: Duration) -> Result<(), StoreError> {
        self.store.put(&format!("{}:wait", subject.key()), b"1", wait).await
    }

    /// How long `subject` must still wait, if at all.
    pub async fn wait_left(&self, subject: ThrottleSubject<'_>) -> Result<Option<Duration>, StoreError> {
        self.store.time_to_live(&format!("{}:wait", subject.key())).await
    }

    /// Forgets `subject`'s failures and wait.
    pub async fn clear(&self, subject: ThrottleSubject<'_>) -> Result<(), StoreError> {
        let key = subject.key();
        self.store.delete(&format!("{key}:failures")).await?;
        self.store.delete(&format!("{key}:wait")).await
    }

    /// One more failure for an account from anywhere within `window`.
    pub async fn add_account_failure(&self, account: &str, window: Duration) -> Result<u64, StoreError> {
        self.store
            .incr(&format!("throttle:account:{}", crypto::digest(account)), window)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::{RateSubject, ThrottleSubject, network};

    #[test]
    fn an_ipv6_client_counts_as_its_slash_64_and_an_ipv4_one_as_itself() {
        assert_eq!(network("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(network("2001:db8:1:2::9"), network("2001:db8:1:2:ffff::1"));
        assert_ne!(network("2001:db8:1:2::9"), network("2001:db8:1:3::9"));
        assert_eq!(network("192.0.2.7"), "192.0.2.7");
        assert_eq!(
            network("::ffff:192.0.2.7"),
            "192.0.2.7",
            "IPv4 through a dual-stack socket"
        );
        assert_ne!(network("::ffff:192.0.2.7"), network("::ffff:192.0.2.8"));
        assert_eq!(network(""), "", "no peer address");
    }

    #[test]
    fn every_limit_per_address_counts_the_network() {
        let (a, b) = ("2001:db8::1", "2001:db8::2:3");
        let same = |f: &dyn Fn(&str) -> String| assert_eq!(f(a), f(b));
        same(&|ip| RateSubject::Registration { client_ip: ip }.key());
        same(&|ip| RateSubject::FailedClientAuthFrom { client_ip: ip }.key());
        same(&|ip| RateSubject::PasswordResetFrom { client_ip: ip }.key());
        same(&|ip| RateSubject::SignUpFrom { client_ip: ip }.key());
        same(&|ip| {
            RateSubject::SignUpMailToFrom {
                email: "someone@example.com",
                client_ip: ip,
            }
            .key()
        });
        same(&|ip| {
            RateSubject::FailedClientAuth {
                client_id: "app",
                client_ip: ip,
            }
            .key()
        });
        same(&|ip| ThrottleSubject::Address { client_ip: ip }.key());
        same(&|ip| {
            ThrottleSubject::Pair {
                account: "alice",
                client_ip: ip,
            }
            .key()
        });
        assert_ne!(
            ThrottleSubject::Address { client_ip: "192.0.2.1" }.key(),
            ThrottleSubject::Address { client_ip: "192.0.2.2" }.key()
        );
    }
}
