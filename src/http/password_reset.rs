//! `GET|POST /login/forgot` and `GET|POST /login/reset`: "Forgot your
//! password?" (see `account::password_reset`). The request is answered
//! before anything is looked up, so the answer and its timing say nothing
//! about which accounts exist; the link's page does not spend the link (a
//! mail scanner may open it), only setting the password does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{ForgotPasswordPage, PasswordResetDonePage, ResetPasswordPage, render};
use super::{csrf, extract, pages};
use crate::account::password_reset::{Proof, ResetError};
use crate::oidc::params::Params;
use crate::startup::Services;

fn disabled() -> HttpResponse {
    pages::error_page(
        StatusCode::NOT_FOUND,
        &crate::ui::t("not-available"),
        &crate::ui::t("reset-not-available"),
        None,
    )
}

fn dead_link() -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("link-gone"),
        &crate::ui::t("reset-link-gone"),
        None,
    )
}

fn minutes(services: &Services) -> u64 {
    services.settings.password_reset.link_ttl_secs.max(60) / 60
}

pub async fn forgot_page(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if !services.settings.password_reset.enabled {
        return disabled();
    }
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| ForgotPasswordPage {
        csrf,
        sent: false,
        minutes: minutes(&services),
        error: None,
    })
}

pub async fn forgot(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if !services.settings.password_reset.enabled {
        return disabled();
    }
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let client_ip = extract::client_ip(&req);
    match services.password_reset().allowed_from(&client_ip).await {
        Ok(true) => {}
        Ok(false) => {
            let error = crate::ui::t("too-many-from-network");
            let mut page = csrf::form_page(&req, &services, StatusCode::TOO_MANY_REQUESTS, |csrf| {
                ForgotPasswordPage {
                    csrf,
                    sent: false,
                    minutes: minutes(&services),
                    error: Some(&error),
                }
            });
            page.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("3600"),
            );
            return page;
        }
        Err(e) => return failed(e),
    }
    let identifier = form
        .get("identifier")
        .unwrap_or("")
        .chars()
        .take(254)
        .collect::<String>();
    if !identifier.trim().is_empty() {
        // Looked up after the answer: known and unknown names take as long.
        let services = services.clone();
        // The mail is written in this request's language.
        let voice = crate::ui::Voice::current();
        tokio::spawn(voice.speak(async move {
            if let Err(e) = services.password_reset().request(&identifier, &client_ip).await {
                tracing::error!(error = %e, "a password reset request failed");
            }
        }));
    }
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| ForgotPasswordPage {
        csrf,
        sent: true,
        minutes: minutes(&services),
        error: None,
    })
}

fn token_of(req: &HttpRequest) -> String {
    Params::parse(req.query_string())
        .ok()
        .and_then(|params| params.get("token").map(str::to_string))
        .unwrap_or_default()
}

pub async fn reset_page(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if !services.settings.password_reset.enabled {
        return disabled();
    }
    let token = token_of(&req);
    show(&req, &services, &token, None, StatusCode::OK).await
}

async fn show(
    req: &HttpRequest,
    services: &Services,
    token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let ticket = match services.password_reset().ticket(token).await {
        Ok(Some(ticket)) => ticket,
        Ok(None) => return dead_link(),
        Err(e) => return failed(e),
    };
    csrf::form_page(req, services, status, |csrf| ResetPasswordPage {
        csrf,
        token,
        username: ticket.user.username.as_str(),
        code: ticket.proof == Proof::Code,
        key_only: ticket.proof == Proof::KeyOnly,
        error,
    })
}

pub async fn reset(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if !services.settings.password_reset.enabled {
        return disabled();
    }
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let token = form.get("token").unwrap_or("");
    let outcome = services
        .password_reset()
        .complete(
            token,
            form.get("password").unwrap_or("").to_string(),
            form.get("repeat").unwrap_or(""),
            form.get("code"),
            &extract::client_ip(&req),
        )
        .await;
    let message = match outcome {
        Ok(_) => return render(&PasswordResetDonePage, StatusCode::OK),
        Err(ResetError::LinkDead) => return dead_link(),
        Err(ResetError::Internal(e)) => return pages::server_error_page(&e),
        Err(other) => super::explain::reset(&other),
    };
    show(&req, &services, token, Some(&message), StatusCode::BAD_REQUEST).await
}

/// Looking a link up or counting requests fails only inside Sesame.
fn failed(e: ResetError) -> HttpResponse {
    match e {
        ResetError::Internal(inner) => pages::server_error_page(&inner),
        other => pages::error_page(
            StatusCode::BAD_REQUEST,
            &crate::ui::t("not-possible"),
            &super::explain::reset(&other),
            None,
        ),
    }
}
