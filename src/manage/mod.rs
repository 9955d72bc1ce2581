//! What operators do to a running Sesame, as one typed list of commands
//! given through the admin console (a form) or the management API (JSON):
//! who gave it, the rules every command keeps (the last admin stays), what
//! it does, and the `admin_action` audit line naming who did it beside the
//! event of the change itself. The console and the API only translate.

mod reads;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use reads::{
    AuditQuery, AuditSlice, ClientView, DeliveryView, GroupView, RegistrationTokenView, SessionView, UserDetail,
    UserPage, UserView, audit, clients, group, group_among, logout_deliveries, mails, registration_tokens, user, users,
};

use crate::admin::{self, AdminError, NewUser, OfflineTokens};
use crate::domain::{AuditEvent, ClientId, ManagementAccess, Role, User, Username};
use crate::startup::Services;
use crate::store::StoreError;

/// Who gives a command: a person with the admin role (the console, or the
/// API with their console session) or a client granted the management API.
pub enum Operator {
    Person(User),
    Client(ClientId),
}

impl Operator {
    /// How the audit log names them.
    fn describe(&self) -> String {
        match self {
            Operator::Person(user) => user.username.to_string(),
            Operator::Client(client_id) => format!("client {client_id}"),
        }
    }
}

/// How much an operator may do: the console's two roles, a client's grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Read,
    Change,
}

impl Reach {
    pub fn of_person(user: &User) -> Option<Reach> {
        if user.disabled {
            None
        } else if user.has_role(Role::Admin) {
            Some(Reach::Change)
        } else if user.has_role(Role::Auditor) {
            Some(Reach::Read)
        } else {
            None
        }
    }

    pub fn of_client(access: Option<ManagementAccess>) -> Option<Reach> {
        match access? {
            ManagementAccess::Read => Some(Reach::Read),
            ManagementAccess::Change => Some(Reach::Change),
        }
    }
}

/// One change an operator makes. As JSON: `{"action": "disable_user",
/// "username": "bob"}`. No `Debug`: two commands carry a password, and
/// [`Command::summary`] is how a command is named anywhere.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    CreateUser {
        username: String,
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        name: Option<String>,
        password: String,
    },
    /// Each field left out stays as it is; an empty name or email clears it.
    EditUser {
        username: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        email_verified: Option<bool>,
        #[serde(default)]
        roles: Option<Vec<Role>>,
    },
    DisableUser {
        username: String,
    },
    EnableUser {
        username: String,
    },
    /// Ends every session (with single logout), revokes every token, then
    /// deletes the account with its consents and factors.
    DeleteUser {
        username: String,
    },
    SetPassword {
        username: String,
        password: String,
    },
    SendPasswordReset {
        username: String,
    },
    ResetSecondFactors {
        username: String,
    },
    SignOutEverywhere {
        username: String,
    },
    /// One session (by the handle the user's page and the API show).
    EndSession {
        username: String,
        session: String,
    },
    /// Forgets what the person allowed the app and revokes the tokens it
    /// holds for them: the next sign-in there asks again.
    RevokeAppGrant {
        username: String,
        client_id: String,
    },
    /// Links the account `subject` at the configured upstream `upstream`
    /// to the person (when nobody else has it).
    LinkUpstream {
        username: String,
        upstream: String,
        subject: String,
    },
    /// Unlinks an upstream account from the person.
    UnlinkUpstream {
        username: String,
        issuer: String,
        subject: String,
    },
    CreateGroup {
        name: String,
    },
    RenameGroup {
        name: String,
        new_name: String,
    },
    DeleteGroup {
        name: String,
    },
    AddMember {
        group: String,
        username: String,
    },
    RemoveMember {
        group: String,
        username: String,
    },
    /// The app admits members of `group` (and of any group admitted before).
    AdmitGroup {
        client_id: String,
        group: String,
    },
    /// The app no longer admits `group`; with no group left, anyone.
    StopAdmittingGroup {
        client_id: String,
        group: String,
    },
    /// The flags only an operator sets; each left out stays as it is.
    SetClientAccess {
        client_id: String,
        #[serde(default)]
        first_party: Option<bool>,
        #[serde(default)]
        resource_server: Option<bool>,
        #[serde(default)]
        require_second_factor: Option<bool>,
        #[serde(default)]
        require_verified_email: Option<bool>,
        /// `"read"`, `"change"` or `"none"`.
        #[serde(default)]
        management: Option<String>,
    },
    /// A new secret, shown once; the old one works for `grace_secs`.
    RotateClientSecret {
        client_id: String,
        #[serde(default)]
        grace_secs: u64,
    },
    /// Revokes its tokens, then deletes the registration.
    DeleteClient {
        client_id: String,
    },
    /// A new signing key of `alg`, published now, signing once caches have it.
    RotateKey {
        alg: String,
    },
    RevokeKey {
        kid: String,
    },
    /// Retries a back-channel logout notice now (also one that failed for good).
    RetryLogoutDelivery {
        id: Uuid,
    },
    /// Sends a mail now instead of at its next attempt.
    RetryMail {
        id: Uuid,
    },
    /// An initial access token for the registration API (RFC 7591), shown once.
    CreateRegistrationToken {
        #[serde(default)]
        label: Option<String>,
        ttl_secs: u64,
        uses: u32,
    },
    RevokeRegistrationToken {
        id: Uuid,
    },
}

