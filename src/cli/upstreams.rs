//! `sesame upstream list|test NAME`: the upstream identity providers, and
//! whether one answers discovery (run it after configuring one).

use anyhow::Context;

use crate::clock::SharedClock;
use crate::config::{Provisioning, Settings};

#[derive(clap::Subcommand, Debug)]
pub enum UpstreamCommand {
    /// The configured upstream providers.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Fetches NAME's discovery document: reachable, and where people go to sign in.
    Test { name: String },
}

pub async fn run(settings: Settings, clock: SharedClock, command: UpstreamCommand) -> anyhow::Result<()> {
    match command {
        UpstreamCommand::List { json } => {
            if json {
                let list: Vec<_> = settings
                    .upstreams
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "name": u.name, "display_name": u.display_name, "issuer": u.issuer,
                            "client_id": u.client_id, "scopes": u.scopes,
                            "provisioning": provisioning(u.provisioning),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            println!("{:<16} {:<24} {:<12} ISSUER", "NAME", "BUTTON", "PROVISIONING");
            for u in &settings.upstreams {
                println!(
                    "{:<16} {:<24} {:<12} {}",
                    u.name,
                    u.display_name,
                    provisioning(u.provisioning),
                    u.issuer
                );
            }
            println!(
                "\nRegister Sesame at each with the redirect URI {}/login/upstream-callback",
                settings.issuer
            );
            println!(
                "and, for single logout, the back-channel logout URI {}/login/upstream/NAME/backchannel-logout",
                settings.issuer
            );
            Ok(())
        }
        UpstreamCommand::Test { name } => {
            let timeout = std::time::Duration::from_secs(settings.outbound.timeout_secs);
            let upstreams = crate::federation::Upstreams::new(&settings.upstreams, timeout)?;
            let authorization = upstreams
                .check(&name, clock.now())
                .await
                .with_context(|| format!("upstream {name}"))?;
            println!("{name}: discovery answers; people sign in at {authorization}");
            println!(
                "Sesame's redirect URI there must be {}/login/upstream-callback",
                settings.issuer
            );
            println!(
                "and its back-channel logout URI {}/login/upstream/{name}/backchannel-logout",
                settings.issuer
            );
            Ok(())
        }
    }
}

fn provisioning(provisioning: Provisioning) -> &'static str {
    match provisioning {
        Provisioning::Allowed => "allowed",
        Provisioning::Invited => "invited",
        Provisioning::Off => "off",
    }
}
