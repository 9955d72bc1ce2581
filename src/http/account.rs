//! `/account`: who is signed in, where, and in which apps; end a session or
//! all the others.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{AccountPage, SessionView, time_ago};
use pages::server_error_page;

use super::{cookies, csrf, outcome, pages};
use crate::error::InternalError;
use crate::oidc::params::Params;
use crate::session::{BrowserAccounts, LiveSession, describe_device};
use crate::startup::Services;
use crate::store::StoreError;

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    match page(&req, &services).await {
        Ok(response) => response,
        Err(e) => server_error_page(&e),
    }
}

async fn page(req: &HttpRequest, services: &Services) -> Result<HttpResponse, InternalError> {
    let accounts = cookies::browser_accounts(req, services).await?;
    let Some(current) = accounts.current() else {
        let mut response = outcome::see_other("/login");
        cookies::set_session_cookie(&mut response, services, &accounts);
        return Ok(response);
    };
    let Some(user) = services.users.find_user(current.session.user_id).await? else {
        return Ok(outcome::see_other("/login"));
    };
    let now = services.clock.now();
    let mut views = Vec::new();
    for live in services.sessions().list_for_user(user.id).await? {
        let mut apps = Vec::new();
        for rp in &live.session.clients {
            let name = services.clients.find_client(&rp.client_id).await?.map(|c| c.name);
            apps.push(name.unwrap_or_else(|| rp.client_id.to_string()));
        }
        views.push(SessionView {
            current: live.handle == current.handle,
            device: describe_device(&live.session.user_agent),
            location: live.session.ip_prefix.clone(),
            signed_in: time_ago(live.session.auth_time, now),
            last_seen: time_ago(live.session.last_seen, now),
            apps,
            handle: live.handle,
        });
    }
    let name = user.display_name.clone().unwrap_or_else(|| user.username.to_string());
    let factors = super::account_security::factors_view(services, &user).await?;
    let mut response = csrf::form_page(req, services, StatusCode::OK, |csrf| AccountPage {
        name: &name,
        username: user.username.as_str(),
        developer: user.has_role(crate::domain::Role::Developer),
        sessions: views,
        factors,
        csrf,
    });
    cookies::set_session_cookie(&mut response, services, &accounts);
    Ok(response)
}

/// A verified form from the signed-in person, with their accounts.
async fn signed_in_form(
    req: &HttpRequest,
    services: &Services,
    body: &[u8],
) -> Result<(Params, BrowserAccounts, LiveSession), HttpResponse> {
    let form = csrf::verified_form(req, services, body)?;
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| server_error_page(&e))?;
    match accounts.current().cloned() {
        Some(current) => Ok((form, accounts, current)),
        None => Err(outcome::see_other("/login")),
    }
}

/// Ends one of the person's sessions (this one: they are signed out here).
pub async fn end_session(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (form, mut accounts, current) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let result = async {
        let sessions = services.sessions().list_for_user(current.session.user_id).await?;
        // Only the person's own sessions can be named here.
        let Some(target) = sessions.iter().find(|s| Some(s.handle.as_str()) == form.get("session")) else {
            return Ok(outcome::see_other("/account"));
        };
        let front = services
            .fanout()
            .end_session(target, "ended from the account page")
            .await?;
        if target.handle != current.handle {
            return Ok(outcome::see_other("/account"));
        }
        accounts.remove(&target.handle);
        let mut response =
            super::end_session::signed_out_page("You are signed out of Sesame on this browser.", front, None);
        cookies::set_session_cookie(&mut response, &services, &accounts);
        Ok::<_, StoreError>(response)
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}

/// Ends every session of the person but the one on this browser.
pub async fn end_other_sessions(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (_, _, current) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let result = async {
        for live in services.sessions().list_for_user(current.session.user_id).await? {
            if live.handle != current.handle {
                services
                    .fanout()
                    .end_session(&live, "ended from another session's account page")
                    .await?;
            }
        }
        Ok::<_, StoreError>(outcome::see_other("/account"))
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}
