//! Ending an SSO session, whatever ends it (RP-initiated logout, the account
//! page, an operator, a disabled account, a new sign-in replacing it), tells
//! every app signed in through it: a back-channel notice written to the
//! durable outbox, and a front-channel URL for the signed-out page to load.
//! What hangs on the session (its access and refresh tokens) ends with it.

use uuid::Uuid;

use crate::config::LogoutSettings;
use crate::domain::{DeliveryStatus, LogoutDelivery};
use crate::oidc::access_token::AccessTokens;
use crate::session::{LiveSession, Sessions};
use crate::store::{ClientRepository, LogoutOutbox, RefreshTokenRepository, StoreError};

/// A page the browser must load for an app (Front-Channel Logout 1.0 §2).
#[derive(Clone, Debug)]
pub struct FrontChannelNotice {
    pub url: String,
    /// For the page's `frame-src`.
    pub origin: String,
}

/// What ending a session touches.
pub struct Fanout<'a> {
    pub clients: &'a dyn ClientRepository,
    pub outbox: &'a dyn LogoutOutbox,
    pub sessions: Sessions<'a>,
    /// Also this server's issuer and clock.
    pub access_tokens: AccessTokens<'a>,
    pub refresh_tokens: &'a dyn RefreshTokenRepository,
    pub settings: &'a LogoutSettings,
}

impl Fanout<'_> {
    /// Ends `live` and queues or returns every notice its apps are owed.
    pub async fn end_session(&self, live: &LiveSession, reason: &str) -> Result<Vec<FrontChannelNotice>, StoreError> {
        let now = self.access_tokens.signer.now();
        let issuer = self.access_tokens.signer.issuer;
        let subject = live.session.user_id.to_string();
        let mut deliveries = Vec::new();
        let mut front = Vec::new();
        for rp in &live.session.clients {
            let Some(client) = self.clients.find_client(&rp.client_id).await? else {
                continue;
            };
            if let Some(uri) = &client.backchannel_logout_uri {
                deliveries.push(LogoutDelivery {
                    id: Uuid::now_v7(),
                    client_id: client.client_id.clone(),
                    uri: uri.clone(),
                    subject: subject.clone(),
                    sid: Some(rp.sid.clone()),
                    created_at: now,
                    give_up_at: now + self.settings.give_up_after_secs as i64,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                    delivered_at: None,
                });
            }
            if let Some(uri) = &client.frontchannel_logout_uri
                && let Ok(mut url) = url::Url::parse(uri)
            {
                // §3: iss and sid let the app find the session to end.
                url.query_pairs_mut()
                    .append_pair("iss", issuer)
                    .append_pair("sid", rp.sid.as_str());
                front.push(FrontChannelNotice {
                    origin: url.origin().ascii_serialization(),
                    url: url.to_string(),
                });
            }
        }
        // Durable first: once the notices are stored, a crash cannot lose them.
        if !deliveries.is_empty() {
            let cap = i64::from(self.settings.max_pending_per_client);
            self.outbox.enqueue(&deliveries, cap).await?;
        }
        self.access_tokens.revoke_session(&live.handle).await?;
        // Refresh tokens bound to the session die with it (offline ones do
        // not), and so do the access tokens refreshed from them.
        for family in self.refresh_tokens.revoke_session_tokens(&live.handle, now).await? {
            self.access_tokens.revoke_grant(family).await?;
        }
        self.sessions.end(live, reason).await?;
        Ok(front)
    }

    /// Ends every session of a person (an operator's logout, a disabled
    /// account, a new password).
    pub async fn end_all_sessions(&self, user_id: Uuid, reason: &str) -> Result<usize, StoreError> {
        let sessions = self.sessions.list_for_user(user_id).await?;
        for live in &sessions {
            self.end_session(live, reason).await?;
        }
        Ok(sessions.len())
    }
}
