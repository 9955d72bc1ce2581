//! `sesame mail …`: the mail outbox, as operators inspect it.

use clap::Subcommand;

use crate::config::Settings;
use crate::startup;

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// List messages, newest first: pending, delivered (sent), failed (given up).
    /// Bodies are never shown.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn run(settings: Settings, command: MailCommand) -> anyhow::Result<()> {
    match command {
        MailCommand::List { json, limit } => {
            let sql = startup::connect_sql(&settings).await?;
            let mail = crate::store::MailOutbox::list_mail(&sql, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&mail)?);
                return Ok(());
            }
            println!(
                "{:<10} {:<18} {:<32} {:>8} {:<20}  LAST ERROR",
                "STATUS", "KIND", "TO", "ATTEMPTS", "CREATED"
            );
            for m in mail {
                println!(
                    "{:<10} {:<18} {:<32} {:>8} {:<20}  {}",
                    m.status.as_str(),
                    m.kind,
                    m.recipient,
                    m.attempts,
                    super::time::iso(m.created_at),
                    m.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
