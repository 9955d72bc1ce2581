//! The console's apps: every client with what only operators set (whether
//! it needs a second factor or a confirmed address, whether it may
//! introspect every token) and the groups it admits. Registration details
//! stay on the developer portal, which admins see for every app.

use super::*;

/// `GET /admin/clients`.
pub async fn clients(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    clients_page(&req, &services, &me, done_notice(&query(&req)), None).await
}

async fn clients_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let clients = match manage::clients(services).await {
        Ok(views) => views.iter().map(ClientRow::from).collect(),
        Err(e) => return pages::server_error_page(&e),
    };
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| ClientsPage {
        admin: me.username.as_str(),
        clients,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/clients`: the operator-only flags of one app (`client`),
/// from the form's ticked boxes.
pub async fn change_client(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let ticked = |name: &str| Some(form.get(name) == Some("on"));
    let command = Command::SetClientAccess {
        client_id: form.get("client").unwrap_or("").to_string(),
        first_party: ticked("first_party"),
        resource_server: ticked("resource_server"),
        require_second_factor: ticked("require_second_factor"),
        require_verified_email: ticked("require_verified_email"),
        // Only an app using client_credentials is offered the choice.
        management: form.get("management").map(str::to_string),
    };
    match act(&services, &me, command).await {
        Ok(_) => outcome::see_other("/admin/clients?done=edit"),
        Err(Ok(message)) => clients_page(&req, &services, &me, None, Some(message)).await,
        Err(Err(page)) => page,
    }
}
