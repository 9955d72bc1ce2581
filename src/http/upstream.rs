//! Signing in with an upstream provider's account: `GET
//! /login/upstream/{name}` sends the browser there (the sign-in sealed in a
//! cookie of this browser), `GET /login/upstream-callback` takes the answer and
//! continues like a password sign-in with `amr` `fed` — a second step when
//! the account or the app needs one, then the authorization request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{account_security, cookies, csrf, extract, login, outcome, pages, respond};
use crate::domain::AuditEvent;
use crate::error::{Availability, ProtocolError};
use crate::federation::{Arrival, FederationError, Intent};
use crate::oidc::params::Params;
use crate::session::Origin;
use crate::startup::Services;
use crate::ui::t;

/// `GET /login/upstream/{name}?req=&next=`.
pub async fn begin(req: HttpRequest, services: web::Data<Services>, name: web::Path<String>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    // A request that is gone is said so now, not after the upstream.
    if let Err(page) = login::parked_request(&services, request_id).await {
        return page;
    }
    let next = login::page_after_sign_in(params.get("next"));
    let intent = match params.get("invitation") {
        Some(token) => Intent::Accept(token.to_string()),
        None => Intent::SignIn,
    };
    let begun = services.federation().begin(&name, (request_id, next), intent).await;
    to_upstream(&services, begun)
}

/// The browser, on its way to the upstream with the sign-in in its cookie.
fn to_upstream(services: &Services, begun: Result<(String, String), FederationError>) -> HttpResponse {
    match begun {
        Ok((url, sealed)) => {
            let mut response = outcome::see_other(&url);
            let _ = response.add_cookie(&cookies::upstream(sealed, services.settings.issuer_is_https()));
            response
        }
        Err(e) => failure_page(&e),
    }
}

/// `GET /login/upstream-callback?code=&state=` (or `error=`).
pub async fn callback(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let https = services.settings.issuer_is_https();
    let browser = cookies::read(&req, cookies::UPSTREAM, https).unwrap_or_default();
    let (Some(state), Some(code)) = (params.get("state"), params.get("code")) else {
        // The upstream said no (the person cancelled, or it refused us):
        // its own words stay in the log, the page says what to do.
        if let Some(error) = params.get("error") {
            tracing::info!(error, "an upstream provider answered a sign-in with an error");
        }
        return explained(
            StatusCode::BAD_REQUEST,
            t("upstream-not-signed-in-title"),
            t("upstream-not-signed-in"),
        );
    };
    let signed_in_as = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => accounts.current().map(|live| live.session.user_id),
        Err(e) => return pages::server_error_page(&e),
    };
    let federated = match services
        .federation()
        .finish(state, code, (&browser, signed_in_as))
        .await
    {
        Ok(federated) => federated,
        Err(e) => return failure_page(&e),
    };
    let mut spent = cookies::upstream(String::new(), https);
    spent.make_removal();
    match federated.arrival {
        Arrival::Linked => {
            let mut response = outcome::see_other("/account?linked=1");
            let _ = response.add_cookie(&spent);
            return response;
        }
        Arrival::Confirmed => {
            let next = login::page_after_sign_in(Some(&federated.next));
            let through = (federated.amr, federated.session);
            let confirmed = account_security::confirmed_upstream(&req, &services, through, next).await;
            let mut response = confirmed.unwrap_or_else(|e| pages::server_error_page(&e));
            let _ = response.add_cookie(&spent);
            return response;
        }
        Arrival::SignedIn | Arrival::Created => {}
    }
    let client_ip = extract::client_ip(&req);
    let event = AuditEvent::new("upstream_sign_in", services.clock.now())
        .user(federated.user.id)
        .ip(&client_ip)
        .detail(if federated.arrival == Arrival::Created {
            format!("with {} (the account was created by it)", federated.upstream)
        } else {
            format!("with {}", federated.upstream)
        });
    services.audit(event).await;
    let parked = match login::parked_request(&services, &federated.request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    let origin = Origin {
        user_agent: &extract::user_agent(&req),
        client_ip: &client_ip,
    };
    let next = login::page_after_sign_in(Some(&federated.next));
    let first = (&federated.user, federated.amr, Some(federated.session));
    let mut response =
        match login::after_first_factor(&req, &services, first, &origin, parked, &federated.request_id, next).await {
            Ok(response) => response,
            Err(e) => return pages::server_error_page(&e),
        };
    let _ = response.add_cookie(&spent);
    response
}

/// `POST /account/upstreams/link` (`name`): links an upstream account to
/// the signed-in account — the person signs in there, and comes back.
pub async fn link(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, _) = match account_security::recently_signed_in(&req, &services).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let name = form.get("name").unwrap_or("");
    let begun = services
        .federation()
        .begin(name, ("", "/account"), Intent::LinkTo(user.id))
        .await;
    to_upstream(&services, begun)
}

