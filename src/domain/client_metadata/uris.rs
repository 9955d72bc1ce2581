//! Redirect URIs, the app's other URIs, and contacts.

use super::{HttpUris, MetadataError, invalid};
use crate::domain::{ApplicationType, RedirectUri, is_loopback_ip_host};

pub(super) const MAX_URI_LEN: usize = 2000;
const MAX_CONTACTS: usize = 10;

/// A redirect (or post-logout redirect) URI for this kind of app.
pub(super) fn redirect_uri(http_uris: HttpUris, app: ApplicationType, input: &str) -> Result<RedirectUri, String> {
    if input.len() > MAX_URI_LEN {
        return Err(format!("a URI has at most {MAX_URI_LEN} characters"));
    }
    let uri = RedirectUri::parse(input).map_err(|e| e.to_string())?;
    let url = url::Url::parse(input).map_err(|e| format!("{input:?}: {e}"))?;
    let scheme = url.scheme();
    match (app, scheme) {
        (_, "https") => Ok(uri),
        (_, "http") if http_allowed(http_uris, &url) => Ok(uri),
        // RFC 8252 §7.3: loopback IP literals (any port, chosen at run time).
        (ApplicationType::Native, "http") if is_loopback_ip_host(&url) => Ok(uri),
        (ApplicationType::Native, "http") => Err(format!(
            "{input:?}: a native app uses https, http://127.0.0.1 or http://[::1] (RFC 8252 §7.3, §8.3)"
        )),
        (ApplicationType::Web, "http") => Err(format!("{input:?}: web apps use https redirect URIs")),
        // RFC 8252 §7.1: a private-use scheme in reverse domain name form.
        (ApplicationType::Native, _) if scheme.contains('.') => Ok(uri),
        (ApplicationType::Native, _) => Err(format!(
            "{input:?}: a private-use scheme is a reverse domain name, like com.example.app:/callback (RFC 8252 §7.1)"
        )),
        (ApplicationType::Web, _) => Err(format!(
            "{input:?}: web apps use https; a custom scheme is for native apps (application_type native)"
        )),
    }
}

fn http_allowed(http_uris: HttpUris, url: &url::Url) -> bool {
    match http_uris {
        HttpUris::None => false,
        HttpUris::Loopback => is_loopback_ip_host(url) || url.host_str() == Some("localhost"),
        HttpUris::Any => true,
    }
}

/// An absolute https URI (http by configuration) without fragment, when given.
pub(super) fn optional_web_uri(
    http_uris: HttpUris,
    field: &'static str,
    input: &Option<String>,
) -> Result<Option<String>, MetadataError> {
    let Some(input) = input.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if input.len() > MAX_URI_LEN {
        return Err(invalid(field, format!("a URI has at most {MAX_URI_LEN} characters")));
    }
    if input.chars().any(char::is_control) {
        return Err(invalid(field, format!("{input:?} contains control characters")));
    }
    let url = url::Url::parse(input).map_err(|e| invalid(field, format!("{input:?} is not an absolute URI: {e}")))?;
    if url.fragment().is_some() || input.contains('#') {
        return Err(invalid(field, format!("{input:?} must not contain a fragment")));
    }
    match url.scheme() {
        "https" => Ok(Some(input.to_string())),
        "http" if http_allowed(http_uris, &url) => Ok(Some(input.to_string())),
        _ => Err(invalid(field, format!("{input:?} must be an https URI"))),
    }
}

pub(super) fn contacts(contacts: &[String]) -> Result<Vec<String>, MetadataError> {
    if contacts.len() > MAX_CONTACTS {
        return Err(invalid("contacts", format!("at most {MAX_CONTACTS} contacts")));
    }
    contacts
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| {
            let well_formed = c.len() <= 254
                && !c.chars().any(|ch| ch.is_whitespace() || ch.is_control())
                && matches!(c.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.'));
            if well_formed {
                Ok(c.to_string())
            } else {
                Err(invalid("contacts", format!("{c:?} is not an email address")))
            }
        })
        .collect()
}
