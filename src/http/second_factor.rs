//! `GET|POST /login/second-factor` and `POST /login/finish`: the steps of a
//! sign-in after its password (see `auth::sign_in`) — a code from the
//! authenticator app or a recovery code, or setting up an authenticator when
//! policy requires one — and the step-up of a signed-in session that an app
//! asks more of. The sign-in cookie names the pending sign-in; nothing is
//! signed in until the last step.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::factor_views::{RecoveryCodesPage, SecondFactorPage, TotpEnrolPage};
use super::{cookies, csrf, extract, finish_sign_in, outcome, pages};
use crate::auth::second_factor::{CodeCheck, Confirmation};
use crate::auth::sign_in::{self, Demands, Start, Step};
use crate::domain::{AMR_OTP, Level, PendingSignIn, User, with_second_factor};
use crate::error::InternalError;
use crate::oidc::params::Params;
use crate::startup::Services;

/// A pending sign-in and the id its cookie carries.
struct Current {
    id: String,
    pending: PendingSignIn,
    /// Set when this request started it (a step-up): the cookie to send.
    new_cookie: bool,
}

pub(super) fn request_id_of(params: &Params) -> Option<&str> {
    params.get("req").filter(|id| !id.is_empty())
}

/// Where "start again" leads.
fn start_over(request_id: Option<&str>) -> String {
    match request_id {
        Some(id) => format!("/login?req={id}&another=1"),
        None => "/login".to_string(),
    }
}

/// The page for a sign-in that is gone: expired, finished, or never begun
/// on this browser. The sign-in cookie goes with it.
fn ended(https: bool, message: &str, status: StatusCode) -> HttpResponse {
    let mut response = pages::error_page(status, &crate::ui::t("sign-in-again"), message, None);
    let _ = response.add_cookie(&cookies::sign_in_removal(https));
    response
}

pub(super) fn expired(https: bool) -> HttpResponse {
    ended(https, &crate::ui::t("second-factor-expired"), StatusCode::BAD_REQUEST)
}

async fn user_of(services: &Services, pending: &PendingSignIn) -> Result<Option<User>, InternalError> {
    Ok(services.users.find_user(pending.user_id).await?.filter(|u| !u.disabled))
}

/// The pending sign-in this browser continues; for a request whose session
/// must step up, a new one from that session.
async fn current(
    req: &HttpRequest,
    services: &Services,
    request_id: Option<&str>,
) -> Result<Option<Current>, InternalError> {
    let https = services.settings.issuer_is_https();
    let steps = services.sign_in_steps();
    if let Some(id) = cookies::read(req, cookies::SIGN_IN, https)
        && let Some(pending) = steps.find(&id, request_id).await?
    {
        return Ok(Some(Current {
            id,
            pending,
            new_cookie: false,
        }));
    }
    let Some(request_id) = request_id else {
        return Ok(None);
    };
    let Ok(parked) = pages::waiting_request(services, request_id).await else {
        return Ok(None);
    };
    let accounts = cookies::browser_accounts(req, services).await?;
    let Some(live) = accounts.current() else {
        return Ok(None);
    };
    let Some(user) = services.users.find_user(live.session.user_id).await? else {
        return Ok(None);
    };
    let demands = Demands {
        requested: parked.request.acr,
        client_requires: parked.request.client_requires_second_factor,
    };
    let required = sign_in::required_level(&services.settings.mfa, &user, demands);
    if Level::of_amr(&live.session.amr) >= required {
        return Ok(None);
    }
    let (id, pending) = steps
        .start(Start {
            user_id: user.id,
            amr: live.session.amr.clone(),
            required,
            step_up: Some(live.handle.clone()),
            request_id: Some(request_id),
            next: "/account",
            upstream: None,
        })
        .await?;
    Ok(Some(Current {
        id,
        pending,
        new_cookie: true,
    }))
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = request_id_of(&params);
    let https = services.settings.issuer_is_https();
    let result = async {
        let Some(current) = current(&req, &services, request_id).await? else {
            return Ok(match request_id {
                // The session is strong enough (or the step was done in
                // another tab): the request goes on from the login page.
                Some(id) if pages::waiting_request(&services, id).await.is_ok() => {
                    outcome::see_other(&format!("/login?req={id}"))
                }
                _ => expired(https),
            });
        };
        let mut response = step_page(&req, &services, &current, request_id, None, StatusCode::OK).await?;
        if current.new_cookie {
            let cookie = cookies::sign_in(current.id.clone(), services.settings.issuer_is_https());
            let _ = response.add_cookie(&cookie);
        }
        Ok::<_, InternalError>(response)
    };
    result.await.unwrap_or_else(|e| pages::server_error_page(&e))
}

