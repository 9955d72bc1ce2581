//! The admin console's pages (askama templates under `templates/admin/`).

use askama::Template;

use crate::domain::{AuditEvent, Group, Role, User};

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

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        UserRow {
            username: user.username.to_string(),
            name: user.display_name.clone().unwrap_or_default(),
            email: user.email.clone().unwrap_or_default(),
            email_verified: user.email_verified,
            disabled: user.disabled,
            role_choices: [Role::Developer, Role::Admin, Role::Auditor]
                .into_iter()
                .map(|role| (role.as_str(), user.roles.contains(&role)))
                .collect(),
            roles: user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
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
    pub groups: String,
    /// Its page on the developer portal.
    pub portal: String,
}

impl From<&crate::domain::Client> for ClientRow {
    fn from(client: &crate::domain::Client) -> Self {
        let id: String = url::form_urlencoded::byte_serialize(client.client_id.as_str().as_bytes()).collect();
        ClientRow {
            client_id: client.client_id.to_string(),
            name: client.name.clone(),
            kind: client.client_type.as_str(),
            first_party: client.first_party,
            resource_server: client.resource_server,
            require_second_factor: client.require_second_factor,
            require_verified_email: client.require_verified_email,
            groups: client
                .access_groups
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
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
    pub events: Vec<AuditRow>,
    pub next: Option<String>,
}
