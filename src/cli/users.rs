//! `sesame user …`: people, their passwords, sessions and roles.

use anyhow::Context;
use clap::Subcommand;

use super::{on_the_server, read_password};
use crate::admin::{self, NewUser};
use crate::auth::second_factor::FactorSummary;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::control::Operation;
use crate::domain::Role;
use crate::startup;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password is read from a prompt, or from standard input
    /// when it is not a terminal (never from the command line).
    Add {
        #[arg(allow_hyphen_values = true)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Sign a user out everywhere, telling every app. Without Redis the
    /// running server does it (through its admin socket); fails when it
    /// cannot be reached.
    Logout {
        #[arg(allow_hyphen_values = true)]
        username: String,
        /// Keep the user's offline_access refresh tokens (their offline apps go on working).
        #[arg(long)]
        keep_offline: bool,
    },
    /// Invite someone by mail (needs signup.mode = "invite" or "open"): they
    /// choose a username and password from the link, and get the roles given.
    Invite {
        email: String,
        /// developer or admin; repeat for both.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's name or address; only the options given change.
    Edit {
        #[arg(allow_hyphen_values = true)]
        username: String,
        /// The name shown to apps ("" removes it).
        #[arg(long)]
        name: Option<String>,
        /// The address ("" removes it); unconfirmed unless --email-verified.
        #[arg(long)]
        email: Option<String>,
        /// Vouch for the address (true) or mark it unconfirmed (false).
        #[arg(long)]
        email_verified: Option<bool>,
    },
    /// One user: name, address, state, roles, groups, when created.
    Show {
        #[arg(allow_hyphen_values = true)]
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (read from a prompt, or from stdin when it is not a terminal).
    /// Everyone signed in as the user is signed out.
    SetPassword {
        #[arg(allow_hyphen_values = true)]
        username: String,
        /// Keep the user's offline_access refresh tokens.
        #[arg(long)]
        keep_offline: bool,
    },
    /// Disable an account: it cannot sign in, its sessions end everywhere and
    /// its offline_access refresh tokens are revoked.
    Disable {
        #[arg(allow_hyphen_values = true)]
        username: String,
        /// Keep the offline_access refresh tokens (unusable while disabled, usable once enabled again).
        #[arg(long)]
        keep_offline: bool,
    },
    /// Delete an account for good: its sessions end everywhere (apps are
    /// told), its refresh tokens are revoked, and it goes with its consents
    /// and second factors.
    Delete {
        #[arg(allow_hyphen_values = true)]
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(allow_hyphen_values = true)]
        username: String,
    },
    /// Grant a role: developer (registers clients on the developer portal) or admin (sees every client).
    GrantRole {
        #[arg(allow_hyphen_values = true)]
        username: String,
        role: String,
    },
    /// Take a role back.
    RevokeRole {
        #[arg(allow_hyphen_values = true)]
        username: String,
        role: String,
    },
    /// A user's second factors.
    #[command(subcommand)]
    Mfa(MfaCommand),
}

#[derive(Subcommand, Debug)]
pub enum MfaCommand {
    /// Show a user's second factors.
    List {
        #[arg(allow_hyphen_values = true)]
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a user's second factors (authenticator app and recovery codes)
    /// and sign them out everywhere; they sign in with their password and,
    /// where required, set up a new factor.
    Reset {
        #[arg(allow_hyphen_values = true)]
        username: String,
    },
}

pub async fn run(settings: Settings, clock: SharedClock, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { username, email, name } => {
            let password = read_password()?;
            let sql = startup::connect_sql(&settings).await?;
            let user = admin::add_user(
                &sql,
                &*clock,
                NewUser {
                    username,
                    email,
                    display_name: name,
                    password,
                },
            )
            .await?;
            println!("user {} added (id {})", user.username, user.id);
            Ok(())
        }
        UserCommand::List { json } => {
            let sql = startup::connect_sql(&settings).await?;
            let users = crate::store::UserRepository::list_users(&sql).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|user| {
                        vec![
                            user.username.to_string(),
                            if user.disabled { "disabled" } else { "active" }.to_string(),
                            roles_text(&user.roles),
                            user.email.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                super::table::print(&["USERNAME", "STATE", "ROLES", "EMAIL"], &rows);
            }
            Ok(())
        }
        UserCommand::SetPassword { username, keep_offline } => {
            let password = read_password()?;
            let operation = Operation::SetPassword {
                username: username.clone(),
                password,
                offline: offline_tokens(keep_offline),
            };
            let ended = on_the_server(settings, clock, operation).await?;
            println!("password of {username} changed; {}", describe_ended(&ended));
            Ok(())
        }
        UserCommand::Logout { username, keep_offline } => {
            let operation = Operation::LogoutUser {
                username,
                offline: offline_tokens(keep_offline),
            };
            let ended = on_the_server(settings, clock, operation).await?;
            println!("{}", describe_ended(&ended));
            Ok(())
        }
        UserCommand::Disable { username, keep_offline } => {
            let operation = Operation::DisableUser {
                username: username.clone(),
                offline: offline_tokens(keep_offline),
            };
            let ended = on_the_server(settings, clock, operation).await?;
            println!("{username} disabled; {}", describe_ended(&ended));
            Ok(())
        }
        UserCommand::Invite { email, roles } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?} (developer or admin)")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let operation = Operation::InviteUser {
                email: email.clone(),
                roles,
            };
            on_the_server(settings, clock, operation).await?;
            println!("invitation mailed to {email}");
            Ok(())
        }
        UserCommand::Delete { username } => {
            let operation = Operation::DeleteUser {
                username: username.clone(),
            };
            let ended = on_the_server(settings, clock, operation).await?;
            println!("{username} deleted; {}", describe_ended(&ended));
            Ok(())
        }
        UserCommand::Edit {
            username,
            name,
            email,
            email_verified,
        } => {
            let services = super::services(settings, clock).await?;
            let name_of = crate::domain::Username::parse(&username)?;
            let (user, _) = services
                .users
                .find_credentials(&name_of)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let present = |value: String| Some(value.trim().to_string()).filter(|v| !v.is_empty());
            let email_changed = email.is_some();
            let email = match email {
                Some(value) => present(value),
                None => user.email.clone(),
            };
            let edit = admin::UserEdit {
                display_name: match name {
                    Some(value) => present(value),
                    None => user.display_name.clone(),
                },
                // A new address is unconfirmed unless the operator says so.
                email_verified: email_verified.unwrap_or(!email_changed && user.email_verified),
                email,
                roles: user.roles.clone(),
            };
            let updated = admin::edit_user(&services.user_admin(), &username, edit).await?;
            println!(
                "{} updated: name {:?}, email {:?} ({})",
                updated.username,
                updated.display_name.unwrap_or_default(),
                updated.email.unwrap_or_default(),
                if updated.email_verified {
                    "confirmed"
                } else {
                    "not confirmed"
                }
            );
            Ok(())
        }
        UserCommand::Show { username, json } => {
            let sql = startup::connect_sql(&settings).await?;
            let name = crate::domain::Username::parse(&username)?;
            let (user, _) = crate::store::UserRepository::find_credentials(&sql, &name)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let groups = crate::store::GroupRepository::groups_of(&sql, user.id).await?;
            if json {
                let mut value = serde_json::to_value(&user)?;
                value["groups"] = serde_json::json!(groups);
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let rows = vec![
                vec!["username".into(), user.username.to_string()],
                vec!["id".into(), user.id.to_string()],
                vec!["name".into(), user.display_name.clone().unwrap_or_default()],
                vec![
                    "email".into(),
                    match (&user.email, user.email_verified) {
                        (Some(email), true) => format!("{email} (confirmed)"),
                        (Some(email), false) => format!("{email} (not confirmed)"),
                        (None, _) => String::new(),
                    },
                ],
                vec!["state".into(), if user.disabled { "disabled" } else { "active" }.into()],
                vec!["roles".into(), roles_text(&user.roles)],
                vec![
                    "groups".into(),
                    groups.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                ],
                vec!["created".into(), super::time::iso(user.created_at)],
                vec!["updated".into(), super::time::iso(user.updated_at)],
            ];
            super::table::print(&["FIELD", "VALUE"], &rows);
            Ok(())
        }
        UserCommand::Enable { username } => {
            let services = super::services(settings, clock).await?;
            admin::set_user_disabled(&services.user_admin(), &username, false, admin::OfflineTokens::Keep).await?;
            println!("{username} enabled");
            Ok(())
        }
        UserCommand::GrantRole { username, role } => change_role(settings, clock, &username, &role, true).await,
        UserCommand::RevokeRole { username, role } => change_role(settings, clock, &username, &role, false).await,
        UserCommand::Mfa(MfaCommand::List { username, json }) => {
            let services = super::services(settings, clock).await?;
            let (user, summary) =
                admin::second_factors_of(&services.user_admin(), &services.second_factors(), &username).await?;
            print_factors(&user.username.to_string(), &summary, json)
        }
        UserCommand::Mfa(MfaCommand::Reset { username }) => {
            let operation = Operation::ResetSecondFactors {
                username: username.clone(),
            };
            let ended = on_the_server(settings, clock, operation).await?;
            println!("second factors of {username} removed; {}", describe_ended(&ended));
            Ok(())
        }
    }
}

