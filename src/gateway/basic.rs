//! HTTP Basic at the gateway (RFC 7617), for scripts where a rule accepts
//! it. The password is checked the way the login page checks it — the same
//! throttle, the same audit trail, argon2 — once; a verified credential is
//! then remembered under a keyed digest for `gateway.basic_cache_secs`, so
//! a script's every request costs two reads of the ephemeral store (the
//! credential and the account's version mark), not a password hash. A
//! changed password, a disabled account or a second factor added counts at
//! once: any write to the account or its factors replaces its mark, and
//! then the stored password hash's digest, the account's state and its
//! factors are compared again (as they are every `identity_refresh_secs`
//! anyway, for writes no mark saw).
//! Accounts with a second factor are refused: a password alone is not how
//! they sign in.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Answer, Asked, Gateway, GatewayError, Holder};
use crate::auth::login::{Attempt, LoginOutcome};
use crate::domain::{Level, Username};
use crate::keys::Purpose;
use crate::store::records::VerifiedCredential;

/// The username and password of an `Authorization: Basic` header value;
/// `None` for any other scheme or a malformed one.
pub fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    if username.is_empty() {
        return None;
    }
    Some((username.to_string(), password.to_string()))
}

/// What checking an HTTP Basic credential touches beyond a decision (built
/// only for requests that carry one).
pub struct BasicCheck<'a> {
    /// The login page's password check and throttle…
    pub login: crate::auth::login::PasswordLogin<'a>,
    /// …accounts with a second factor refused…
    pub factors: crate::auth::second_factor::SecondFactors<'a>,
    /// …and verified credentials remembered under a keyed digest, while
    /// the account's version mark says nothing changed.
    pub credentials: crate::store::records::GatewayCredentials<'a>,
    pub marks: crate::store::records::VersionMarks<'a>,
    pub sealer: &'a crate::keys::Sealer,
}

