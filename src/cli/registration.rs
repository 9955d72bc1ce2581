//! `sesame registration token …`: initial access tokens for the
//! registration API (RFC 7591).

use clap::Subcommand;
use serde_json::json;

use crate::admin;
use crate::clock::SharedClock;
use crate::config::Settings;

#[derive(Subcommand, Debug)]
pub enum RegistrationCommand {
    /// Manage initial access tokens.
    #[command(subcommand)]
    Token(RegistrationTokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum RegistrationTokenCommand {
    /// Create a token that allows registering clients at POST /register (printed once).
    Create {
        /// Lifetime in seconds (default: registration.token_ttl_secs).
        #[arg(long)]
        expires_in: Option<u64>,
        /// How many registrations it allows.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// A note for the operator: who it is for.
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (not the tokens themselves: they are stored as digests).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: uuid::Uuid },
}

pub async fn run(settings: Settings, clock: SharedClock, command: RegistrationCommand) -> anyhow::Result<()> {
    let RegistrationCommand::Token(command) = command;
    let services = super::services(settings.clone(), clock).await?;
    token_command(&services.registration_token_admin(), &settings, command).await
}

async fn token_command(
    tokens: &admin::RegistrationTokenAdmin<'_>,
    settings: &Settings,
    command: RegistrationTokenCommand,
) -> anyhow::Result<()> {
    match command {
        RegistrationTokenCommand::Create {
            expires_in,
            uses,
            label,
            json,
        } => {
            let ttl = expires_in.unwrap_or(settings.registration.token_ttl_secs);
            let (record, token) = admin::create_registration_token(tokens, label, ttl, uses).await?;
            if json {
                let value = json!({
                    "id": record.id,
                    "token": token,
                    "expires_at": record.expires_at,
                    "uses": record.uses_left,
                });
                println!("{value}");
            } else {
                println!("initial access token: {token}");
                println!(
                    "(shown only now; valid for {ttl} s and {uses} registration(s): \
                     send it as `Authorization: Bearer …` to {})",
                    settings.endpoint("/register")
                );
            }
        }
        RegistrationTokenCommand::List { json } => {
            let listed = tokens.tokens.list_registration_tokens().await?;
            if json {
                let values: Vec<_> = listed
                    .iter()
                    .map(|t| {
                        json!({"id": t.id, "label": t.label, "created_at": t.created_at,
                               "expires_at": t.expires_at, "uses_left": t.uses_left})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&values)?);
                return Ok(());
            }
            let now = tokens.clock.now();
            println!("{:<38} {:>9} {:<8} LABEL", "ID", "USES LEFT", "STATE");
            for t in listed {
                let state = if t.expires_at <= now { "expired" } else { "live" };
                println!(
                    "{:<38} {:>9} {:<8} {}",
                    t.id,
                    t.uses_left,
                    state,
                    t.label.unwrap_or_default()
                );
            }
        }
        RegistrationTokenCommand::Revoke { id } => {
            admin::revoke_registration_token(tokens, id).await?;
            println!("registration token {id} revoked");
        }
    }
    Ok(())
}
