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

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use self::browser::BrowserAccounts;
pub use self::device::{describe_device, ip_prefix};
use crate::crypto;
use crate::domain::AuditEvent;
use crate::services::Services;
use crate::store::StoreError;
use crate::store::ephemeral::{get_json, put_json};

/// `last_seen` is written back at most this often, to spare writes.
const TOUCH_INTERVAL_SECS: i64 = 60;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SsoSession {
    pub user_id: Uuid,
    /// When the person last authenticated (OIDC Core `auth_time`).
    pub auth_time: i64,
    /// Authentication methods (RFC 8176), e.g. `pwd`.
    pub amr: Vec<String>,
    pub created_at: i64,
    pub last_seen: i64,
    pub user_agent: String,
    /// The client address cut to its network (/24 or /48): enough to
    /// recognise a place, not to identify a device.
    pub ip_prefix: String,
    /// The apps signed in through this session.
    pub clients: Vec<RpSession>,
}

/// One relying party's session within the SSO session (OIDC Front- and
/// Back-Channel Logout `sid`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RpSession {
    pub client_id: String,
    pub sid: String,
    pub first_auth_at: i64,
    pub last_auth_at: i64,
}

/// A session found live in the store, with its handle.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub handle: String,
    pub session: SsoSession,
}

fn key(handle: &str) -> String {
    format!("sso:{handle}")
}

fn user_index_key(user_id: Uuid) -> String {
    format!("user-sessions:{user_id}")
}

pub fn handle_of(cookie_id: &str) -> String {
    crypto::digest(cookie_id)
}

impl SsoSession {
    /// When the session ends if not used again.
    pub fn expires_at(&self, services: &Services) -> i64 {
        let settings = &services.settings.session;
        let absolute = self.created_at + settings.absolute_timeout_secs as i64;
        let idle = self.last_seen + settings.idle_timeout_secs as i64;
        absolute.min(idle)
    }

    pub fn rp_session(&self, client_id: &str) -> Option<&RpSession> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
}

async fn save(services: &Services, handle: &str, session: &SsoSession) -> Result<(), StoreError> {
    let ttl = (session.expires_at(services) - services.clock.now()).max(1) as u64;
    put_json(&*services.ephemeral, &key(handle), session, Duration::from_secs(ttl)).await
}

/// Where the person is signing in from.
pub struct Origin<'a> {
    pub user_agent: &'a str,
    pub client_ip: &'a str,
}

/// Starts a session for a person who just authenticated, under a fresh
/// random id (session fixation: never one the browser brought). Returns the
/// cookie id and the session.
pub async fn start(
    services: &Services,
    user_id: Uuid,
    origin: &Origin<'_>,
) -> Result<(String, LiveSession), StoreError> {
    let now = services.clock.now();
    let session = SsoSession {
        user_id,
        auth_time: now,
        amr: vec!["pwd".into()],
        created_at: now,
        last_seen: now,
        user_agent: origin.user_agent.chars().take(256).collect(),
        ip_prefix: ip_prefix(origin.client_ip),
        clients: Vec::new(),
    };
    let cookie_id = crypto::random_token();
    let handle = handle_of(&cookie_id);
    save(services, &handle, &session).await?;
    let absolute = Duration::from_secs(services.settings.session.absolute_timeout_secs);
    services
        .ephemeral
        .set_add(&user_index_key(user_id), &handle, absolute)
        .await?;
    services
        .audit(
            AuditEvent::new("session_created", now)
                .user(user_id)
                .session(&handle)
                .ip(origin.client_ip),
        )
        .await;
    Ok((cookie_id, LiveSession { handle, session }))
}

/// The live session with this handle, recording its use. An expired session
/// is removed, not just ignored.
pub async fn find_by_handle(services: &Services, handle: &str) -> Result<Option<LiveSession>, StoreError> {
    let Some(mut session) = get_json::<SsoSession>(&*services.ephemeral, &key(handle)).await? else {
        return Ok(None);
    };
    let now = services.clock.now();
    if session.expires_at(services) <= now {
        remove(services, handle, session.user_id).await?;
        services
            .audit(
                AuditEvent::new("session_expired", now)
                    .user(session.user_id)
                    .session(handle),
            )
            .await;
        return Ok(None);
    }
    if now - session.last_seen >= TOUCH_INTERVAL_SECS {
        session.last_seen = now;
        save(services, handle, &session).await?;
    }
    Ok(Some(LiveSession {
        handle: handle.to_string(),
        session,
    }))
}

/// Whether the session with this handle is live, without counting this as
/// its use (an app refreshing tokens is not the person being active).
pub async fn is_live(services: &Services, handle: &str) -> Result<bool, StoreError> {
    let session: Option<SsoSession> = get_json(&*services.ephemeral, &key(handle)).await?;
    Ok(session.is_some_and(|s| s.expires_at(services) > services.clock.now()))
}

/// Records that `client_id` signed in through this session and returns its
/// relying-party session id (`sid`), the same for every login of that app
/// within this session.
pub async fn join_client(services: &Services, live: &mut LiveSession, client_id: &str) -> Result<String, StoreError> {
    let now = services.clock.now();
    let sid = match live.session.clients.iter_mut().find(|c| c.client_id == client_id) {
        // Already joined: like `last_seen`, the time is written back at most
        // once a minute, so an app signing in again costs no write.
        Some(rp) if now - rp.last_auth_at < TOUCH_INTERVAL_SECS => return Ok(rp.sid.clone()),
        Some(rp) => {
            rp.last_auth_at = now;
            rp.sid.clone()
        }
        None => {
            let sid = crypto::random_token();
            live.session.clients.push(RpSession {
                client_id: client_id.to_string(),
                sid: sid.clone(),
                first_auth_at: now,
                last_auth_at: now,
            });
            sid
        }
    };
    save(services, &live.handle, &live.session).await?;
    Ok(sid)
}

/// Ends a session now.
pub async fn end(services: &Services, live: &LiveSession, reason: &str) -> Result<(), StoreError> {
    remove(services, &live.handle, live.session.user_id).await?;
    let event = AuditEvent::new("session_ended", services.clock.now())
        .user(live.session.user_id)
        .session(&live.handle)
        .detail(reason);
    services.audit(event).await;
    Ok(())
}

async fn remove(services: &Services, handle: &str, user_id: Uuid) -> Result<(), StoreError> {
    services.ephemeral.delete(&key(handle)).await?;
    services.ephemeral.set_remove(&user_index_key(user_id), handle).await
}

/// Every live session of a person, newest sign-in first.
pub async fn list_for_user(services: &Services, user_id: Uuid) -> Result<Vec<LiveSession>, StoreError> {
    let mut live = Vec::new();
    for handle in services.ephemeral.set_members(&user_index_key(user_id)).await? {
        match get_json::<SsoSession>(&*services.ephemeral, &key(&handle)).await? {
            Some(session) if session.expires_at(services) > services.clock.now() => {
                live.push(LiveSession { handle, session });
            }
            // Gone or expired: drop it from the index too.
            _ => remove(services, &handle, user_id).await?,
        }
    }
    live.sort_by_key(|l| std::cmp::Reverse(l.session.auth_time));
    Ok(live)
}
