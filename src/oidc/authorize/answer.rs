//! After validation: pick the session that answers (or the page the person
//! must see first), ask for consent when needed, and issue the code.

use super::policy::{self, Account, Choice, Stage};
use super::{AuthorizationRequest, ResponseTarget};
use crate::error::{ErrorCode, InternalError, ProtocolError};
use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use super::Authorizer;
use crate::auth::sign_in::{Demands, required_level};
use crate::domain::{CodeGrant, Level, StoredGrant, User};
use crate::session::{BrowserAccounts, LiveSession};
use crate::store::StoreError;

/// A page of ours the person must go through, for a parked request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    Login,
    ChooseAccount,
    /// The session's authentication is weaker than the request needs: a
    /// second factor on top of it (step-up), or setting one up.
    SecondFactor,
    /// The app (or the site) needs a confirmed email address the account
    /// does not have yet.
    VerifyEmail,
    Consent,
    /// The app admits only members of groups the person is not in.
    NoAccess,
}

#[derive(Debug)]
pub enum Outcome {
    /// Send the browser to this page with the parked request's id.
    Interact(Interaction, String),
    /// Send the code to the app.
    Code(ResponseTarget, String),
    /// Send an error to the app.
    Error(ResponseTarget, ProtocolError),
    /// The parked request was answered already (a form sent twice, say):
    /// nothing more goes to the app.
    Answered,
}

pub async fn proceed(
    authorizer: &Authorizer<'_>,
    request: &AuthorizationRequest,
    parked_id: Option<&str>,
    accounts: &mut BrowserAccounts,
    stage: Stage,
) -> Result<Outcome, InternalError> {
    let interact = |interaction| {
        let id = match parked_id {
            Some(id) => id.to_string(),
            None => authorizer.parking.park(request)?,
        };
        Ok::<_, InternalError>(Outcome::Interact(interaction, id))
    };
    // The accounts as read here serve every check below: one read each.
    let active = end_inactive_sessions(authorizer, accounts).await?;
    let summary: Vec<Account> = accounts
        .iter()
        .map(|l| Account {
            user_id: l.session.user_id,
            auth_time: l.session.auth_time,
        })
        .collect();
    let handle = match policy::choose(request, &summary, authorizer.now(), stage) {
        Choice::Use(index) => accounts.iter().nth(index).map(|l| l.handle.clone()),
        Choice::Login => return interact(Interaction::Login),
        Choice::Choose => return interact(Interaction::ChooseAccount),
        Choice::Fail(error) => {
            return answer(authorizer, parked_id, Outcome::Error(request.target.clone(), error)).await;
        }
    };
    if let Some(handle) = handle {
        accounts.promote(&handle);
    }
    let Some(mut live) = accounts.current().cloned() else {
        return interact(Interaction::Login);
    };
    if !admitted(authorizer, request, &live).await? {
        // Not a sign-in problem: the person is who they are, and the app
        // does not admit them. The page says so; the app hears access_denied.
        if request.prompt.none {
            let error = ProtocolError::new(ErrorCode::AccessDenied, "the account is not in a group this app admits");
            return answer(authorizer, parked_id, Outcome::Error(request.target.clone(), error)).await;
        }
        return interact(Interaction::NoAccess);
    }
    let user = active.get(&live.session.user_id);
    if needs_step_up(authorizer, request, &live, user) {
        // OIDC Core 3.1.2.1: prompt=none and a step that needs the person.
        if request.prompt.none {
            let error = ProtocolError::new(
                ErrorCode::InteractionRequired,
                "the request needs a stronger authentication than the session has",
            );
            return answer(authorizer, parked_id, Outcome::Error(request.target.clone(), error)).await;
        }
        return interact(Interaction::SecondFactor);
    }
    if needs_verified_email(authorizer, request, user) {
        if request.prompt.none {
            let error = ProtocolError::new(
                ErrorCode::InteractionRequired,
                "the application needs a confirmed email address",
            );
            return answer(authorizer, parked_id, Outcome::Error(request.target.clone(), error)).await;
        }
        return interact(Interaction::VerifyEmail);
    }
    if stage != Stage::Consented && needs_consent(authorizer, request, &live).await? {
        // OIDC Core 3.1.2.1: with prompt=none, consent_required instead of a page.
        if request.prompt.none {
            let error = ProtocolError::new(ErrorCode::ConsentRequired, "the user must approve this application");
            return answer(authorizer, parked_id, Outcome::Error(request.target.clone(), error)).await;
        }
        return interact(Interaction::Consent);
    }
    // Completed before the code exists: a request sent twice gets one code.
    if let Some(handle) = parked_id
        && !authorizer.parking.complete(handle).await?
    {
        return Ok(Outcome::Answered);
    }
    let code = issue_code(authorizer, request, &mut live).await?;
    Ok(Outcome::Code(request.target.clone(), code))
}

