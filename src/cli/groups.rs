//! `sesame group …`: groups, their members, and the apps restricted to them.

use clap::Subcommand;

use crate::admin::GroupAdmin;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::ClientId;
use crate::startup;

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// List groups with how many people are in each.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create a group (letters, digits and . _ - : /).
    Add { name: String },
    /// Rename a group; apps and members follow.
    Rename { name: String, new_name: String },
    /// Delete a group: its members leave it, apps stop naming it.
    Delete { name: String },
    /// The people in a group.
    Members {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Put a person in a group.
    AddMember { name: String, username: String },
    /// Take a person out of a group.
    RemoveMember { name: String, username: String },
    /// Let only members of these groups sign in to an app (no group: anyone).
    Restrict { client_id: String, groups: Vec<String> },
}

pub async fn run(settings: Settings, clock: SharedClock, command: GroupCommand) -> anyhow::Result<()> {
    let sql = startup::connect_sql(&settings).await?;
    let admin = GroupAdmin {
        groups: &sql,
        users: &sql,
        clients: &sql,
        audit: &sql,
        clock: &*clock,
    };
    match command {
        GroupCommand::List { json } => {
            let groups = crate::store::GroupRepository::list_groups(&sql).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&groups)?);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| {
                    vec![
                        g.name.to_string(),
                        g.members.to_string(),
                        super::time::iso(g.created_at),
                    ]
                })
                .collect();
            super::table::print(&["GROUP", "MEMBERS", "CREATED"], &rows);
        }
        GroupCommand::Add { name } => {
            let group = admin.create(&name).await?;
            println!("group {} created", group.name);
        }
        GroupCommand::Rename { name, new_name } => {
            admin.rename(&name, &new_name).await?;
            println!("group {name} renamed {new_name}");
        }
        GroupCommand::Delete { name } => {
            admin.delete(&name).await?;
            println!("group {name} deleted");
        }
        GroupCommand::Members { name, json } => {
            let group = admin.find(&name).await?;
            let members = crate::store::GroupRepository::member_names(&sql, group.id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&members)?);
            } else {
                let rows: Vec<Vec<String>> = members.into_iter().map(|m| vec![m]).collect();
                super::table::print(&["USERNAME"], &rows);
            }
        }
        GroupCommand::AddMember { name, username } => {
            let added = admin.add_member(&name, &username).await?;
            println!(
                "{username} {} {name}",
                if added { "added to" } else { "was already in" }
            );
        }
        GroupCommand::RemoveMember { name, username } => {
            let removed = admin.remove_member(&name, &username).await?;
            println!(
                "{username} {} {name}",
                if removed { "removed from" } else { "was not in" }
            );
        }
        GroupCommand::Restrict { client_id, groups } => {
            let client_id = ClientId::parse(&client_id)?;
            admin.restrict_client(&client_id, &groups).await?;
            if groups.is_empty() {
                println!("anyone may sign in to {client_id}");
            } else {
                println!("only members of {} may sign in to {client_id}", groups.join(", "));
            }
        }
    }
    Ok(())
}
