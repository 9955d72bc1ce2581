//! `sesame audit`: the audit log, newest first, filtered as the console's.

use anyhow::Context;

use crate::config::Settings;
use crate::startup;
use crate::store::{AuditFilter, AuditLog, UserRepository};

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Only events about this username.
    #[arg(long)]
    user: Option<String>,
    /// Only events about this client id.
    #[arg(long)]
    client: Option<String>,
    /// Only this kind of event (login_failed, user_deleted, …).
    #[arg(long)]
    event: Option<String>,
    /// Only events at or after this time: a day (2026-12-04), a day and
    /// time in UTC (2026-12-04T13:30) or Unix seconds.
    #[arg(long, value_parser = instant)]
    since: Option<i64>,
    /// Only events before this time (same forms as --since).
    #[arg(long, value_parser = instant)]
    until: Option<i64>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// One JSON object a line (times as Unix seconds), for collectors.
    #[arg(long)]
    json: bool,
}

fn instant(text: &str) -> Result<i64, String> {
    crate::clock::parse_instant(text)
        .ok_or_else(|| "write a day (2026-12-04), a day and time in UTC (2026-12-04T13:30) or Unix seconds".into())
}

pub async fn run(settings: Settings, args: AuditArgs) -> anyhow::Result<()> {
    let sql = startup::connect_sql(&settings).await?;
    let mut filter = AuditFilter {
        client_id: args.client,
        event: args.event,
        since: args.since,
        until: args.until,
        ..AuditFilter::default()
    };
    if let Some(name) = &args.user {
        let username = crate::domain::Username::parse(name)?;
        let (user, _) = sql
            .find_credentials(&username)
            .await?
            .with_context(|| format!("no user {name}"))?;
        filter.user_id = Some(user.id);
    }
    let events = sql.search(&filter, args.limit.clamp(1, 10_000)).await?;
    if args.json {
        for event in &events {
            println!("{}", serde_json::to_string(event)?);
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                super::time::iso(e.at),
                e.event.clone(),
                e.user_id.map(|id| id.to_string()).unwrap_or_default(),
                e.client_id.clone().unwrap_or_default(),
                e.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    super::table::print(&["WHEN", "EVENT", "USER", "CLIENT", "DETAIL"], &rows);
    Ok(())
}
