//! Which session answers an authorization request, or what the person must
//! do first (OIDC Core 3.1.2.1 `prompt`, `max_age`, `id_token_hint`; 3.1.2.3).
//! Pure: the inputs are the request, the accounts on the browser and the time.

use uuid::Uuid;

use super::AuthorizationRequest;
use crate::error::{ErrorCode, ProtocolError};

/// How far the person has come with this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Straight from the app.
    Start,
    /// Picked an account in the chooser (now the first account).
    Selected,
    /// Just signed in (the first account is the fresh session).
    Authenticated,
    /// Just approved the consent page.
    Consented,
}

/// An account signed in on the browser, as the policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct Account {
    pub user_id: Uuid,
    pub auth_time: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Choice {
    /// Answer with the account at this index.
    Use(usize),
    /// Show the login page.
    Login,
    /// Show the account chooser.
    Choose,
    /// Tell the app (`login_required` when no UI may be shown).
    Fail(ProtocolError),
}

fn login_required() -> ProtocolError {
    ProtocolError::new(ErrorCode::LoginRequired, "the user must sign in")
}

pub fn choose(request: &AuthorizationRequest, accounts: &[Account], now: i64, stage: Stage) -> Choice {
    let prompt = request.prompt;
    let matches_hint = |a: &Account| request.id_token_hint_subject.is_none_or(|sub| sub == a.user_id);
    let candidate = match stage {
        // OIDC Core 3.1.2.1: when the person the hint names is not the one
        // who signed in, the answer is an error, never a code for someone else.
        Stage::Authenticated => {
            return match accounts.first() {
                Some(account) if matches_hint(account) => Choice::Use(0),
                _ => Choice::Fail(login_required()),
            };
        }
        // The account just consented with is the answer.
        Stage::Consented => return Choice::Use(0),
        Stage::Selected => accounts.first().filter(|a| matches_hint(a)).map(|_| 0),
        Stage::Start => {
            // prompt=login re-authenticates even with a session; so does
            // max_age=0, which no earlier authentication can satisfy (OIDC
            // Core 3.1.2.1: "equivalent to prompt=login").
            if prompt.login || (request.max_age == Some(0) && !prompt.none) {
                return Choice::Login;
            }
            if prompt.select_account && !accounts.is_empty() {
                return Choice::Choose;
            }
            accounts.iter().position(matches_hint)
        }
    };
    let no_ui_allowed = prompt.none;
    let Some(index) = candidate else {
        return if no_ui_allowed {
            Choice::Fail(login_required())
        } else {
            Choice::Login
        };
    };
    // max_age: re-authenticate when the last authentication is older.
    if let Some(max_age) = request.max_age
        && (max_age == 0 || accounts[index].auth_time.saturating_add(max_age as i64) < now)
    {
        return if no_ui_allowed {
            Choice::Fail(login_required())
        } else {
            Choice::Login
        };
    }
    Choice::Use(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RedirectUri, Scopes};
    use crate::oidc::authorize::{Prompt, ResponseMode, ResponseTarget};

    fn request(prompt: Prompt, max_age: Option<u64>, hint: Option<Uuid>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: crate::domain::ClientId::parse("c").unwrap(),
            client_name: "C".into(),
            client_first_party: false,
            target: ResponseTarget {
                redirect_uri: RedirectUri::parse("https://app/cb").unwrap(),
                response_mode: ResponseMode::Query,
                state: None,
            },
            scopes: Scopes::parse("openid").unwrap(),
            nonce: None,
            code_challenge: None,
            prompt,
            max_age,
            login_hint: None,
            idp_hint: None,
            id_token_hint_subject: hint,
            resource: None,
            acr: None,
            client_requires_second_factor: false,
            client_requires_verified_email: false,
            client_access_groups: Vec::new(),
        }
    }

    const NOW: i64 = 1_000_000;
    fn account(user: u128, auth_time: i64) -> Account {
        Account {
            user_id: Uuid::from_u128(user),
            auth_time,
        }
    }

    #[test]
    fn a_session_answers_without_ui() {
        let r = request(Prompt::default(), None, None);
        assert_eq!(choose(&r, &[account(1, NOW - 10)], NOW, Stage::Start), Choice::Use(0));
        assert_eq!(choose(&r, &[], NOW, Stage::Start), Choice::Login);
    }

    #[test]
    fn prompt_none_never_shows_ui() {
        let none = Prompt {
            none: true,
            ..Prompt::default()
        };
        let r = request(none, None, None);
        assert!(matches!(choose(&r, &[], NOW, Stage::Start), Choice::Fail(e) if e.code == ErrorCode::LoginRequired));
        let old = request(none, Some(60), None);
        assert!(matches!(
            choose(&old, &[account(1, NOW - 61)], NOW, Stage::Start),
            Choice::Fail(_)
        ));
        assert_eq!(choose(&old, &[account(1, NOW - 60)], NOW, Stage::Start), Choice::Use(0));
    }

    #[test]
    fn prompt_login_and_max_age_force_authentication() {
        let login = request(
            Prompt {
                login: true,
                ..Prompt::default()
            },
            None,
            None,
        );
        assert_eq!(choose(&login, &[account(1, NOW)], NOW, Stage::Start), Choice::Login);
        assert_eq!(
            choose(&login, &[account(1, NOW)], NOW, Stage::Authenticated),
            Choice::Use(0)
        );
        let max_age = request(Prompt::default(), Some(0), None);
        assert_eq!(
            choose(&max_age, &[account(1, NOW - 1)], NOW, Stage::Start),
            Choice::Login
        );
        // Even a session authenticated this very second.
        assert_eq!(choose(&max_age, &[account(1, NOW)], NOW, Stage::Start), Choice::Login);
        assert_eq!(
            choose(&max_age, &[account(1, NOW)], NOW, Stage::Authenticated),
            Choice::Use(0)
        );
        let silent = request(
            Prompt {
                none: true,
                ..Prompt::default()
            },
            Some(0),
            None,
        );
        assert!(matches!(
            choose(&silent, &[account(1, NOW)], NOW, Stage::Start),
            Choice::Fail(e) if e.code == ErrorCode::LoginRequired
        ));
    }

    #[test]
    fn signing_in_as_someone_other_than_the_hint_is_an_error() {
        let r = request(Prompt::default(), None, Some(Uuid::from_u128(2)));
        assert!(matches!(
            choose(&r, &[account(1, NOW)], NOW, Stage::Authenticated),
            Choice::Fail(e) if e.code == ErrorCode::LoginRequired
        ));
        assert_eq!(
            choose(&r, &[account(2, NOW)], NOW, Stage::Authenticated),
            Choice::Use(0)
        );
    }

    #[test]
    fn select_account_shows_the_chooser_then_uses_the_choice() {
        let select = request(
            Prompt {
                select_account: true,
                ..Prompt::default()
            },
            None,
            None,
        );
        let accounts = [account(1, NOW), account(2, NOW)];
        assert_eq!(choose(&select, &accounts, NOW, Stage::Start), Choice::Choose);
        assert_eq!(choose(&select, &[], NOW, Stage::Start), Choice::Login);
        assert_eq!(choose(&select, &accounts, NOW, Stage::Selected), Choice::Use(0));
    }

    #[test]
    fn id_token_hint_picks_its_user_or_requires_login() {
        let hint = Some(Uuid::from_u128(2));
        let r = request(Prompt::default(), None, hint);
        assert_eq!(
            choose(&r, &[account(1, NOW), account(2, NOW)], NOW, Stage::Start),
            Choice::Use(1)
        );
        let none = request(
            Prompt {
                none: true,
                ..Prompt::default()
            },
            None,
            hint,
        );
        assert!(matches!(
            choose(&none, &[account(1, NOW)], NOW, Stage::Start),
            Choice::Fail(_)
        ));
    }
}