impl Command {
    /// Names the command and its subject for the audit log (never a
    /// password).
    pub fn summary(&self) -> String {
        match self {
            Command::CreateUser { username, .. } => format!("create_user {username}"),
            Command::EditUser { username, .. } => format!("edit_user {username}"),
            Command::DisableUser { username } => format!("disable_user {username}"),
            Command::EnableUser { username } => format!("enable_user {username}"),
            Command::DeleteUser { username } => format!("delete_user {username}"),
            Command::SetPassword { username, .. } => format!("set_password {username}"),
            Command::SendPasswordReset { username } => format!("send_password_reset {username}"),
            Command::ResetSecondFactors { username } => format!("reset_second_factors {username}"),
            Command::SignOutEverywhere { username } => format!("sign_out_everywhere {username}"),
            Command::EndSession { username, .. } => format!("end_session {username}"),
            Command::RevokeAppGrant { username, client_id } => format!("revoke_app_grant {username} {client_id}"),
            Command::LinkUpstream { username, upstream, .. } => format!("link_upstream {username} {upstream}"),
            Command::UnlinkUpstream { username, issuer, .. } => format!("unlink_upstream {username} {issuer}"),
            Command::CreateGroup { name } => format!("create_group {name}"),
            Command::RenameGroup { name, new_name } => format!("rename_group {name} {new_name}"),
            Command::DeleteGroup { name } => format!("delete_group {name}"),
            Command::AddMember { group, username } => format!("add_member {group} {username}"),
            Command::RemoveMember { group, username } => format!("remove_member {group} {username}"),
            Command::AdmitGroup { client_id, group } => format!("admit_group {client_id} {group}"),
            Command::StopAdmittingGroup { client_id, group } => format!("stop_admitting_group {client_id} {group}"),
            Command::SetClientAccess { client_id, .. } => format!("set_client_access {client_id}"),
            Command::RotateClientSecret { client_id, .. } => format!("rotate_client_secret {client_id}"),
            Command::DeleteClient { client_id } => format!("delete_client {client_id}"),
            Command::RotateKey { alg } => format!("rotate_key {alg}"),
            Command::RevokeKey { kid } => format!("revoke_key {kid}"),
            Command::RetryLogoutDelivery { id } => format!("retry_logout_delivery {id}"),
            Command::RetryMail { id } => format!("retry_mail {id}"),
            Command::CreateRegistrationToken { .. } => "create_registration_token".into(),
            Command::RevokeRegistrationToken { id } => format!("revoke_registration_token {id}"),
        }
    }

    /// The person whose admin role the command could take away.
    fn removes_an_admin(&self) -> Option<&str> {
        match self {
            Command::DisableUser { username } | Command::DeleteUser { username } => Some(username),
            Command::EditUser {
                username,
                roles: Some(roles),
                ..
            } if !roles.contains(&Role::Admin) => Some(username),
            _ => None,
        }
    }
}

