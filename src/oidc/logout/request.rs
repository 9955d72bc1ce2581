//! RP-Initiated Logout 1.0 §2–3: validating a logout request. Any error is
//! shown to the person; nothing here may redirect to an unregistered URI.

use crate::domain::{Client, ClientId, RedirectUri};
use crate::error::ProtocolError;
use crate::keys::KeyRing;
use crate::oidc::id_token_hint;
pub use crate::oidc::id_token_hint::IdTokenHint;
use crate::oidc::params::Params;
use crate::session::{BrowserAccounts, LiveSession};
use crate::store::ClientRepository;

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

/// What a logout request is checked against.
pub struct LogoutCheck<'a> {
    pub clients: &'a dyn ClientRepository,
    pub keys: &'a KeyRing,
    pub issuer: &'a str,
}

/// §2: a hint is an ID token we issued, accepted even when expired.
pub async fn validate(check: &LogoutCheck<'_>, params: &Params) -> Result<LogoutRequest, ProtocolError> {
    params.reject_repeated()?;
    let hint = params
        .get("id_token_hint")
        .map(|h| id_token_hint::verify(check.keys, check.issuer, h))
        .transpose()
        .map_err(|e| ProtocolError::invalid_request(e.to_string()))?;
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
            Some(check.clients.find_client(&id).await?.ok_or_else(unknown)?)
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

/// What a valid logout request asks of this browser.
#[derive(Debug)]
pub enum Decision {
    /// Nobody the request names is signed in here: done already.
    NobodySignedIn,
    /// The person must confirm: nothing proves the app asked (a forged
    /// request would be logout CSRF).
    Confirm(LiveSession),
    /// A valid hint for this session proves the app asked: sign out now.
    SignOut(LiveSession),
}

/// Which session the app means (the hint's user, else the account in use)
/// and whether the request is trusted: a hint whose `sid`, when it has one,
/// is one of that session's apps.
pub fn decide(logout: &LogoutRequest, accounts: &BrowserAccounts) -> Decision {
    let target = match &logout.hint {
        Some(hint) => accounts.iter().find(|l| l.session.user_id == hint.subject).cloned(),
        None => accounts.current().cloned(),
    };
    let Some(target) = target else {
        return Decision::NobodySignedIn;
    };
    let trusted = logout.hint.as_ref().is_some_and(|hint| {
        hint.sid
            .as_ref()
            .is_none_or(|sid| target.session.clients.iter().any(|c| &c.sid == sid))
    });
    if trusted {
        Decision::SignOut(target)
    } else {
        Decision::Confirm(target)
    }
}
