//! `/signup` (open sign-up), `/signup/confirm` (its mailed link) and
//! `/invitation` (an operator's invitation): see `account::signup`. The
//! sign-up answer is the same whether the address has an account; links
//! are spent by a POST only, never by opening them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{SignupConfirmPage, SignupPage};
use super::{csrf, extract, pages};
use crate::account::signup::{Application, SignupError};
use crate::config::SignupMode;
use crate::oidc::params::Params;
use crate::startup::Services;

fn not_here() -> HttpResponse {
    pages::error_page(
        StatusCode::NOT_FOUND,
        &crate::ui::t("not-available"),
        &crate::ui::t("signup-not-available"),
        None,
    )
}

fn dead_link() -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("link-gone"),
        &crate::ui::t("signup-link-gone"),
        None,
    )
}

fn token_in_query(req: &HttpRequest) -> String {
    Params::parse(req.query_string())
        .ok()
        .and_then(|p| p.get("token").map(str::to_string))
        .unwrap_or_default()
}

/// The form again with what was wrong, or the page an error calls for.
fn refused(
    req: &HttpRequest,
    services: &Services,
    form: &Params,
    invited: Option<&str>,
    error: SignupError,
) -> HttpResponse {
    let status = match &error {
        SignupError::Internal(e) => return pages::server_error_page(e),
        SignupError::Closed => return not_here(),
        SignupError::LinkDead => return dead_link(),
        SignupError::TooMany => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = super::explain::signup(&error);
    csrf::form_page(req, services, status, |csrf| SignupPage {
        csrf,
        action: if invited.is_some() { "/invitation" } else { "/signup" },
        token: form.get("token").unwrap_or(""),
        invited,
        username: form.get("username").unwrap_or(""),
        email: form.get("email").unwrap_or(""),
        name: form.get("name").unwrap_or(""),
        sent: false,
        error: Some(&message),
        upstreams: if invited.is_some() {
            invitation_upstreams(services)
        } else {
            Vec::new()
        },
    })
}

/// The upstreams an invitation may be accepted with: each that creates
/// accounts (name, button text).
fn invitation_upstreams(services: &Services) -> Vec<(String, String)> {
    services
        .upstreams
        .listed()
        .filter(|u| u.provisioning != crate::config::Provisioning::Off)
        .map(|u| {
            let text = crate::ui::t_with("accept-with-upstream", "provider", &u.display_name);
            (u.name.clone(), text)
        })
        .collect()
}

fn application(form: &Params) -> Application<'_> {
    Application {
        username: form.get("username").unwrap_or(""),
        email: form.get("email").unwrap_or(""),
        display_name: form.get("name").unwrap_or(""),
        password: form.get("password").unwrap_or("").to_string(),
        repeated: form.get("repeat").unwrap_or(""),
    }
}

fn blank<'a>(csrf: String, action: &'a str, token: &'a str, invited: Option<&'a str>) -> SignupPage<'a> {
    SignupPage {
        csrf,
        action,
        token,
        invited,
        username: "",
        email: "",
        name: "",
        sent: false,
        error: None,
        upstreams: Vec::new(),
    }
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if services.settings.signup.mode != SignupMode::Open {
        return not_here();
    }
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| blank(csrf, "/signup", "", None))
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if services.settings.signup.mode != SignupMode::Open {
        return not_here();
    }
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match services
        .signup()
        .sign_up(application(&form), &extract::client_ip(&req))
        .await
    {
        Ok(()) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| SignupPage {
            sent: true,
            ..blank(csrf, "/signup", "", None)
        }),
        Err(error) => refused(&req, &services, &form, None, error),
    }
}

pub async fn confirm_page(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let token = token_in_query(&req);
    match services.signup().pending_sign_up(&token).await {
        Ok(Some((username, address))) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| SignupConfirmPage {
            csrf,
            token: &token,
            username: &username,
            address: &address,
            done: false,
        }),
        Ok(None) => dead_link(),
        Err(SignupError::Internal(e)) => pages::server_error_page(&e),
        Err(_) => dead_link(),
    }
}

pub async fn confirm(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match services.signup().confirm(form.get("token").unwrap_or("")).await {
        Ok(user) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| SignupConfirmPage {
            csrf,
            token: "",
            username: user.username.as_str(),
            address: user.email.as_deref().unwrap_or(""),
            done: true,
        }),
        Err(SignupError::UsernameTaken) => pages::error_page(
            StatusCode::CONFLICT,
            &crate::ui::t("signup-taken-title"),
            &crate::ui::t("signup-taken"),
            None,
        ),
        Err(SignupError::Internal(e)) => pages::server_error_page(&e),
        Err(_) => dead_link(),
    }
}

pub async fn invitation_page(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if services.settings.signup.mode == SignupMode::Closed {
        return not_here();
    }
    let token = token_in_query(&req);
    match services.signup().invitation(&token).await {
        Ok(Some(address)) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| SignupPage {
            upstreams: invitation_upstreams(&services),
            ..blank(csrf, "/invitation", &token, Some(&address))
        }),
        Ok(None) => dead_link(),
        Err(SignupError::Internal(e)) => pages::server_error_page(&e),
        Err(_) => dead_link(),
    }
}

pub async fn accept(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if services.settings.signup.mode == SignupMode::Closed {
        return not_here();
    }
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let token = form.get("token").unwrap_or("");
    let signup = services.signup();
    let invited = match signup.invitation(token).await {
        Ok(Some(address)) => address,
        Ok(None) => return dead_link(),
        Err(error) => return self::refused(&req, &services, &form, None, error),
    };
    match signup.accept(token, application(&form)).await {
        Ok(user) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| SignupConfirmPage {
            csrf,
            token: "",
            username: user.username.as_str(),
            address: &invited,
            done: true,
        }),
        Err(error) => refused(&req, &services, &form, Some(&invited), error),
    }
}
