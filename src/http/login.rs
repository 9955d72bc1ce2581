//! `GET|POST /login`: the sign-in page, for a parked authorization request
//! (`req`) or, without one, for the account page.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{LoginPage, render};
use super::{cookies, csrf, extract, outcome, pages};
use crate::auth::login::{Attempt, LoginOutcome};
use crate::auth::sign_in::{self, Demands, Start};
use crate::domain::{AMR_PASSWORD, AuditEvent, Level, UpstreamSession, User};
use crate::error::InternalError;
use crate::oidc::authorize::{self, ParkedRequest, policy::Stage};
use crate::oidc::params::Params;
use crate::session::Origin;
use crate::startup::Services;

/// Where a sign-in without an app goes afterwards: one of Sesame's own pages,
/// named by `next`. Anything else is the account page, so `next` can never
/// send anyone off-site.
pub(super) fn page_after_sign_in(next: Option<&str>) -> &'static str {
    match next {
        Some("/developer") => "/developer",
        Some("/admin") => "/admin",
        Some("/gateway/start") => "/gateway/start",
        _ => "/account",
    }
}

/// The sealed passkey challenge the page carries for autofill, as
/// `(options JSON, ceremony)`; `None` without WebAuthn.
fn passkey_autofill(services: &Services, csrf: &str) -> Option<(String, String)> {
    let challenge = services.passkeys().sealed_passkey_sign_in(csrf).ok()?;
    Some((challenge.options.to_string(), challenge.ceremony))
}

