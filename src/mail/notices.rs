//! Security notices: mail telling a person that something about their
//! account changed (a second factor added or removed, a sign-in from a
//! browser it had not seen), so that a change they did not make does not go
//! unnoticed. Best effort like the audit trail: a notice that cannot be
//! queued is logged, never a reason to refuse what the person did.

use uuid::Uuid;

use super::{Outbox, messages};
use crate::config::NoticeSettings;
use crate::domain::AuditEvent;
use crate::store::UserRepository;

pub struct Notices<'a> {
    pub outbox: Outbox<'a>,
    pub users: &'a dyn UserRepository,
    /// `[account.notices]`: which ones are sent.
    pub settings: &'a NoticeSettings,
    pub service: &'a str,
}

/// What changed, as a notice names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    FactorAdded,
    FactorRemoved,
    NewBrowser,
}

impl Change {
    /// The message naming the change.
    fn sentence(self) -> &'static str {
        match self {
            Change::FactorAdded => "mail-change-factor-added",
            Change::FactorRemoved => "mail-change-factor-removed",
            Change::NewBrowser => "mail-change-new-browser",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Change::FactorAdded => "factor_added",
            Change::FactorRemoved => "factor_removed",
            Change::NewBrowser => "new_browser",
        }
    }
}

/// The change an audit event records, when it is one people are told of.
pub fn change_of(event: &str) -> Option<Change> {
    match event {
        "second_factor_added" => Some(Change::FactorAdded),
        "second_factor_removed" => Some(Change::FactorRemoved),
        _ => None,
    }
}

impl Notices<'_> {
    /// Tells the person of what `event` records, when it is such a change.
    pub async fn after(&self, event: &AuditEvent) {
        if let (Some(change), Some(user_id)) = (change_of(&event.event), event.user_id) {
            self.tell(user_id, change, event.detail.as_deref().unwrap_or("")).await;
        }
    }

    /// Tells the person behind `user_id` (if they have an address).
    pub async fn tell(&self, user_id: Uuid, change: Change, detail: &str) {
        let wanted = match change {
            Change::FactorAdded | Change::FactorRemoved => self.settings.factor_changed,
            Change::NewBrowser => self.settings.new_browser,
        };
        if !wanted {
            return;
        }
        let user = match self.users.find_user(user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "a security notice could not be prepared");
                return;
            }
        };
        let Some(email) = &user.email else { return };
        let name = user.display_name.as_deref().unwrap_or(user.username.as_str());
        let message = messages::account_changed(email, name, self.service, change.kind(), change.sentence(), detail);
        if let Err(e) = self.outbox.queue(message).await {
            tracing::warn!(error = %e, "a security notice could not be queued");
        }
    }
}
