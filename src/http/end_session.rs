//! `GET|POST /end_session` (RP-Initiated Logout 1.0) and the signed-out page
//! that carries front-channel logout (Front-Channel Logout 1.0).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{LogoutConfirmPage, SignedOutPage, render};
use super::{cookies, csrf, extract, outcome, pages, security};
use crate::error::{ErrorCode, ProtocolError};
use crate::federation::UpstreamSignOut;
use crate::oidc::logout::fanout::FrontChannelNotice;
use crate::oidc::logout::request::{self as end_session, Decision, LogoutRequest};
use crate::oidc::params::Params;
use crate::session::{BrowserAccounts, LiveSession};
use crate::startup::Services;
use pages::server_error_page;

pub async fn get(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    request(&req, &services, Params::parse(req.query_string())).await
}

pub async fn post(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    request(&req, &services, extract::form_params(&req, &body)).await
}

fn invalid_page(error: &ProtocolError) -> HttpResponse {
    // A store that could not answer is not the app's mistake.
    if matches!(error.code, ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable) {
        return pages::authorize_error_page(error);
    }
    pages::error_page(
        StatusCode::BAD_REQUEST,
        &crate::ui::t("error-logout-invalid-title"),
        &crate::ui::t("error-logout-invalid"),
        Some(&format!("{}: {}", error.code.as_str(), error.description)),
    )
}

async fn request(req: &HttpRequest, services: &Services, params: Result<Params, ProtocolError>) -> HttpResponse {
    let logout = match params {
        Ok(params) => end_session::validate(&services.logout_check(), &params).await,
        Err(e) => Err(e),
    };
    let logout = match logout {
        Ok(logout) => logout,
        Err(error) => return invalid_page(&error),
    };
    let mut accounts = match cookies::browser_accounts(req, services).await {
        Ok(accounts) => accounts,
        Err(e) => return server_error_page(&e),
    };
    match end_session::decide(&logout, &accounts) {
        Decision::NobodySignedIn => finish(services, &logout, Vec::new(), &accounts),
        Decision::Confirm(target) => confirmation_page(req, services, &logout, &target, &accounts).await,
        Decision::SignOut(target) => sign_out(services, &logout, &target, &mut accounts).await,
    }
}

async fn confirmation_page(
    req: &HttpRequest,
    services: &Services,
    logout: &LogoutRequest,
    target: &LiveSession,
    accounts: &BrowserAccounts,
) -> HttpResponse {
    let names = async {
        let account = services.users.find_user(target.session.user_id).await?;
        let mut others = Vec::new();
        for live in accounts.iter().filter(|live| live.handle != target.handle) {
            others.extend(services.users.find_user(live.session.user_id).await?);
        }
        Ok::<_, crate::store::StoreError>((account, others))
    };
    let (account, others) = match names.await {
        Ok((account, others)) => (
            account.map(|u| u.username.to_string()),
            others.into_iter().map(|u| u.username.to_string()).collect(),
        ),
        Err(e) => return server_error_page(&e),
    };
    csrf::form_page(req, services, StatusCode::OK, |csrf| LogoutConfirmPage {
        client_name: logout.client.as_ref().map(|c| c.name.as_str()),
        account: account.as_deref(),
        others,
        csrf,
        client_id: logout.client.as_ref().map(|c| c.client_id.as_str()),
        post_logout_redirect_uri: logout.redirect.as_ref().map(|r| r.as_str()),
        state: logout.state.as_deref(),
    })
}

/// `POST /end_session/confirm`: the person confirmed.
pub async fn confirm(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let form = match csrf::verified_form(&req, &services, &body) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let logout = match end_session::validate(&services.logout_check(), &form).await {
        Ok(logout) => logout,
        Err(error) => return invalid_page(&error),
    };
    let mut accounts = match cookies::browser_accounts(&req, &services).await {
        Ok(accounts) => accounts,
        Err(e) => return server_error_page(&e),
    };
    if form.get("every") == Some("1") {
        return sign_out_everyone(&services, &logout, &mut accounts).await;
    }
    match accounts.current().cloned() {
        Some(target) => sign_out(&services, &logout, &target, &mut accounts).await,
        None => finish(&services, &logout, Vec::new(), &accounts),
    }
}

/// The person chose "every account on this browser".
async fn sign_out_everyone(
    services: &Services,
    logout: &LogoutRequest,
    accounts: &mut BrowserAccounts,
) -> HttpResponse {
    let signed_out = async {
        let (ended, front, upstream) = super::account::end_every_session(services, accounts).await?;
        let message = signed_out_message(services, &ended, accounts).await?;
        Ok::<_, crate::store::StoreError>((front, upstream, message))
    };
    match signed_out.await {
        Ok((front, upstream, message)) => finish_with(services, logout, (front, upstream), accounts, &message),
        Err(e) => server_error_page(&e),
    }
}

async fn sign_out(
    services: &Services,
    logout: &LogoutRequest,
    target: &LiveSession,
    accounts: &mut BrowserAccounts,
) -> HttpResponse {
    let ended = match services.users.find_user(target.session.user_id).await {
        Ok(user) => user.map(|u| u.username.to_string()),
        Err(e) => return server_error_page(&e),
    };
    let upstream = upstream_sign_outs(services, std::slice::from_ref(target)).await;
    match services.fanout().end_session(target, "RP-initiated logout").await {
        Ok(front) => {
            accounts.remove(&target.handle);
            finish_for(services, logout, (front, upstream), accounts, ended.as_deref()).await
        }
        Err(e) => server_error_page(&e),
    }
}

