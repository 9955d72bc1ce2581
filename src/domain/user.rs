use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::UnixTime;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub username: Username,
    pub email: Option<String>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub roles: Vec<Role>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl User {
    /// Admins hold every power a developer has.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }
}

/// What a person may do beyond signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Registers and manages their own clients on the developer portal.
    Developer,
    /// Sees and manages every client on the portal, and everything in the
    /// admin console.
    Admin,
    /// Reads the admin console (users, groups, the audit log); changes
    /// nothing.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "developer" => Some(Role::Developer),
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUsername {
    #[error("a username has 1 to 64 characters")]
    Length,
    #[error("a username may hold letters, digits and . _ - @")]
    Characters,
}

/// A login name: 1–64 characters of letters, digits and `. _ - @`, kept in
/// lower case so that `Alice` and `alice` are one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Username, InvalidUsername> {
        let name = input.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(InvalidUsername::Length);
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(InvalidUsername::Characters);
        }
        Ok(Username(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` can be an account's email address: one `@`, no spaces or
/// control characters, at most 254 bytes (RFC 5321's path limit).
pub fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `text` can be a display name: at most 200 characters, no
/// control characters.
pub fn is_display_name(text: &str) -> bool {
    text.chars().count() <= 200 && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_folded_and_trimmed() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
    }

    #[test]
    fn bad_usernames_are_refused() {
        for bad in ["", "a b", "x;drop", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_and_names() {
        assert!(is_email_address("alice@example.com"));
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "a@b@c",
            "a\u{0}@example.com",
        ] {
            assert!(!is_email_address(bad), "{bad:?}");
        }
        assert!(is_display_name("Alice Liddell") && is_display_name(""));
        assert!(!is_display_name("bell\u{7}") && !is_display_name(&"x".repeat(201)));
    }
}
