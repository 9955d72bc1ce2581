//! `sesame keys …`: the signing keys every node shares.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::clock::SharedClock;
use crate::config::Settings;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List keys with their state (next, active, retired, revoked).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Schedule a rotation: publish a new key now, signing once every cache has it.
    Rotate {
        /// Sign with the new key at once (apps with a cached JWKS reject tokens until they refetch).
        #[arg(long)]
        now: bool,
        /// RS256 (default), ES256, or v4.public (the gateway's identity assertions).
        #[arg(long, default_value = "RS256")]
        alg: String,
    },
    /// Revoke a compromised key: it leaves the JWKS at once and its tokens stop verifying.
    Revoke {
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Import a private key (PEM, RSA or P-256) as the next key.
    Import {
        file: PathBuf,
        /// Sign with it at once instead of after the pre-publication window.
        #[arg(long)]
        now: bool,
    },
}

pub async fn run(settings: Settings, clock: SharedClock, command: KeysCommand) -> anyhow::Result<()> {
    use crate::keys::rotation::When;
    use crate::keys::{Alg, KeyMaterial};
    let when = |now: bool| if now { When::Now } else { When::Scheduled };
    match command {
        KeysCommand::List { json } => {
            let services = super::services(settings, clock).await?;
            let keys = services.keys.current().describe(services.clock.now());
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
                return Ok(());
            }
            let now = services.clock.now();
            println!(
                "{:<50} {:<9} {:<8} {:<20} {:<20} UNTIL",
                "KID", "ALG", "STATE", "CREATED", "ACTIVATES"
            );
            for k in keys {
                let until = k.published_until.map(|u| super::time::when(u, now)).unwrap_or_default();
                println!(
                    "{:<50} {:<9} {:<8} {:<20} {:<20} {}",
                    k.kid,
                    k.alg,
                    k.state,
                    super::time::iso(k.created_at),
                    super::time::iso(k.activates_at),
                    until
                );
            }
        }
        KeysCommand::Rotate { now, alg } => {
            let alg = Alg::parse(&alg).with_context(|| format!("unsupported algorithm {alg:?}"))?;
            let services = super::services(settings, clock).await?;
            let kid = services.key_rotation().rotate(alg, when(now), None).await?;
            println!("{kid}");
        }
        KeysCommand::Revoke { kid } => {
            eprintln!(
                "WARNING: revoking {kid}. Tokens it signed stop verifying as soon as relying apps refetch the JWKS; \
                 if it was the active key, a new key signs at once and apps with a cached JWKS reject new tokens \
                 until they refetch it."
            );
            // The serving node's key ring must drop it at once: it checks
            // its own access tokens and ID token hints against it.
            let operation = crate::control::Operation::RevokeKey { kid: kid.clone() };
            super::on_the_server(settings, clock, operation).await?;
            println!("revoked {kid}");
        }
        KeysCommand::Import { file, now } => {
            let pem = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let material = KeyMaterial::from_any_pem(pem)?;
            let alg = material.alg;
            let services = super::services(settings, clock).await?;
            let kid = services.key_rotation().rotate(alg, when(now), Some(material)).await?;
            println!("{kid}");
        }
    }
    Ok(())
}
