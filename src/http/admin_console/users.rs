//! The console's users: the list (search, keyset paging), a person's page
//! and every change to them.

use super::*;

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
    let status = status_for(&error);
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
    let status = status_for(&error);
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
