//! `/admin`: the console for operators — users, groups, the audit log.
//! Accounts with the admin role see it; every change also needs a recent
//! sign-in (and the second factor, when the account has one) and is
//! audited with the admin's id beside the event of the change itself. Off
//! unless `admin.enabled`: the paths then answer 404 like any unknown one.
//! Names travel in query strings and hidden fields (a group may be
//! `eng/backend`), never in the path.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::admin_views::{
    AuditPage, AuditRow, GroupPage, GroupsPage, KeyRow, KeysPage, SessionRow, UserPage, UserRow, UsersPage,
};
use super::{account_security, csrf, outcome, pages};
use crate::admin::{self, AdminError, NewUser, OfflineTokens};
use crate::domain::{AuditEvent, Role, User, Username};
use crate::oidc::params::Params;
use crate::startup::Services;
use crate::store::AuditFilter;
use crate::ui::{t, t_with};

/// Who reads the console (an admin or an auditor), or the page to give
/// instead.
async fn admin(req: &HttpRequest, services: &Services) -> Result<User, HttpResponse> {
    if !services.settings.admin.enabled {
        return Err(pages::not_found(req.clone()).await);
    }
    let (user, _) = account_security::signed_in(req, services)
        .await
        .map_err(|_| outcome::see_other("/login?next=/admin"))?;
    if !user.has_role(Role::Auditor) {
        return Err(forbidden());
    }
    Ok(user)
}

fn forbidden() -> HttpResponse {
    pages::error_page(
        StatusCode::FORBIDDEN,
        &t("admin-forbidden-title"),
        &t("admin-forbidden"),
        None,
    )
}

/// The admin behind a change: the admin role (an auditor only reads), the
/// form verified, a recent sign-in.
async fn acting_admin(req: &HttpRequest, services: &Services, body: &[u8]) -> Result<(User, Params), HttpResponse> {
    if !admin(req, services).await?.has_role(Role::Admin) {
        return Err(forbidden());
    }
    let form = csrf::verified_form(req, services, body)?;
    let (user, _) =
        account_security::recently_signed_in_or(req, services, |_| outcome::see_other("/account/confirm?next=/admin"))
            .await?;
    Ok((user, form))
}

/// Records who did it (the change's own event names the subject).
async fn audit_action(services: &Services, admin: &User, what: String) {
    let event = AuditEvent::new("admin_action", services.clock.now())
        .user(admin.id)
        .detail(format!("{} {what}", admin.username));
    crate::audit::record(&*services.audit, event).await;
}

fn query(req: &HttpRequest) -> Params {
    Params::parse(req.query_string()).unwrap_or_default()
}

/// What the page says about a refused change, or (the store failing) the
/// page to give instead.
fn refused(e: AdminError) -> Result<String, Box<HttpResponse>> {
    match e {
        AdminError::Store(inner) => Err(Box::new(pages::server_error_page(&inner))),
        other => Ok(other.to_string()),
    }
}

