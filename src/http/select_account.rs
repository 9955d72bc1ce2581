//! `GET|POST /select-account`: the account chooser (`prompt=select_account`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{AccountChoice, SelectAccountPage};
use super::{cookies, csrf, outcome, pages};
use crate::domain::SessionHandle;
use crate::oidc::authorize::{self, policy::Stage};
use crate::oidc::params::Params;
use crate::startup::Services;
use pages::server_error_page;

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    let parked = match pages::waiting_request(&services, request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    let accounts = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => accounts,
        Err(e) => return server_error_page(&e),
    };
    let mut choices = Vec::new();
    for live in accounts.iter() {
        match services.users.find_user(live.session.user_id).await {
            Ok(Some(user)) => choices.push(AccountChoice {
                handle: live.handle.clone(),
                name: user.display_name.clone().unwrap_or_else(|| user.username.to_string()),
                username: user.username.to_string(),
            }),
            Ok(None) => {}
            Err(e) => return server_error_page(&e),
        }
    }
    if choices.is_empty() {
        return outcome::see_other(&format!("/login?req={request_id}"));
    }
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| SelectAccountPage {
        client_name: &parked.request.client_name,
        accounts: choices,
        request_id,
        csrf,
    })
}

/// Signs one account out of this browser (with single logout) and shows the
/// chooser again, or the login page when none is left.
pub async fn forget(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = form.get("req").unwrap_or("");
    let result = async {
        let mut accounts = cookies::browser_accounts(&req, &services).await?;
        let handle = SessionHandle::from_stored(form.get("account").unwrap_or("").to_string());
        // Only an account this browser holds can be named.
        let named = accounts.iter().find(|l| l.handle == handle).cloned();
        if let Some(live) = named {
            services
                .fanout()
                .end_session(&live, "signed out from the account chooser")
                .await?;
            accounts.remove(&live.handle);
        }
        let mut response = outcome::see_other(&format!("/select-account?req={request_id}"));
        cookies::set_session_cookie(&mut response, &services, &accounts);
        Ok::<_, crate::store::StoreError>(response)
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = form.get("req").unwrap_or("");
    let parked = match pages::waiting_request(&services, request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    let result = async {
        let mut accounts = cookies::browser_accounts(&req, &services)
            .await
            .map_err(crate::error::InternalError::from)?;
        let chosen = form
            .get("account")
            .is_some_and(|handle| accounts.promote(&SessionHandle::from_stored(handle.to_string())));
        if !chosen {
            // Signed out meanwhile: show the chooser (or the login page) again.
            return Ok(outcome::see_other(&format!("/select-account?req={request_id}")));
        }
        let outcome = authorize::proceed(
            &services.authorizer(),
            &parked.request,
            Some(request_id),
            &mut accounts,
            Stage::Selected,
        )
        .await?;
        Ok::<_, crate::error::InternalError>(outcome::render(&services, outcome, &accounts))
    };
    match result.await {
        Ok(response) => response,
        Err(e) => server_error_page(&e),
    }
}
