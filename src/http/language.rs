//! Chooses each request's language (see `ui::negotiate`) and holds it while
//! the request is served, so every page and mail it makes is written in it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::startup::Services;
use crate::ui::{self, LANGUAGE_COOKIE, Voice};

pub async fn choose(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(services) = req.app_data::<web::Data<Services>>().cloned() else {
        return next.call(req).await;
    };
    let look = services.look.clone();
    // OIDC Core 3.1.2.1: ui_locales, "preferred languages for the user
    // interface", in order; a tag Sesame does not speak is passed over.
    let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "ui_locales")
        .and_then(|(_, value)| ui::supported_from_ui_locales(&value, look.catalogue.offered()));
    let cookie_name = super::cookies::name(LANGUAGE_COOKIE, services.settings.issuer_is_https());
    let remembered = req.cookie(&cookie_name).map(|c| c.value().to_string());
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let language = asked.clone().unwrap_or_else(|| {
        ui::negotiate(
            remembered.as_deref(),
            accept,
            look.catalogue.offered(),
            look.catalogue.default_language(),
        )
    });
    let tag = language.to_string();
    let mut response = Voice::new(look, language).speak(next.call(req)).await?;
    if let Some(asked) = asked {
        // The app's wish holds for the rest of this sign-in (the login,
        // second-factor and consent pages carry no ui_locales of their own).
        let cookie = super::cookies::language(asked.to_string(), services.settings.issuer_is_https());
        response.response_mut().add_cookie(&cookie).ok();
    }
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"));
    if is_page && let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::CONTENT_LANGUAGE, value);
    }
    Ok(response)
}
