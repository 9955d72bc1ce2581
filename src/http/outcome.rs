//! Where an authorization request goes next, as an HTTP response: a page of
//! ours, or the answer to the app; the session cookie follows the accounts
//! on the browser.

use actix_web::HttpResponse;
use actix_web::http::header;

use super::{cookies, pages, respond};
use crate::oidc::authorize::{Interaction, Outcome};
use crate::session::BrowserAccounts;
use crate::startup::Services;

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
        Outcome::Interact(Interaction::SecondFactor, id) => see_other(&format!("/login/second-factor?req={id}")),
        Outcome::Interact(Interaction::Consent, id) => see_other(&format!("/consent?req={id}")),
        Outcome::Interact(Interaction::VerifyEmail, id) => see_other(&format!("/login/verify-email?req={id}")),
        Outcome::Interact(Interaction::NoAccess, id) => see_other(&format!("/authorize/no-access?req={id}")),
        Outcome::Code(target, code) => respond::authorization_response(&target, issuer, &[("code", &code)]),
        Outcome::Error(target, error) => respond::authorization_error(&target, issuer, &error),
        Outcome::Answered => pages::answered_page(),
    };
    cookies::set_session_cookie(&mut response, services, accounts);
    response
}
