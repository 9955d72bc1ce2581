//! RP-Initiated Logout 1.0 §2–3: validating a logout request. Any error is
//! shown to the person; nothing here may redirect to an unregistered URI.

use uuid::Uuid;

use crate::domain::{Client, ClientId, RedirectUri};
use crate::error::ProtocolError;
use crate::oidc::params::Params;
use crate::services::Services;

/// What a valid `id_token_hint` says.
#[derive(Clone, Debug)]
pub struct IdTokenHint {
    pub subject: Uuid,
    pub sid: Option<String>,
    pub audiences: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct LogoutRequest {
    pub client: Option<Client>,
    /// A registered `post_logout_redirect_uri`, exactly as registered.
    pub redirect: Option<RedirectUri>,
    pub state: Option<String>,
    pub hint: Option<IdTokenHint>,
}

impl LogoutRequest {
    /// RP-Initiated Logout 1.0 §3: the OP MUST NOT redirect to the
    /// post_logout_redirect_uri unless it can confirm that the request came
    /// from the client: a valid `id_token_hint` issued to it does. Without
    /// one, the target is only offered as a link, so that Sesame is no
    /// zero-click redirector for whoever can register a client.
    pub fn may_redirect(&self) -> bool {
        self.hint.is_some() && self.client.is_some()
    }

    /// Where the browser goes when done: the registered URI with `state`.
    pub fn redirect_target(&self) -> Option<String> {
        let redirect = self.redirect.as_ref()?;
        Some(match &self.state {
            Some(state) => redirect.with_query(&[("state", state)]),
            None => redirect.as_str().to_string(),
        })
    }
}

fn invalid(description: &'static str) -> ProtocolError {
    ProtocolError::invalid_request(description)
}

/// §2: the hint is an ID token we issued; it is accepted even when expired, as
/// long as it is signed by a key we still publish.
pub fn parse_hint(services: &Services, hint: &str) -> Result<IdTokenHint, ProtocolError> {
    let payload = services
        .keys
        .verify(hint)
        .ok_or_else(|| invalid("id_token_hint is not an ID token issued here"))?;
    if payload.issuer() != Some(services.settings.issuer.as_str()) {
        return Err(invalid("id_token_hint was issued by another server"));
    }
    let subject = payload
        .subject()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("id_token_hint has no valid subject"))?;
    let sid = payload.claim("sid").and_then(|v| v.as_str()).map(str::to_string);
    let audiences = payload
        .audience()
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    Ok(IdTokenHint {
        subject,
        sid,
        audiences,
    })
}

pub async fn validate(services: &Services, params: &Params) -> Result<LogoutRequest, ProtocolError> {
    params.reject_repeated()?;
    let hint = params
        .get("id_token_hint")
        .map(|h| parse_hint(services, h))
        .transpose()?;
    // The client: named by client_id, or the hint's audience.
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if !hint.audiences.iter().any(|a| a == id) => {
            return Err(invalid("client_id is not an audience of id_token_hint"));
        }
        (Some(id), _) => Some(id.to_string()),
        (None, Some(hint)) if hint.audiences.len() == 1 => Some(hint.audiences[0].clone()),
        (None, _) => None,
    };
    let unknown = || invalid("the application (client_id) is not registered here");
    let client = match client_id {
        Some(id) => {
            let id = ClientId::parse(&id).map_err(|_| unknown())?;
            Some(services.clients.find_client(id.as_str()).await?.ok_or_else(unknown)?)
        }
        None => None,
    };
    // §3: the OP MUST NOT redirect to a post_logout_redirect_uri that is not
    // registered for the client, exactly.
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = client
                .as_ref()
                .ok_or_else(|| invalid("post_logout_redirect_uri needs client_id or id_token_hint"))?;
            Some(
                client
                    .registered_post_logout_uri(uri)
                    .cloned()
                    .ok_or_else(|| invalid("post_logout_redirect_uri is not registered for this application"))?,
            )
        }
    };
    let state = params.get("state").map(|s| s.chars().take(2048).collect());
    Ok(LogoutRequest {
        client,
        redirect,
        state,
        hint,
    })
}
