//! What `static/webauthn.js` calls: each ceremony is a `start` (a fetch,
//! answered with JSON: the options for `navigator.credentials`, or
//! `{"error": …}`) and a `finish` (the authenticator's answer, posted as an
//! ordinary form and answered like any sign-in form: a page, or the way back
//! to the application). Both are CSRF-checked; a ceremony finishes only in
//! the browser that began it.
//!
//! - `/account/webauthn/{start,finish}`: register a passkey or security key
//!   (needs a recent sign-in, like every factor change);
//! - `/login/passkey/{start,finish}`: sign in with a passkey, no username;
//! - `/login/second-factor/key/{start,finish}`: a key as the second step of
//!   a pending sign-in;
//! - `/account/confirm/passkey/{start,finish}`: the signed-in person
//!   confirms it is them with one of their passkeys (before a change that
//!   needs a recent sign-in).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::account_security::{
    first_factor_confirmed, recently_signed_in_or, second_factor_required, signed_in, signed_in_or,
};
use super::second_factor::expired;
use super::second_factor::request_id_of;
use super::{cookies, csrf, extract, finish_sign_in, login, outcome, pages};
use crate::auth::webauthn::{Answering, CeremonyError, Passkeys};
use crate::domain::{CredentialKind, with_second_factor};
use crate::error::{Availability, InternalError};
use crate::oidc::params::Params;
use crate::session::Origin;
use crate::startup::Services;

fn refused(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message }))
}

fn go(location: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "location": location }))
}

fn failed(e: &CeremonyError) -> HttpResponse {
    match e {
        CeremonyError::Internal(inner) => {
            tracing::error!(error = %inner, "WebAuthn ceremony failed");
            let status = if inner.is_unavailable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            HttpResponse::build(status).json(json!({ "error": crate::ui::t("webauthn-server-retry") }))
        }
        CeremonyError::Library(reason) => {
            tracing::warn!(%reason, "WebAuthn options could not be made");
            HttpResponse::InternalServerError().json(json!({ "error": crate::ui::t("webauthn-server") }))
        }
        other => refused(&super::explain::ceremony(other)),
    }
}

/// A form from this browser, CSRF-checked, with its token (ceremonies are
/// bound to it).
#[allow(clippy::result_large_err)]
fn form(req: &HttpRequest, services: &Services, body: &[u8]) -> Result<(Params, String), HttpResponse> {
    let form = csrf::verified_form(req, services, body).map_err(|_| refused(&crate::ui::t("page-out-of-date")))?;
    let token = form.get("csrf").unwrap_or("").to_string();
    Ok((form, token))
}

pub async fn register_start(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (form, token) = match form(&req, &services, &body) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (user, _) = match recently_signed_in_or(&req, &services, go).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(kind) = form.get("kind").and_then(CredentialKind::parse) else {
        return refused(&crate::ui::t("key-choose-kind"));
    };
    let name = form.get("name").unwrap_or("");
    match services.passkeys().start_registration(&user, kind, name, &token).await {
        Ok(challenge) => HttpResponse::Ok().json(challenge),
        Err(e) => failed(&e),
    }
}

pub async fn register_finish(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let token = form.get("csrf").unwrap_or("").to_string();
    let (user, _) = match recently_signed_in_or(&req, &services, outcome::see_other).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let ceremony = form.get("ceremony").unwrap_or("");
    let credential = form.get("credential").unwrap_or("");
    match services
        .passkeys()
        .finish_registration(&user, ceremony, &token, credential)
        .await
    {
        Ok(_) => outcome::see_other("/account"),
        Err(e) => failed_page(&e),
    }
}

/// `POST /account/webauthn/remove`.
pub async fn remove(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, _) = match recently_signed_in_or(&req, &services, outcome::see_other).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(id) = form.get("id").and_then(|id| id.parse().ok()) else {
        return outcome::see_other("/account");
    };
    let result = async {
        let passkeys = services.passkeys();
        let others = passkeys
            .credentials(user.id)
            .await?
            .iter()
            .filter(|c| c.id != id)
            .count();
        let totp = services.second_factors().has_totp(user.id).await?;
        if second_factor_required(&services, &user) && others == 0 && !totp {
            return Ok(pages::error_page(
                StatusCode::CONFLICT,
                &crate::ui::t("key-last-title"),
                &crate::ui::t("factor-last"),
                None,
            ));
        }
        passkeys.remove(user.id, id).await?;
        Ok::<_, InternalError>(outcome::see_other("/account"))
    };
    result.await.unwrap_or_else(|e| pages::server_error_page(&e))
}

pub async fn passkey_start(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (_, token) = match form(&req, &services, &body) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match services.passkeys().start_passkey_sign_in(&token) {
        Ok(challenge) => HttpResponse::Ok().json(challenge),
        Err(e) => failed(&e),
    }
}

