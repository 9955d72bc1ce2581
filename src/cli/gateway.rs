//! `sesame gateway check URL`: which access rule decides a request, and
//! what it says — the same decision the gateway endpoints make.

use anyhow::Context;

use crate::config::Settings;
use crate::domain::Level;
use crate::gateway::{Asked, Subject, Verdict};
use crate::startup;
use crate::store::{GroupRepository, UserRepository};

#[derive(clap::Subcommand, Debug)]
pub enum GatewayCommand {
    /// Which rule decides a request to URL, and why.
    Check {
        url: String,
        /// As this person (their groups are read); without: nobody signed in.
        #[arg(long)]
        user: Option<String>,
        /// The person signed in with a second factor.
        #[arg(long, requires = "user", conflicts_with = "basic")]
        two_factors: bool,
        /// The person sends HTTP Basic (a script) instead of a session.
        #[arg(long, requires = "user")]
        basic: bool,
        #[arg(long, default_value = "GET")]
        method: String,
        /// The client's address (for rules with networks).
        #[arg(long)]
        from: Option<std::net::IpAddr>,
    },
}

pub async fn run(settings: Settings, command: GatewayCommand) -> anyhow::Result<()> {
    let GatewayCommand::Check {
        url,
        user,
        two_factors,
        basic,
        method,
        from,
    } = command;
    let rules = crate::gateway::check_settings(&settings.gateway, &settings.issuer).map_err(|e| anyhow::anyhow!(e))?;
    let parsed = url::Url::parse(&url).with_context(|| format!("{url:?} is not a URL"))?;
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    let method = method.to_ascii_uppercase();
    let asked = Asked {
        host: &host,
        path: parsed.path(),
        method: &method,
        client: from,
    };
    let mut groups = Vec::new();
    if let Some(name) = &user {
        let sql = startup::connect_sql(&settings).await?;
        let username = crate::domain::Username::parse(name)?;
        let (found, _) = sql
            .find_credentials(&username)
            .await?
            .with_context(|| format!("no user {name}"))?;
        groups = sql.groups_of(found.id).await?.iter().map(ToString::to_string).collect();
    }
    let level = if two_factors {
        Level::TwoFactors
    } else {
        Level::OneFactor
    };
    let subject = user.as_deref().map(|username| Subject {
        username,
        groups: &groups,
        level,
        by_basic: basic,
    });
    let verdict = rules.decide(&asked, subject.as_ref());
    let who = match &user {
        Some(name) if groups.is_empty() => format!("{name} (in no group){}", if basic { " by HTTP Basic" } else { "" }),
        Some(name) => format!(
            "{name} (groups: {}){}",
            groups.join(", "),
            if basic { " by HTTP Basic" } else { "" }
        ),
        None => "nobody signed in".to_string(),
    };
    println!("{method} {host}{} for {who}:", parsed.path());
    let rule = |index: usize| {
        let written = &settings.gateway.rules[index];
        format!(
            "rule {index} (policy {}{}{}{})",
            written.policy,
            if written.hosts.is_empty() {
                String::new()
            } else {
                format!(", hosts {:?}", written.hosts)
            },
            if written.users.is_empty() && written.groups.is_empty() {
                String::new()
            } else {
                format!(", users {:?}, groups {:?}", written.users, written.groups)
            },
            if written.basic { ", HTTP Basic accepted" } else { "" }
        )
    };
    match verdict {
        Verdict::Allow { rule: index } => println!("  allowed by {}", rule(index)),
        Verdict::SignIn {
            rule: index,
            level: Level::TwoFactors,
        } => println!("  sign in with a second factor first: {}", rule(index)),
        Verdict::SignIn { rule: index, .. } => println!("  sign in first: {}", rule(index)),
        Verdict::Deny { rule: Some(index) } => println!("  denied by {}", rule(index)),
        Verdict::Deny { rule: None } => println!("  denied: no rule matches (the default)"),
    }
    Ok(())
}
