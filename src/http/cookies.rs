//! Cookie names and attributes. Under an https issuer cookies get the
//! `__Host-` prefix and `Secure`, so no subdomain can set or shadow them.

use actix_web::cookie::{Cookie, SameSite};

pub const SESSION: &str = "sesame_session";
pub const CSRF: &str = "sesame_csrf";
pub const DEVICE: &str = "sesame_device";

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

pub fn read(req: &actix_web::HttpRequest, base: &str, https: bool) -> Option<String> {
    req.cookie(&name(base, https)).map(|c| c.value().to_string())
}