/// The parked request named by `req`: `Ok(None)` for an account sign-in
/// (no `req`), a page when it names nothing waiting.
pub(super) async fn parked_request(
    services: &Services,
    request_id: &str,
) -> Result<Option<ParkedRequest>, HttpResponse> {
    if request_id.is_empty() {
        return Ok(None);
    }
    pages::waiting_request(services, request_id).await.map(Some)
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let request_id = params.get("req").unwrap_or("");
    let parked = match parked_request(&services, request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    // Signed in meanwhile (another tab, or back/reload after signing in): the
    // request goes on from the session instead of asking again. Not when the
    // person asked for another account.
    if let Some(parked) = &parked
        && params.get("another").is_none()
    {
        match continue_from_session(&req, &services, parked, request_id).await {
            Ok(Some(response)) => return response,
            Ok(None) => {}
            Err(e) => return pages::server_error_page(&e),
        }
    }
    // The app named the upstream to sign in with, or a person whose
    // address's domain signs in at one: straight there (unless the person
    // came back to choose another way).
    let named = parked
        .as_ref()
        .and_then(|p| p.request.idp_hint.as_deref())
        .filter(|hint| services.upstreams.listed().any(|u| u.name == *hint));
    let routed = named.or_else(|| {
        parked
            .as_ref()
            .and_then(|p| p.request.login_hint.as_deref())
            .and_then(|hint| services.upstreams.for_login_hint(hint))
    });
    if let Some(hint) = routed
        && params.get("choose").is_none()
    {
        let next = page_after_sign_in(params.get("next"));
        return outcome::see_other(&format!("/login/upstream/{hint}?req={request_id}&next={next}"));
    }
    let username = parked
        .as_ref()
        .and_then(|p| p.request.login_hint.as_deref())
        .unwrap_or("");
    let logo = app_logo(&services, parked.as_ref()).await;
    csrf::form_page(&req, &services, StatusCode::OK, |csrf| LoginPage {
        client_name: parked.as_ref().map(|p| p.request.client_name.as_str()),
        client_logo: logo.as_deref(),
        request_id,
        next: page_after_sign_in(params.get("next")),
        autofill: passkey_autofill(&services, &csrf),
        csrf,
        username,
        error: None,
        passkeys: services.webauthn.is_some(),
        forgot_password: services.settings.password_reset.enabled,
        signup: services.settings.signup.mode == crate::config::SignupMode::Open,
        upstreams: upstream_buttons(&services),
    })
}

/// The login page's "Sign in with …" buttons.
fn upstream_buttons(services: &Services) -> Vec<(String, String)> {
    services
        .upstreams
        .listed()
        .map(|u| {
            let text = crate::ui::t_with("sign-in-with-upstream", "name", u.display_name.clone());
            (u.name.clone(), text)
        })
        .collect()
}

/// The logo the app registered, shown above its name. A store that cannot
/// answer costs the logo, not the page.
async fn app_logo(services: &Services, parked: Option<&ParkedRequest>) -> Option<String> {
    let client_id = &parked?.request.client_id;
    services
        .clients
        .find_client(client_id)
        .await
        .ok()
        .flatten()?
        .info
        .logo_uri
}

/// The response when the browser's session can answer the parked request
/// without the login page; `None` when the page is what it needs.
async fn continue_from_session(
    req: &HttpRequest,
    services: &Services,
    parked: &ParkedRequest,
    request_id: &str,
) -> Result<Option<HttpResponse>, InternalError> {
    let mut accounts = cookies::browser_accounts(req, services).await?;
    if accounts.current().is_none() {
        return Ok(None);
    }
    let outcome = authorize::proceed(
        &services.authorizer(),
        &parked.request,
        Some(request_id),
        &mut accounts,
        Stage::Start,
    )
    .await?;
    if matches!(outcome, authorize::Outcome::Interact(authorize::Interaction::Login, _)) {
        return Ok(None);
    }
    Ok(Some(outcome::render(services, outcome, &accounts)))
}

pub async fn submit(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let request_id = form.get("req").unwrap_or("");
    let parked = match parked_request(&services, request_id).await {
        Ok(parked) => parked,
        Err(page) => return page,
    };
    let typed_username = form.get("username").unwrap_or("").trim();
    let csrf = form.get("csrf").unwrap_or("");
    let next = page_after_sign_in(form.get("next"));
    let logo = app_logo(&services, parked.as_ref()).await;
    let again = |message: &str, status: StatusCode| {
        let page = LoginPage {
            client_name: parked.as_ref().map(|p| p.request.client_name.as_str()),
            client_logo: logo.as_deref(),
            request_id,
            next,
            csrf: csrf.to_string(),
            username: typed_username,
            error: Some(message),
            passkeys: services.webauthn.is_some(),
            autofill: passkey_autofill(&services, csrf),
            forgot_password: services.settings.password_reset.enabled,
            signup: services.settings.signup.mode == crate::config::SignupMode::Open,
            upstreams: upstream_buttons(&services),
        };
        render(&page, status)
    };
    let Some(password) = form.get("password") else {
        return again(&crate::ui::t("login-missing"), StatusCode::BAD_REQUEST);
    };

    let client_ip = extract::client_ip(&req);
    let https = services.settings.issuer_is_https();
    let device_cookie = cookies::read(&req, cookies::DEVICE, https);
    let attempt = Attempt {
        username: typed_username,
        password,
        client_ip: &client_ip,
        device_cookie: device_cookie.as_deref(),
        from_browser: true,
    };
    let (user, device_cookie) = match services.password_login().attempt(attempt).await {
        Ok(LoginOutcome::SignedIn { user, device_cookie }) => (user, device_cookie),
        Ok(LoginOutcome::Refused) => return again(&crate::ui::t("login-wrong"), StatusCode::UNAUTHORIZED),
        Ok(LoginOutcome::Throttled(wait)) => {
            let message = crate::ui::t_with("login-throttled", "wait", super::views::wait_words(wait.as_secs()));
            let mut response = again(&message, StatusCode::TOO_MANY_REQUESTS);
            if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(e) => return pages::server_error_page(&e),
    };
    let origin = Origin {
        user_agent: &extract::user_agent(&req),
        client_ip: &client_ip,
    };
    let first = (&user, vec![AMR_PASSWORD.to_string()], None);
    let mut response = match after_first_factor(&req, &services, first, &origin, parked, request_id, next).await {
        Ok(response) => response,
        Err(e) => return pages::server_error_page(&e),
    };
    let cookie = cookies::device(device_cookie, https, services.settings.login.device_cookie_days);
    let _ = response.add_cookie(&cookie);
    response
}

/// After the first factor (`amr`: a password, or an upstream provider):
/// the next step of the sign-in when the account or the request needs one
/// (see `auth::sign_in`), else signed in.
pub(super) async fn after_first_factor(
    req: &HttpRequest,
    services: &Services,
    (user, amr, upstream): (&User, Vec<String>, Option<UpstreamSession>),
    origin: &Origin<'_>,
    parked: Option<ParkedRequest>,
    request_id: &str,
    next: &str,
) -> Result<HttpResponse, InternalError> {
    let demands = parked.as_ref().map_or(Demands::default(), |p| Demands {
        requested: p.request.acr,
        client_requires: p.request.client_requires_second_factor,
    });
    let required = sign_in::required_level(&services.settings.mfa, user, demands);
    let has_factor = services.second_factors().has_second_factor(user.id).await?;
    let level = sign_in::sign_in_level(required, has_factor);
    if level <= Level::of_amr(&amr) {
        let signed_in = SignedIn {
            user_id: user.id,
            amr,
            upstream,
            origin,
        };
        return self::signed_in(req, services, signed_in, parked, request_id, next).await;
    }
    let start = Start {
        user_id: user.id,
        amr,
        required: level,
        step_up: None,
        request_id: (!request_id.is_empty()).then_some(request_id),
        next,
        upstream,
    };
    let (id, _) = services.sign_in_steps().start(start).await?;
    let mut response = outcome::see_other(&format!("/login/second-factor?req={request_id}"));
    let _ = response.add_cookie(&cookies::sign_in(id, services.settings.issuer_is_https()));
    Ok(response)
}

/// Who just finished signing in, with what (RFC 8176), from where.
pub(super) struct SignedIn<'a> {
    pub user_id: uuid::Uuid,
    pub amr: Vec<String>,
    /// The upstream session it came through, if any.
    pub upstream: Option<UpstreamSession>,
    pub origin: &'a Origin<'a>,
}

/// Starts a fresh SSO session, makes it the browser's current account, and
/// continues the authorization request (or opens the account page).
pub(super) async fn signed_in(
    req: &HttpRequest,
    services: &Services,
    signed_in: SignedIn<'_>,
    parked: Option<ParkedRequest>,
    request_id: &str,
    next: &str,
) -> Result<HttpResponse, InternalError> {
    let SignedIn {
        user_id,
        amr,
        upstream,
        origin,
    } = signed_in;
    let (cookie_id, live) = services.sessions().start(user_id, (amr, upstream), origin).await?;
    let mut accounts = cookies::browser_accounts(req, services).await?;
    let max = services.settings.session.max_accounts_per_browser;
    // The person's previous session on this browser ends (its id is dead),
    // and so does the oldest account when the browser holds too many: like
    // any end of a session, their apps are told.
    for old in accounts.add_first(cookie_id, live.clone(), max) {
        let reason = if old.session.user_id == user_id {
            "replaced by a new sign-in"
        } else {
            "pushed out by another account on the browser"
        };
        services.fanout().end_session(&old, reason).await?;
    }
    let event = AuditEvent::new("login_succeeded", services.clock.now())
        .user(user_id)
        .session(&live.handle)
        .ip(origin.client_ip);
    let event = match &parked {
        Some(p) => event.client(&p.request.client_id),
        None => event,
    };
    services.audit(event).await;
    let Some(parked) = parked else {
        let mut response = outcome::see_other(next);
        cookies::set_session_cookie(&mut response, services, &accounts);
        return Ok(response);
    };
    let outcome = authorize::proceed(
        &services.authorizer(),
        &parked.request,
        Some(request_id),
        &mut accounts,
        Stage::Authenticated,
    )
    .await?;
    Ok(outcome::render(services, outcome, &accounts))
}