/// What a command made that the operator needs to see (once, for secrets).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Done {
    Nothing {},
    User { user: UserView },
    Key { kid: String },
    ClientSecret { client_secret: String },
    RegistrationToken { id: Uuid, token: String, expires_at: i64 },
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// The command cannot be done as given (shown to the operator).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A federation error as an operator sees it.
fn federation_refusal(e: crate::federation::FederationError) -> ManageError {
    match e {
        crate::federation::FederationError::Store(e) => ManageError::Store(e),
        crate::federation::FederationError::UnknownUpstream(name) => {
            ManageError::NotFound(format!("no upstream {name:?}"))
        }
        other => ManageError::Refused(other.to_string()),
    }
}

impl From<AdminError> for ManageError {
    fn from(e: AdminError) -> ManageError {
        match e {
            // A name taken is the operator's to fix, not the server's.
            AdminError::Store(e @ StoreError::Conflict(_)) => ManageError::Refused(e.to_string()),
            AdminError::Store(e) => ManageError::Store(e),
            AdminError::NotFound(what) => ManageError::NotFound(what),
            other => ManageError::Refused(other.to_string()),
        }
    }
}

impl crate::error::Availability for ManageError {
    fn is_unavailable(&self) -> bool {
        matches!(self, ManageError::Store(e) if e.is_unavailable())
    }
}

/// Carries out `command` for `operator` (who was checked to hold
/// [`Reach::Change`]) and audits who did it.
pub async fn perform(services: &Services, operator: &Operator, command: Command) -> Result<Done, ManageError> {
    if let Some(username) = command.removes_an_admin() {
        keep_the_last_admin(services, username).await?;
    }
    let summary = command.summary();
    let done = carry_out(services, command).await?;
    let mut event =
        AuditEvent::new("admin_action", services.clock.now()).detail(format!("{} {summary}", operator.describe()));
    event = match operator {
        Operator::Person(user) => event.user(user.id),
        Operator::Client(client_id) => event.client(client_id),
    };
    crate::audit::record(&*services.audit, event).await;
    Ok(done)
}

