//! The account page's factors: set up or remove an authenticator app, get
//! new recovery codes. Each change needs a recent sign-in
//! (`mfa.recent_authentication_secs`); otherwise `/account/confirm` asks for
//! the password, or a fresh sign-in at a linked upstream (an account an
//! upstream made has no password), and the second factor when the account
//! has one, first.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::factor_views::{ConfirmIdentityPage, FactorsView, KeyView, RecoveryCodesPage, TotpEnrolPage};
use super::views::time_ago;
use super::{cookies, csrf, extract, outcome, pages};
use crate::auth::login::{Attempt, LoginOutcome};
use crate::auth::second_factor::{Confirmation, Enrolment};
use crate::auth::sign_in::{self, Demands, Start};
use crate::domain::{AMR_PASSWORD, CredentialKind, Level, UpstreamSession, User};
use crate::error::InternalError;
use crate::oidc::params::Params;
use crate::session::LiveSession;
use crate::startup::Services;

/// The signed-in person and their session, or the response that sends
/// them to sign in.
pub(super) async fn signed_in(req: &HttpRequest, services: &Services) -> Result<(User, LiveSession), HttpResponse> {
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| pages::server_error_page(&e))?;
    let Some(live) = accounts.current().cloned() else {
        return Err(outcome::see_other("/login?next=/account"));
    };
    match services.users.find_user(live.session.user_id).await {
        Ok(Some(user)) if !user.disabled => Ok((user, live)),
        Ok(_) => Err(outcome::see_other("/login?next=/account")),
        Err(e) => Err(pages::server_error_page(&e)),
    }
}

/// The person, when they signed in recently enough to change their factors.
pub(super) async fn recently_signed_in(
    req: &HttpRequest,
    services: &Services,
) -> Result<(User, LiveSession), HttpResponse> {
    recently_signed_in_or(req, services, outcome::see_other).await
}

/// The same, sending the person where they must go first with `go` (a
/// redirect for a page, a JSON answer for a script).
pub(super) async fn recently_signed_in_or(
    req: &HttpRequest,
    services: &Services,
    go: impl Fn(&str) -> HttpResponse,
) -> Result<(User, LiveSession), HttpResponse> {
    let (user, live) = signed_in_or(req, services, &go).await?;
    if signed_in_recently(services, &live) {
        Ok((user, live))
    } else {
        Err(go("/account/confirm"))
    }
}

