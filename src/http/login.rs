//! `GET|POST /login`: the sign-in page for a parked authorization request.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{LoginPage, render};
use super::{cookies, respond, security};
use crate::auth::password;
use crate::auth::throttle::LoginThrottle;
use crate::crypto;
use crate::domain::Username;
use crate::error::ProtocolError;
use crate::oidc::authorize::{self, ParkedRequest};
use crate::oidc::code::{self, CodeGrant};
use crate::oidc::params::Params;
use crate::services::Services;
use crate::session;

const BAD_CREDENTIALS: &str = "The username or password is incorrect.";

fn expired_page() -> HttpResponse {
    respond::error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "This sign-in page is no longer valid: it was already used, or it waited too long.",
        None,
    )
}

fn forbidden_page() -> HttpResponse {
    respond::error_page(
        StatusCode::FORBIDDEN,
        "The form could not be accepted",
        "The sign-in form was not sent from this page, or your browser did not keep its cookie. \
         Make sure cookies are allowed for this site, then try again.",
        None,
    )
}

fn server_error_page(cause: &dyn std::fmt::Display) -> HttpResponse {
    respond::authorize_error_page(&ProtocolError::server_error(cause))
}

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let params = Params::parse(req.query_string()).unwrap_or_default();
    let Some(request_id) = params.get("req") else {
        return expired_page();
    };
    let parked = match authorize::load_parked(&services, request_id).await {
        Ok(Some(parked)) => parked,
        Ok(None) => return expired_page(),
        Err(e) => return server_error_page(&e),
    };
    let https = services.settings.issuer_is_https();
    let existing_csrf = cookies::read(&req, cookies::CSRF, https);
    let csrf = existing_csrf.clone().unwrap_or_else(crypto::random_token);
    let username = parked.request.login_hint.as_deref().unwrap_or("");
    let mut response = login_page(&parked, request_id, &csrf, username, None, StatusCode::OK);
    if existing_csrf.is_none() {
        let _ = response.add_cookie(&cookies::csrf(csrf, https));
    }
    response
}

fn login_page(
    parked: &ParkedRequest,
    request_id: &str,
    csrf: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let page = LoginPage {
        client_name: &parked.request.client_name,
        request_id,
        csrf,
        username,
        error,
    };
    render(&page, status)
}

pub async fn submit(
    req: HttpRequest,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let settings = &services.settings;
    let https = settings.issuer_is_https();
    let Ok(form) = super::form_params(&req, &body) else {
        return forbidden_page();
    };
    // CSRF: the form must come from our page (double-submit cookie, compared in
    // constant time) and, for browsers that say so, from our origin.
    let csrf_cookie = cookies::read(&req, cookies::CSRF, https);
    let csrf_ok = match (csrf_cookie.as_deref(), form.get("csrf")) {
        (Some(cookie), Some(field)) => crypto::constant_time_eq(cookie, field),
        _ => false,
    };
    if !csrf_ok || !security::is_same_origin_post(&req, &settings.issuer) {
        return forbidden_page();
    }
    let csrf = csrf_cookie.unwrap_or_default();
    let Some(request_id) = form.get("req") else {
        return expired_page();
    };
    let parked = match authorize::load_parked(&services, request_id).await {
        Ok(Some(parked)) => parked,
        Ok(None) => return expired_page(),
        Err(e) => return server_error_page(&e),
    };
    let typed_username = form.get("username").unwrap_or("").trim();
    let again = |message: &str, status: StatusCode| {
        login_page(
            &parked,
            request_id,
            &csrf,
            typed_username,
            Some(message),
            status,
        )
    };
    let Some(password) = form.get("password") else {
        return again("Enter your username and password.", StatusCode::BAD_REQUEST);
    };

    let client_ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let throttle = LoginThrottle::new(&*services.ephemeral, &settings.login);
    let throttle_name = typed_username.to_lowercase();
    match throttle
        .wait_before_attempt(&throttle_name, &client_ip)
        .await
    {
        Ok(None) => {}
        Ok(Some(wait)) => {
            tracing::info!(target: "audit", event = "login_throttled", client_ip, "login throttled");
            let message = format!(
                "Too many failed attempts. Wait {} seconds, then try again.",
                wait.as_secs()
            );
            let mut response = again(&message, StatusCode::TOO_MANY_REQUESTS);
            if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(e) => return server_error_page(&e),
    }

    let user = match authenticate(&services, typed_username, password).await {
        Ok(user) => user,
        Err(e) => return server_error_page(&e),
    };
    let Some(user) = user else {
        tracing::info!(target: "audit", event = "login_failed", client_ip, "login failed");
        if let Err(e) = throttle.record_failure(&throttle_name, &client_ip).await {
            return server_error_page(&e);
        }
        return again(BAD_CREDENTIALS, StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = throttle.record_success(&throttle_name, &client_ip).await {
        return server_error_page(&e);
    }
    tracing::info!(target: "audit", event = "login_succeeded", user = %user, client_ip, "login succeeded");
    complete(&req, &services, request_id, user).await
}

/// The user whose password this is, or `None` (unknown user, wrong password,
/// disabled account: all alike, in message and in time).
async fn authenticate(
    services: &Services,
    username: &str,
    password: &str,
) -> Result<Option<uuid::Uuid>, anyhow::Error> {
    let credentials = match Username::parse(username) {
        Ok(name) => services.users.find_credentials(&name).await?,
        Err(_) => None,
    };
    let (user, hash) = match credentials {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = password::verify_password(password.to_string(), hash).await?;
    Ok(user.filter(|u| verified && !u.disabled).map(|u| u.id))
}

/// Starts the SSO session and sends the authorization code to the app.
async fn complete(
    req: &HttpRequest,
    services: &Services,
    request_id: &str,
    user_id: uuid::Uuid,
) -> HttpResponse {
    let https = services.settings.issuer_is_https();
    // Taken atomically: a request completes once, even if the form is sent twice.
    let parked = match authorize::take_parked(services, request_id).await {
        Ok(Some(parked)) => parked,
        Ok(None) => return expired_page(),
        Err(e) => return server_error_page(&e),
    };
    let previous = cookies::read(req, cookies::SESSION, https);
    let (cookie_value, sso) = match session::start(services, user_id, previous.as_deref()).await {
        Ok(started) => started,
        Err(e) => return server_error_page(&e),
    };
    let request = parked.request;
    let grant = CodeGrant {
        client_id: request.client_id,
        redirect_uri: request.target.redirect_uri.clone(),
        user_id,
        scopes: request.scopes,
        nonce: request.nonce,
        code_challenge: request.code_challenge,
        auth_time: sso.auth_time,
        sid: sso.sid,
        expires_at: 0,
    };
    let code = match code::issue(services, grant).await {
        Ok(code) => code,
        Err(e) => return server_error_page(&e),
    };
    let mut response = respond::authorization_response(
        &request.target,
        &services.settings.issuer,
        &[("code", &code)],
    );
    let _ = response.add_cookie(&cookies::session(cookie_value, https));
    response
}
