//! `sesame logout …`: single logout, as operators inspect it.

use clap::Subcommand;

use crate::config::Settings;
use crate::startup;

#[derive(Subcommand, Debug)]
pub enum LogoutCommand {
    /// List back-channel logout notices: pending, delivered, failed.
    Deliveries {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn run(settings: Settings, command: LogoutCommand) -> anyhow::Result<()> {
    match command {
        LogoutCommand::Deliveries { json, limit } => {
            let sql = startup::connect_sql(&settings).await?;
            let deliveries = crate::store::LogoutOutbox::list_deliveries(&sql, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&deliveries)?);
                return Ok(());
            }
            println!(
                "{:<10} {:<24} {:>8} {:<20}  LAST ERROR",
                "STATUS", "CLIENT", "ATTEMPTS", "NEXT"
            );
            for d in deliveries {
                println!(
                    "{:<10} {:<24} {:>8} {:<20}  {}",
                    d.status.as_str(),
                    d.client_id,
                    d.attempts,
                    super::time::iso(d.next_attempt_at),
                    d.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
