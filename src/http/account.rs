//! `/account`: who is signed in, where, and in which apps; end a session or
//! all the others.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{AccountPage, SessionView, UpstreamView, time_ago};
use pages::server_error_page;

use super::{cookies, csrf, outcome, pages};
use crate::error::InternalError;
use crate::federation::UpstreamSignOut;
use crate::oidc::logout::fanout::FrontChannelNotice;
use crate::oidc::params::Params;
use crate::session::{BrowserAccounts, LiveSession, describe_device};
use crate::startup::Services;
use crate::store::StoreError;

pub async fn show(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    match page(&req, &services).await {
        Ok(response) => response,
        Err(e) => server_error_page(&e),
    }
}

async fn page(req: &HttpRequest, services: &Services) -> Result<HttpResponse, InternalError> {
    let accounts = cookies::browser_accounts(req, services).await?;
    let Some(current) = accounts.current() else {
        let mut response = outcome::see_other("/login");
        cookies::set_session_cookie(&mut response, services, &accounts);
        return Ok(response);
    };
    let Some(user) = services.users.find_user(current.session.user_id).await? else {
        return Ok(outcome::see_other("/login"));
    };
    let now = services.clock.now();
    let mut views = Vec::new();
    for live in services.sessions().list_for_user(user.id).await? {
        let mut apps = Vec::new();
        for rp in &live.session.clients {
            let name = services.clients.find_client(&rp.client_id).await?.map(|c| c.name);
            apps.push(name.unwrap_or_else(|| rp.client_id.to_string()));
        }
        views.push(SessionView {
            current: live.handle == current.handle,
            device: describe_device(&live.session.user_agent),
            location: live.session.ip_prefix.clone(),
            signed_in: time_ago(live.session.auth_time, now),
            last_seen: time_ago(live.session.last_seen, now),
            apps,
            handle: live.handle,
        });
    }
    let others = other_accounts(services, &accounts).await?;
    let name = user.display_name.clone().unwrap_or_else(|| user.username.to_string());
    let factors = super::account_security::factors_view(services, &user).await?;
    let (upstreams, can_unlink) = upstream_views(services, &user, now).await?;
    let mut response = csrf::form_page(req, services, StatusCode::OK, |csrf| AccountPage {
        name: &name,
        username: user.username.as_str(),
        developer: user.has_role(crate::domain::Role::Developer),
        sessions: views,
        factors,
        csrf,
        others,
        upstreams,
        can_unlink,
    });
    cookies::set_session_cookie(&mut response, services, &accounts);
    Ok(response)
}

/// The upstream providers with what the person linked of each, and whether
/// unlinking leaves another way in (a password, or another linked account).
async fn upstream_views(
    services: &Services,
    user: &crate::domain::User,
    now: i64,
) -> Result<(Vec<UpstreamView>, bool), InternalError> {
    if services.settings.upstreams.is_empty() {
        return Ok((Vec::new(), false));
    }
    let linked = services.federation().linked_of(user).await?;
    let views = linked
        .by_upstream(&services.upstreams)
        .map(|(upstream, link)| UpstreamView {
            name: upstream.name.clone(),
            display_name: upstream.display_name.clone(),
            linked: link.map(|l| (l.issuer.clone(), l.subject.clone(), time_ago(l.linked_at, now))),
        })
        .collect();
    Ok((views, linked.can_unlink))
}

/// The accounts signed in on this browser besides the current one, as
/// `(handle, username)`: whom a page acting for a person can switch to.
pub async fn other_accounts(
    services: &Services,
    accounts: &BrowserAccounts,
) -> Result<Vec<(String, String)>, crate::store::StoreError> {
    let current = accounts.current().map(|live| live.handle.clone());
    let mut others = Vec::new();
    for live in accounts.iter().filter(|live| Some(&live.handle) != current.as_ref()) {
        if let Some(other) = services.users.find_user(live.session.user_id).await? {
            others.push((live.handle.as_str().to_string(), other.username.to_string()));
        }
    }
    Ok(others)
}

