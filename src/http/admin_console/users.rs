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
    let found = match manage::users(services, &q, after, services.settings.admin.page_size).await {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let next = found
        .next
        .map(|last| format!("/admin/users?q={}&after={}", encoded(&q), encoded(&last)));
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| UsersPage {
        admin: me.username.as_str(),
        query: &q,
        users: found.users.iter().map(UserRow::from).collect(),
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
    let text = |name| form.get(name).map(str::to_string);
    let command = Command::CreateUser {
        username: text("username").unwrap_or_default(),
        email: text("email"),
        name: text("name"),
        password: text("password").unwrap_or_default(),
    };
    match act(&services, &me, command).await {
        Ok(Done::User { user }) => {
            outcome::see_other(&format!("/admin/user?u={}&done=created", encoded(&user.username)))
        }
        Ok(_) => outcome::see_other("/admin/users"),
        Err(Ok(message)) => users_page(&req, &services, &me, None, Some(message)).await,
        Err(Err(page)) => page,
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
    let detail = match manage::user(services, username).await {
        Ok(detail) => detail,
        Err(ManageError::Store(e)) => return pages::server_error_page(&e),
        Err(_) => return no_such(&t_with("admin-no-user", "name", username)),
    };
    let rows = async {
        let all = services.groups.list_groups().await?;
        let mut names = std::collections::HashMap::new();
        for client_id in detail
            .sessions
            .iter()
            .flat_map(|s| s.clients.iter())
            .map(String::as_str)
            .chain(detail.grants.iter().map(|g| g.client_id.as_str()))
        {
            if !names.contains_key(client_id)
                && let Ok(id) = crate::domain::ClientId::parse(client_id)
            {
                let name = services.clients.find_client(&id).await?.map(|c| c.name);
                names.insert(client_id.to_string(), name.unwrap_or_else(|| client_id.to_string()));
            }
        }
        Ok::<_, crate::store::StoreError>((all, names))
    };
    let (all, names) = match rows.await {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let sessions = detail
        .sessions
        .iter()
        .map(|s| SessionRow {
            handle: s.session.clone(),
            device: s.device.clone(),
            signed_in: crate::clock::iso8601(s.signed_in_at),
            last_seen: crate::clock::iso8601(s.last_seen),
            apps: s.clients.iter().map(|c| name_of(c)).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let grants = detail
        .grants
        .iter()
        .map(|g| GrantRow {
            client_id: g.client_id.to_string(),
            app: name_of(g.client_id.as_str()),
            scopes: g.scopes.to_string(),
            since: crate::clock::iso8601(g.granted_at),
        })
        .collect();
    let linked = detail
        .linked
        .iter()
        .map(|l| LinkRow {
            upstream: l.upstream.clone(),
            issuer: l.issuer.clone(),
            subject: l.subject.clone(),
            since: crate::clock::iso8601(l.linked_at),
        })
        .collect();
    let upstreams = services.upstreams.listed().map(|u| u.name.clone()).collect();
    let other_groups = all
        .iter()
        .map(|g| g.name.to_string())
        .filter(|name| !detail.groups.contains(name))
        .collect();
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| UserPage {
        admin: me.username.as_str(),
        user: UserRow::from(&detail.user),
        created: crate::clock::iso8601(detail.user.created_at),
        groups: detail.groups.clone(),
        other_groups,
        sessions,
        grants,
        linked,
        upstreams,
        second_factors: detail.second_factors.join(", "),
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/user`: one change to a person (`action`), named as the
/// user page's buttons name it.
pub async fn change_user(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let username = form.get("u").unwrap_or("").to_string();
    let action = form.get("action").unwrap_or("");
    let command = match user_command(&form, action, &username) {
        Ok(command) => command,
        Err(message) => return user_page(&req, &services, &me, &username, None, Some(message)).await,
    };
    match act(&services, &me, command).await {
        Ok(_) if action == "delete" => outcome::see_other(&format!("/admin/users?deleted={}", encoded(&username))),
        Ok(_) => outcome::see_other(&format!(
            "/admin/user?u={}&done={}",
            encoded(&username),
            encoded(action)
        )),
        Err(Ok(message)) => user_page(&req, &services, &me, &username, None, Some(message)).await,
        Err(Err(page)) => page,
    }
}

/// The command a user page form gives, or what the page says is missing.
fn user_command(form: &Params, action: &str, username: &str) -> Result<Command, String> {
    let username = username.to_string();
    let field = |name| form.get(name).unwrap_or("").to_string();
    Ok(match action {
        "disable" => Command::DisableUser { username },
        "enable" => Command::EnableUser { username },
        "delete" if form.get("confirm") != Some("yes") => return Err(t("admin-delete-tick")),
        "delete" => Command::DeleteUser { username },
        "edit" => {
            let roles = [Role::Developer, Role::Admin, Role::Auditor]
                .into_iter()
                .filter(|role| form.get(&format!("role_{}", role.as_str())) == Some("on"))
                .collect();
            Command::EditUser {
                username,
                name: Some(field("name")),
                email: Some(field("email")),
                email_verified: Some(form.get("email_verified") == Some("on")),
                roles: Some(roles),
            }
        }
        "set_password" => Command::SetPassword {
            username,
            password: field("password"),
        },
        "logout" => Command::SignOutEverywhere { username },
        "end_session" => Command::EndSession {
            username,
            session: field("session"),
        },
        "revoke_grant" => Command::RevokeAppGrant {
            username,
            client_id: field("client"),
        },
        "link" => Command::LinkUpstream {
            username,
            upstream: field("upstream"),
            subject: field("subject"),
        },
        "unlink" => Command::UnlinkUpstream {
            username,
            issuer: field("issuer"),
            subject: field("subject"),
        },
        "reset_factors" => Command::ResetSecondFactors { username },
        "send_reset" => Command::SendPasswordReset { username },
        "join" => Command::AddMember {
            group: field("group"),
            username,
        },
        "leave" => Command::RemoveMember {
            group: field("group"),
            username,
        },
        _ => return Err(t("admin-unknown-action")),
    })
}
