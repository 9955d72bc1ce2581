//! `POST /login/finish` and the end of every sign-in pipeline: the complete
//! pending sign-in is taken once, then the person is signed in — a new SSO
//! session, or the stepped-up one now saying what was just presented — and
//! the authorization request goes on (or the page of ours that was asked for).

use actix_web::{HttpRequest, HttpResponse, web};

use super::second_factor::{expired, request_id_of};
use super::{cookies, csrf, extract, login, outcome, pages};
use crate::error::InternalError;
use crate::oidc::authorize::{self, policy::Stage};
use crate::session::Origin;
use crate::startup::Services;

/// `POST /login/finish`: after the recovery codes were shown.
pub async fn finish_form(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = request_id_of(&form);
    let https = services.settings.issuer_is_https();
    let Some(id) = cookies::read(&req, cookies::SIGN_IN, https) else {
        return expired(https);
    };
    finish(&req, &services, &id, request_id)
        .await
        .unwrap_or_else(|e| pages::server_error_page(&e))
}

/// Takes the complete sign-in (once) and signs the person in: a new SSO
/// session, or the stepped-up one saying what was just presented; then
/// the request goes on (or the page of ours that was asked for).
pub(super) async fn finish(
    req: &HttpRequest,
    services: &Services,
    id: &str,
    request_id: Option<&str>,
) -> Result<HttpResponse, InternalError> {
    let https = services.settings.issuer_is_https();
    let Some(pending) = services.sign_in_steps().finish(id).await? else {
        return Ok(expired(https));
    };
    let parked = match &pending.request_id {
        Some(id) => match pages::waiting_request(services, id).await {
            Ok(parked) => Some(parked),
            Err(page) => return Ok(page),
        },
        None => None,
    };
    let next = login::page_after_sign_in(Some(&pending.next));
    let mut response = match &pending.step_up {
        None => {
            let origin = Origin {
                user_agent: &extract::user_agent(req),
                client_ip: &extract::client_ip(req),
            };
            let signed_in = login::SignedIn {
                user_id: pending.user_id,
                amr: pending.amr.clone(),
                upstream: pending.upstream.clone(),
                origin: &origin,
            };
            login::signed_in(req, services, signed_in, parked, request_id.unwrap_or(""), next).await?
        }
        Some(handle) => {
            let accounts = cookies::browser_accounts(req, services).await?;
            let Some(mut live) = accounts.find(handle).cloned() else {
                return Ok(expired(https));
            };
            services
                .sessions()
                .reauthenticated(&mut live, pending.amr.clone(), pending.upstream.clone())
                .await?;
            // Read again: the browser's accounts now carry the stronger session.
            let mut accounts = cookies::browser_accounts(req, services).await?;
            accounts.promote(handle);
            match (parked, request_id) {
                (Some(parked), Some(request_id)) => {
                    let outcome = authorize::proceed(
                        &services.authorizer(),
                        &parked.request,
                        Some(request_id),
                        &mut accounts,
                        Stage::Selected,
                    )
                    .await?;
                    outcome::render(services, outcome, &accounts)
                }
                _ => {
                    let mut response = outcome::see_other(next);
                    cookies::set_session_cookie(&mut response, services, &accounts);
                    response
                }
            }
        }
    };
    let _ = response.add_cookie(&cookies::sign_in_removal(https));
    Ok(response)
}
