//! Groups, memberships and the groups an app admits (migration 0018).

use async_trait::async_trait;
use uuid::Uuid;

use super::{SqlStore, conflict_as, on_pool};
use crate::domain::{ClientId, Group, GroupName};
use crate::store::{GroupRepository, StoreError};

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    name: String,
    created_at: i64,
    members: i64,
}

impl GroupRow {
    fn into_group(self) -> Result<Group, StoreError> {
        Ok(Group {
            id: self.id,
            name: parse_name(&self.name)?,
            created_at: self.created_at,
            members: self.members,
        })
    }
}

fn parse_name(name: &str) -> Result<GroupName, StoreError> {
    GroupName::parse(name).map_err(|e| StoreError::Corrupt(format!("group {name:?}: {e}")))
}

const SELECT_GROUPS: &str = "SELECT g.id, g.name, g.created_at, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members FROM user_groups g";

#[async_trait]
impl GroupRepository for SqlStore {
    async fn create_group(&self, group: &Group) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("INSERT INTO user_groups (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(group.id)
            .bind(group.name.as_str())
            .bind(group.created_at)
            .execute(pool)
            .await
            .map(|_| ()))
        .map_err(conflict_as("a group with this name"))
    }

    async fn find_group(&self, name: &GroupName) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_GROUPS} WHERE g.name = $1")))
                .bind(name.as_str())
                .fetch_optional(pool)
                .await
        })?;
        row.map(GroupRow::into_group).transpose()
    }

    async fn list_groups(&self) -> Result<Vec<Group>, StoreError> {
        let rows: Vec<GroupRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_GROUPS} ORDER BY g.name")))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(GroupRow::into_group).collect()
    }

    async fn rename_group(&self, id: Uuid, name: &GroupName) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query("UPDATE user_groups SET name = $2 WHERE id = $1")
            .bind(id)
            .bind(name.as_str())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("a group with this name"))?;
        Ok(affected == 1)
    }

    async fn delete_group(&self, id: Uuid) -> Result<bool, StoreError> {
        // Memberships and access rules go with it (ON DELETE CASCADE).
        let affected = on_pool!(self, pool => sqlx::query("DELETE FROM user_groups WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn add_member(&self, group_id: Uuid, user_id: Uuid) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn remove_member(&self, group_id: Uuid, user_id: Uuid) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => sqlx::query(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
        )
        .bind(group_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    async fn member_names(&self, group_id: Uuid) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT u.username FROM group_members m JOIN users u ON u.id = m.user_id \
             WHERE m.group_id = $1 ORDER BY u.username",
        )
        .bind(group_id)
        .fetch_all(pool)
        .await)?)
    }

    async fn groups_of(&self, user_id: Uuid) -> Result<Vec<GroupName>, StoreError> {
        let names: Vec<String> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id \
             WHERE m.user_id = $1 ORDER BY g.name",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await)?;
        names.iter().map(|n| parse_name(n)).collect()
    }
}

impl SqlStore {
    /// Replaces the groups an app admits (`ClientRepository::set_access_groups`).
    pub(super) async fn replace_access_groups(&self, client_id: &ClientId, groups: &[Uuid]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM client_access_groups WHERE client_id = $1")
                .bind(client_id.as_str())
                .execute(&mut *tx)
                .await?;
            for group in groups {
                sqlx::query("INSERT INTO client_access_groups (client_id, group_id) VALUES ($1, $2)")
                    .bind(client_id.as_str())
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    /// The groups an app admits, by name (none: everyone).
    pub(super) async fn access_groups(&self, client_id: &str) -> Result<Vec<GroupName>, StoreError> {
        let names: Vec<String> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT g.name FROM client_access_groups a JOIN user_groups g ON g.id = a.group_id \
             WHERE a.client_id = $1 ORDER BY g.name",
        )
        .bind(client_id)
        .fetch_all(pool)
        .await)?;
        names.iter().map(|n| parse_name(n)).collect()
    }
}
