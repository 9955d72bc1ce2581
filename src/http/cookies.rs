//! Cookie names and attributes. Under an https issuer cookies get the
//! `__Host-` prefix and `Secure`, so no subdomain can set or shadow them.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

use crate::session::BrowserAccounts;
use crate::startup::Services;
use crate::store::StoreError;

pub const SESSION: &str = "sesame_session";
pub const CSRF: &str = "sesame_csrf";
pub const DEVICE: &str = "sesame_device";
pub const SIGN_IN: &str = "sesame_signin";
/// Binds a sign-in at an upstream provider to the browser that began it.
pub const UPSTREAM: &str = "sesame_upstream";

pub fn name(base: &str, https: bool) -> String {
    if https {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

fn build(base: &str, value: String, https: bool, same_site: SameSite) -> Cookie<'static> {
    Cookie::build(name(base, https), value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(same_site)
        .finish()
}

/// The SSO session cookie: `Lax`, so it travels when an app sends the browser here.
pub fn session(value: String, https: bool) -> Cookie<'static> {
    build(SESSION, value, https, SameSite::Lax)
}

/// The double-submit CSRF cookie: `Strict`, never sent by another site.
pub fn csrf(value: String, https: bool) -> Cookie<'static> {
    build(CSRF, value, https, SameSite::Strict)
}

/// The device cookie (see `auth::device`): long-lived, `Strict` (only our own
/// sign-in form needs it).
pub fn device(value: String, https: bool, max_age_days: u64) -> Cookie<'static> {
    let mut cookie = build(DEVICE, value, https, SameSite::Strict);
    let days = i64::try_from(max_age_days).unwrap_or(i64::MAX / 86_400);
    cookie.set_max_age(actix_web::cookie::time::Duration::days(days));
    cookie
}

/// A sign-in between its steps (see `auth::sign_in`): `Strict`, a session
/// cookie, only ever sent by our own pages.
pub fn sign_in(value: String, https: bool) -> Cookie<'static> {
    build(SIGN_IN, value, https, SameSite::Strict)
}

/// A sign-in at an upstream provider: `Lax`, since the upstream sends the
/// browser back with a top-level GET from its own site.
pub fn upstream(value: String, https: bool) -> Cookie<'static> {
    build(UPSTREAM, value, https, SameSite::Lax)
}

/// The language an app asked for (`ui_locales`), for the rest of the
/// sign-in: `Lax`, so it travels when the app sends the browser here.
pub fn language(value: String, https: bool) -> Cookie<'static> {
    build(crate::ui::LANGUAGE_COOKIE, value, https, SameSite::Lax)
}

/// Removes the sign-in cookie.
pub fn sign_in_removal(https: bool) -> Cookie<'static> {
    let mut cookie = sign_in(String::new(), https);
    cookie.make_removal();
    cookie
}

pub fn read(req: &HttpRequest, base: &str, https: bool) -> Option<String> {
    req.cookie(&name(base, https)).map(|c| c.value().to_string())
}

/// Writes the accounts back to the cookie, or clears it when none is left.
pub fn set_session_cookie(response: &mut HttpResponse, services: &Services, accounts: &BrowserAccounts) {
    let https = services.settings.issuer_is_https();
    let cookie = match accounts.cookie_value() {
        Some(value) => session(value, https),
        None if accounts.had_cookie => {
            let mut cookie = session(String::new(), https);
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
    let cookie = read(req, SESSION, https);
    let max = services.settings.session.max_accounts_per_browser;
    BrowserAccounts::load(&services.sessions(), max, cookie.as_deref()).await
}
