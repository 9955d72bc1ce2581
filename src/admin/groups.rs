//! Groups: created, renamed and deleted by operators, people put in and
//! taken out, apps restricted to members. Each change is audited; the
//! console and the CLI call these, so each rule is written once.

use uuid::Uuid;

use super::AdminError;
use crate::clock::Clock;
use crate::domain::{AuditEvent, ClientId, Group, GroupName, Username};
use crate::store::{AuditLog, ClientRepository, GroupRepository, UserRepository};

/// What operations on groups touch.
pub struct GroupAdmin<'a> {
    pub groups: &'a dyn GroupRepository,
    pub users: &'a dyn UserRepository,
    pub clients: &'a dyn ClientRepository,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
}

fn group_name(name: &str) -> Result<GroupName, AdminError> {
    GroupName::parse(name).map_err(|e| AdminError::Invalid(e.to_string()))
}

impl GroupAdmin<'_> {
    async fn audit(&self, event: &str, detail: String) {
        let event = AuditEvent::new(event, self.clock.now()).detail(detail);
        crate::audit::record(self.audit, event).await;
    }

    /// The group called `name`, or `NotFound`.
    pub async fn find(&self, name: &str) -> Result<Group, AdminError> {
        self.groups
            .find_group(&group_name(name)?)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no group {name}")))
    }

    pub async fn create(&self, name: &str) -> Result<Group, AdminError> {
        let group = Group {
            id: Uuid::now_v7(),
            name: group_name(name)?,
            created_at: self.clock.now(),
            members: 0,
        };
        self.groups.create_group(&group).await?;
        self.audit("group_created", format!("group {}", group.name)).await;
        Ok(group)
    }

    pub async fn rename(&self, name: &str, new_name: &str) -> Result<(), AdminError> {
        let group = self.find(name).await?;
        let new_name = group_name(new_name)?;
        self.groups.rename_group(group.id, &new_name).await?;
        self.audit("group_renamed", format!("group {} is now {new_name}", group.name))
            .await;
        Ok(())
    }

    /// Deletes the group; its members leave it and apps stop naming it.
    pub async fn delete(&self, name: &str) -> Result<(), AdminError> {
        let group = self.find(name).await?;
        self.groups.delete_group(group.id).await?;
        self.audit("group_deleted", format!("group {}", group.name)).await;
        Ok(())
    }

    /// Puts `username` in the group; `false` when they were in it already.
    pub async fn add_member(&self, name: &str, username: &str) -> Result<bool, AdminError> {
        let (group, user_id) = self.group_and_user(name, username).await?;
        let added = self.groups.add_member(group.id, user_id).await?;
        if added {
            let event = AuditEvent::new("group_member_added", self.clock.now())
                .user(user_id)
                .detail(format!("group {}", group.name));
            crate::audit::record(self.audit, event).await;
        }
        Ok(added)
    }

    pub async fn remove_member(&self, name: &str, username: &str) -> Result<bool, AdminError> {
        let (group, user_id) = self.group_and_user(name, username).await?;
        let removed = self.groups.remove_member(group.id, user_id).await?;
        if removed {
            let event = AuditEvent::new("group_member_removed", self.clock.now())
                .user(user_id)
                .detail(format!("group {}", group.name));
            crate::audit::record(self.audit, event).await;
        }
        Ok(removed)
    }

    /// Restricts `client_id` to members of `names` (empty: anyone).
    pub async fn restrict_client(&self, client_id: &ClientId, names: &[String]) -> Result<(), AdminError> {
        if self.clients.find_client(client_id).await?.is_none() {
            return Err(AdminError::NotFound(format!("no client {client_id}")));
        }
        let mut ids = Vec::new();
        for name in names {
            ids.push(self.find(name).await?.id);
        }
        self.clients.set_access_groups(client_id, &ids).await?;
        let detail = if names.is_empty() {
            "anyone may sign in".to_string()
        } else {
            format!("members of {} only", names.join(", "))
        };
        let event = AuditEvent::new("client_access_groups_changed", self.clock.now())
            .client(client_id)
            .detail(detail);
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    async fn group_and_user(&self, name: &str, username: &str) -> Result<(Group, Uuid), AdminError> {
        let group = self.find(name).await?;
        let username = Username::parse(username).map_err(|e| AdminError::Invalid(e.to_string()))?;
        let user = self
            .users
            .find_credentials(&username)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no user {username}")))?
            .0;
        Ok((group, user.id))
    }
}
