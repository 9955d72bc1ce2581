//! Renders where an authorization request goes next, and keeps the session
//! cookie in step with the accounts on the browser.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::{cookies, respond};
use crate::oidc::authorize::{Interaction, Outcome};
use crate::session::BrowserAccounts;
use crate::startup::Services;
use crate::store::StoreError;

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn render(services: &Services, outcome: Outcome, accounts: &BrowserAccounts) -> HttpResponse {
    let issuer = &services.settings.issuer;
    let mut response = match outcome {
        Outcome::Interact(Interaction::Login, id) => see_other(&format!("/login?req={id}")),
        Outcome::Interact(Interaction::ChooseAccount, id) => see_other(&format!("/select-account?req={id}")),
        Outcome::Interact(Interaction::Consent, id) => see_other(&format!("/consent?req={id}")),
        Outcome::Code(target, code) => respond::authorization_response(&target, issuer, &[("code", &code)]),
        Outcome::Error(target, error) => respond::authorization_error(&target, issuer, &error),
        Outcome::Answered => super::login::answered_page(),
    };
    set_session_cookie(&mut response, services, accounts);
    response
}

/// Writes the accounts back to the cookie, or clears it when none is left.
pub fn set_session_cookie(response: &mut HttpResponse, services: &Services, accounts: &BrowserAccounts) {
    let https = services.settings.issuer_is_https();
    let cookie = match accounts.cookie_value() {
        Some(value) => cookies::session(value, https),
        None if accounts.had_cookie => {
            let mut cookie = cookies::session(String::new(), https);
            cookie.make_removal();
            cookie
        }
        None => return,
    };
    let _ = response.add_cookie(&cookie);
}

/// The accounts this browser is signed in to.
pub async fn browser_accounts(req: &HttpRequest, services: &Services) -> Result<BrowserAccounts, StoreError> {
    let https = services.settings.issuer_is_https();
    let cookie = cookies::read(req, cookies::SESSION, https);
    let max = services.settings.session.max_accounts_per_browser;
    BrowserAccounts::load(&services.sessions(), max, cookie.as_deref()).await
}

/// The client address, for rate limits, throttling, audit and the account
/// page: the socket peer, or behind a trusted proxy the address it forwards.
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let trusted = req
        .app_data::<actix_web::web::Data<Services>>()
        .map(|s| s.settings.http.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    forwarded_client(peer, &forwarded.join(","), trusted).to_string()
}

/// Walks `X-Forwarded-For` from the nearest hop while it is a trusted proxy;
/// the first address that is not is the client. Anything unparsable stops
/// the walk at the last trusted hop (a client cannot forge its way past it).
fn forwarded_client(peer: IpAddr, forwarded_for: &str, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(&client) {
        return client;
    }
    for hop in forwarded_for.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        match hop.parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

pub fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = [ip("10.0.0.2"), ip("10.0.0.3")];
        // No trusted proxy: the peer, whatever the header says.
        assert_eq!(
            forwarded_client(ip("203.0.113.9"), "198.51.100.1", &proxies),
            ip("203.0.113.9")
        );
        // Through one proxy.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "198.51.100.1", &proxies),
            ip("198.51.100.1")
        );
        // A client prepending a fake hop does not get past the real one.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "1.2.3.4, 198.51.100.1, 10.0.0.3", &proxies),
            ip("198.51.100.1")
        );
        // Garbage stops the walk at the proxy.
        assert_eq!(forwarded_client(ip("10.0.0.2"), "nonsense", &proxies), ip("10.0.0.2"));
    }
}