/// A verified form from the signed-in person, with their accounts.
async fn signed_in_form(
    req: &HttpRequest,
    services: &Services,
    body: &[u8],
) -> Result<(Params, BrowserAccounts, LiveSession), HttpResponse> {
    let form = csrf::verified_form(req, services, body)?;
    let accounts = cookies::browser_accounts(req, services)
        .await
        .map_err(|e| server_error_page(&e))?;
    match accounts.current().cloned() {
        Some(current) => Ok((form, accounts, current)),
        None => Err(outcome::see_other("/login")),
    }
}

/// Ends one of the person's sessions (this one: they are signed out here).
pub async fn end_session(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (form, mut accounts, current) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let result = async {
        let sessions = services.sessions().list_for_user(current.session.user_id).await?;
        // Only the person's own sessions can be named here.
        let Some(target) = sessions.iter().find(|s| Some(s.handle.as_str()) == form.get("session")) else {
            return Ok(outcome::see_other("/account"));
        };
        let upstream = super::end_session::upstream_sign_outs(&services, std::slice::from_ref(target)).await;
        let front = services
            .fanout()
            .end_session(target, "ended from the account page")
            .await?;
        if target.handle != current.handle {
            return Ok(outcome::see_other("/account"));
        }
        accounts.remove(&target.handle);
        let ended: Vec<String> = services
            .users
            .find_user(target.session.user_id)
            .await?
            .map(|u| u.username.to_string())
            .into_iter()
            .collect();
        let message = super::end_session::signed_out_message(&services, &ended, &accounts).await?;
        let still = accounts.current().is_some();
        let mut response = super::end_session::signed_out_page(&message, front, None, (still, upstream));
        cookies::set_session_cookie(&mut response, &services, &accounts);
        Ok::<_, StoreError>(response)
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}

/// Makes another account signed in on this browser the one its pages act for.
pub async fn switch(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (form, mut accounts, _) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let handle = crate::domain::SessionHandle::from_stored(form.get("account").unwrap_or("").to_string());
    // Only an account this browser holds can be named.
    accounts.promote(&handle);
    let next = match form.get("next") {
        Some("/developer") => "/developer",
        _ => "/account",
    };
    let mut response = outcome::see_other(next);
    cookies::set_session_cookie(&mut response, &services, &accounts);
    response
}

/// Signs every account on this browser out (a shared computer), each with
/// single logout.
pub async fn end_browser_sessions(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (_, mut accounts, _) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let result = async {
        let (ended, front, upstream) = end_every_session(&services, &mut accounts).await?;
        let message = super::end_session::signed_out_message(&services, &ended, &accounts).await?;
        let mut response = super::end_session::signed_out_page(&message, front, None, (false, upstream));
        cookies::set_session_cookie(&mut response, &services, &accounts);
        Ok::<_, StoreError>(response)
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}

/// Signs every account on this browser out (each app told, as at any
/// sign-out): the usernames signed out, the front-channel frames to load,
/// and the upstream providers to offer signing out of.
pub async fn end_every_session(
    services: &Services,
    accounts: &mut BrowserAccounts,
) -> Result<(Vec<String>, Vec<FrontChannelNotice>, Vec<UpstreamSignOut>), StoreError> {
    let mut ended = Vec::new();
    let mut front = Vec::new();
    let live: Vec<LiveSession> = accounts.iter().cloned().collect();
    let upstream = super::end_session::upstream_sign_outs(services, &live).await;
    for session in &live {
        if let Some(user) = services.users.find_user(session.session.user_id).await? {
            ended.push(user.username.to_string());
        }
        front.extend(
            services
                .fanout()
                .end_session(session, "every account signed out on this browser")
                .await?,
        );
        accounts.remove(&session.handle);
    }
    Ok((ended, front, upstream))
}

/// Ends every session of the person but the one on this browser.
pub async fn end_other_sessions(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (_, _, current) = match signed_in_form(&req, &services, &body).await {
        Ok(context) => context,
        Err(page) => return page,
    };
    let result = async {
        for live in services.sessions().list_for_user(current.session.user_id).await? {
            if live.handle != current.handle {
                services
                    .fanout()
                    .end_session(&live, "ended from another session's account page")
                    .await?;
            }
        }
        Ok::<_, StoreError>(outcome::see_other("/account"))
    };
    result.await.unwrap_or_else(|e| server_error_page(&e))
}
