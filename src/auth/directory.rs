//! Signing in with a directory password: which accounts the directory
//! decides for, and the local account an entry signs in to — found by the
//! entry's stable id (a link, like an upstream's subject), created at the
//! first sign-in, and brought up to date (name, address, directory groups)
//! at every one. A local account with the same name is never taken over.

use uuid::Uuid;

use crate::config::{DirectoryOrder, LdapSettings};
use crate::directory::{Bind, Directory, DirectoryEntry, DirectoryUnavailable};
use crate::domain::{
    AuditEvent, DIRECTORY_ISSUER, DIRECTORY_UPSTREAM, Group, GroupName, LinkedIdentity, User, Username,
};
use crate::store::{AuditLog, GroupRepository, LinkedIdentityRepository, StoreError, UserRepository};

/// What a directory sign-in touches beside the accounts.
pub struct DirectoryLogin<'a> {
    pub directory: &'a Directory,
    pub settings: &'a LdapSettings,
    pub links: &'a dyn LinkedIdentityRepository,
    pub groups: &'a dyn GroupRepository,
    pub audit: &'a dyn AuditLog,
}

/// A sign-in the directory decided, or could not.
#[derive(Debug)]
pub enum DirectorySignIn {
    SignedIn(User),
    Refused,
    /// The directory has no such name: a local account may answer.
    NoSuchEntry,
}

/// Who decides a sign-in with a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Decider {
    /// The local account's own password hash.
    Local,
    /// The directory.
    Directory,
}

/// The directory could not be asked: the sign-in is neither right nor
/// wrong (the person is told to try again, no failure is counted).
impl From<DirectoryUnavailable> for StoreError {
    fn from(e: DirectoryUnavailable) -> Self {
        StoreError::Unavailable(Box::new(e))
    }
}

/// Who decides for a local account with the name typed: the directory for
/// an account it made, and for every name when it is asked first; else the
/// account's own password, when it has one.
fn decide(made_by_directory: bool, order: DirectoryOrder, has_password: bool) -> Decider {
    match (made_by_directory, order, has_password) {
        (true, _, _) | (false, DirectoryOrder::DirectoryFirst, _) => Decider::Directory,
        (false, DirectoryOrder::LocalFirst, true) => Decider::Local,
        (false, DirectoryOrder::LocalFirst, false) => Decider::Directory,
    }
}

/// Whether the directory keeps this account's password (its entry made it).
pub async fn from_directory(links: &dyn LinkedIdentityRepository, user_id: Uuid) -> Result<bool, StoreError> {
    Ok(links
        .links_of(user_id)
        .await?
        .iter()
        .any(|l| l.issuer == DIRECTORY_ISSUER))
}

