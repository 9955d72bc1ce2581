//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core 3.1.2). The request
//! is validated by the pipeline in [`validate`]; until the client and its
//! redirect URI are established an error can only be shown as a page
//! ([`AuthorizeError::Page`]), and only afterwards may it be sent back to the
//! client ([`AuthorizeError::Redirect`]).

mod answer;
mod checks;
mod consent;
mod parked;
pub mod policy;

use serde::{Deserialize, Serialize};

pub use self::answer::{Interaction, Outcome, issue_code, proceed};
pub use self::parked::{Parked, ParkedRequest, Parking};
use crate::clock::Clock;
use crate::config::MfaSettings;
use crate::domain::{ClientId, CodeChallenge, Level, RedirectUri, Scopes};
use crate::error::ProtocolError;
use crate::keys::KeyRing;
use crate::oidc::logout::fanout::Fanout;
use crate::oidc::params::Params;
use crate::store::records::Codes;
use crate::store::{ClientRepository, ConsentRepository, UserRepository};

/// What validating and answering authorization requests touches.
pub struct Authorizer<'a> {
    pub clients: &'a dyn ClientRepository,
    pub users: &'a dyn UserRepository,
    pub consents: &'a dyn ConsentRepository,
    /// For `id_token_hint`.
    pub keys: &'a KeyRing,
    pub issuer: &'a str,
    pub parking: Parking<'a>,
    pub codes: Codes<'a>,
    /// Ends the sessions of accounts no longer active; its sessions join apps.
    pub fanout: Fanout<'a>,
    pub clock: &'a dyn Clock,
    /// `tokens.code_ttl_secs`.
    pub code_ttl_secs: u64,
    /// Who must present a second factor.
    pub mfa: &'a MfaSettings,
    /// `account.require_verified_email`: every app gets codes only for
    /// confirmed addresses.
    pub require_verified_email: bool,
    /// Who is in which group (for apps restricted to some).
    pub groups: &'a dyn crate::store::GroupRepository,
}

impl Authorizer<'_> {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// How the response parameters travel back (OAuth 2.0 Multiple Response Type
/// Encoding Practices; Form Post Response Mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// Where and how to answer the client, once its redirect URI is validated.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseTarget {
    pub redirect_uri: RedirectUri,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// A request that passed every check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub client_name: String,
    pub client_first_party: bool,
    pub target: ResponseTarget,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// `idp_hint` (or Keycloak's `kc_idp_hint`): the upstream provider the
    /// app wants the person to sign in with, skipping the choice.
    #[serde(default)]
    pub idp_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`: the user the app expects.
    pub id_token_hint_subject: Option<uuid::Uuid>,
    /// RFC 8707: the resource the access tokens are to be for.
    #[serde(default)]
    pub resource: Option<String>,
    /// The level `acr_values` asks for.
    #[serde(default)]
    pub acr: Option<Level>,
    /// The app requires two factors of everyone signing in to it.
    #[serde(default)]
    pub client_requires_second_factor: bool,
    /// The app gets codes only for people whose address is confirmed.
    #[serde(default)]
    pub client_requires_verified_email: bool,
    /// The app admits only members of one of these groups (none: anyone).
    #[serde(default)]
    pub client_access_groups: Vec<crate::domain::GroupName>,
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI could not be established: RFC 6749 §4.1.2.1
    /// says inform the user and MUST NOT redirect.
    Page(ProtocolError),
    /// Sent to the client's validated redirect URI.
    Redirect(ResponseTarget, ProtocolError),
}

impl From<crate::store::StoreError> for AuthorizeError {
    fn from(e: crate::store::StoreError) -> Self {
        AuthorizeError::Page(e.into())
    }
}

/// The pipeline: each step is one check in `checks`, in the order the specs
/// need (the redirect target first, so later errors can be redirected).
pub async fn validate(authorizer: &Authorizer<'_>, params: &Params) -> Result<AuthorizationRequest, AuthorizeError> {
    let client = checks::known_client(authorizer.clients, params)
        .await
        .map_err(AuthorizeError::Page)?;
    let target = checks::response_target(&client, params).map_err(AuthorizeError::Page)?;
    let at_client = |error: ProtocolError| AuthorizeError::Redirect(target.clone(), error);

    checks::no_request_objects(params).map_err(at_client)?;
    params.reject_repeated().map_err(at_client)?;
    checks::response_type_is_code(params).map_err(at_client)?;
    let scopes = checks::scopes(&client, params).map_err(at_client)?;
    let code_challenge = checks::pkce(&client, params).map_err(at_client)?;
    let nonce = checks::bounded(params, "nonce", checks::MAX_NONCE_BYTES).map_err(at_client)?;
    let prompt = checks::prompt(params).map_err(at_client)?;
    let max_age = checks::max_age(params).map_err(at_client)?;
    let acr = checks::acr_values(params).map_err(at_client)?;
    let login_hint = checks::bounded(params, "login_hint", checks::MAX_LOGIN_HINT_BYTES).map_err(at_client)?;
    let idp_hint = match checks::bounded(params, "idp_hint", checks::MAX_IDP_HINT_BYTES).map_err(at_client)? {
        Some(hint) => Some(hint),
        None => checks::bounded(params, "kc_idp_hint", checks::MAX_IDP_HINT_BYTES).map_err(at_client)?,
    };
    let id_token_hint_subject = checks::id_token_hint(authorizer.keys, authorizer.issuer, params).map_err(at_client)?;
    let resource = crate::oidc::resource::requested(params)
        .and_then(|requested| crate::oidc::resource::check(&client, requested.as_deref(), None))
        .map_err(at_client)?;

    Ok(AuthorizationRequest {
        client_id: client.client_id,
        client_name: client.name,
        client_first_party: client.first_party,
        client_requires_second_factor: client.require_second_factor,
        client_requires_verified_email: client.require_verified_email,
        client_access_groups: client.access_groups,
        acr,
        target,
        scopes,
        nonce,
        code_challenge,
        prompt,
        max_age,
        login_hint,
        idp_hint,
        id_token_hint_subject,
        resource,
    })
}
