//! The admin console's pages (askama templates under `templates/admin/`).

use askama::Template;

use crate::domain::{AuditEvent, Group, Role};
use crate::manage::{ClientView, DeliveryView, RegistrationTokenView, UserView};

/// One person in the users list.
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub disabled: bool,
    pub roles: String,
    /// `(role, held)` for each role there is, for the edit form.
    pub role_choices: Vec<(&'static str, bool)>,
}

impl From<&UserView> for UserRow {
    fn from(user: &UserView) -> Self {
        UserRow {
            username: user.username.clone(),
            name: user.name.clone().unwrap_or_default(),
            email: user.email.clone().unwrap_or_default(),
            email_verified: user.email_verified,
            disabled: user.disabled,
            role_choices: [Role::Developer, Role::Admin, Role::Auditor]
                .into_iter()
                .map(|role| (role.as_str(), user.roles.contains(&role.as_str())))
                .collect(),
            roles: user.roles.join(", "),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage<'a> {
    pub admin: &'a str,
    pub query: &'a str,
    pub users: Vec<UserRow>,
    /// The link to the next page, when there is one.
    pub next: Option<String>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One of a person's sessions, as the console lists it.
pub struct SessionRow {
    pub handle: String,
    pub device: String,
    pub signed_in: String,
    pub last_seen: String,
    pub apps: String,
}

/// What a person allowed one app.
pub struct GrantRow {
    pub client_id: String,
    pub app: String,
    pub scopes: String,
    pub since: String,
}

/// An upstream account linked to the person.
pub struct LinkRow {
    pub upstream: String,
    pub issuer: String,
    pub subject: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage<'a> {
    pub admin: &'a str,
    pub user: UserRow,
    pub created: String,
    pub groups: Vec<String>,
    /// Groups the person is not in, to add them to.
    pub other_groups: Vec<String>,
    pub sessions: Vec<SessionRow>,
    pub grants: Vec<GrantRow>,
    pub linked: Vec<LinkRow>,
    /// The configured upstreams' names, to link an account at one.
    pub upstreams: Vec<String>,
    /// What they can sign in with besides a password (empty: nothing).
    pub second_factors: String,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage<'a> {
    pub admin: &'a str,
    pub groups: Vec<Group>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/group.html")]
pub struct GroupPage<'a> {
    pub admin: &'a str,
    pub name: &'a str,
    pub members: Vec<String>,
    /// Apps that admit only this group (or it among others): `(id, name)`.
    pub apps: Vec<(String, String)>,
    /// Apps it does not restrict yet: `(id, name)`.
    pub other_apps: Vec<(String, String)>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One app as the console lists it.
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub kind: &'static str,
    pub first_party: bool,
    pub resource_server: bool,
    pub require_second_factor: bool,
    pub require_verified_email: bool,
    /// Whether it uses client_credentials (only then can it be given the
    /// management API), and what it may do there: "", "read", "change".
    pub own_tokens: bool,
    pub management: &'static str,
    pub groups: String,
    /// Its page on the developer portal.
    pub portal: String,
}

impl From<&ClientView> for ClientRow {
    fn from(client: &ClientView) -> Self {
        let id: String = url::form_urlencoded::byte_serialize(client.client_id.as_bytes()).collect();
        ClientRow {
            client_id: client.client_id.clone(),
            name: client.name.clone(),
            kind: client.client_type,
            first_party: client.first_party,
            resource_server: client.resource_server,
            require_second_factor: client.require_second_factor,
            require_verified_email: client.require_verified_email,
            own_tokens: client.grant_types.iter().any(|g| g == "client_credentials"),
            management: client.management.map_or("none", |m| m.as_str()),
            groups: client.groups.join(", "),
            portal: format!("/developer/clients/{id}"),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
pub struct ClientsPage<'a> {
    pub admin: &'a str,
    pub clients: Vec<ClientRow>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One signing key as the console lists it.
pub struct KeyRow {
    pub kid: String,
    pub alg: &'static str,
    pub state: &'static str,
    pub created: String,
    pub activates: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
pub struct KeysPage<'a> {
    pub admin: &'a str,
    pub keys: Vec<KeyRow>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One audit event as the console shows it.
pub struct AuditRow {
    pub at: String,
    pub event: String,
    pub user: String,
    pub client: String,
    pub client_ip: String,
    pub detail: String,
}

impl AuditRow {
    pub fn new(event: &AuditEvent, user: Option<String>) -> Self {
        AuditRow {
            at: crate::clock::iso8601(event.at),
            event: event.event.clone(),
            user: user.unwrap_or_default(),
            client: event.client_id.clone().unwrap_or_default(),
            client_ip: event.client_ip.clone().unwrap_or_default(),
            detail: event.detail.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage<'a> {
    pub admin: &'a str,
    pub user: &'a str,
    pub client: &'a str,
    pub event: &'a str,
    /// The time filter as typed (a day, or a day and time, UTC).
    pub from: &'a str,
    pub to: &'a str,
    pub events: Vec<AuditRow>,
    pub next: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A logout notice or a mail, as the console lists them.
pub struct DeliveryRow {
    pub id: String,
    pub what: String,
    pub to: String,
    pub status: &'static str,
    pub attempts: i64,
    pub created: String,
    pub next_attempt: String,
    pub last_error: String,
    pub retryable: bool,
}

impl From<&DeliveryView> for DeliveryRow {
    fn from(d: &DeliveryView) -> Self {
        DeliveryRow {
            id: d.id.clone(),
            what: d.what.clone(),
            to: d.to.clone(),
            status: d.status,
            attempts: d.attempts,
            created: crate::clock::iso8601(d.created_at),
            next_attempt: if d.status == "pending" {
                crate::clock::iso8601(d.next_attempt_at)
            } else {
                String::new()
            },
            last_error: d.last_error.clone().unwrap_or_default(),
            retryable: d.retryable,
        }
    }
}

/// One outbox on the page.
pub struct DeliverySection {
    /// Its heading (a message id), the table's id, what "retry" posts.
    pub heading: &'static str,
    pub id: &'static str,
    pub action: &'static str,
    pub rows: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "admin/deliveries.html")]
pub struct DeliveriesPage<'a> {
    pub admin: &'a str,
    /// Logout notices, then mails.
    pub sections: Vec<DeliverySection>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// An initial access token, without its value.
pub struct RegistrationTokenRow {
    pub id: String,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub uses_left: i64,
}

impl From<&RegistrationTokenView> for RegistrationTokenRow {
    fn from(t: &RegistrationTokenView) -> Self {
        RegistrationTokenRow {
            id: t.id.clone(),
            label: t.label.clone().unwrap_or_default(),
            created: crate::clock::iso8601(t.created_at),
            expires: crate::clock::iso8601(t.expires_at),
            uses_left: t.uses_left,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/registration_tokens.html")]
pub struct RegistrationTokensPage<'a> {
    pub admin: &'a str,
    pub tokens: Vec<RegistrationTokenRow>,
    /// A token just made, shown this once.
    pub new_token: Option<String>,
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}
