//! `GET|POST /login/verify-email`: an app (or the site) needs a confirmed
//! email address before it gets a code, and the signed-in account has none
//! yet. The page sends a confirmation link to the account's address (see
//! `account::profile`) and continues the waiting request once it was
//! followed, in this browser or another.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::VerifyEmailPage;
use super::{cookies, csrf, extract, outcome, pages};
use crate::domain::User;
use crate::error::InternalError;
use crate::oidc::authorize::{self, ParkedRequest, policy::Stage};
use crate::oidc::params::Params;
use crate::session::BrowserAccounts;
use crate::startup::Services;

/// The waiting request, the browser's accounts and the signed-in person, or
/// the page to show instead.
async fn context(
    req: &HttpRequest,
    services: &Services,
    request_id: &str,
) -> Result<(ParkedRequest, BrowserAccounts, User), HttpResponse> {
    let parked = pages::waiting_request(services, request_id).await?;
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| pages::server_error_page(&e))?;
    let again = || outcome::see_other(&format!("/login?req={request_id}"));
    let Some(live) = accounts.current() else {
        return Err(again());
    };
    match services.users.find_user(live.session.user_id).await {
        Ok(Some(user)) => Ok((parked, accounts, user)),
        Ok(None) => Err(again()),
        Err(e) => Err(pages::server_error_page(&e)),
    }
}

/// Continues the request with the current account: a code once the address
/// is confirmed, this page again while it is not.
async fn carry_on(
    services: &Services,
    parked: &ParkedRequest,
    request_id: &str,
    mut accounts: BrowserAccounts,
) -> Result<HttpResponse, InternalError> {
    let outcome = authorize::proceed(
        &services.authorizer(),
        &parked.request,
        Some(request_id),
        &mut accounts,
        Stage::Selected,
    )
    .await?;
    Ok(outcome::render(services, outcome, &accounts))
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    let (parked, accounts, user) = match context(&req, &services, request_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if user.email_verified && user.email.is_some() {
        return carry_on(&services, &parked, request_id, accounts)
            .await
            .unwrap_or_else(|e| pages::server_error_page(&e));
    }
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| VerifyEmailPage {
        csrf,
        request_id,
        client_name: &parked.request.client_name,
        username: user.username.as_str(),
        email: user.email.as_deref(),
        sent: params.get("sent").is_some(),
    })
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let request_id = form.get("req").unwrap_or("");
    let (parked, accounts, user) = match context(&req, &services, request_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if form.get("action") == Some("send")
        && let Some(email) = &user.email
    {
        return match services
            .profile()
            .request_email(&user, email, &extract::client_ip(&req))
            .await
        {
            Ok(()) => outcome::see_other(&format!("/login/verify-email?req={request_id}&sent=1")),
            Err(crate::account::profile::ProfileError::Internal(e)) => pages::server_error_page(&e),
            Err(e) => pages::error_page(
                StatusCode::BAD_REQUEST,
                &crate::ui::t("not-sent"),
                &super::explain::profile(&e),
                None,
            ),
        };
    }
    carry_on(&services, &parked, request_id, accounts)
        .await
        .unwrap_or_else(|e| pages::server_error_page(&e))
}
