//! `/admin`: the console for operators — users, groups, apps, keys,
//! outboxes, registration tokens, the audit log. Changes are
//! [`manage::Command`]s, the same the management API takes.
//! Accounts with the admin role see it; every change also needs a recent
//! sign-in (and the second factor, when the account has one) and is
//! audited with the admin's id beside the event of the change itself. Off
//! unless `admin.enabled`: the paths then answer 404 like any unknown one.
//! Names travel in query strings and hidden fields (a group may be
//! `eng/backend`), never in the path.

// Imported once for every page below (each file starts `use super::*`).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::admin_views::{
    AuditPage, AuditRow, ClientRow, ClientsPage, DeliveriesPage, DeliveryRow, DeliverySection, GrantRow, GroupPage,
    GroupsPage, KeyRow, KeysPage, LinkRow, RegistrationTokenRow, RegistrationTokensPage, SessionRow, UserPage, UserRow,
    UsersPage,
};
use super::{account_security, csrf, outcome, pages};
use crate::domain::{Role, User};
use crate::manage::{self, Command, Done, ManageError, Operator};
use crate::oidc::params::Params;
use crate::session::LiveSession;
use crate::startup::Services;
use crate::ui::{t, t_with};

mod audit;
mod clients;
mod deliveries;
mod groups;
mod keys;
mod registration_tokens;
mod users;

pub use audit::audit;
pub use clients::{change_client, clients};
pub use deliveries::{change_deliveries, deliveries};
pub use groups::{change_group, change_groups, group, groups};
pub use keys::{change_keys, keys};
pub use registration_tokens::{change_registration_tokens, registration_tokens};
pub use users::{change_user, create_user, user, users};

/// Who reads the console (an admin or an auditor), or the page to give
/// instead.
async fn admin(req: &HttpRequest, services: &Services) -> Result<User, HttpResponse> {
    reader(req, services).await.map(|(user, _)| user)
}

/// The reader and their session.
async fn reader(req: &HttpRequest, services: &Services) -> Result<(User, LiveSession), HttpResponse> {
    if !super::server::console_served_here(req, services) {
        return Err(pages::not_found(req.clone()).await);
    }
    // Not signed in: sign in and come back; the store failing: its page.
    let (user, live) = account_security::signed_in(req, services).await.map_err(|response| {
        if response.status().is_redirection() {
            outcome::see_other("/login?next=/admin")
        } else {
            response
        }
    })?;
    if !user.has_role(Role::Auditor) {
        return Err(forbidden());
    }
    Ok((user, live))
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
    let (user, live) = reader(req, services).await?;
    if !user.has_role(Role::Admin) {
        return Err(forbidden());
    }
    let form = csrf::verified_form(req, services, body)?;
    if !account_security::signed_in_recently(services, &live) {
        return Err(outcome::see_other("/account/confirm?next=/admin"));
    }
    Ok((user, form))
}

/// A page is answered 400 when it shows what was wrong with a change.
fn status_for(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// Carries out a change for the admin: what it made, or what the page says
/// about a refusal (`Ok`), or the page to give instead (`Err`: the store
/// failing).
async fn act(services: &Services, admin: &User, command: Command) -> Result<Done, Result<String, HttpResponse>> {
    match manage::perform(services, &Operator::Person(admin.clone()), command).await {
        Ok(done) => Ok(done),
        Err(ManageError::Store(e)) => Err(Err(pages::server_error_page(&e))),
        Err(other) => Err(Ok(other.to_string())),
    }
}

fn query(req: &HttpRequest) -> Params {
    Params::parse(req.query_string()).unwrap_or_default()
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
        "set_password" => "admin-done-password-set",
        "revoke_grant" => "admin-done-grant-revoked",
        "link" => "admin-done-linked",
        "unlink" => "admin-done-unlinked",
        "retry" => "admin-done-retry",
        _ => return None,
    };
    Some(t(id))
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn no_such(what: &str) -> HttpResponse {
    pages::error_page(StatusCode::NOT_FOUND, &t("admin-not-found-title"), what, None)
}

/// `GET /admin`.
pub async fn home(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    match admin(&req, &services).await {
        Ok(_) => outcome::see_other("/admin/users"),
        Err(page) => page,
    }
}