/// The last enabled admin cannot be disabled, deleted or lose the role:
/// nobody could use the console (or give the role back) afterwards.
async fn keep_the_last_admin(services: &Services, username: &str) -> Result<(), ManageError> {
    let user = match find_user(services, username).await {
        Ok(user) => user,
        // Nobody by that name: the command itself says so.
        Err(ManageError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    if !user.has_role(Role::Admin) || user.disabled {
        return Ok(());
    }
    let others = services
        .users
        .list_users()
        .await?
        .iter()
        .any(|u| u.id != user.id && !u.disabled && u.has_role(Role::Admin));
    if others {
        Ok(())
    } else {
        Err(ManageError::Refused(crate::ui::t("admin-last-admin")))
    }
}

async fn find_user(services: &Services, username: &str) -> Result<User, ManageError> {
    let missing = || ManageError::NotFound(crate::ui::t_with("admin-no-user", "name", username));
    let name = Username::parse(username).map_err(|_| missing())?;
    services
        .users
        .find_credentials(&name)
        .await?
        .map(|(user, _)| user)
        .ok_or_else(missing)
}

async fn find_client(services: &Services, client_id: &str) -> Result<crate::domain::Client, ManageError> {
    let missing = || ManageError::NotFound(format!("no client {client_id}"));
    let id = ClientId::parse(client_id).map_err(|_| missing())?;
    services.clients.find_client(&id).await?.ok_or_else(missing)
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

async fn carry_out(services: &Services, command: Command) -> Result<Done, ManageError> {
    let users = services.user_admin();
    let groups = services.group_admin();
    let nothing = Done::Nothing {};
    match command {
        Command::CreateUser {
            username,
            email,
            name,
            password,
        } => {
            let new = NewUser {
                username: username.trim().to_string(),
                email: given(email),
                display_name: given(name),
                password,
            };
            let user = admin::add_user(&*services.users, &*services.clock, new).await?;
            let event = AuditEvent::new("user_created", services.clock.now())
                .user(user.id)
                .detail(user.username.as_str());
            crate::audit::record(&*services.audit, event).await;
            Ok(Done::User {
                user: UserView::from(&user),
            })
        }
        Command::EditUser {
            username,
            name,
            email,
            email_verified,
            roles,
        } => {
            let user = find_user(services, &username).await?;
            let email = email.map_or(user.email.clone(), |e| given(Some(e)));
            let email_changes = email != user.email;
            let edit = admin::UserEdit {
                display_name: name.map_or(user.display_name.clone(), |n| given(Some(n))),
                email,
                // A new address is unconfirmed unless the operator says so.
                email_verified: email_verified.unwrap_or(user.email_verified && !email_changes),
                roles: roles.unwrap_or(user.roles.clone()),
            };
            let user = admin::edit_user(&users, &username, edit).await?;
            Ok(Done::User {
                user: UserView::from(&user),
            })
        }
        Command::DisableUser { username } => {
            admin::set_user_disabled(&users, &username, true, OfflineTokens::Revoke).await?;
            Ok(nothing)
        }
        Command::EnableUser { username } => {
            admin::set_user_disabled(&users, &username, false, OfflineTokens::Keep).await?;
            Ok(nothing)
        }
        Command::DeleteUser { username } => {
            admin::delete_user(&users, &username).await?;
            Ok(nothing)
        }
        Command::SetPassword { username, password } => {
            admin::set_password(&users, &username, password, OfflineTokens::Keep).await?;
            Ok(nothing)
        }
        Command::SendPasswordReset { username } => {
            let user = find_user(services, &username).await?;
            if user.email.is_none() {
                return Err(ManageError::Refused(crate::ui::t_with(
                    "admin-no-address",
                    "name",
                    &username,
                )));
            }
            services
                .password_reset()
                .request(user.username.as_str(), "an operator")
                .await
                .map_err(|e| ManageError::Refused(e.to_string()))?;
            Ok(nothing)
        }
        Command::ResetSecondFactors { username } => {
            admin::reset_second_factors(&users, &services.second_factors(), &username).await?;
            Ok(nothing)
        }
        Command::SignOutEverywhere { username } => {
            admin::logout_user(&users, &username, OfflineTokens::Keep).await?;
            Ok(nothing)
        }
        Command::EndSession { username, session } => {
            let user = find_user(services, &username).await?;
            let live = services.sessions().list_for_user(user.id).await?;
            let Some(found) = live.iter().find(|l| l.handle.as_str() == session) else {
                return Err(ManageError::NotFound(crate::ui::t("admin-no-session")));
            };
            services.fanout().end_session(found, "ended by an operator").await?;
            let event = AuditEvent::new("session_ended_by_admin", services.clock.now()).user(user.id);
            crate::audit::record(&*services.audit, event).await;
            Ok(nothing)
        }
        Command::LinkUpstream {
            username,
            upstream,
            subject,
        } => {
            let user = find_user(services, &username).await?;
            services
                .federation()
                .link_by_operator(&user, &upstream, &subject)
                .await
                .map_err(federation_refusal)?;
            Ok(nothing)
        }
        Command::UnlinkUpstream {
            username,
            issuer,
            subject,
        } => {
            let user = find_user(services, &username).await?;
            services
                .federation()
                .unlink(&user, (&issuer, &subject), crate::federation::Unlinker::Operator)
                .await
                .map_err(|e| match e {
                    crate::federation::FederationError::NoSuchLink => {
                        ManageError::NotFound(format!("{username} has no such linked account"))
                    }
                    other => federation_refusal(other),
                })?;
            Ok(nothing)
        }
        Command::RevokeAppGrant { username, client_id } => {
            let user = find_user(services, &username).await?;
            let client_id =
                ClientId::parse(&client_id).map_err(|_| ManageError::NotFound(format!("no client {client_id}")))?;
            let now = services.clock.now();
            let forgotten = services.consents.revoke_consent(user.id, &client_id).await?;
            let families = services
                .refresh_tokens
                .revoke_user_client_tokens(user.id, &client_id, now)
                .await?;
            if !forgotten && families.is_empty() {
                return Err(ManageError::NotFound(format!("{username} has no grant at {client_id}")));
            }
            let access_tokens = services.access_tokens();
            for family in families {
                access_tokens.revoke_grant(family).await?;
            }
            let event = AuditEvent::new("app_grant_revoked", now)
                .user(user.id)
                .client(&client_id);
            crate::audit::record(&*services.audit, event).await;
            Ok(nothing)
        }
        Command::CreateGroup { name } => {
            groups.create(&name).await?;
            Ok(nothing)
        }
        Command::RenameGroup { name, new_name } => {
            groups.rename(&name, &new_name).await?;
            Ok(nothing)
        }
        Command::DeleteGroup { name } => {
            groups.delete(&name).await?;
            Ok(nothing)
        }
        Command::AddMember { group, username } => {
            groups.add_member(&group, &username).await?;
            Ok(nothing)
        }
        Command::RemoveMember { group, username } => {
            groups.remove_member(&group, &username).await?;
            Ok(nothing)
        }
        Command::AdmitGroup { client_id, group } | Command::StopAdmittingGroup { client_id, group }
            if group.trim().is_empty() =>
        {
            Err(ManageError::Refused(format!("name a group for {client_id}")))
        }
        Command::AdmitGroup { client_id, group } => {
            let client = find_client(services, &client_id).await?;
            let found = groups.find(&group).await?;
            let mut names: Vec<String> = client.access_groups.iter().map(ToString::to_string).collect();
            if !names.iter().any(|n| *n == found.name.as_str()) {
                names.push(found.name.to_string());
            }
            groups.restrict_client(&client.client_id, &names).await?;
            Ok(nothing)
        }
        Command::StopAdmittingGroup { client_id, group } => {
            let client = find_client(services, &client_id).await?;
            let names: Vec<String> = client
                .access_groups
                .iter()
                .map(ToString::to_string)
                .filter(|n| *n != group.trim())
                .collect();
            groups.restrict_client(&client.client_id, &names).await?;
            Ok(nothing)
        }
        Command::SetClientAccess {
            client_id,
            first_party,
            resource_server,
            require_second_factor,
            require_verified_email,
            management,
        } => {
            let client = find_client(services, &client_id).await?;
            let management = match management.as_deref() {
                None => None,
                Some("none") => Some(None),
                Some(access) => Some(Some(ManagementAccess::parse(access).ok_or_else(|| {
                    ManageError::Refused(format!("management is read, change or none, not {access:?}"))
                })?)),
            };
            let change = admin::AccessChange {
                audiences: None,
                resource_server,
                require_second_factor,
                require_verified_email,
                first_party,
                management,
            };
            admin::set_client_access(&services.client_admin(), &client.client_id, change).await?;
            Ok(nothing)
        }
        Command::RotateClientSecret { client_id, grace_secs } => {
            let client = find_client(services, &client_id).await?;
            let client_secret = admin::rotate_secret(&services.client_admin(), &client.client_id, grace_secs).await?;
            Ok(Done::ClientSecret { client_secret })
        }
        Command::DeleteClient { client_id } => {
            let client = find_client(services, &client_id).await?;
            admin::delete_client(&services.client_admin(), &client.client_id).await?;
            Ok(nothing)
        }
        Command::RotateKey { alg } => {
            let alg = crate::keys::Alg::parse(&alg)
                .ok_or_else(|| ManageError::Refused(format!("no signing algorithm {alg:?}")))?;
            let kid = services
                .key_rotation()
                .rotate(alg, crate::keys::rotation::When::Scheduled, None)
                .await
                .map_err(|e| ManageError::Refused(e.to_string()))?;
            Ok(Done::Key { kid })
        }
        Command::RevokeKey { kid } => {
            services
                .key_rotation()
                .revoke(&kid)
                .await
                .map_err(|e| ManageError::Refused(e.to_string()))?;
            Ok(Done::Key { kid })
        }
        Command::RetryLogoutDelivery { id } => {
            let now = services.clock.now();
            let keep_until = now.saturating_add(services.settings.logout.give_up_after_secs as i64);
            if !services.outbox.retry_delivery_now(id, now, keep_until).await? {
                return Err(ManageError::Refused(crate::ui::t("admin-cannot-retry")));
            }
            Ok(nothing)
        }
        Command::RetryMail { id } => {
            if !services.mail.retry_mail_now(id, services.clock.now()).await? {
                return Err(ManageError::Refused(crate::ui::t("admin-cannot-retry")));
            }
            Ok(nothing)
        }
        Command::CreateRegistrationToken { label, ttl_secs, uses } => {
            let (record, token) =
                admin::create_registration_token(&services.registration_token_admin(), given(label), ttl_secs, uses)
                    .await?;
            Ok(Done::RegistrationToken {
                id: record.id,
                token,
                expires_at: record.expires_at,
            })
        }
        Command::RevokeRegistrationToken { id } => {
            admin::revoke_registration_token(&services.registration_token_admin(), id).await?;
            Ok(nothing)
        }
    }
}