/// What the page after a change says was done (only the console's own
/// actions: a link cannot make it say anything else).
fn done_notice(params: &Params) -> Option<String> {
    let id = match params.get("done")? {
        "created" | "create" => "admin-done-created",
        "disable" => "admin-done-disabled",
        "edit" => "admin-done-saved",
        "end_session" => "admin-done-session-ended",
        "rotate" => "admin-done-rotated",
        "revoke" => "admin-done-revoked",
        "logout" => "admin-done-logged-out",
        "reset_factors" => "admin-done-factors-reset",
        "send_reset" => "admin-done-reset-sent",
        "enable" => "admin-done-enabled",
        "join" => "admin-done-joined",
        "leave" => "admin-done-left",
        "delete" => "admin-done-deleted",
        "restrict" => "admin-done-restricted",
        "unrestrict" => "admin-done-unrestricted",
        _ => return None,
    };
    Some(t(id))
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `GET /admin`.
pub async fn home(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    match admin(&req, &services).await {
        Ok(_) => outcome::see_other("/admin/users"),
        Err(page) => page,
    }
}

/// `GET /admin/users?q=…&after=…`: a page of people, by username.
pub async fn users(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let notice = query(&req)
        .get("deleted")
        .map(|name| t_with("admin-user-deleted", "name", name));
    users_page(&req, &services, &me, notice, None).await
}

async fn users_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let params = query(req);
    let q = params
        .get("q")
        .unwrap_or("")
        .trim()
        .chars()
        .take(100)
        .collect::<String>();
    let after = params.get("after").unwrap_or("");
    let size = services.settings.admin.page_size.clamp(1, 500);
    // One more than a page says whether another follows.
    let mut found = match services.users.search_users(&q, after, size + 1).await {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let next = (found.len() > size as usize).then(|| {
        found.truncate(size as usize);
        let last = found.last().map(|u| u.username.to_string()).unwrap_or_default();
        format!("/admin/users?q={}&after={}", encoded(&q), encoded(&last))
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| UsersPage {
        admin: me.username.as_str(),
        query: &q,
        users: found.iter().map(UserRow::from).collect(),
        next,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/users`: a new account.
pub async fn create_user(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let optional = |name| {
        form.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let new = NewUser {
        username: form.get("username").unwrap_or("").trim().to_string(),
        email: optional("email"),
        display_name: optional("name"),
        password: form.get("password").unwrap_or("").to_string(),
    };
    match admin::add_user(&*services.users, &*services.clock, new).await {
        Ok(user) => {
            let event = AuditEvent::new("user_created", services.clock.now())
                .user(user.id)
                .detail(user.username.as_str());
            crate::audit::record(&*services.audit, event).await;
            audit_action(&services, &me, format!("created user {}", user.username)).await;
            outcome::see_other(&format!(
                "/admin/user?u={}&done=created",
                encoded(user.username.as_str())
            ))
        }
        Err(e) => match refused(e) {
            Ok(message) => users_page(&req, &services, &me, None, Some(message)).await,
            Err(page) => *page,
        },
    }
}

async fn find_user(services: &Services, username: &str) -> Result<Option<User>, HttpResponse> {
    let Ok(username) = Username::parse(username) else {
        return Ok(None);
    };
    match services.users.find_credentials(&username).await {
        Ok(found) => Ok(found.map(|(user, _)| user)),
        Err(e) => Err(pages::server_error_page(&e)),
    }
}

fn no_such(what: &str) -> HttpResponse {
    pages::error_page(StatusCode::NOT_FOUND, &t("admin-not-found-title"), what, None)
}

/// `GET /admin/user?u=…`.
pub async fn user(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let params = query(&req);
    let notice = done_notice(&params);
    user_page(&req, &services, &me, params.get("u").unwrap_or(""), notice, None).await
}

async fn user_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    username: &str,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let user = match find_user(services, username).await {
        Ok(Some(user)) => user,
        Ok(None) => return no_such(&t_with("admin-no-user", "name", username)),
        Err(page) => return page,
    };
    let details = async {
        let groups = services.groups.groups_of(user.id).await?;
        let all = services.groups.list_groups().await?;
        let mut sessions = Vec::new();
        for live in services.sessions().list_for_user(user.id).await? {
            let mut apps = Vec::new();
            for rp in &live.session.clients {
                let name = services.clients.find_client(&rp.client_id).await?.map(|c| c.name);
                apps.push(name.unwrap_or_else(|| rp.client_id.to_string()));
            }
            sessions.push(SessionRow {
                handle: live.handle.as_str().to_string(),
                device: crate::session::describe_device(&live.session.user_agent),
                signed_in: crate::clock::iso8601(live.session.auth_time),
                last_seen: crate::clock::iso8601(live.session.last_seen),
                apps: apps.join(", "),
            });
        }
        Ok::<_, crate::store::StoreError>((groups, all, sessions))
    };
    let (groups, all, sessions) = match details.await {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let groups: Vec<String> = groups.iter().map(ToString::to_string).collect();
    let other_groups = all
        .iter()
        .map(|g| g.name.to_string())
        .filter(|name| !groups.contains(name))
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| UserPage {
        admin: me.username.as_str(),
        user: UserRow::from(&user),
        created: crate::clock::iso8601(user.created_at),
        groups,
        other_groups,
        sessions,
        csrf,
        notice,
        error,
    })
}

/// Whether `user` is the last enabled admin (who must stay).
async fn last_admin(services: &Services, user: &User) -> Result<bool, HttpResponse> {
    if !user.roles.contains(&Role::Admin) || user.disabled {
        return Ok(false);
    }
    let users = services
        .users
        .list_users()
        .await
        .map_err(|e| pages::server_error_page(&e))?;
    let others = users
        .iter()
        .filter(|u| u.id != user.id && !u.disabled && u.roles.contains(&Role::Admin))
        .count();
    Ok(others == 0)
}

/// `POST /admin/user`: `action` = disable | enable | delete | join | leave.
pub async fn change_user(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let username = form.get("u").unwrap_or("").to_string();
    let user = match find_user(&services, &username).await {
        Ok(Some(user)) => user,
        Ok(None) => return no_such(&t_with("admin-no-user", "name", &username)),
        Err(page) => return page,
    };
    let action = form.get("action").unwrap_or("");
    let group = form.get("group").unwrap_or("");
    let edit = (action == "edit").then(|| user_edit(&form));
    let drops_admin = edit.as_ref().is_some_and(|e| !e.roles.contains(&Role::Admin));
    let removes_an_admin = matches!(action, "disable" | "delete") || drops_admin;
    if removes_an_admin {
        match last_admin(&services, &user).await {
            Ok(true) => {
                return user_page(&req, &services, &me, &username, None, Some(t("admin-last-admin"))).await;
            }
            Ok(false) => {}
            Err(page) => return page,
        }
    }
    let users = services.user_admin();
    let groups = services.group_admin();
    let result = match action {
        "disable" => admin::set_user_disabled(&users, &username, true, OfflineTokens::Revoke)
            .await
            .map(|_| ()),
        "enable" => admin::set_user_disabled(&users, &username, false, OfflineTokens::Keep)
            .await
            .map(|_| ()),
        "delete" if form.get("confirm") != Some("yes") => Err(AdminError::Invalid(t("admin-delete-tick"))),
        "delete" => admin::delete_user(&users, &username).await.map(|_| ()),
        "edit" => match edit {
            Some(edit) => admin::edit_user(&users, &username, edit).await.map(|_| ()),
            None => Ok(()),
        },
        "logout" => admin::logout_user(&users, &username, OfflineTokens::Keep)
            .await
            .map(|_| ()),
        "end_session" => end_one_session(&services, &user, form.get("session").unwrap_or("")).await,
        "reset_factors" => admin::reset_second_factors(&users, &services.second_factors(), &username)
            .await
            .map(|_| ()),
        "send_reset" => match services.password_reset().request(&username, "admin console").await {
            Ok(()) => Ok(()),
            Err(e) => Err(AdminError::Invalid(e.to_string())),
        },
        "join" => groups.add_member(group, &username).await.map(|_| ()),
        "leave" => groups.remove_member(group, &username).await.map(|_| ()),
        _ => Err(AdminError::Invalid(t("admin-unknown-action"))),
    };
    match result {
        Ok(()) => {
            let what = format!(
                "{action} {username}{}",
                if group.is_empty() {
                    String::new()
                } else {
                    format!(" {group}")
                }
            );
            audit_action(&services, &me, what).await;
            if action == "delete" {
                return outcome::see_other(&format!("/admin/users?deleted={}", encoded(&username)));
            }
            outcome::see_other(&format!(
                "/admin/user?u={}&done={}",
                encoded(&username),
                encoded(action)
            ))
        }
        Err(e) => match refused(e) {
            Ok(message) => user_page(&req, &services, &me, &username, None, Some(message)).await,
            Err(page) => *page,
        },
    }
}

/// Ends one of `user`'s sessions, telling its apps (single logout).
async fn end_one_session(services: &Services, user: &User, handle: &str) -> Result<(), AdminError> {
    let live = services.sessions().list_for_user(user.id).await?;
    let Some(session) = live.iter().find(|l| l.handle.as_str() == handle) else {
        return Err(AdminError::NotFound(t("admin-no-session")));
    };
    services.fanout().end_session(session, "ended by an operator").await?;
    let event = AuditEvent::new("session_ended_by_admin", services.clock.now()).user(user.id);
    crate::audit::record(&*services.audit, event).await;
    Ok(())
}

/// The record the edit form describes (an unticked box sends nothing).
fn user_edit(form: &Params) -> admin::UserEdit {
    let optional = |name| {
        form.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let roles = [Role::Developer, Role::Admin, Role::Auditor]
        .into_iter()
        .filter(|role| form.get(&format!("role_{}", role.as_str())) == Some("on"))
        .collect();
    admin::UserEdit {
        display_name: optional("name"),
        email: optional("email"),
        email_verified: form.get("email_verified") == Some("on"),
        roles,
    }
}

/// `GET /admin/groups`.
pub async fn groups(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let notice = done_notice(&query(&req));
    groups_page(&req, &services, &me, notice, None).await
}

async fn groups_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let groups = match services.groups.list_groups().await {
        Ok(groups) => groups,
        Err(e) => return pages::server_error_page(&e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| GroupsPage {
        admin: me.username.as_str(),
        groups,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/groups`: `action` = create | delete.
pub async fn change_groups(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let name = form.get("name").unwrap_or("").trim().to_string();
    let admin = services.group_admin();
    let result = match form.get("action") {
        Some("create") => admin.create(&name).await.map(|_| ()),
        Some("delete") => admin.delete(&name).await,
        _ => Err(AdminError::Invalid(t("admin-unknown-action"))),
    };
    match result {
        Ok(()) => {
            let action = form.get("action").unwrap_or("");
            audit_action(&services, &me, format!("{action} group {name}")).await;
            outcome::see_other(&format!("/admin/groups?done={}", encoded(action)))
        }
        Err(e) => match refused(e) {
            Ok(message) => groups_page(&req, &services, &me, None, Some(message)).await,
            Err(page) => *page,
        },
    }
}

/// `GET /admin/group?g=…`: members and the apps only it may use.
pub async fn group(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let params = query(&req);
    let notice = done_notice(&params);
    group_page(&req, &services, &me, params.get("g").unwrap_or(""), notice, None).await
}

async fn group_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    name: &str,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let group = match services.group_admin().find(name).await {
        Ok(group) => group,
        Err(AdminError::Store(e)) => return pages::server_error_page(&e),
        Err(_) => return no_such(&t_with("admin-no-group", "name", name)),
    };
    let details = async {
        let members = services.groups.member_names(group.id).await?;
        let mut apps = Vec::new();
        let mut other_apps = Vec::new();
        for client in services.clients.list_clients().await? {
            let rules = services.clients.find_client(&client.client_id).await?;
            let entry = (client.client_id.to_string(), client.name.clone());
            if rules.is_some_and(|c| c.access_groups.contains(&group.name)) {
                apps.push(entry);
            } else {
                other_apps.push(entry);
            }
        }
        Ok::<_, crate::store::StoreError>((members, apps, other_apps))
    };
    let (members, apps, other_apps) = match details.await {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| GroupPage {
        admin: me.username.as_str(),
        name: group.name.as_str(),
        members,
        apps,
        other_apps,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/group`: `action` = restrict | unrestrict an app (`client`).
pub async fn change_group(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let name = form.get("g").unwrap_or("").to_string();
    let client_id = form.get("client").unwrap_or("");
    let changed = async {
        let Ok(client_id) = crate::domain::ClientId::parse(client_id) else {
            return Err(AdminError::NotFound(format!("no client {client_id}")));
        };
        let client = services
            .clients
            .find_client(&client_id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no client {client_id}")))?;
        let mut names: Vec<String> = client.access_groups.iter().map(ToString::to_string).collect();
        match form.get("action") {
            Some("restrict") if !names.contains(&name) => names.push(name.clone()),
            Some("restrict") => {}
            Some("unrestrict") => names.retain(|n| *n != name),
            _ => return Err(AdminError::Invalid(t("admin-unknown-action"))),
        }
        services.group_admin().restrict_client(&client_id, &names).await
    };
    match changed.await {
        Ok(()) => {
            let action = form.get("action").unwrap_or("");
            audit_action(&services, &me, format!("{action} {client_id} to group {name}")).await;
            outcome::see_other(&format!("/admin/group?g={}&done={}", encoded(&name), encoded(action)))
        }
        Err(e) => match refused(e) {
            Ok(message) => group_page(&req, &services, &me, &name, None, Some(message)).await,
            Err(page) => *page,
        },
    }
}

/// `GET /admin/keys`: the signing keys and their states.
pub async fn keys(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    keys_page(&req, &services, &me, done_notice(&query(&req)), None)
}

fn keys_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let now = services.clock.now();
    let keys = services
        .keys
        .current()
        .describe(now)
        .into_iter()
        .map(|k| KeyRow {
            kid: k.kid,
            alg: k.alg,
            state: k.state,
            created: crate::clock::iso8601(k.created_at),
            activates: crate::clock::iso8601(k.activates_at),
            until: k.published_until.map(crate::clock::iso8601).unwrap_or_default(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| KeysPage {
        admin: me.username.as_str(),
        keys,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/keys`: `rotate` (a new key of `alg`, published now and
/// signing once caches have it) or `revoke` (`kid`, at once).
pub async fn change_keys(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let action = form.get("action").unwrap_or("");
    let result = match action {
        "rotate" => match crate::keys::Alg::parse(form.get("alg").unwrap_or("")) {
            Some(alg) => services
                .key_rotation()
                .rotate(alg, crate::keys::rotation::When::Scheduled, None)
                .await
                .map(|kid| format!("rotated to {kid}"))
                .map_err(|e| e.to_string()),
            None => Err(t("admin-unknown-action")),
        },
        "revoke" => {
            let kid = form.get("kid").unwrap_or("").to_string();
            crate::control::perform(&services, crate::control::Operation::RevokeKey { kid: kid.clone() })
                .await
                .map(|_| format!("revoked {kid}"))
                .map_err(|e| e.to_string())
        }
        _ => Err(t("admin-unknown-action")),
    };
    match result {
        Ok(what) => {
            audit_action(&services, &me, what).await;
            outcome::see_other(&format!("/admin/keys?done={}", encoded(action)))
        }
        Err(message) => keys_page(&req, &services, &me, None, Some(message)),
    }
}

/// `GET /admin/audit?user=…&client=…&event=…&before=…`: newest first,
/// paged by `(at, id)`; `format=jsonl` exports the page as JSON lines.
pub async fn audit(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let params = query(&req);
    let text = |name| params.get(name).map(str::trim).unwrap_or("").to_string();
    let (user, client, event) = (text("user"), text("client"), text("event"));
    let mut filter = AuditFilter {
        client_id: (!client.is_empty()).then(|| client.clone()),
        event: (!event.is_empty()).then(|| event.clone()),
        before: params.get("before").and_then(parse_cursor),
        ..AuditFilter::default()
    };
    if !user.is_empty() {
        match find_user(&services, &user).await {
            Ok(Some(found)) => filter.user_id = Some(found.id),
            // Nobody by that name: nothing matches (not every event).
            Ok(None) => filter.user_id = Some(uuid::Uuid::nil()),
            Err(page) => return page,
        }
    }
    let size = services.settings.admin.page_size.clamp(1, 500);
    let mut events = match services.audit.search(&filter, size + 1).await {
        Ok(events) => events,
        Err(e) => return pages::server_error_page(&e),
    };
    let more = events.len() > size as usize;
    events.truncate(size as usize);
    if params.get("format") == Some("jsonl") {
        let lines: String = events
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|line| line + "\n")
            .collect();
        return HttpResponse::Ok().content_type("application/x-ndjson").body(lines);
    }
    let next = more.then(|| {
        let last = events.last().map(|e| format!("{}.{}", e.at, e.id)).unwrap_or_default();
        format!(
            "/admin/audit?user={}&client={}&event={}&before={}",
            encoded(&user),
            encoded(&client),
            encoded(&event),
            encoded(&last)
        )
    });
    let mut rows = Vec::new();
    for event in &events {
        let name = match event.user_id {
            Some(id) => services
                .users
                .find_user(id)
                .await
                .ok()
                .flatten()
                .map(|u| u.username.to_string()),
            None => None,
        };
        rows.push(AuditRow::new(event, name));
    }
    super::views::render(
        &AuditPage {
            admin: me.username.as_str(),
            user: &user,
            client: &client,
            event: &event,
            events: rows,
            next,
        },
        StatusCode::OK,
    )
}

/// `at.id`, as the next-page link writes it.
fn parse_cursor(cursor: &str) -> Option<(i64, uuid::Uuid)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}
