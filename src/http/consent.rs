//! `GET|POST /consent`: the person allows or denies an app the scopes it asked for.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::ConsentPage;
use super::{cookies, csrf, outcome, pages};
use crate::oidc::authorize::ParkedRequest;
use crate::oidc::params::Params;
use crate::session::{BrowserAccounts, LiveSession};
use crate::startup::Services;
use pages::server_error_page;

/// The parked request and the signed-in account it is for, or the page to
/// show instead.
async fn context(
    req: &HttpRequest,
    services: &Services,
    request_id: &str,
) -> Result<(ParkedRequest, BrowserAccounts, LiveSession), HttpResponse> {
    let parked = pages::waiting_request(services, request_id).await?;
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| server_error_page(&e))?;
    match accounts.current().cloned() {
        Some(live) => Ok((parked, accounts, live)),
        // Signed out meanwhile (another tab): sign in again for the same request.
        None => Err(outcome::see_other(&format!("/login?req={request_id}"))),
    }
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    let (parked, _, live) = match context(&req, &services, request_id).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let account = match services.users.find_user(live.session.user_id).await {
        Ok(Some(user)) => user.username.to_string(),
        Ok(None) => return outcome::see_other(&format!("/login?req={request_id}")),
        Err(e) => return server_error_page(&e),
    };
    // The app's own pages (RFC 7591 §2), so people can read its terms first.
    let info = match services.clients.find_client(&parked.request.client_id).await {
        Ok(client) => client.map(|c| c.info).unwrap_or_default(),
        Err(e) => return server_error_page(&e),
    };
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| ConsentPage {
        client_name: &parked.request.client_name,
        info,
        account: &account,
        scopes: parked
            .request
            .scopes
            .iter()
            .map(crate::domain::scope::description)
            .collect(),
        request_id,
        csrf,
    })
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = form.get("req").unwrap_or("");
    let (parked, mut accounts, live) = match context(&req, &services, request_id).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let request = &parked.request;
    let authorizer = services.authorizer();
    let result = if form.get("decision") == Some("allow") {
        authorizer
            .consented(&*services.audit, request, request_id, &live, &mut accounts)
            .await
    } else {
        authorizer.declined(&*services.audit, request, request_id, &live).await
    };
    match result {
        Ok(outcome) => outcome::render(&services, outcome, &accounts),
        Err(e) => server_error_page(&e),
    }
}
