//! The `sesame` command line: what operators and scripts rely on. One module
//! per command group.

mod audit;
mod clients;
mod gateway;
mod groups;
mod keys;
mod logout;
mod mail;
mod registration;
mod serve;
mod table;
mod time;
mod upstreams;
mod users;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use self::clients::ClientCommand;
use self::keys::KeysCommand;
use self::logout::LogoutCommand;
use self::registration::RegistrationCommand;
use self::users::UserCommand;
use crate::admin::Ended;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{DEFAULTS_TOML, Settings};
use crate::control::{self, Operation};
use crate::startup;

#[derive(Parser, Debug)]
#[command(
    name = "sesame",
    version,
    about = "An OpenID Connect identity provider with single sign-on"
)]
pub struct Cli {
    /// Configuration file (TOML); settings from SESAME_* variables override it.
    #[arg(long, global = true, env = "SESAME_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Start the server (applies migrations first).
    Serve {
        /// Also create a demo user and client on first start and print their credentials.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database, consistently, while the server runs (on
    /// PostgreSQL use pg_dump). The key-encryption key is not in it: keep
    /// the keys folder (or `keys.encryption_key`) apart from it.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Put a backup (from `sesame backup`) in place of the SQLite database
    /// of this installation, which must be stopped. The backup is checked
    /// first; the database it replaces and the sessions journaled with it are
    /// kept beside them, renamed, not deleted.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// The audit log, newest first (filter by --user, --client, --event).
    Audit(audit::AuditArgs),
    /// Groups of people: in tokens (the `groups` scope) and as app access rules.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// The session gateway for apps behind a reverse proxy.
    #[command(subcommand)]
    Gateway(gateway::GatewayCommand),
    /// Upstream identity providers people sign in with.
    #[command(subcommand)]
    Upstream(upstreams::UpstreamCommand),
    /// Initial access tokens for the registration API (RFC 7591).
    #[command(subcommand)]
    Registration(RegistrationCommand),
    /// Inspect single logout.
    #[command(subcommand)]
    Logout(LogoutCommand),
    /// Mail Sesame sends: what waits, what was sent, what failed.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Manage signing keys (shared by every node through the database).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the annotated default configuration.
    Defaults,
    /// Print the effective settings, secrets masked, each with where it
    /// came from (default, file, or environment variable).
    Show {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    if let Command::Config(ConfigCommand::Defaults) = cli.command {
        print!("{DEFAULTS_TOML}");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(ConfigCommand::Show { json }) = cli.command {
        return show_config(cli.config.as_deref(), json);
    }
    let settings = Settings::load(cli.config.as_deref())?;
    if !matches!(cli.command, Command::Serve { .. }) {
        // `serve` logs them once its log is set up.
        for warning in &settings.load_warnings {
            eprintln!("warning: {warning}");
        }
    }
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => serve::run(settings, clock, demo).await,
        Command::Migrate => {
            startup::connect_sql(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Backup { file } => {
            let sql = startup::connect_sql(&settings).await?;
            sql.backup_to(&file).await?;
            println!(
                "database copied to {}; the key-encryption key is not in it: keep {} (or keys.encryption_key) \
                 separately, or the copy's signing keys cannot be opened",
                file.display(),
                settings.keys_dir.display()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let restored = startup::restore::restore(&settings, &file).await?;
            println!(
                "{} restored into {} (schema {}, brought up to date at the next start)",
                file.display(),
                restored.database.display(),
                restored.schema
            );
            for path in &restored.set_aside {
                println!("kept aside: {}", path.display());
            }
            println!("sessions from before the restore are set aside with the old database: everyone signs in again");
            Ok(())
        }
        Command::User(command) => users::run(settings, clock, command).await,
        Command::Client(command) => clients::run(settings, clock, command).await,
        Command::Registration(command) => registration::run(settings, clock, command).await,
        Command::Logout(command) => logout::run(settings, command).await,
        Command::Keys(command) => keys::run(settings, clock, command).await,
        Command::Mail(command) => mail::run(settings, command).await,
        Command::Group(command) => groups::run(settings, clock, command).await,
        Command::Audit(args) => audit::run(settings, args).await,
        Command::Gateway(command) => gateway::run(settings, command).await,
        Command::Upstream(command) => upstreams::run(settings, clock, command).await,
        Command::Config(_) => Ok(()),
    }
}

fn show_config(file: Option<&std::path::Path>, json: bool) -> anyhow::Result<()> {
    let rows = Settings::describe(file)?;
    if json {
        let value: Vec<_> = rows
            .iter()
            .map(|(key, value, source)| serde_json::json!({ "key": key, "value": value, "source": source }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let width = rows.iter().map(|(k, v, _)| k.len() + v.len() + 3).max().unwrap_or(0);
    for (key, value, source) in rows {
        let line = format!("{key} = {value}");
        println!("{line:<width$}  # {source}");
    }
    Ok(())
}

/// What an operator's command works on: the database and the keys. Without
/// Redis the ephemeral state is the running server's; the command gets a
/// scratch store in memory and leaves the store journal alone (the server
/// appends to it), so it must not end sessions: see [`on_the_server`].
async fn services(mut settings: Settings, clock: SharedClock) -> anyhow::Result<startup::Services> {
    settings.store_journal = std::path::PathBuf::new();
    startup::build_services(settings, clock).await
}

/// Has `operation` carried out where the sessions and tokens it ends live.
/// With Redis, here: every node shares that store. Without it, by the
/// running server, through its admin socket; when no server runs (its store
/// journal is free), here, in that journal, which the server reads when it
/// starts. Fails, having changed nothing, when a server runs but does not
/// answer.
async fn on_the_server(settings: Settings, clock: SharedClock, operation: Operation) -> anyhow::Result<Ended> {
    if settings.redis_url().is_some() {
        let services = startup::build_services(settings, clock).await?;
        let voice = crate::ui::Voice::default_for(services.look.clone());
        return Ok(voice.speak(control::perform(&services, operation)).await?);
    }
    let unanswered = if settings.admin_socket.as_os_str().is_empty() {
        anyhow::anyhow!("admin_socket is empty, so no running server can be asked")
    } else {
        match control::socket::ask(&settings.admin_socket, &operation).await {
            Err(unreachable @ control::socket::AskError::Unreachable { .. }) => unreachable.into(),
            answered => return Ok(answered?),
        }
    };
    anyhow::ensure!(
        !settings.store_journal.as_os_str().is_empty(),
        "{unanswered}; and with store_journal empty a running server's sessions are in its memory alone"
    );
    let services = startup::build_services(settings, clock)
        .await
        .map_err(|e| anyhow::anyhow!("{unanswered}; and {e:#}"))?;
    let voice = crate::ui::Voice::default_for(services.look.clone());
    let ended = voice.speak(control::perform(&services, operation)).await?;
    services.ephemeral.flush().await?;
    eprintln!("no server is running: done in its store journal, where the server finds it when it starts");
    Ok(ended)
}

fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        first
    } else {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        input.lines().next().unwrap_or("").to_string()
    };
    Ok(password)
}