impl Gateway<'_> {
    /// Decides `asked` for whoever `username` and `password` name, sent by
    /// `client_ip`. Callers ask only where [`super::Rules::accepts_basic`].
    pub async fn decide_basic(
        &self,
        check: &BasicCheck<'_>,
        asked: &Asked<'_>,
        (username, password): (&str, &str),
        client_ip: &str,
    ) -> Result<Answer, GatewayError> {
        let holder = self.basic_holder(check, username, password, client_ip).await?;
        self.answer(asked, holder).await
    }

    async fn basic_holder(
        &self,
        check: &BasicCheck<'_>,
        username: &str,
        password: &str,
        client_ip: &str,
    ) -> Result<Option<Holder>, GatewayError> {
        // Length-prefixed: no (name, password) pair reads as another.
        let credential = format!("{}:{username}{password}", username.len());
        let digest = check
            .sealer
            .keyed_digest(Purpose::GatewayCredential, credential.as_bytes())
            .map_err(|e| GatewayError::Internal(e.into()))?;
        let Ok(name) = Username::parse(username) else {
            // Not a name any account has: the throttle still counts it.
            verify(check, username, password, client_ip).await?;
            return Ok(None);
        };
        let now = self.clock.now();
        let cached_for = self.settings.basic_cache_secs as i64;
        if let Some(remembered) = check.credentials.recall(&digest).await? {
            let left = remembered.verified_at + cached_for - now;
            if left > 0 {
                let mark = account_mark(check, remembered.user_id).await?;
                if let Some(holder) = self.remembered_holder(check, &name, remembered, mark, now).await? {
                    let (remembered, holder) = holder;
                    check
                        .credentials
                        .remember(&digest, &remembered, Duration::from_secs(left as u64))
                        .await?;
                    return Ok(Some(holder));
                }
            }
            check.credentials.forget(&digest).await?;
        }
        // The hash and the account's mark as they were before the check:
        // should either change meanwhile, the remembered credential fails
        // its next comparison.
        let Some((before, hash)) = self.users.find_credentials(&name).await? else {
            verify(check, username, password, client_ip).await?;
            return Ok(None);
        };
        let mark = account_mark(check, before.id).await?;
        let Some(user) = verify(check, username, password, client_ip).await? else {
            return Ok(None);
        };
        if user.id != before.id || check.factors.has_second_factor(user.id).await? {
            return Ok(None);
        }
        let holder = self.basic_holder_of(user).await?;
        let remembered = VerifiedCredential {
            user_id: holder.user_id,
            hash_print: crate::crypto::digest(&hash),
            account_mark: mark,
            identity: holder.identity.clone(),
            read_at: now,
            verified_at: now,
        };
        let ttl = Duration::from_secs(cached_for.max(1) as u64);
        check.credentials.remember(&digest, &remembered, ttl).await?;
        Ok(Some(holder))
    }

    /// A remembered credential's person: straight from the record while the
    /// account's mark is unchanged and the identity young; otherwise when
    /// the account is still enabled, its password unchanged and it still
    /// has no second factor (the record brought up to date).
    async fn remembered_holder(
        &self,
        check: &BasicCheck<'_>,
        name: &Username,
        mut remembered: VerifiedCredential,
        mark: Option<String>,
        now: i64,
    ) -> Result<Option<(VerifiedCredential, Holder)>, GatewayError> {
        let fresh = now - remembered.read_at < self.settings.identity_refresh_secs as i64;
        // No mark then and none now is no write since (a write leaves one
        // for a day, far longer than a credential is remembered).
        if mark == remembered.account_mark && fresh {
            let holder = Holder {
                user_id: remembered.user_id,
                identity: remembered.identity.clone(),
                level: Level::OneFactor,
                by_basic: true,
            };
            return Ok(Some((remembered, holder)));
        }
        let Some((user, hash)) = self.users.find_credentials(name).await? else {
            return Ok(None);
        };
        let same = user.id == remembered.user_id
            && !user.disabled
            && crate::crypto::constant_time_eq(&crate::crypto::digest(&hash), &remembered.hash_print);
        if !same || check.factors.has_second_factor(user.id).await? {
            return Ok(None);
        }
        let holder = self.basic_holder_of(user).await?;
        remembered.account_mark = mark;
        remembered.identity = holder.identity.clone();
        remembered.read_at = now;
        Ok(Some((remembered, holder)))
    }

    async fn basic_holder_of(&self, user: crate::domain::User) -> Result<Holder, GatewayError> {
        Ok(Holder {
            user_id: user.id,
            identity: self.identity_from(user).await?,
            level: Level::OneFactor,
            by_basic: true,
        })
    }
}

/// The account's version mark (replaced by every write to it, on any node).
async fn account_mark(check: &BasicCheck<'_>, user_id: uuid::Uuid) -> Result<Option<String>, GatewayError> {
    let mark = check.marks.get(&user_id.to_string()).await?;
    Ok(mark.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// The password check of the login page, throttle and audit included.
async fn verify(
    check: &BasicCheck<'_>,
    username: &str,
    password: &str,
    client_ip: &str,
) -> Result<Option<crate::domain::User>, GatewayError> {
    let attempt = Attempt {
        username,
        password,
        client_ip,
        device_cookie: None,
        from_browser: false,
    };
    Ok(match check.login.attempt(attempt).await? {
        LoginOutcome::SignedIn { user, .. } => Some(user),
        LoginOutcome::Refused | LoginOutcome::Throttled(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_read_as_rfc_7617_says() {
        // RFC 7617 §2: "Aladdin" / "open sesame".
        assert_eq!(
            basic_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(
            basic_credentials("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(("Aladdin".into(), "open sesame".into())),
            "the scheme is case-insensitive"
        );
        // A colon in the password stays in the password.
        let encoded = STANDARD.encode("bob:a:b");
        assert_eq!(
            basic_credentials(&format!("Basic {encoded}")),
            Some(("bob".into(), "a:b".into()))
        );
        for bad in [
            "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            "Basic",
            "Basic !!!",
            "Basic bm9jb2xvbg==", // "nocolon"
            "Basic OnB3",         // ":pw"
        ] {
            assert_eq!(basic_credentials(bad), None, "{bad}");
        }
    }
}
