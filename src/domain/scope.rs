use std::fmt;

/// The scope catalogue: every scope Sesame grants, whether it speaks of a
/// person, and what people are told it allows (on the consent page). One
/// table, read by discovery, client registration, the grants and the pages.
pub struct ScopeInfo {
    pub name: &'static str,
    /// Meaningless without a person (refused in `client_credentials`).
    pub about_a_person: bool,
    /// The message (`templates/locales`) telling people what it allows.
    pub description: &'static str,
}

pub const CATALOGUE: &[ScopeInfo] = &[
    ScopeInfo {
        name: "openid",
        about_a_person: true,
        description: "scope-openid",
    },
    ScopeInfo {
        name: "profile",
        about_a_person: true,
        description: "scope-profile",
    },
    ScopeInfo {
        name: "email",
        about_a_person: true,
        description: "scope-email",
    },
    ScopeInfo {
        name: "groups",
        about_a_person: true,
        description: "scope-groups",
    },
    ScopeInfo {
        name: "offline_access",
        about_a_person: true,
        description: "scope-offline-access",
    },
];

/// The names of every scope in the catalogue, in its order.
pub fn supported() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|s| s.name)
}

/// Whether `scope` speaks of a person (an unknown scope does not).
pub fn is_about_a_person(scope: &str) -> bool {
    CATALOGUE.iter().any(|s| s.name == scope && s.about_a_person)
}

/// The message telling a person what `scope` allows.
pub fn description(scope: &str) -> &'static str {
    CATALOGUE
        .iter()
        .find(|s| s.name == scope)
        .map_or("scope-other", |s| s.description)
}

/// A scope token with characters RFC 6749 §3.3 does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scope {0:?} has characters RFC 6749 §3.3 does not allow")]
pub struct InvalidScope(pub String);

/// A set of scope tokens (RFC 6749 §3.3): space-delimited, each made of
/// NQCHAR (%x21 / %x23-5B / %x5D-7E), kept in the order first given, no
/// duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub fn parse(input: &str) -> Result<Scopes, InvalidScope> {
        let mut scopes = Vec::new();
        for token in input.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .chars()
                .all(|c| c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c));
            if !valid {
                return Err(InvalidScope(token.to_string()));
            }
            if !scopes.iter().any(|s| s == token) {
                scopes.push(token.to_string());
            }
        }
        Ok(Scopes(scopes))
    }

    pub fn from_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Scopes {
        let mut scopes = Scopes::default();
        for item in items {
            let item = item.into();
            if !scopes.contains(&item) {
                scopes.0.push(item);
            }
        }
        scopes
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// The scopes of `self` that `allowed` also has.
    pub fn intersect(&self, allowed: &Scopes) -> Scopes {
        Scopes(self.0.iter().filter(|s| allowed.contains(s)).cloned().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dedups_and_intersects() {
        let s = Scopes::parse("openid  profile openid email").unwrap();
        assert_eq!(s.to_string(), "openid profile email");
        let allowed = Scopes::parse("openid email").unwrap();
        assert_eq!(s.intersect(&allowed).to_string(), "openid email");
    }

    #[test]
    fn refuses_quotes_and_backslashes() {
        assert!(Scopes::parse("open\"id").is_err());
        assert!(Scopes::parse("a\\b").is_err());
    }
}
