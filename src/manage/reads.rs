//! What operators read: people, groups, apps, shaped once for the console's
//! pages and the management API's JSON. Times stay Unix seconds here; the
//! console prints them as ISO 8601.

use serde::Serialize;

use super::{ManageError, find_user};
use uuid::Uuid;

use crate::domain::{AuditEvent, Client, DeliveryStatus, ManagementAccess, User};
use crate::startup::Services;
use crate::store::{AuditFilter, Consent, StoreError};

/// A person as operators see them (never a password hash).
#[derive(Clone, Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub roles: Vec<&'static str>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            id: user.id.to_string(),
            username: user.username.to_string(),
            name: user.display_name.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            roles: user.roles.iter().map(|r| r.as_str()).collect(),
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// One signed-in browser of a person.
#[derive(Clone, Debug, Serialize)]
pub struct SessionView {
    /// What `end_session` names (a digest of the cookie, not the cookie).
    pub session: String,
    pub device: String,
    pub signed_in_at: i64,
    pub last_seen: i64,
    /// The apps signed in through it.
    pub clients: Vec<String>,
}

/// A person with everything that hangs on them.
#[derive(Clone, Debug, Serialize)]
pub struct UserDetail {
    pub user: UserView,
    pub groups: Vec<String>,
    pub sessions: Vec<SessionView>,
    /// What they allowed each app.
    pub grants: Vec<Consent>,
    /// `totp`, `passkey`, `recovery_codes`: what they can sign in with
    /// besides a password.
    pub second_factors: Vec<&'static str>,
    /// Their accounts at upstream providers, linked by issuer and subject.
    pub linked: Vec<LinkedView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkedView {
    pub upstream: String,
    pub issuer: String,
    pub subject: String,
    pub linked_at: i64,
}

/// A page of people by username, after `after`, matching `query` (a
/// substring of the username or address); `next` continues it.
#[derive(Debug, Serialize)]
pub struct UserPage {
    pub users: Vec<UserView>,
    pub next: Option<String>,
}

pub async fn users(services: &Services, query: &str, after: &str, size: u32) -> Result<UserPage, StoreError> {
    let size = size.clamp(1, 500);
    // One more than a page says whether another follows.
    let mut found = services.users.search_users(query, after, size + 1).await?;
    let next = (found.len() > size as usize).then(|| {
        found.truncate(size as usize);
        found.last().map(|u| u.username.to_string()).unwrap_or_default()
    });
    Ok(UserPage {
        users: found.iter().map(UserView::from).collect(),
        next,
    })
}

pub async fn user(services: &Services, username: &str) -> Result<UserDetail, ManageError> {
    let user = find_user(services, username).await?;
    let groups = services.groups.groups_of(user.id).await?;
    let mut sessions = Vec::new();
    for live in services.sessions().list_for_user(user.id).await? {
        sessions.push(SessionView {
            session: live.handle.as_str().to_string(),
            device: crate::session::describe_device(&live.session.user_agent),
            signed_in_at: live.session.auth_time,
            last_seen: live.session.last_seen,
            clients: live.session.clients.iter().map(|rp| rp.client_id.to_string()).collect(),
        });
    }
    let enrolled = services.second_factors().summary(user.id).await?;
    let mut second_factors = Vec::new();
    if enrolled.totp.is_some() {
        second_factors.push("totp");
    }
    if !enrolled.keys.is_empty() {
        second_factors.push("passkey");
    }
    if enrolled.recovery_codes_left > 0 {
        second_factors.push("recovery_codes");
    }
    Ok(UserDetail {
        user: UserView::from(&user),
        groups: groups.iter().map(ToString::to_string).collect(),
        sessions,
        grants: services.consents.consents_of(user.id).await?,
        second_factors,
        linked: services
            .links
            .links_of(user.id)
            .await?
            .into_iter()
            .map(|l| LinkedView {
                upstream: l.upstream,
                issuer: l.issuer,
                subject: l.subject,
                linked_at: l.linked_at,
            })
            .collect(),
    })
}

/// A group, its members and the apps that admit it.
#[derive(Debug, Serialize)]
pub struct GroupView {
    pub name: String,
    pub members: Vec<String>,
    pub clients: Vec<String>,
}

pub async fn group(services: &Services, name: &str) -> Result<GroupView, ManageError> {
    group_among(services, name, &clients(services).await?).await
}

/// The same, with every app already read (a page that lists the others too).
pub async fn group_among(services: &Services, name: &str, all: &[ClientView]) -> Result<GroupView, ManageError> {
    let group = services.group_admin().find(name).await?;
    let members = services.groups.member_names(group.id).await?;
    let clients = all
        .iter()
        .filter(|c| c.groups.iter().any(|g| *g == group.name.as_str()))
        .map(|c| c.client_id.clone())
        .collect();
    Ok(GroupView {
        name: group.name.to_string(),
        members,
        clients,
    })
}

/// An app with what only operators set.
#[derive(Debug, Serialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub client_type: &'static str,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub first_party: bool,
    pub resource_server: bool,
    pub require_second_factor: bool,
    pub require_verified_email: bool,
    pub management: Option<ManagementAccess>,
    /// Only their members may sign in (none: anyone).
    pub groups: Vec<String>,
    pub owner_id: Option<String>,
    pub created_at: i64,
}

