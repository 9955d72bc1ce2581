//! What Sesame's messages say, in the language of the request that caused
//! them (the catalogue's `mail-*` messages), laid out by one askama pair
//! (`templates/mail/message.txt` and `.html`) and naming the operator's
//! service (the issuer's host). A message never holds a password.

use askama::Template;

use super::{Body, Message};
use crate::ui::{t, t_args, t_with, t_with2};

/// One message: a greeting, paragraphs around an optional link, and the
/// service's name as signature. Both renderings come from it.
struct Letter {
    subject: String,
    greeting: String,
    before: Vec<String>,
    /// `(label, url)`: a button in HTML, the bare URL in plain text.
    link: Option<(String, String)>,
    after: Vec<String>,
    service: String,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct PlainText<'a> {
    mail: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    mail: &'a Letter,
}

impl Letter {
    fn into_message(self, to: &str, kind: &'static str) -> Message {
        // The templates take only strings: rendering cannot fail.
        let body = Body {
            text: PlainText { mail: &self }.render().unwrap_or_default(),
            html: Html { mail: &self }.render().unwrap_or_default(),
        };
        Message {
            to: to.to_string(),
            kind,
            subject: self.subject,
            body,
        }
    }
}

fn hello(name: &str) -> String {
    t_with("mail-hello", "name", name)
}

/// The link to set a new password, valid for `minutes`.
pub fn password_reset(to: &str, name: &str, service: &str, link: &str, minutes: u64) -> Message {
    Letter {
        subject: t_with("mail-reset-subject", "service", service),
        greeting: hello(name),
        before: vec![t_with2("mail-reset-intro", "service", service, "minutes", minutes)],
        link: Some((t("mail-reset-button"), link.to_string())),
        after: vec![t("mail-reset-outro")],
        service: service.to_string(),
    }
    .into_message(to, "password_reset")
}

/// How a password was changed, as a notice says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordChange {
    ResetLink,
    AccountPage,
}

/// A notice that the password changed, and through what.
pub fn password_changed(to: &str, name: &str, service: &str, how: PasswordChange) -> Message {
    let how = t(match how {
        PasswordChange::ResetLink => "mail-changed-by-link",
        PasswordChange::AccountPage => "mail-changed-on-account-page",
    });
    Letter {
        subject: t_with("mail-password-changed-subject", "service", service),
        greeting: hello(name),
        before: vec![t_with2("mail-password-changed", "service", service, "how", how)],
        link: None,
        after: vec![t_with("mail-password-changed-outro", "service", service)],
        service: service.to_string(),
    }
    .into_message(to, "password_changed")
}

/// The link that proves `to` is the person's address.
pub fn verify_email(to: &str, name: &str, service: &str, link: &str, minutes: u64) -> Message {
    let intro = t_args(
        "mail-verify-intro",
        &[("address", &to), ("service", &service), ("minutes", &minutes)],
    );
    Letter {
        subject: t_with("mail-verify-subject", "service", service),
        greeting: hello(name),
        before: vec![intro],
        link: Some((t("mail-verify-button"), link.to_string())),
        after: vec![t("mail-verify-outro")],
        service: service.to_string(),
    }
    .into_message(to, "verify_email")
}

/// A notice to the current address that a change to another was asked for.
pub fn email_change_requested(to: &str, name: &str, service: &str) -> Message {
    Letter {
        subject: t_with("mail-email-change-subject", "service", service),
        greeting: hello(name),
        before: vec![t_with("mail-email-change", "service", service)],
        link: None,
        after: vec![t("mail-email-change-outro")],
        service: service.to_string(),
    }
    .into_message(to, "email_change_requested")
}

/// An operator's invitation, valid for `days`.
pub fn invitation(to: &str, service: &str, link: &str, days: u64) -> Message {
    Letter {
        subject: t_with("mail-invitation-subject", "service", service),
        greeting: t("mail-hello-anyone"),
        before: vec![t_with2("mail-invitation", "service", service, "days", days)],
        link: Some((t("mail-invitation-button"), link.to_string())),
        after: vec![t("mail-invitation-outro")],
        service: service.to_string(),
    }
    .into_message(to, "invitation")
}

/// To an address that has an account when someone signs up with it.
pub fn account_exists(to: &str, service: &str) -> Message {
    Letter {
        subject: t_with("mail-account-exists-subject", "service", service),
        greeting: t("mail-hello-anyone"),
        before: vec![t_with("mail-account-exists", "service", service)],
        link: None,
        after: vec![t("mail-account-exists-outro")],
        service: service.to_string(),
    }
    .into_message(to, "account_exists")
}

/// A security notice: the change (a message id naming it), with `detail`.
pub fn account_changed(to: &str, name: &str, service: &str, kind: &'static str, change: &str, detail: &str) -> Message {
    let change = t(change);
    Letter {
        subject: t_with2("mail-account-changed-subject", "change", &change, "service", service),
        greeting: hello(name),
        before: vec![t_args(
            "mail-account-changed",
            &[("change", &change), ("service", &service), ("detail", &detail)],
        )],
        link: None,
        after: vec![t_with("mail-account-changed-outro", "service", service)],
        service: service.to_string(),
    }
    .into_message(to, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_mail_carries_the_link_in_both_renderings_and_escapes_html() {
        let message = password_reset(
            "a@example.com",
            "<Alice>",
            "id.example",
            "https://id.example/login/reset?token=abc",
            30,
        );
        assert!(message.body.text.contains("https://id.example/login/reset?token=abc"));
        assert!(message.body.text.contains("<Alice>"), "plain text is not escaped");
        assert!(
            message
                .body
                .html
                .contains("href=\"https://id.example/login/reset?token=abc\"")
        );
        assert!(!message.body.html.contains("<Alice>"), "{}", message.body.html);
        assert!(message.body.text.contains("30 minutes"));
        assert_eq!(message.subject, "Set a new password for id.example");
    }

    #[test]
    fn a_german_request_gets_german_mail() {
        let german = crate::ui::Voice::new(crate::ui::Look::built_in(), "de".parse().expect("tag"));
        let message = german.speak_now(|| invitation("a@example.com", "id.example", "https://id.example/i", 7));
        assert!(message.subject.contains("eingeladen"), "{}", message.subject);
        assert!(message.body.html.contains("lang=\"de\""), "{}", message.body.html);
        assert!(message.body.text.contains("7 Tage"), "{}", message.body.text);
    }
}
