//! The console's groups: the list, a group's members and the apps that
//! admit only it.

use super::*;

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
    let status = status_for(&error);
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
    let name = form.get("name").unwrap_or("").to_string();
    let action = form.get("action").unwrap_or("");
    let command = match action {
        "create" => Command::CreateGroup { name },
        "delete" => Command::DeleteGroup { name },
        _ => return groups_page(&req, &services, &me, None, Some(t("admin-unknown-action"))).await,
    };
    match act(&services, &me, command).await {
        Ok(_) => outcome::see_other(&format!("/admin/groups?done={}", encoded(action))),
        Err(Ok(message)) => groups_page(&req, &services, &me, None, Some(message)).await,
        Err(Err(page)) => page,
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
    let clients = match manage::clients(services).await {
        Ok(clients) => clients,
        Err(e) => return pages::server_error_page(&e),
    };
    let group = match manage::group_among(services, name, &clients).await {
        Ok(group) => group,
        Err(ManageError::Store(e)) => return pages::server_error_page(&e),
        Err(_) => return no_such(&t_with("admin-no-group", "name", name)),
    };
    let (apps, other_apps) = clients
        .into_iter()
        .map(|c| (c.client_id, c.name))
        .partition(|(client_id, _)| group.clients.contains(client_id));
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| GroupPage {
        admin: me.username.as_str(),
        name: &group.name,
        members: group.members.clone(),
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
    let client_id = form.get("client").unwrap_or("").to_string();
    let action = form.get("action").unwrap_or("");
    let group = name.clone();
    let command = match action {
        "restrict" => Command::AdmitGroup { client_id, group },
        "unrestrict" => Command::StopAdmittingGroup { client_id, group },
        _ => return group_page(&req, &services, &me, &name, None, Some(t("admin-unknown-action"))).await,
    };
    match act(&services, &me, command).await {
        Ok(_) => outcome::see_other(&format!("/admin/group?g={}&done={}", encoded(&name), encoded(action))),
        Err(Ok(message)) => group_page(&req, &services, &me, &name, None, Some(message)).await,
        Err(Err(page)) => page,
    }
}