impl From<&Client> for ClientView {
    fn from(client: &Client) -> ClientView {
        ClientView {
            client_id: client.client_id.to_string(),
            name: client.name.clone(),
            client_type: client.client_type.as_str(),
            grant_types: client.grant_types.clone(),
            redirect_uris: client.redirect_uris.iter().map(|u| u.as_str().to_string()).collect(),
            first_party: client.first_party,
            resource_server: client.resource_server,
            require_second_factor: client.require_second_factor,
            require_verified_email: client.require_verified_email,
            management: client.management,
            groups: client.access_groups.iter().map(ToString::to_string).collect(),
            owner_id: client.owner_id.map(|id| id.to_string()),
            created_at: client.created_at,
        }
    }
}

pub async fn clients(services: &Services) -> Result<Vec<ClientView>, StoreError> {
    let mut views = Vec::new();
    for listed in services.clients.list_clients().await? {
        // `find_client` reads the groups the app admits.
        let client = services.clients.find_client(&listed.client_id).await?.unwrap_or(listed);
        views.push(ClientView::from(&client));
    }
    Ok(views)
}

/// A back-channel logout notice or a mail, as the console lists them.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub id: String,
    /// The app (logout) or the message kind (mail).
    pub what: String,
    /// Where it goes: the app's logout URI, or the recipient's address.
    pub to: String,
    pub status: &'static str,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    /// Whether "retry now" can do anything.
    pub retryable: bool,
}

/// The newest back-channel logout notices first.
pub async fn logout_deliveries(services: &Services, limit: i64) -> Result<Vec<DeliveryView>, StoreError> {
    let now = services.clock.now();
    Ok(services
        .outbox
        .list_deliveries(limit)
        .await?
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id.to_string(),
            what: d.client_id.to_string(),
            to: d.uri,
            status: d.status.as_str(),
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            retryable: d.status != DeliveryStatus::Delivered
                && !(d.status == DeliveryStatus::Pending && d.next_attempt_at <= now),
        })
        .collect())
}

/// The newest mails first (subjects and addresses, never bodies).
pub async fn mails(services: &Services, limit: i64) -> Result<Vec<DeliveryView>, StoreError> {
    let now = services.clock.now();
    Ok(services
        .mail
        .list_mail(limit)
        .await?
        .into_iter()
        .map(|m| DeliveryView {
            id: m.id.to_string(),
            what: m.kind,
            to: m.recipient,
            status: m.status.as_str(),
            attempts: m.attempts,
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            // A mail given up has no body left to send.
            retryable: m.status == DeliveryStatus::Pending && m.next_attempt_at > now,
        })
        .collect())
}

/// An initial access token for the registration API (never the token).
#[derive(Debug, Serialize)]
pub struct RegistrationTokenView {
    pub id: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub uses_left: i64,
}

pub async fn registration_tokens(services: &Services) -> Result<Vec<RegistrationTokenView>, StoreError> {
    Ok(services
        .registration_tokens
        .list_registration_tokens()
        .await?
        .into_iter()
        .map(|t| RegistrationTokenView {
            id: t.id.to_string(),
            label: t.label,
            created_at: t.created_at,
            expires_at: t.expires_at,
            uses_left: t.uses_left,
        })
        .collect())
}

/// Which audit events an operator asks for: by person (username), client,
/// event kind and time; `before` continues a page (`at.id`).
#[derive(Debug, Default)]
pub struct AuditQuery {
    pub user: Option<String>,
    pub client: Option<String>,
    pub event: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<String>,
}

/// Newest first; `next` is the `before` of the following page.
#[derive(Debug, Serialize)]
pub struct AuditSlice {
    pub events: Vec<AuditEvent>,
    pub next: Option<String>,
}

pub async fn audit(services: &Services, query: &AuditQuery, size: u32) -> Result<AuditSlice, StoreError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut filter = AuditFilter {
        client_id: given(&query.client),
        event: given(&query.event),
        since: query.since,
        until: query.until,
        before: query.before.as_deref().and_then(parse_cursor),
        ..AuditFilter::default()
    };
    if let Some(name) = given(&query.user) {
        filter.user_id = Some(match find_user(services, &name).await {
            Ok(user) => user.id,
            Err(ManageError::Store(e)) => return Err(e),
            // Nobody by that name: nothing matches (not every event).
            Err(_) => Uuid::nil(),
        });
    }
    let size = size.clamp(1, 10_000);
    let mut events = services.audit.search(&filter, size + 1).await?;
    let more = events.len() > size as usize;
    events.truncate(size as usize);
    let next = if more {
        events.last().map(|e| format!("{}.{}", e.at, e.id))
    } else {
        None
    };
    Ok(AuditSlice { events, next })
}

/// `at.id`, as `AuditSlice::next` writes it.
fn parse_cursor(cursor: &str) -> Option<(i64, Uuid)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}