/// What the signed-out page says: who was signed out, and who is still
/// signed in on this browser (a shared computer must not leave anyone
/// thinking they are out when another account is in).
pub async fn signed_out_message(
    services: &Services,
    ended: &[String],
    accounts: &BrowserAccounts,
) -> Result<String, crate::store::StoreError> {
    let mut still = Vec::new();
    for live in accounts.iter() {
        if let Some(user) = services.users.find_user(live.session.user_id).await? {
            still.push(user.username.to_string());
        }
    }
    let out = match ended {
        [] => crate::ui::t("signed-out-nobody"),
        [one] => crate::ui::t_with("signed-out-one", "accounts", one),
        many => crate::ui::t_with("signed-out-many", "accounts", many.join(", ")),
    };
    Ok(match still.as_slice() {
        [] => out,
        others => format!(
            "{out} {}",
            crate::ui::t_with("signed-out-still", "accounts", others.join(", "))
        ),
    })
}

/// Straight to the app's registered post-logout URI when the request is
/// trusted and no frame needs loading; otherwise the signed-out page (with
/// the apps' front-channel frames), which continues to the app by itself
/// only when the request is trusted, and else offers it as a link.
fn finish(
    services: &Services,
    logout: &LogoutRequest,
    front: Vec<FrontChannelNotice>,
    accounts: &BrowserAccounts,
) -> HttpResponse {
    let nothing_upstream = Vec::new();
    finish_with(
        services,
        logout,
        (front, nothing_upstream),
        accounts,
        &crate::ui::t("signed-out-nobody"),
    )
}

async fn finish_for(
    services: &Services,
    logout: &LogoutRequest,
    front: (Vec<FrontChannelNotice>, Vec<UpstreamSignOut>),
    accounts: &BrowserAccounts,
    ended: Option<&str>,
) -> HttpResponse {
    let ended: Vec<String> = ended.into_iter().map(str::to_string).collect();
    match signed_out_message(services, &ended, accounts).await {
        Ok(message) => finish_with(services, logout, front, accounts, &message),
        Err(e) => server_error_page(&e),
    }
}

fn finish_with(
    services: &Services,
    logout: &LogoutRequest,
    (front, upstream): (Vec<FrontChannelNotice>, Vec<UpstreamSignOut>),
    accounts: &BrowserAccounts,
    message: &str,
) -> HttpResponse {
    let app_name = logout.client.as_ref().map(|c| c.name.as_str());
    // Whether another account is still signed in, and where else to sign out.
    let after = (accounts.current().is_some(), upstream);
    let mut response = match (logout.redirect_target(), logout.may_redirect()) {
        (Some(target), true) if front.is_empty() => outcome::see_other(&target),
        (Some(target), true) => signed_out_page(message, front, Some(Continue::Automatic(target)), after),
        (Some(target), false) => signed_out_page(
            message,
            front,
            Some(Continue::Link {
                target,
                app_name: app_name.map_or_else(|| crate::ui::t("the-application"), str::to_string),
            }),
            after,
        ),
        (None, _) => signed_out_page(message, front, None, after),
    };
    cookies::set_session_cookie(&mut response, services, accounts);
    response
}

/// Signing out at the upstream providers `ended` came from, where they
/// have an end-session endpoint (each once).
pub async fn upstream_sign_outs(services: &Services, ended: &[LiveSession]) -> Vec<UpstreamSignOut> {
    let mut offers: Vec<UpstreamSignOut> = Vec::new();
    for live in ended {
        let Some(upstream) = &live.session.upstream else {
            continue;
        };
        if let Some(offer) = services.upstreams.sign_out(upstream, services.clock.now()).await
            && !offers.iter().any(|o| o.display_name == offer.display_name)
        {
            offers.push(offer);
        }
    }
    offers
}

/// Where the signed-out page leads.
pub enum Continue {
    /// A trusted request: the page goes on by itself once the frames loaded.
    Automatic(String),
    /// An unconfirmed request: a link the person may follow.
    Link { target: String, app_name: String },
}

/// The signed-out page, loading each front-channel URL in a hidden frame; the
/// page's CSP allows exactly those frames.
pub fn signed_out_page(
    message: &str,
    front: Vec<FrontChannelNotice>,
    next: Option<Continue>,
    (still_signed_in, upstream): (bool, Vec<UpstreamSignOut>),
) -> HttpResponse {
    let mut origins: Vec<String> = front.iter().map(|n| n.origin.clone()).collect();
    origins.sort();
    origins.dedup();
    let (continue_to, return_to) = match next {
        Some(Continue::Automatic(target)) => (Some(target), None),
        Some(Continue::Link { target, app_name }) => (None, Some((target, app_name))),
        None => (None, None),
    };
    let page = SignedOutPage {
        message,
        frames: front.into_iter().map(|n| n.url).collect(),
        continue_to,
        return_to,
        still_signed_in,
        upstream,
    };
    let mut response = render(&page, StatusCode::OK);
    if let Ok(value) = header::HeaderValue::from_str(&security::policy_with_frames(&origins)) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}