/// `outcome` for the app, unless the parked request it answers was
/// answered already.
async fn answer(
    authorizer: &Authorizer<'_>,
    parked_id: Option<&str>,
    outcome: Outcome,
) -> Result<Outcome, InternalError> {
    match parked_id {
        Some(handle) if !authorizer.parking.complete(handle).await? => Ok(Outcome::Answered),
        _ => Ok(outcome),
    }
}

/// A disabled or deleted account's session no longer answers: it is ended
/// before an account is chosen (so `prompt=none` gets `login_required`).
/// Disabling also ends the sessions (the logout fan-out), but the CLI beside
/// a server without Redis cannot reach them. Cached reads: no SQL here. The
/// accounts still active, by id.
async fn end_inactive_sessions(
    authorizer: &Authorizer<'_>,
    accounts: &mut BrowserAccounts,
) -> Result<HashMap<Uuid, User>, StoreError> {
    let mut active = HashMap::new();
    let mut inactive = Vec::new();
    for live in accounts.iter() {
        match authorizer.users.find_user(live.session.user_id).await? {
            Some(user) if !user.disabled => {
                active.insert(user.id, user);
            }
            _ => inactive.push(live.clone()),
        }
    }
    for live in inactive {
        authorizer.fanout.end_session(&live, "account no longer active").await?;
        accounts.remove(&live.handle);
    }
    Ok(active)
}

/// Whether the app admits the session's account: anyone, when it names no
/// groups; else members of one of them (one SQL read, only for such apps).
async fn admitted(
    authorizer: &Authorizer<'_>,
    request: &AuthorizationRequest,
    live: &LiveSession,
) -> Result<bool, StoreError> {
    if request.client_access_groups.is_empty() {
        return Ok(true);
    }
    let theirs = authorizer.groups.groups_of(live.session.user_id).await?;
    Ok(theirs.iter().any(|group| request.client_access_groups.contains(group)))
}

/// Whether the session's level is below what the request, the app, the
/// person's roles or the site require (`user`: the session's account).
fn needs_step_up(
    authorizer: &Authorizer<'_>,
    request: &AuthorizationRequest,
    live: &LiveSession,
    user: Option<&User>,
) -> bool {
    let Some(user) = user else {
        return false;
    };
    let demands = Demands {
        requested: request.acr,
        client_requires: request.client_requires_second_factor,
    };
    let required = required_level(authorizer.mfa, user, demands);
    Level::of_amr(&live.session.amr) < required
}

/// Whether the app, or the site, needs a confirmed address the account does
/// not have.
fn needs_verified_email(authorizer: &Authorizer<'_>, request: &AuthorizationRequest, user: Option<&User>) -> bool {
    if !(authorizer.require_verified_email || request.client_requires_verified_email) {
        return false;
    }
    !user.is_some_and(|u| u.email_verified && u.email.is_some())
}

async fn needs_consent(
    authorizer: &Authorizer<'_>,
    request: &AuthorizationRequest,
    live: &LiveSession,
) -> Result<bool, StoreError> {
    if request.prompt.consent {
        return Ok(true);
    }
    if request.client_first_party {
        return Ok(false);
    }
    let granted = authorizer
        .consents
        .granted_scopes(live.session.user_id, &request.client_id)
        .await?;
    Ok(!granted.is_some_and(|g| request.scopes.iter().all(|s| g.contains(s))))
}

/// Joins the app to the session and issues a code bound to both.
pub async fn issue_code(
    authorizer: &Authorizer<'_>,
    request: &AuthorizationRequest,
    live: &mut LiveSession,
) -> Result<String, StoreError> {
    let sid = authorizer.fanout.sessions.join_client(live, &request.client_id).await?;
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.target.redirect_uri.clone(),
        user_id: live.session.user_id,
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: live.session.auth_time,
        amr: live.session.amr.clone(),
        sid,
        session: live.handle.clone(),
        resource: request.resource.clone(),
    };
    let ttl = authorizer.code_ttl_secs;
    let stored = StoredGrant {
        grant,
        expires_at: authorizer.now() + ttl as i64,
    };
    authorizer.codes.issue(&stored, Duration::from_secs(ttl)).await
}
