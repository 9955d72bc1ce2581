//! `/developer`: the developer portal. A signed-in person with the developer
//! role registers, edits, re-keys and deletes their own clients (admins see
//! every client), through the same service and rules as the registration API
//! and the CLI.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::developer_form::{ClientForm, FieldError};
use super::views::{AccessNeededPage, ClientFormPage, ClientRow, CredentialsPage, DeveloperPage, render};
use super::{cookies, csrf, outcome, pages};
use crate::admin::{self, AdminError, NewClient, Via};
use crate::domain::{Client, ClientId, Role, User};
use crate::oidc::params::Params;
use crate::startup::Services;
use pages::server_error_page;

/// The signed-in developer, or the response for everyone else: the login
/// page (coming back here), or a page saying the role is missing.
async fn developer(req: &HttpRequest, services: &Services) -> Result<User, HttpResponse> {
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| server_error_page(&e))?;
    let Some(current) = accounts.current() else {
        let mut response = outcome::see_other("/login?next=/developer");
        cookies::set_session_cookie(&mut response, services, &accounts);
        return Err(response);
    };
    let user = services
        .users
        .find_user(current.session.user_id)
        .await
        .map_err(|e| server_error_page(&e))?;
    match user {
        Some(user) if user.has_role(Role::Developer) && !user.disabled => Ok(user),
        Some(user) => {
            // Another account on this browser may have the role: offer it.
            let mut developers = Vec::new();
            for live in accounts.iter().filter(|l| l.handle != current.handle) {
                let other = services
                    .users
                    .find_user(live.session.user_id)
                    .await
                    .map_err(|e| server_error_page(&e))?;
                if let Some(other) = other.filter(|o| o.has_role(Role::Developer) && !o.disabled) {
                    developers.push((live.handle.as_str().to_string(), other.username.to_string()));
                }
            }
            Err(csrf::form_page(req, services, StatusCode::FORBIDDEN, |csrf| {
                AccessNeededPage {
                    csrf,
                    username: user.username.as_str(),
                    developers,
                }
            }))
        }
        None => Err(outcome::see_other("/login?next=/developer")),
    }
}

/// The client, when this developer may manage it; others' clients do not
/// exist as far as they can tell.
async fn managed_client(services: &Services, user: &User, client_id: &str) -> Result<Client, HttpResponse> {
    let Ok(client_id) = ClientId::parse(client_id) else {
        return Err(not_found());
    };
    let client = services
        .clients
        .find_client(&client_id)
        .await
        .map_err(|e| server_error_page(&e))?;
    match client {
        Some(client) if user.has_role(Role::Admin) || client.owner_id == Some(user.id) => Ok(client),
        _ => Err(not_found()),
    }
}

fn not_found() -> HttpResponse {
    pages::error_page(
        StatusCode::NOT_FOUND,
        &crate::ui::t("developer-no-such-title"),
        &crate::ui::t("developer-no-such"),
        None,
    )
}

/// A verified form from a developer.
async fn developer_form(req: &HttpRequest, services: &Services, body: &[u8]) -> Result<(Params, User), HttpResponse> {
    let form = csrf::verified_form(req, services, body)?;
    let user = developer(req, services).await?;
    Ok((form, user))
}

/// A verified form from a developer about one of their clients.
async fn client_form(
    req: &HttpRequest,
    services: &Services,
    body: &[u8],
    client_id: &str,
) -> Result<(Params, Client), HttpResponse> {
    let (form, user) = developer_form(req, services, body).await?;
    let client = managed_client(services, &user, client_id).await?;
    Ok((form, client))
}

pub async fn list(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let user = match developer(&req, &services).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let admin = user.has_role(Role::Admin);
    let clients = if admin {
        services.clients.list_clients().await
    } else {
        services.clients.list_clients_by_owner(user.id).await
    };
    let clients = match clients {
        Ok(clients) => clients,
        Err(e) => return server_error_page(&e),
    };
    let notice = Params::parse(req.query_string())
        .unwrap_or_default()
        .get("deleted")
        .map(|_| crate::ui::t("developer-deleted"));
    let rows = clients.iter().map(ClientRow::from).collect();
    let others = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => super::account::other_accounts(&services, &accounts).await,
        Err(e) => Err(e),
    };
    let others = match others {
        Ok(others) => others,
        Err(e) => return server_error_page(&e),
    };
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| DeveloperPage {
        username: user.username.as_str(),
        admin,
        clients: rows,
        notice: notice.as_deref(),
        others,
        csrf,
    })
}

pub async fn new_form(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if let Err(response) = developer(&req, &services).await {
        return response;
    }
    form_page(&req, &services, None, ClientForm::default(), None, StatusCode::OK)
}