impl DirectoryLogin<'_> {
    /// Who decides for `local` (the account with the name typed, if any,
    /// and whether it has a password of its own). An account the directory
    /// made is always the directory's; in `directory_first` order every
    /// name is asked there first.
    pub async fn decider(&self, local: Option<(&User, bool)>) -> Result<Decider, StoreError> {
        let Some((user, has_password)) = local else {
            return Ok(Decider::Directory);
        };
        let made_by_directory = from_directory(self.links, user.id).await?;
        Ok(decide(made_by_directory, self.settings.order, has_password))
    }

    /// What the directory says of `username` and `password`: the local
    /// account they sign in to (refused when it is disabled here).
    pub async fn sign_in(
        &self,
        users: &dyn UserRepository,
        (username, password): (&str, &str),
        now: i64,
    ) -> Result<DirectorySignIn, StoreError> {
        let entry = match self.directory.authenticate(username, password).await? {
            Bind::Bound(entry) => entry,
            Bind::Refused => return Ok(DirectorySignIn::Refused),
            Bind::NoSuchEntry => return Ok(DirectorySignIn::NoSuchEntry),
        };
        let user = match self.links.find_link(DIRECTORY_ISSUER, &entry.id).await? {
            Some(link) => match users.find_user(link.user_id).await? {
                Some(user) => self.refresh(users, user, &entry, now).await?,
                None => return Ok(DirectorySignIn::Refused),
            },
            None => self.provision(users, &entry, username, now).await?,
        };
        if user.disabled {
            return Ok(DirectorySignIn::Refused);
        }
        sync_groups(self.groups, user.id, (&self.settings.group_prefix, &entry.groups), now).await?;
        Ok(DirectorySignIn::SignedIn(user))
    }

    /// A new local account for `entry`: its directory name, or another
    /// when a local account has it (that one is never the entry's).
    async fn provision(
        &self,
        users: &dyn UserRepository,
        entry: &DirectoryEntry,
        typed: &str,
        now: i64,
    ) -> Result<User, StoreError> {
        let wanted = entry.username.as_deref().unwrap_or(typed).trim().to_lowercase();
        let candidates = [
            wanted.clone(),
            format!("{wanted}-{DIRECTORY_UPSTREAM}"),
            format!("{DIRECTORY_UPSTREAM}-{}", &Uuid::new_v4().simple().to_string()[..12]),
        ];
        for candidate in candidates {
            let Ok(username) = Username::parse(&candidate) else {
                continue;
            };
            let user = User {
                id: Uuid::now_v7(),
                username,
                email: entry.email.clone().filter(|e| crate::domain::is_email_address(e)),
                // The operator's own directory says so.
                email_verified: entry.email.is_some(),
                display_name: entry.name.clone().filter(|n| crate::domain::is_display_name(n)),
                disabled: false,
                roles: Vec::new(),
                created_at: now,
                updated_at: now,
            };
            // No password of its own: an empty hash matches nothing.
            match users.create_user(&user, "").await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
            let link = LinkedIdentity {
                issuer: DIRECTORY_ISSUER.into(),
                subject: entry.id.clone(),
                user_id: user.id,
                upstream: DIRECTORY_UPSTREAM.into(),
                linked_at: now,
            };
            self.links.link(&link).await?;
            let event = AuditEvent::new("upstream_linked", now)
                .user(user.id)
                .detail("directory entry linked; the account was created by it");
            crate::audit::record(self.audit, event).await;
            return Ok(user);
        }
        Err(StoreError::Conflict("no free username for a directory account".into()))
    }

    /// The account with the directory's name and address (the directory
    /// is where they are kept).
    async fn refresh(
        &self,
        users: &dyn UserRepository,
        mut user: User,
        entry: &DirectoryEntry,
        now: i64,
    ) -> Result<User, StoreError> {
        let name = entry.name.clone().filter(|n| crate::domain::is_display_name(n));
        if name.is_some() && name != user.display_name {
            users.set_display_name(user.id, name.as_deref(), now).await?;
            user.display_name = name;
        }
        let email = entry.email.clone().filter(|e| crate::domain::is_email_address(e));
        if email.is_some() && (email != user.email || !user.email_verified) {
            users.set_email(user.id, email.as_deref(), true, now).await?;
            user.email = email;
            user.email_verified = true;
        }
        Ok(user)
    }
}

/// The person's memberships of the groups named `prefix` + something
/// become `names` (each with the prefix; groups made when first seen).
/// Groups without the prefix — those operators made — are left alone, so a
/// directory or an upstream only ever changes memberships of its own groups.
pub async fn sync_groups(
    groups: &dyn GroupRepository,
    user_id: Uuid,
    (prefix, names): (&str, &[String]),
    now: i64,
) -> Result<(), StoreError> {
    let wanted: Vec<GroupName> = names
        .iter()
        .filter_map(|n| GroupName::parse(&format!("{prefix}{n}")).ok())
        .collect();
    let current = groups.groups_of(user_id).await?;
    for name in current.iter().filter(|g| g.as_str().starts_with(prefix)) {
        if !wanted.contains(name)
            && let Some(group) = groups.find_group(name).await?
        {
            groups.remove_member(group.id, user_id).await?;
        }
    }
    for name in wanted.iter().filter(|g| !current.contains(g)) {
        let group = match groups.find_group(name).await? {
            Some(group) => group,
            None => {
                let group = Group {
                    id: Uuid::now_v7(),
                    name: name.clone(),
                    created_at: now,
                    members: 0,
                };
                match groups.create_group(&group).await {
                    Ok(()) => group,
                    // Made by another sign-in meanwhile.
                    Err(StoreError::Conflict(_)) => match groups.find_group(name).await? {
                        Some(group) => group,
                        None => continue,
                    },
                    Err(e) => return Err(e),
                }
            }
        };
        groups.add_member(group.id, user_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_decides_for_its_accounts_and_local_passwords_for_theirs() {
        use DirectoryOrder::*;
        assert_eq!(decide(true, LocalFirst, true), Decider::Directory, "its own account");
        assert_eq!(decide(false, LocalFirst, true), Decider::Local);
        assert_eq!(decide(false, LocalFirst, false), Decider::Directory, "no password here");
        assert_eq!(decide(false, DirectoryFirst, true), Decider::Directory);
    }
}
