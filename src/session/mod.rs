//! The single sign-on session. The browser's cookie carries only 256-bit
//! random ids; the state lives in the ephemeral store under each id's digest
//! (its *handle*, also what logs and audit events name).
//!
//! A session ends after `idle_timeout_secs` without use or
//! `absolute_timeout_secs` after sign-in, whichever comes first; the store's
//! own expiry removes it then. Use is recorded at most once a minute.

mod browser;
mod device;

use std::time::Duration;

use uuid::Uuid;

pub use self::browser::BrowserAccounts;
pub use self::device::{describe_device, ip_prefix};
use crate::clock::Clock;
use crate::crypto;
use crate::domain::AuditEvent;
pub use crate::domain::{ClientId, RpSession, SessionHandle, SessionLifetime, Sid, SsoSession, UpstreamSession};
use crate::store::records::SessionRecords;
use crate::store::{AuditLog, StoreError};

/// `last_seen` is written back at most this often, to spare writes.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// A session found live in the store, with its handle.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub handle: SessionHandle,
    pub session: SsoSession,
}

/// Where the person is signing in from.
pub struct Origin<'a> {
    pub user_agent: &'a str,
    pub client_ip: &'a str,
}

/// Starting, finding, joining and ending SSO sessions.
pub struct Sessions<'a> {
    pub records: SessionRecords<'a>,
    pub lifetime: SessionLifetime,
    pub clock: &'a dyn Clock,
    pub audit: &'a dyn AuditLog,
}

impl Sessions<'_> {
    async fn save(&self, handle: &SessionHandle, session: &SsoSession) -> Result<(), StoreError> {
        let ttl = (session.expires_at(self.lifetime) - self.clock.now()).max(1) as u64;
        self.records.put(handle, session, Duration::from_secs(ttl)).await
    }

    /// Starts a session for a person who just authenticated with `amr`
    /// (RFC 8176 methods) — through `upstream`'s session, if any — under a
    /// fresh random id (session fixation: never one the browser brought).
    /// Returns the cookie id and the session.
    pub async fn start(
        &self,
        user_id: Uuid,
        (amr, upstream): (Vec<String>, Option<UpstreamSession>),
        origin: &Origin<'_>,
    ) -> Result<(String, LiveSession), StoreError> {
        let now = self.clock.now();
        let session = SsoSession {
            user_id,
            auth_time: now,
            amr,
            created_at: now,
            last_seen: now,
            user_agent: origin.user_agent.chars().take(256).collect(),
            ip_prefix: ip_prefix(origin.client_ip),
            clients: Vec::new(),
            upstream,
        };
        let cookie_id = crypto::random_token();
        let handle = SessionHandle::of_cookie(&cookie_id);
        self.save(&handle, &session).await?;
        let absolute = Duration::from_secs(self.lifetime.absolute_secs);
        self.records.index(user_id, &handle, absolute).await?;
        if let Some(UpstreamSession {
            upstream,
            sid: Some(sid),
            ..
        }) = &session.upstream
        {
            self.records
                .index_upstream_sid((upstream, sid), user_id, absolute)
                .await?;
        }
        let event = AuditEvent::new("session_created", now)
            .user(user_id)
            .session(&handle)
            .ip(origin.client_ip);
        crate::audit::record(self.audit, event).await;
        Ok((cookie_id, LiveSession { handle, session }))
    }

    /// The live session with this handle, recording its use. An expired
    /// session is removed, not just ignored.
    pub async fn find_by_handle(&self, handle: &SessionHandle) -> Result<Option<LiveSession>, StoreError> {
        let Some(mut session) = self.records.get(handle).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if session.expires_at(self.lifetime) <= now {
            self.records.remove(handle, session.user_id).await?;
            let event = AuditEvent::new("session_expired", now)
                .user(session.user_id)
                .session(handle);
            crate::audit::record(self.audit, event).await;
            return Ok(None);
        }
        if now - session.last_seen >= TOUCH_INTERVAL_SECS {
            session.last_seen = now;
            self.save(handle, &session).await?;
        }
        Ok(Some(LiveSession {
            handle: handle.clone(),
            session,
        }))
    }

    /// Whether the session with this handle is live, without counting this
    /// as its use (an app refreshing tokens is not the person being active).
    pub async fn is_live(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        let session = self.records.get(handle).await?;
        Ok(session.is_some_and(|s| s.expires_at(self.lifetime) > self.clock.now()))
    }

    /// Records that `client_id` signed in through this session and returns
    /// its relying-party session id (`sid`), the same for every login of
    /// that app within this session.
    pub async fn join_client(&self, live: &mut LiveSession, client_id: &ClientId) -> Result<Sid, StoreError> {
        let now = self.clock.now();
        let sid = match live.session.clients.iter_mut().find(|c| &c.client_id == client_id) {
            // Already joined: like `last_seen`, the time is written back at
            // most once a minute, so an app signing in again costs no write.
            Some(rp) if now - rp.last_auth_at < TOUCH_INTERVAL_SECS => return Ok(rp.sid.clone()),
            Some(rp) => {
                rp.last_auth_at = now;
                rp.sid.clone()
            }
            None => {
                let sid = Sid::random();
                live.session.clients.push(RpSession {
                    client_id: client_id.clone(),
                    sid: sid.clone(),
                    first_auth_at: now,
                    last_auth_at: now,
                });
                sid
            }
        };
        self.save(&live.handle, &live.session).await?;
        Ok(sid)
    }

    /// Records that the person just authenticated again in this session with
    /// `amr` (a step-up, or a confirmation before changing their factors):
    /// the session now says these methods, and `auth_time` is now. Through
    /// an upstream's session (`upstream`), the session now came from that
    /// one: an upstream that ended its old session when the person signed
    /// in there again (and says so by back-channel logout) does not end this.
    pub async fn reauthenticated(
        &self,
        live: &mut LiveSession,
        amr: Vec<String>,
        upstream: Option<UpstreamSession>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        if let Some(upstream) = upstream {
            if let Some(sid) = &upstream.sid {
                let absolute = Duration::from_secs(self.lifetime.absolute_secs);
                self.records
                    .index_upstream_sid((&upstream.upstream, sid), live.session.user_id, absolute)
                    .await?;
            }
            live.session.upstream = Some(upstream);
        }
        live.session.amr = amr;
        live.session.auth_time = now;
        live.session.last_seen = now;
        self.save(&live.handle, &live.session).await?;
        let event = AuditEvent::new("session_reauthenticated", now)
            .user(live.session.user_id)
            .session(&live.handle)
            .detail(live.session.amr.join(" "));
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    /// Ends a session now (see `oidc::logout_fanout` for telling its apps).
    pub async fn end(&self, live: &LiveSession, reason: &str) -> Result<(), StoreError> {
        self.records.remove(&live.handle, live.session.user_id).await?;
        let event = AuditEvent::new("session_ended", self.clock.now())
            .user(live.session.user_id)
            .session(&live.handle)
            .detail(reason);
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    /// Every live session of a person, newest sign-in first.
    pub async fn list_for_user(&self, user_id: Uuid) -> Result<Vec<LiveSession>, StoreError> {
        let mut live = Vec::new();
        for handle in self.records.handles_of(user_id).await? {
            match self.records.get(&handle).await? {
                Some(session) if session.expires_at(self.lifetime) > self.clock.now() => {
                    live.push(LiveSession { handle, session });
                }
                // Gone or expired: drop it from the index too.
                _ => self.records.remove(&handle, user_id).await?,
            }
        }
        live.sort_by_key(|l| std::cmp::Reverse(l.session.auth_time));
        Ok(live)
    }
}