/// `POST /account/confirm/upstream` (`name`, `next`): the person confirms
/// who they are by signing in afresh at a linked upstream (what an account
/// an upstream made has instead of a password), then goes on to `next`.
pub async fn confirm(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, _) = match account_security::signed_in(&req, &services).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let next = login::page_after_sign_in(form.get("next"));
    let name = form.get("name").unwrap_or("");
    let begun = services
        .federation()
        .begin(name, ("", next), Intent::Confirm(user.id))
        .await;
    to_upstream(&services, begun)
}

/// `POST /account/upstreams/unlink` (`issuer`, `subject`).
pub async fn unlink(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, _) = match account_security::recently_signed_in(&req, &services).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let issuer = form.get("issuer").unwrap_or("");
    let subject = form.get("subject").unwrap_or("");
    let unlinked = services
        .federation()
        .unlink(&user, (issuer, subject), crate::federation::Unlinker::Person)
        .await;
    match unlinked {
        Ok(()) => outcome::see_other("/account?unlinked=1"),
        Err(e) => failure_page(&e),
    }
}

/// `POST /login/upstream/{name}/backchannel-logout` (`logout_token`): the
/// upstream signed the person out (Back-Channel Logout 1.0 §2.5, §2.8):
/// 200 when the sessions it names ended (or none were left), 400 with
/// `invalid_request` for a token that does not hold, 503 when the upstream's
/// keys or the store cannot be reached (the upstream may try again).
pub async fn backchannel_logout(
    req: HttpRequest,
    body: web::Bytes,
    services: web::Data<Services>,
    name: web::Path<String>,
) -> HttpResponse {
    let token = match extract::form_params(&req, &body) {
        Ok(params) => params.get("logout_token").unwrap_or("").to_string(),
        Err(error) => return respond::json_error(&error),
    };
    if token.is_empty() {
        return respond::json_error(&ProtocolError::invalid_request("logout_token is required"));
    }
    match services.upstream_logout().log_out(&name, &token).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(e) if e.is_unavailable() => respond::json_error(&ProtocolError::unavailable(&e)),
        Err(e @ (FederationError::Internal(_) | FederationError::Store(_))) => {
            respond::json_error(&ProtocolError::server_error(&e))
        }
        Err(e) => respond::json_error(&ProtocolError::invalid_request("the logout token is not valid").with_detail(&e)),
    }
}

/// A page with a title and what to do.
fn explained(status: StatusCode, title: String, text: String) -> HttpResponse {
    pages::error_page(status, &title, &text, None)
}

/// What went wrong, for the person: nothing of the upstream's own words
/// (they go to the log).
fn failure_page(error: &FederationError) -> HttpResponse {
    match error {
        FederationError::UnknownUpstream(_) => explained(
            StatusCode::NOT_FOUND,
            t("upstream-unknown-title"),
            t("upstream-unknown"),
        ),
        FederationError::UnknownState | FederationError::NoSuchLink => explained(
            StatusCode::BAD_REQUEST,
            t("upstream-expired-title"),
            t("upstream-expired"),
        ),
        FederationError::NotLinked { .. } => explained(
            StatusCode::FORBIDDEN,
            t("upstream-not-linked-title"),
            t("upstream-not-linked"),
        ),
        FederationError::LinkedElsewhere { .. } => explained(
            StatusCode::CONFLICT,
            t("upstream-linked-elsewhere-title"),
            t("upstream-linked-elsewhere"),
        ),
        FederationError::NotFresh { upstream } => {
            tracing::info!(upstream, "an upstream did not confirm a fresh sign-in");
            explained(
                StatusCode::FORBIDDEN,
                t("upstream-not-fresh-title"),
                t("upstream-not-fresh"),
            )
        }
        FederationError::LastWayIn => explained(
            StatusCode::CONFLICT,
            t("upstream-last-way-in-title"),
            t("upstream-last-way-in"),
        ),
        FederationError::Refused { upstream, cause } => {
            tracing::warn!(upstream, cause, "an upstream sign-in was refused");
            explained(
                StatusCode::BAD_GATEWAY,
                t("upstream-refused-title"),
                t("upstream-refused"),
            )
        }
        FederationError::Unavailable { upstream, cause } => {
            tracing::warn!(upstream, cause, "an upstream provider is unavailable");
            let mut response = explained(
                StatusCode::SERVICE_UNAVAILABLE,
                t("upstream-unavailable-title"),
                t("upstream-unavailable"),
            );
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("30"),
            );
            response
        }
        FederationError::Internal(_) => pages::server_error_page(error),
        FederationError::Store(e) => pages::server_error_page(e),
    }
}