/// The page for the step the sign-in needs now.
async fn step_page(
    req: &HttpRequest,
    services: &Services,
    current: &Current,
    request_id: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, InternalError> {
    let Some(user) = user_of(services, &current.pending).await? else {
        return Ok(expired(services.settings.issuer_is_https()));
    };
    let factors = services.second_factors();
    let summary = factors.summary(user.id).await?;
    match sign_in::next_step(&current.pending, summary.has_second_factor()) {
        None => finish_sign_in::finish(req, services, &current.id, request_id).await,
        Some(Step::SecondFactor) => Ok(csrf::form_page(req, services, status, |csrf| SecondFactorPage {
            request_id: request_id.unwrap_or(""),
            totp: summary.totp.is_some(),
            codes: summary.totp.is_some() || summary.recovery_codes_left > 0,
            keys: !summary.keys.is_empty() && services.webauthn.is_some(),
            csrf,
            error,
            start_over: start_over(request_id),
        })),
        Some(Step::Enrol) => {
            let enrolment = factors.begin_totp(&user)?;
            Ok(enrol_page(req, services, &enrolment, request_id, error, status))
        }
    }
}

fn enrol_page(
    req: &HttpRequest,
    services: &Services,
    enrolment: &crate::auth::second_factor::Enrolment,
    request_id: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let cancel = start_over(request_id);
    csrf::form_page(req, services, status, |csrf| TotpEnrolPage {
        required: true,
        qr_svg: &enrolment.qr_svg,
        secret: &enrolment.secret_base32,
        sealed: &enrolment.sealed,
        action: "/login/second-factor",
        request_id: request_id.unwrap_or(""),
        csrf,
        error,
        cancel: &cancel,
    })
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = request_id_of(&form);
    let result = async {
        let https = services.settings.issuer_is_https();
        let steps = services.sign_in_steps();
        let Some(id) = cookies::read(&req, cookies::SIGN_IN, https) else {
            return Ok(expired(https));
        };
        let Some(mut pending) = steps.find(&id, request_id).await? else {
            return Ok(expired(https));
        };
        let Some(user) = user_of(&services, &pending).await? else {
            steps.abandon(&id).await?;
            return Ok(expired(https));
        };
        let code = form.get("code").unwrap_or("");
        let factors = services.second_factors();
        if let Some(sealed) = form.get("enrolment") {
            return match factors.confirm_totp(&user, sealed, code).await? {
                Confirmation::Enrolled { recovery_codes } => {
                    pending.amr = with_second_factor(&pending.amr, AMR_OTP);
                    steps.save(&id, &pending).await?;
                    match recovery_codes {
                        Some(codes) => Ok(csrf::form_page(&req, &services, StatusCode::OK, |csrf| {
                            RecoveryCodesPage {
                                codes,
                                continue_sign_in: Some(request_id.unwrap_or("").to_string()),
                                csrf,
                            }
                        })),
                        None => finish_sign_in::finish(&req, &services, &id, request_id).await,
                    }
                }
                Confirmation::WrongCode => {
                    if !steps.failed(&id, &mut pending).await? {
                        return Ok(too_many(https));
                    }
                    match factors.resume_totp(&user, sealed)? {
                        Some(enrolment) => Ok(enrol_page(
                            &req,
                            &services,
                            &enrolment,
                            request_id,
                            Some(&crate::ui::t("wrong-code")),
                            StatusCode::UNAUTHORIZED,
                        )),
                        None => Ok(expired(https)),
                    }
                }
                Confirmation::Expired | Confirmation::AlreadyEnrolled => {
                    let current = Current {
                        id,
                        pending,
                        new_cookie: false,
                    };
                    step_page(&req, &services, &current, request_id, None, StatusCode::OK).await
                }
            };
        }
        let client_ip = extract::client_ip(&req);
        match factors.check(user.id, code, &client_ip).await? {
            CodeCheck::Accepted { method, .. } => {
                pending.amr = with_second_factor(&pending.amr, method);
                steps.save(&id, &pending).await?;
                finish_sign_in::finish(&req, &services, &id, request_id).await
            }
            CodeCheck::Refused => {
                if !steps.failed(&id, &mut pending).await? {
                    return Ok(too_many(https));
                }
                let current = Current {
                    id,
                    pending,
                    new_cookie: false,
                };
                step_page(
                    &req,
                    &services,
                    &current,
                    request_id,
                    Some(&crate::ui::t("wrong-code")),
                    StatusCode::UNAUTHORIZED,
                )
                .await
            }
            CodeCheck::Throttled(wait) => {
                let message = crate::ui::t_with(
                    "second-factor-throttled",
                    "wait",
                    super::views::wait_words(wait.as_secs()),
                );
                let current = Current {
                    id,
                    pending,
                    new_cookie: false,
                };
                let mut response = step_page(
                    &req,
                    &services,
                    &current,
                    request_id,
                    Some(&message),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await?;
                if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                Ok(response)
            }
        }
    };
    result
        .await
        .unwrap_or_else(|e: InternalError| pages::server_error_page(&e))
}

fn too_many(https: bool) -> HttpResponse {
    ended(https, &crate::ui::t("second-factor-too-many"), StatusCode::UNAUTHORIZED)
}