/// The signed-in person, or where they must go first, sent with `go`.
pub(super) async fn signed_in_or(
    req: &HttpRequest,
    services: &Services,
    go: impl Fn(&str) -> HttpResponse,
) -> Result<(User, LiveSession), HttpResponse> {
    signed_in(req, services).await.map_err(|response| {
        if !response.status().is_redirection() {
            return response;
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or("/login?next=/account")
            .to_string();
        go(&location)
    })
}

/// Whether the session authenticated within `mfa.recent_authentication_secs`
/// (what changing factors, the password or anything in the admin console needs).
pub(super) fn signed_in_recently(services: &Services, live: &LiveSession) -> bool {
    services.clock.now() - live.session.auth_time <= services.settings.mfa.recent_authentication_secs as i64
}

/// Policy requires a second factor of this account (so its last one stays).
pub fn second_factor_required(services: &Services, user: &User) -> bool {
    sign_in::required_level(&services.settings.mfa, user, Demands::default()) >= Level::TwoFactors
}

/// What the account page shows of the person's factors.
pub async fn factors_view(services: &Services, user: &User) -> Result<FactorsView, InternalError> {
    let summary = services.second_factors().summary(user.id).await?;
    let now = services.clock.now();
    Ok(FactorsView {
        totp_added: summary.totp.as_ref().map(|t| time_ago(t.created_at, now)),
        totp_last_used: summary
            .totp
            .as_ref()
            .and_then(|t| t.last_used_at)
            .map(|at| time_ago(at, now)),
        recovery_left: summary.recovery_codes_left,
        recovery_total: summary.recovery_codes_total,
        recovery_last_used: summary.recovery_code_last_used.map(|at| time_ago(at, now)),
        required: second_factor_required(services, user),
        keys_available: services.webauthn.is_some(),
        count: usize::from(summary.totp.is_some()) + summary.keys.len(),
        keys: summary
            .keys
            .iter()
            .map(|key| KeyView {
                id: key.id.to_string(),
                name: key.name.clone(),
                kind: key.kind.message_id(),
                added: time_ago(key.created_at, now),
                last_used: key.last_used_at.map(|at| time_ago(at, now)),
            })
            .collect(),
    })
}

fn enrol_page(req: &HttpRequest, services: &Services, enrolment: &Enrolment, error: Option<&str>) -> HttpResponse {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    csrf::form_page(req, services, status, |csrf| TotpEnrolPage {
        required: false,
        qr_svg: &enrolment.qr_svg,
        secret: &enrolment.secret_base32,
        sealed: &enrolment.sealed,
        action: "/account/totp",
        request_id: "",
        csrf,
        error,
        cancel: "/account",
    })
}

fn codes_page(req: &HttpRequest, services: &Services, codes: Vec<String>) -> HttpResponse {
    csrf::form_page(req, services, StatusCode::OK, |csrf| RecoveryCodesPage {
        codes,
        continue_sign_in: None,
        csrf,
    })
}

/// `GET /account/totp`: a new secret to scan.
pub async fn show_totp(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (user, _) = match recently_signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match services.second_factors().begin_totp(&user) {
        Ok(enrolment) => enrol_page(&req, &services, &enrolment, None),
        Err(e) => pages::server_error_page(&e),
    }
}

/// `POST /account/totp`: confirms the scanned secret with a code.
pub async fn confirm_totp(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, _) = match recently_signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let factors = services.second_factors();
    let sealed = form.get("enrolment").unwrap_or("");
    let result = async {
        Ok::<_, InternalError>(
            match factors
                .confirm_totp(&user, sealed, form.get("code").unwrap_or(""))
                .await?
            {
                Confirmation::Enrolled {
                    recovery_codes: Some(codes),
                } => codes_page(&req, &services, codes),
                Confirmation::Enrolled { recovery_codes: None } | Confirmation::AlreadyEnrolled => {
                    outcome::see_other("/account")
                }
                Confirmation::WrongCode => match factors.resume_totp(&user, sealed)? {
                    Some(enrolment) => enrol_page(&req, &services, &enrolment, Some(&crate::ui::t("totp-wrong-code"))),
                    None => outcome::see_other("/account/totp"),
                },
                Confirmation::Expired => outcome::see_other("/account/totp"),
            },
        )
    };
    result.await.unwrap_or_else(|e| pages::server_error_page(&e))
}

/// `POST /account/totp/remove`.
pub async fn remove_totp(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if let Err(page) = csrf::verified_form(&req, &services, &body) {
        return page;
    }
    let (user, _) = match recently_signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let has_keys = match services.passkeys().credentials(user.id).await {
        Ok(keys) => !keys.is_empty(),
        Err(e) => return pages::server_error_page(&e),
    };
    if second_factor_required(&services, &user) && !has_keys {
        return pages::error_page(
            StatusCode::CONFLICT,
            &crate::ui::t("factor-last-title"),
            &crate::ui::t("factor-last"),
            None,
        );
    }
    match services
        .second_factors()
        .remove_totp(user.id, "the account holder")
        .await
    {
        Ok(_) => outcome::see_other("/account"),
        Err(e) => pages::server_error_page(&e),
    }
}

/// `POST /account/recovery-codes`: a new set, shown once.
pub async fn new_recovery_codes(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    if let Err(page) = csrf::verified_form(&req, &services, &body) {
        return page;
    }
    let (user, _) = match recently_signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let factors = services.second_factors();
    let result = async {
        if !factors.has_second_factor(user.id).await? {
            return Ok(outcome::see_other("/account"));
        }
        let codes = factors.new_recovery_codes(user.id).await?;
        Ok::<_, InternalError>(codes_page(&req, &services, codes))
    };
    result.await.unwrap_or_else(|e| pages::server_error_page(&e))
}

/// `GET /account/confirm`.
pub async fn show_confirm(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (user, _) = match signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let next = Params::parse(req.query_string()).ok();
    let next = super::login::page_after_sign_in(next.as_ref().and_then(|p| p.get("next")));
    confirm_page(&req, &services, &user, next, None)
        .await
        .unwrap_or_else(|e| pages::server_error_page(&e))
}

