//! CSRF protection for every form: a double-submit token (an `HttpOnly`,
//! `SameSite=Strict` cookie repeated in a hidden field, compared in constant
//! time) plus the browser's own `Origin` / `Sec-Fetch-Site` headers.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;

use super::{cookies, security};
use crate::crypto;
use crate::oidc::params::Params;
use crate::services::Services;

/// The browser's CSRF token, and the cookie to set when it had none.
pub fn token(req: &HttpRequest, services: &Services) -> (String, Option<Cookie<'static>>) {
    let https = services.settings.issuer_is_https();
    match cookies::read(req, cookies::CSRF, https) {
        Some(token) => (token, None),
        None => {
            let token = crypto::random_token();
            (token.clone(), Some(cookies::csrf(token, https)))
        }
    }
}

/// Whether a posted form comes from one of our pages in this browser.
pub fn verify(req: &HttpRequest, services: &Services, form: &Params) -> bool {
    let https = services.settings.issuer_is_https();
    let token_ok = match (cookies::read(req, cookies::CSRF, https), form.get("csrf")) {
        (Some(cookie), Some(field)) => crypto::constant_time_eq(&cookie, field),
        _ => false,
    };
    token_ok && security::is_same_origin_post(req, &services.settings.issuer)
}
