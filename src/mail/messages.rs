//! What Sesame's messages say: one askama pair (plain text, HTML) per
//! message under `templates/mail/`, naming the operator's service (the
//! issuer's host). A message never holds a password.

use askama::Template;

use super::{Body, Message};

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    name: &'a str,
    service: &'a str,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    name: &'a str,
    service: &'a str,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/password_changed.txt")]
struct PasswordChangedText<'a> {
    name: &'a str,
    service: &'a str,
    how: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_changed.html")]
struct PasswordChangedHtml<'a> {
    name: &'a str,
    service: &'a str,
    how: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify_email.txt")]
struct VerifyEmailText<'a> {
    name: &'a str,
    service: &'a str,
    address: &'a str,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/verify_email.html")]
struct VerifyEmailHtml<'a> {
    name: &'a str,
    service: &'a str,
    address: &'a str,
    link: &'a str,
    minutes: u64,
}

#[derive(Template)]
#[template(path = "mail/email_change_requested.txt")]
struct EmailChangeText<'a> {
    name: &'a str,
    service: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change_requested.html")]
struct EmailChangeHtml<'a> {
    name: &'a str,
    service: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    service: &'a str,
    link: &'a str,
    days: u64,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    service: &'a str,
    link: &'a str,
    days: u64,
}

#[derive(Template)]
#[template(path = "mail/account_exists.txt")]
struct AccountExistsText<'a> {
    service: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_exists.html")]
struct AccountExistsHtml<'a> {
    service: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_changed.txt")]
struct AccountChangedText<'a> {
    name: &'a str,
    service: &'a str,
    change: &'a str,
    detail: &'a str,
}

#[derive(Template)]
#[template(path = "mail/account_changed.html")]
struct AccountChangedHtml<'a> {
    name: &'a str,
    service: &'a str,
    change: &'a str,
    detail: &'a str,
}

fn body(text: askama::Result<String>, html: askama::Result<String>) -> Body {
    // The templates take only strings and numbers: rendering cannot fail.
    Body {
        text: text.unwrap_or_default(),
        html: html.unwrap_or_default(),
    }
}

/// The link to set a new password, valid for `minutes`.
pub fn password_reset(to: &str, name: &str, service: &str, link: &str, minutes: u64) -> Message {
    Message {
        to: to.to_string(),
        kind: "password_reset",
        subject: format!("Set a new password for {service}"),
        body: body(
            PasswordResetText {
                name,
                service,
                link,
                minutes,
            }
            .render(),
            PasswordResetHtml {
                name,
                service,
                link,
                minutes,
            }
            .render(),
        ),
    }
}

/// A notice that the password changed; `how` says through what.
pub fn password_changed(to: &str, name: &str, service: &str, how: &str) -> Message {
    Message {
        to: to.to_string(),
        kind: "password_changed",
        subject: format!("Your {service} password was changed"),
        body: body(
            PasswordChangedText { name, service, how }.render(),
            PasswordChangedHtml { name, service, how }.render(),
        ),
    }
}

/// The link that proves `to` is the person's address.
pub fn verify_email(to: &str, name: &str, service: &str, link: &str, minutes: u64) -> Message {
    Message {
        to: to.to_string(),
        kind: "verify_email",
        subject: format!("Confirm your email address for {service}"),
        body: body(
            VerifyEmailText {
                name,
                service,
                address: to,
                link,
                minutes,
            }
            .render(),
            VerifyEmailHtml {
                name,
                service,
                address: to,
                link,
                minutes,
            }
            .render(),
        ),
    }
}

/// A notice to the current address that a change to another was asked for.
pub fn email_change_requested(to: &str, name: &str, service: &str) -> Message {
    Message {
        to: to.to_string(),
        kind: "email_change_requested",
        subject: format!("Your {service} email address is being changed"),
        body: body(
            EmailChangeText { name, service }.render(),
            EmailChangeHtml { name, service }.render(),
        ),
    }
}

/// An operator's invitation, valid for `days`.
pub fn invitation(to: &str, service: &str, link: &str, days: u64) -> Message {
    Message {
        to: to.to_string(),
        kind: "invitation",
        subject: format!("You are invited to {service}"),
        body: body(
            InvitationText { service, link, days }.render(),
            InvitationHtml { service, link, days }.render(),
        ),
    }
}

/// To an address that has an account when someone signs up with it.
pub fn account_exists(to: &str, service: &str) -> Message {
    Message {
        to: to.to_string(),
        kind: "account_exists",
        subject: format!("You already have a {service} account"),
        body: body(
            AccountExistsText { service }.render(),
            AccountExistsHtml { service }.render(),
        ),
    }
}

/// A security notice: `change` (a sentence) happened, with `detail`.
pub fn account_changed(to: &str, name: &str, service: &str, kind: &'static str, change: &str, detail: &str) -> Message {
    Message {
        to: to.to_string(),
        kind,
        subject: format!("{change} on your {service} account"),
        body: body(
            AccountChangedText {
                name,
                service,
                change,
                detail,
            }
            .render(),
            AccountChangedHtml {
                name,
                service,
                change,
                detail,
            }
            .render(),
        ),
    }
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
    }
}