/// The page that asks the person to confirm who they are, each way their
/// account has: the password, when it has one (its own or the
/// directory's), a passkey, and each OpenID Connect upstream linked to it
/// (an account an upstream made has no password). `error`: what went wrong
/// last time, and the status to answer with.
async fn confirm_page(
    req: &HttpRequest,
    services: &Services,
    user: &User,
    next: &str,
    error: Option<(&str, StatusCode)>,
) -> Result<HttpResponse, InternalError> {
    let linked = services.federation().linked_of(user).await?;
    let passkey = services.webauthn.is_some()
        && services
            .second_factors()
            .summary(user.id)
            .await?
            .keys
            .iter()
            .any(|key| key.kind == CredentialKind::Passkey);
    let upstreams = linked
        .confirming(&services.upstreams)
        .into_iter()
        .map(|upstream| (upstream.name.clone(), upstream.display_name.clone()))
        .collect();
    let status = error.map_or(StatusCode::OK, |(_, status)| status);
    Ok(csrf::form_page(req, services, status, |csrf| ConfirmIdentityPage {
        username: user.username.as_str(),
        csrf,
        error: error.map(|(message, _)| message),
        next,
        password: linked.password,
        passkey,
        upstreams,
    }))
}

/// `POST /account/confirm`: the password again (throttled like any
/// sign-in), then the second factor when the account has one; the session
/// then counts as just authenticated.
pub async fn confirm(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let (user, live) = match signed_in(&req, &services).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    confirmed(&req, &services, &form, &user, live)
        .await
        .unwrap_or_else(|e| pages::server_error_page(&e))
}

async fn confirmed(
    req: &HttpRequest,
    services: &Services,
    form: &Params,
    user: &User,
    live: LiveSession,
) -> Result<HttpResponse, InternalError> {
    let https = services.settings.issuer_is_https();
    let client_ip = extract::client_ip(req);
    let device_cookie = cookies::read(req, cookies::DEVICE, https);
    let attempt = Attempt {
        username: user.username.as_str(),
        password: form.get("password").unwrap_or(""),
        client_ip: &client_ip,
        device_cookie: device_cookie.as_deref(),
        from_browser: true,
    };
    let next = super::login::page_after_sign_in(form.get("next"));
    match services.password_login().attempt(attempt).await? {
        LoginOutcome::SignedIn { .. } => {}
        LoginOutcome::Refused => {
            let message = crate::ui::t("password-wrong");
            let error = Some((message.as_str(), StatusCode::UNAUTHORIZED));
            return confirm_page(req, services, user, next, error).await;
        }
        LoginOutcome::Throttled(wait) => {
            let message = crate::ui::t_with("login-throttled", "wait", super::views::wait_words(wait.as_secs()));
            let error = Some((message.as_str(), StatusCode::TOO_MANY_REQUESTS));
            let mut response = confirm_page(req, services, user, next, error).await?;
            if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
    }
    first_factor_confirmed(services, user, live, (vec![AMR_PASSWORD.to_string()], None), next).await
}

/// `GET /login/upstream-callback` after an upstream confirmed who is at the
/// keyboard (`Intent::Confirm`): the same as the password typed again.
pub(super) async fn confirmed_upstream(
    req: &HttpRequest,
    services: &Services,
    (amr, upstream): (Vec<String>, UpstreamSession),
    next: &str,
) -> Result<HttpResponse, InternalError> {
    let (user, live) = match signed_in(req, services).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    first_factor_confirmed(services, &user, live, (amr, Some(upstream)), next).await
}

/// The first factor confirmed again (`amr`, through `upstream`'s session if
/// any): the second one too when the account has one and the first did not
/// already count as both (an upstream trusted to say so); then the session
/// counts as just authenticated.
pub(super) async fn first_factor_confirmed(
    services: &Services,
    user: &User,
    mut live: LiveSession,
    (amr, upstream): (Vec<String>, Option<UpstreamSession>),
    next: &str,
) -> Result<HttpResponse, InternalError> {
    let has_factor = services.second_factors().has_second_factor(user.id).await?;
    if !has_factor || Level::of_amr(&amr) >= Level::TwoFactors {
        services.sessions().reauthenticated(&mut live, amr, upstream).await?;
        return Ok(outcome::see_other(next));
    }
    let https = services.settings.issuer_is_https();
    let start = Start {
        user_id: user.id,
        amr,
        required: Level::TwoFactors,
        step_up: Some(live.handle.clone()),
        request_id: None,
        next,
        upstream,
    };
    let (id, _) = services.sign_in_steps().start(start).await?;
    let mut response = outcome::see_other("/login/second-factor");
    let _ = response.add_cookie(&cookies::sign_in(id, https));
    Ok(response)
}
