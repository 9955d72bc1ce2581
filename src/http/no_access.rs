//! `GET /authorize/no-access`: the app admits only members of groups the
//! signed-in account is not in. The page says so and offers the way back
//! (the app then hears `access_denied`) or another account, never a loop
//! through the sign-in page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{NoAccessPage, render};
use super::{cookies, outcome, pages};
use crate::oidc::params::Params;
use crate::startup::Services;

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    let parked = match pages::waiting_request(&services, request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    let accounts = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => accounts,
        Err(e) => return pages::server_error_page(&e),
    };
    let Some(live) = accounts.current() else {
        return outcome::see_other(&format!("/login?req={request_id}"));
    };
    let user = match services.users.find_user(live.session.user_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return outcome::see_other(&format!("/login?req={request_id}")),
        Err(e) => return pages::server_error_page(&e),
    };
    render(
        &NoAccessPage {
            client_name: &parked.request.client_name,
            username: user.username.as_str(),
            request_id,
        },
        StatusCode::FORBIDDEN,
    )
}
