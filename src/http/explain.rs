//! What a page says when a use case refuses: each refusal named by a message
//! in the reader's language (the errors' own `Display` is for logs and the
//! CLI).

use crate::account::password_reset::ResetError;
use crate::account::profile::ProfileError;
use crate::account::signup::SignupError;
use crate::auth::webauthn::CeremonyError;
use crate::ui::{t, t_with};

pub fn profile(error: &ProfileError) -> String {
    t(match error {
        ProfileError::CurrentPasswordNeeded => "profile-current-needed-error",
        ProfileError::WrongPassword => "profile-current-wrong",
        ProfileError::WeakPassword => "password-weak",
        ProfileError::Mismatch => "password-mismatch",
        ProfileError::NotAnAddress => "email-invalid",
        ProfileError::BadName => "name-invalid",
        ProfileError::LinkDead => "profile-link-gone",
        ProfileError::PasswordInDirectory => "profile-password-in-directory",
        ProfileError::Internal(_) => "error-server",
    })
}

pub fn signup(error: &SignupError) -> String {
    t(match error {
        SignupError::Closed => "signup-not-available",
        SignupError::TooMany => "too-many-from-network",
        SignupError::InvalidUsername(_) => "username-invalid",
        SignupError::UsernameTaken => "username-taken",
        SignupError::NotAnAddress => "email-invalid",
        SignupError::BadName => "name-invalid",
        SignupError::WeakPassword => "password-weak",
        SignupError::Mismatch => "password-mismatch",
        SignupError::LinkDead => "signup-link-gone",
        SignupError::Internal(_) => "error-server",
    })
}

pub fn reset(error: &ResetError) -> String {
    match error {
        ResetError::LinkDead => t("reset-link-gone"),
        ResetError::WeakPassword => t("password-weak"),
        ResetError::Mismatch => t("password-mismatch"),
        ResetError::CodeNeeded => t("reset-code-needed"),
        ResetError::WrongCode => t("wrong-code"),
        ResetError::Throttled(secs) => t_with("too-many-codes", "wait", super::views::wait_words(*secs)),
        ResetError::KeyOnly => t("reset-key-only-short"),
        ResetError::Internal(_) => t("error-server"),
    }
}

pub fn ceremony(error: &CeremonyError) -> String {
    t(match error {
        CeremonyError::Unavailable => "webauthn-unavailable",
        CeremonyError::Expired => "webauthn-expired",
        CeremonyError::Rejected => "webauthn-rejected",
        CeremonyError::Duplicate => "webauthn-duplicate",
        CeremonyError::BadName => "key-name-invalid",
        CeremonyError::TooMany => "webauthn-too-many",
        CeremonyError::Library(_) | CeremonyError::Internal(_) => "webauthn-server",
    })
}
