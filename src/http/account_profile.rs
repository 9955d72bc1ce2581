//! `/account/profile`: the signed-in person's name, email address and
//! password (see `account::profile`), and `/account/email/confirm`, where a
//! mailed link proves an address (in any browser: following it needs no
//! session; confirming is a POST, so a mail scanner opening it changes
//! nothing).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::account_security::signed_in;
use super::views::{ConfirmEmailPage, ProfilePage};
use super::{csrf, extract, outcome, pages};
use crate::account::profile::{NewPassword, ProfileError};
use crate::domain::User;
use crate::oidc::params::Params;
use crate::session::LiveSession;
use crate::startup::Services;

fn notice_for(done: Option<&str>) -> Option<String> {
    let id = match done? {
        "name" => "profile-name-saved",
        "email" => "profile-email-sent",
        "password" => "profile-password-changed",
        _ => return None,
    };
    Some(crate::ui::t(id))
}

async fn page(
    req: &HttpRequest,
    services: &Services,
    user: &User,
    live: &LiveSession,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // The directory keeps the password of an account it made: no form for it.
    let password_in_directory = crate::auth::directory::from_directory(&*services.links, user.id)
        .await
        .unwrap_or(false);
    csrf::form_page(req, services, status, |csrf| ProfilePage {
        password_in_directory,
        csrf,
        username: user.username.as_str(),
        display_name: user.display_name.as_deref().unwrap_or(""),
        email: user.email.as_deref(),
        email_verified: user.email_verified,
        recent: super::account_security::signed_in_recently(services, live),
        notice,
        error,
    })
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (user, live) = match signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let done = Params::parse(req.query_string()).ok();
    let notice = notice_for(done.as_ref().and_then(|p| p.get("done")));
    page(&req, &services, &user, &live, notice.as_deref(), None).await
}

/// The signed-in person and their verified form, or the response to give.
async fn signed_in_form(
    req: &HttpRequest,
    services: &Services,
    body: &[u8],
) -> Result<(User, LiveSession, Params), HttpResponse> {
    let form = csrf::verified_form(req, services, body)?;
    let (user, live) = signed_in(req, services).await?;
    Ok((user, live, form))
}

/// After a change: back to the page (POST/redirect/GET), or the page again
/// with what was wrong.
async fn answer(
    req: &HttpRequest,
    services: &Services,
    (user, live): (&User, &LiveSession),
    result: Result<(), ProfileError>,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(()) => outcome::see_other(&format!("/account/profile?done={done}")),
        Err(ProfileError::Internal(e)) => pages::server_error_page(&e),
        Err(e) => {
            let message = super::explain::profile(&e);
            page(req, services, user, live, None, Some(&message)).await
        }
    }
}

pub async fn change_name(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (user, live, form) = match signed_in_form(&req, &services, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = services
        .profile()
        .set_display_name(&user, form.get("name").unwrap_or(""))
        .await;
    answer(&req, &services, (&user, &live), result, "name").await
}

pub async fn change_email(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (user, live, form) = match signed_in_form(&req, &services, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = services
        .profile()
        .request_email(&user, form.get("email").unwrap_or(""), &extract::client_ip(&req))
        .await;
    answer(&req, &services, (&user, &live), result, "email").await
}

pub async fn change_password(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (user, live, form) = match signed_in_form(&req, &services, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let change = NewPassword {
        current: form.get("current").unwrap_or(""),
        new: form.get("password").unwrap_or("").to_string(),
        repeated: form.get("repeat").unwrap_or(""),
        end_others: form.get("end_others").is_some(),
    };
    let result = services
        .profile()
        .change_password(
            &user,
            change,
            super::account_security::signed_in_recently(&services, &live),
            &live.handle,
            &extract::client_ip(&req),
        )
        .await
        .map(|_| ());
    answer(&req, &services, (&user, &live), result, "password").await
}

fn dead_link() -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("link-gone"),
        &crate::ui::t("profile-link-gone"),
        None,
    )
}

pub async fn confirm_page(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let token = Params::parse(req.query_string())
        .ok()
        .and_then(|p| p.get("token").map(str::to_string))
        .unwrap_or_default();
    match services.profile().pending_email(&token).await {
        Ok(Some((user, address))) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| ConfirmEmailPage {
            csrf,
            token: &token,
            username: user.username.as_str(),
            address: &address,
            done: false,
        }),
        Ok(None) => dead_link(),
        Err(ProfileError::Internal(e)) => pages::server_error_page(&e),
        Err(_) => dead_link(),
    }
}

pub async fn confirm(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let token = form.get("token").unwrap_or("");
    match services.profile().confirm_email(token, &extract::client_ip(&req)).await {
        Ok((user, address)) => csrf::form_page(&req, &services, StatusCode::OK, |csrf| ConfirmEmailPage {
            csrf,
            token: "",
            username: user.username.as_str(),
            address: &address,
            done: true,
        }),
        Err(ProfileError::Internal(e)) => pages::server_error_page(&e),
        Err(_) => dead_link(),
    }
}