/// A passkey alone signs in: possession and user verification are two
/// factors, so no other step is asked, whatever else the account has.
pub async fn passkey_finish(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let token = form.get("csrf").unwrap_or("").to_string();
    let request_id = request_id_of(&form);
    let client_ip = extract::client_ip(&req);
    let passkeys: Passkeys<'_> = services.passkeys();
    let proven = match passkeys
        .finish_authentication(
            form.get("ceremony").unwrap_or(""),
            &token,
            form.get("credential").unwrap_or(""),
            Answering::Anyone,
            &client_ip,
        )
        .await
    {
        Ok(proven) => proven,
        Err(e) => return failed_page(&e),
    };
    let result = async {
        let active = services
            .users
            .find_user(proven.user_id)
            .await?
            .is_some_and(|u| !u.disabled);
        if !active {
            return Ok(failed_page(&CeremonyError::Rejected));
        }
        let parked = match request_id {
            Some(id) => match pages::waiting_request(&services, id).await {
                Ok(parked) => Some(parked),
                Err(page) => return Ok(page),
            },
            None => None,
        };
        let origin = Origin {
            user_agent: &extract::user_agent(&req),
            client_ip: &client_ip,
        };
        let signed_in = login::SignedIn {
            user_id: proven.user_id,
            amr: proven.amr,
            upstream: None,
            origin: &origin,
        };
        let next = login::page_after_sign_in(form.get("next"));
        login::signed_in(&req, &services, signed_in, parked, request_id.unwrap_or(""), next).await
    };
    result.await.unwrap_or_else(|e| pages::server_error_page(&e))
}

/// `POST /account/confirm/passkey/start`: a passkey ceremony like the
/// login page's (any of the browser's passkeys for this site); which
/// account answered is checked when it finishes.
pub async fn confirm_start(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (_, token) = match form(&req, &services, &body) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = signed_in_or(&req, &services, go).await {
        return response;
    }
    match services.passkeys().start_passkey_sign_in(&token) {
        Ok(challenge) => HttpResponse::Ok().json(challenge),
        Err(e) => failed(&e),
    }
}

/// `POST /account/confirm/passkey/finish`: a passkey of the signed-in
/// account, verified with the person (two factors, as when it signs in), is
/// as good as the password and the second factor typed again; a passkey of
/// another account confirms nothing.
pub async fn confirm_finish(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, live) = match signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let proven = services
        .passkeys()
        .finish_authentication(
            form.get("ceremony").unwrap_or(""),
            form.get("csrf").unwrap_or(""),
            form.get("credential").unwrap_or(""),
            Answering::PasskeyOf(user.id),
            &extract::client_ip(&req),
        )
        .await;
    let proven = match proven {
        Ok(proven) => proven,
        Err(e) => return failed_page(&e),
    };
    let next = login::page_after_sign_in(form.get("next"));
    first_factor_confirmed(&services, &user, live, (proven.amr, None), next)
        .await
        .unwrap_or_else(|e| pages::server_error_page(&e))
}

pub async fn second_factor_start(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (form, token) = match form(&req, &services, &body) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let request_id = request_id_of(&form);
    let https = services.settings.issuer_is_https();
    let Some(id) = cookies::read(&req, cookies::SIGN_IN, https) else {
        return refused(&crate::ui::t("sign-in-expired-start-again"));
    };
    let pending = match services.sign_in_steps().find(&id, request_id).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return refused(&crate::ui::t("sign-in-expired-start-again")),
        Err(e) => return failed(&CeremonyError::from(e)),
    };
    match services.passkeys().start_second_factor(pending.user_id, &token).await {
        Ok(challenge) => HttpResponse::Ok().json(challenge),
        Err(e) => failed(&e),
    }
}

pub async fn second_factor_finish(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let token = form.get("csrf").unwrap_or("");
    let request_id = request_id_of(&form);
    let https = services.settings.issuer_is_https();
    let Some(id) = cookies::read(&req, cookies::SIGN_IN, https) else {
        return expired(https);
    };
    let result = async {
        let steps = services.sign_in_steps();
        let Some(mut pending) = steps.find(&id, request_id).await? else {
            return Ok(expired(https));
        };
        let client_ip = extract::client_ip(&req);
        let proven = match services
            .passkeys()
            .finish_authentication(
                form.get("ceremony").unwrap_or(""),
                token,
                form.get("credential").unwrap_or(""),
                Answering::SecondStepOf(pending.user_id),
                &client_ip,
            )
            .await
        {
            Ok(proven) => proven,
            Err(CeremonyError::Internal(e)) => return Err(e),
            Err(e) => return Ok(failed_page(&e)),
        };
        let method = proven.amr.first().cloned().unwrap_or_default();
        pending.amr = with_second_factor(&pending.amr, &method);
        steps.save(&id, &pending).await?;
        finish_sign_in::finish(&req, &services, &id, request_id).await
    };
    result
        .await
        .unwrap_or_else(|e: InternalError| pages::server_error_page(&e))
}

/// A ceremony that did not finish, as a page with the way back.
fn failed_page(e: &CeremonyError) -> HttpResponse {
    match e {
        CeremonyError::Internal(inner) => pages::server_error_page(inner),
        other => {
            let message = super::explain::ceremony(other);
            pages::error_page(StatusCode::BAD_REQUEST, &crate::ui::t("did-not-work"), &message, None)
        }
    }
}