fn print_factors(username: &str, summary: &FactorSummary, json: bool) -> anyhow::Result<()> {
    if json {
        let value = serde_json::json!({
            "username": username,
            "totp": summary.totp.as_ref().map(|t| serde_json::json!({
                "added_at": t.created_at,
                "last_used_at": t.last_used_at,
            })),
            "recovery_codes_left": summary.recovery_codes_left,
            "recovery_codes_total": summary.recovery_codes_total,
            "recovery_code_last_used_at": summary.recovery_code_last_used,
            "keys": summary.keys.iter().map(|k| serde_json::json!({
                "id": k.id,
                "kind": k.kind.as_str(),
                "name": k.name,
                "added_at": k.created_at,
                "last_used_at": k.last_used_at,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    match &summary.totp {
        Some(totp) => println!(
            "{username}: authenticator app added {}, last used {}; recovery codes: {} of {} left",
            super::time::iso(totp.created_at),
            totp.last_used_at.map_or("never".to_string(), super::time::iso),
            summary.recovery_codes_left,
            summary.recovery_codes_total
        ),
        None => println!("{username}: no authenticator app"),
    }
    for key in &summary.keys {
        println!(
            "{username}: {} \"{}\" added {}, last used {}",
            key.kind.label(),
            key.name,
            super::time::iso(key.created_at),
            key.last_used_at.map_or("never".to_string(), super::time::iso)
        );
    }
    Ok(())
}

fn offline_tokens(keep: bool) -> admin::OfflineTokens {
    if keep {
        admin::OfflineTokens::Keep
    } else {
        admin::OfflineTokens::Revoke
    }
}

fn describe_ended(ended: &admin::Ended) -> String {
    format!(
        "{} session(s) ended, {} offline refresh token grant(s) revoked; apps are being told",
        ended.sessions, ended.offline_families
    )
}

async fn change_role(
    settings: Settings,
    clock: SharedClock,
    username: &str,
    role: &str,
    granted: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| format!("unknown role {role:?} (developer or admin)"))?;
    let services = super::services(settings, clock).await?;
    let roles = admin::set_user_role(&services.user_admin(), username, role, granted).await?;
    println!("{username} now has roles: {}", roles_text(&roles));
    Ok(())
}

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "-".into();
    }
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
