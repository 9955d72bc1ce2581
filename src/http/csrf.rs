//! CSRF protection for every form: a double-submit token (an `HttpOnly`,
//! `SameSite=Strict` cookie repeated in a hidden field, compared in constant
//! time) plus the browser's own `Origin` / `Sec-Fetch-Site` headers.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;

use super::{cookies, extract, pages, security};
use crate::crypto;
use crate::oidc::params::Params;
use crate::startup::Services;

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

/// Renders a page that holds a form, with the browser's CSRF token (setting
/// the cookie when the browser had none).
pub fn form_page<T: askama::Template>(
    req: &HttpRequest,
    services: &Services,
    status: actix_web::http::StatusCode,
    page: impl FnOnce(String) -> T,
) -> actix_web::HttpResponse {
    let (token, new_cookie) = self::token(req, services);
    let mut response = super::views::render(&page(token), status);
    if let Some(cookie) = new_cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// The parameters of a posted form that passed the CSRF checks, or the page
/// refusing it (offering the way back to the app when it names a request).
// The error is the page to answer with, returned straight to the handler.
#[allow(clippy::result_large_err)]
pub fn verified_form(req: &HttpRequest, services: &Services, body: &[u8]) -> Result<Params, actix_web::HttpResponse> {
    let Ok(form) = extract::form_params(req, body) else {
        return Err(pages::forbidden_page(None));
    };
    if !verify(req, services, &form) {
        return Err(pages::forbidden_page(form.get("req")));
    }
    Ok(form)
}
