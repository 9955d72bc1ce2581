//! Groups of people: a name apps read in the `groups` claim and match on,
//! and that can restrict an app to its members.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A group's name: 1 to 64 characters, letters, digits and `. _ - : /`, so
/// it reads the same in a claim, a URL and a shell.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);

impl TryFrom<String> for GroupName {
    type Error = InvalidGroupName;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        GroupName::parse(&name)
    }
}

impl From<GroupName> for String {
    fn from(name: GroupName) -> String {
        name.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidGroupName {
    #[error("a group name has 1 to 64 characters")]
    Length,
    #[error("a group name may hold letters, digits and . _ - : /")]
    Characters,
}

impl GroupName {
    pub fn parse(name: &str) -> Result<GroupName, InvalidGroupName> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(InvalidGroupName::Length);
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
        {
            return Err(InvalidGroupName::Characters);
        }
        Ok(GroupName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for GroupName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: Uuid,
    pub name: GroupName,
    pub created_at: i64,
    /// How many people are in it (when listed).
    pub members: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_read_the_same_everywhere() {
        for good in ["staff", "eng/backend", "team:ops", "a.b_c-d", "Ärzte"] {
            assert_eq!(GroupName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(GroupName::parse("").unwrap_err(), InvalidGroupName::Length);
        assert_eq!(GroupName::parse(&"x".repeat(65)).unwrap_err(), InvalidGroupName::Length);
        for bad in ["two words", "a,b", "<b>", "semi;colon"] {
            assert_eq!(
                GroupName::parse(bad).unwrap_err(),
                InvalidGroupName::Characters,
                "{bad}"
            );
        }
    }
}