fn form_page(
    req: &HttpRequest,
    services: &Services,
    client: Option<&Client>,
    form: ClientForm,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    let notice = Params::parse(req.query_string())
        .unwrap_or_default()
        .get("saved")
        .map(|_| "Saved.");
    csrf::form_page(req, services, status, |csrf| ClientFormPage {
        client_id: client.map(|c| c.client_id.as_str()),
        has_secret: client.is_some_and(|c| c.secret_hash.is_some()),
        form,
        error,
        notice,
        csrf,
    })
}

/// A refused form shown again with what was typed and the message next to
/// the field at fault.
fn refused(
    req: &HttpRequest,
    services: &Services,
    client: Option<&Client>,
    form: ClientForm,
    error: AdminError,
) -> HttpResponse {
    let error = match error {
        AdminError::Metadata(e) => FieldError::from_metadata(&e),
        AdminError::Invalid(message) => FieldError::general(message),
        AdminError::NotFound(_) => return not_found(),
        other => return server_error_page(&other),
    };
    form_page(
        req,
        services,
        client,
        form,
        Some(error),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

pub async fn create(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (params, user) = match developer_form(&req, &services, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let form = ClientForm::from_params(&params);
    let base = NewClient {
        owner_id: Some(user.id),
        ..NewClient::default()
    };
    match admin::add_client(&services.client_admin(), form.clone().apply_to(base), Via::Portal).await {
        Ok(created) => credentials_page(&services, &created.client, created.secret.as_deref(), None),
        Err(error) => refused(&req, &services, None, form, error),
    }
}

pub async fn show(req: HttpRequest, path: web::Path<String>, services: web::Data<Services>) -> HttpResponse {
    let user = match developer(&req, &services).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    match managed_client(&services, &user, &path).await {
        Ok(client) => form_page(
            &req,
            &services,
            Some(&client),
            ClientForm::from_client(&client),
            None,
            StatusCode::OK,
        ),
        Err(response) => response,
    }
}

pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let (params, client) = match client_form(&req, &services, &body, &path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let form = ClientForm::from_params(&params);
    let new = form.clone().apply_to(admin::metadata_of(&client));
    match admin::update_client(&services.client_admin(), &client.client_id, new).await {
        // Changing the kind of app to one that needs a secret creates one: shown once.
        Ok(updated) if updated.secret.is_some() => {
            credentials_page(&services, &updated.client, updated.secret.as_deref(), None)
        }
        Ok(updated) => outcome::see_other(&format!("{}?saved=1", client_path(&updated.client))),
        Err(error) => refused(&req, &services, Some(&client), form, error),
    }
}

/// How long the old secret keeps working after a rotation, as offered on the page.
const GRACE_CHOICES: &[u64] = &[0, 3600, 86_400, 604_800];

pub async fn rotate_secret(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let (params, client) = match client_form(&req, &services, &body, &path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let grace = params
        .get("grace")
        .and_then(|g| g.parse::<u64>().ok())
        .filter(|g| GRACE_CHOICES.contains(g))
        .unwrap_or(0);
    match admin::rotate_secret(&services.client_admin(), &client.client_id, grace).await {
        Ok(secret) => credentials_page(&services, &client, Some(&secret), Some(grace)),
        Err(error) => refused(&req, &services, Some(&client), ClientForm::from_client(&client), error),
    }
}

pub async fn delete(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let (params, client) = match client_form(&req, &services, &body, &path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if params.get("confirm") != Some("yes") {
        let error = FieldError::on("confirm", crate::ui::t("delete-tick"));
        return form_page(
            &req,
            &services,
            Some(&client),
            ClientForm::from_client(&client),
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match admin::delete_client(&services.client_admin(), &client.client_id).await {
        Ok(()) => outcome::see_other("/developer?deleted=1"),
        Err(error) => refused(&req, &services, Some(&client), ClientForm::from_client(&client), error),
    }
}

fn client_path(client: &Client) -> String {
    let id: String = url::form_urlencoded::byte_serialize(client.client_id.as_str().as_bytes()).collect();
    format!("/developer/clients/{id}")
}

/// The credentials, shown once (the page is never cached).
fn credentials_page(services: &Services, client: &Client, secret: Option<&str>, grace: Option<u64>) -> HttpResponse {
    let grace_note = grace.map(|g| match g {
        0 => crate::ui::t("grace-ended"),
        secs => crate::ui::t_with("grace-note", "duration", super::views::duration_words(secs)),
    });
    render(
        &CredentialsPage {
            name: &client.name,
            client_id: client.client_id.as_str(),
            secret,
            grace_note,
            issuer: &services.settings.issuer,
            redirect_uris: client.redirect_uris.iter().map(|u| u.as_str().to_string()).collect(),
            manage: client_path(client),
        },
        StatusCode::OK,
    )
}
