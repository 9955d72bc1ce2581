//! Renders where an authorization request goes next, and keeps the session
//! cookie in step with the accounts on the browser.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::{cookies, respond};
use crate::oidc::authorize::{Interaction, Outcome};
use crate::services::Services;
use crate::session::BrowserAccounts;
use crate::store::StoreError;

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn render(services: &Services, outcome: Outcome, accounts: &BrowserAccounts) -> HttpResponse {
    let issuer = &services.settings.issuer;
    let mut response = match outcome {
        Outcome::Interact(Interaction::Login, id) => see_other(&format!("/login?req={id}")),
        Outcome::Interact(Interaction::ChooseAccount, id) => see_other(&format!("/select-account?req={id}")),
        Outcome::Interact(Interaction::Consent, id) => see_other(&format!("/consent?req={id}")),
        Outcome::Code(target, code) => respond::authorization_response(&target, issuer, &[("code", &code)]),
        Outcome::Error(target, error) => respond::authorization_error(&target, issuer, &error),
    };
    set_session_cookie(&mut response, services, accounts);
    response
}

/// Writes the accounts back to the cookie, or clears it when none is left.
pub fn set_session_cookie(response: &mut HttpResponse, services: &Services, accounts: &BrowserAccounts) {
    let https = services.settings.issuer_is_https();
    let cookie = match accounts.cookie_value() {
        Some(value) => cookies::session(value, https),
        None if accounts.had_cookie => {
            let mut cookie = cookies::session(String::new(), https);
            cookie.make_removal();
            cookie
        }
        None => return,
    };
    let _ = response.add_cookie(&cookie);
}

/// The accounts this browser is signed in to.
pub async fn browser_accounts(req: &HttpRequest, services: &Services) -> Result<BrowserAccounts, StoreError> {
    let https = services.settings.issuer_is_https();
    let cookie = cookies::read(req, cookies::SESSION, https);
    BrowserAccounts::load(services, cookie.as_deref()).await
}

/// The client address, for throttling, audit and the account page. The
/// socket peer: forwarded headers are not trusted.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

pub fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}
