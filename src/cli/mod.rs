//! The `sesame` command line: what operators and scripts rely on. One module
//! per command group.

mod clients;
mod keys;
mod logout;
mod registration;
mod serve;
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
use crate::clock::{SharedClock, SystemClock};
use crate::config::{DEFAULTS_TOML, Settings};
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
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Initial access tokens for the registration API (RFC 7591).
    #[command(subcommand)]
    Registration(RegistrationCommand),
    /// Inspect single logout.
    #[command(subcommand)]
    Logout(LogoutCommand),
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
    let mut settings = Settings::load(cli.config.as_deref())?;
    let clock: SharedClock = Arc::new(SystemClock);
    if !matches!(cli.command, Command::Serve { .. }) {
        // The store journal belongs to the running server, which appends to
        // it; an operator command must not open (and compact) it beside it.
        settings.store_journal = std::path::PathBuf::new();
    }
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
        Command::User(command) => users::run(settings, clock, command).await,
        Command::Client(command) => clients::run(settings, clock, command).await,
        Command::Registration(command) => registration::run(settings, clock, command).await,
        Command::Logout(command) => logout::run(settings, command).await,
        Command::Keys(command) => keys::run(settings, clock, command).await,
        Command::Config(ConfigCommand::Defaults) => Ok(()),
    }
}

fn warn_without_shared_store(settings: &Settings) {
    if settings.redis_url().is_none() {
        eprintln!(
            "warning: no redis_url: sessions live inside the running server's memory, where this command cannot \
             reach them; end them from the account page, or run with Redis"
        );
    }
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
