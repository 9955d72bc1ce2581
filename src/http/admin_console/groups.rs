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
    let status = status_for(&error);
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
