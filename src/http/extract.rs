//! What handlers read from a request, in one place: form parameters, the
//! bearer token and the Authorization header, the client's address and its
//! user agent. (The session cookie is `cookies`.)

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ProtocolError;
use crate::oidc::params::Params;
use crate::startup::Services;

/// The parameters of an `application/x-www-form-urlencoded` body; any other
/// content type is `invalid_request` (RFC 6749 §3.2, OIDC Core 3.1.2.1).
pub fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, ProtocolError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ProtocolError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = std::str::from_utf8(body).map_err(|_| ProtocolError::invalid_request("the body is not UTF-8"))?;
    Params::parse(body)
}

/// The `Authorization` header, when it is text.
pub fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The bearer token of the `Authorization` header: `Ok(None)` without the
/// header, `Err(())` when it holds anything but `Bearer <token>`.
#[allow(clippy::result_unit_err)]
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ()> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    match value.to_str().unwrap_or("").split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(()),
    }
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
