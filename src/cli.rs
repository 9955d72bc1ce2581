//! The `sesame` command line: what operators and scripts rely on.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::admin::{self, NewClient, NewUser};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{DEFAULTS_TOML, Settings};
use crate::domain::AuthMethod;
use crate::startup::{self, Application};
use crate::telemetry;

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
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user. The password is read from a prompt, or from standard input
    /// when it is not a terminal (never from the command line).
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Register a client; prints its id and, for a confidential client, its secret (once).
    Add(ClientAdd),
}

#[derive(Args, Debug)]
struct ClientAdd {
    #[arg(long)]
    name: String,
    /// A redirect URI, exactly as the app will send it; repeat for several.
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// A public client (SPA, native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Choose the client id instead of generating one.
    #[arg(long)]
    client_id: Option<String>,
    /// client_secret_basic (default) or client_secret_post.
    #[arg(long)]
    auth_method: Option<String>,
    /// The operator's own app: people are not asked for consent.
    #[arg(long)]
    first_party: bool,
    /// Print JSON, for scripts.
    #[arg(long)]
    json: bool,
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
    let settings = Settings::load(cli.config.as_deref())?;
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => serve(settings, clock, demo).await,
        Command::Migrate => {
            startup::connect_sql(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Add { username, email, name }) => {
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
        Command::Client(ClientCommand::Add(args)) => {
            let auth_method = match args.auth_method.as_deref() {
                None => None,
                Some(m) => Some(AuthMethod::parse(m).with_context(|| format!("unknown auth method {m:?}"))?),
            };
            let sql = startup::connect_sql(&settings).await?;
            let created = admin::add_client(
                &sql,
                &*clock,
                NewClient {
                    name: args.name,
                    redirect_uris: args.redirect_uris,
                    public: args.public,
                    client_id: args.client_id,
                    auth_method,
                    first_party: args.first_party,
                },
            )
            .await?;
            print_client(&created, args.json);
            Ok(())
        }
        Command::Config(ConfigCommand::Defaults) => Ok(()),
    }
}

fn print_client(created: &admin::CreatedClient, as_json: bool) {
    let client = &created.client;
    if as_json {
        let value = json!({
            "client_id": client.client_id,
            "client_secret": created.secret,
            "client_type": client.client_type.as_str(),
            "token_endpoint_auth_method": client.auth_method.as_str(),
            "redirect_uris": client.redirect_uris,
        });
        println!("{value}");
        return;
    }
    println!("client_id:     {}", client.client_id);
    if let Some(secret) = &created.secret {
        println!("client_secret: {secret}");
        println!("(the secret is shown only now; store it safely)");
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

async fn serve(settings: Settings, clock: SharedClock, demo: bool) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    for warning in settings.development_warnings() {
        tracing::warn!("{warning}");
    }
    let services = startup::build_services(settings, clock).await?;
    if demo {
        create_demo_accounts(&services).await?;
    }
    let app = Application::build(services).await?;
    tracing::info!(
        port = app.port(),
        issuer = %app.services().settings.issuer,
        "Sesame is serving"
    );
    app.run().await?;
    Ok(())
}

/// A user and a confidential client to try the flow with, created once.
async fn create_demo_accounts(services: &crate::services::Services) -> anyhow::Result<()> {
    const DEMO_CLIENT: &str = "demo-app";
    const DEMO_USER: &str = "demo";
    let redirect = "http://localhost:9000/callback";
    if services.clients.find_client(DEMO_CLIENT).await?.is_some() {
        println!(
            "demo: client {DEMO_CLIENT} and user {DEMO_USER} already exist (credentials were printed at first start)"
        );
        return Ok(());
    }
    let password = crate::crypto::random_token()[..16].to_string();
    let user = NewUser {
        username: DEMO_USER.into(),
        email: Some("demo@example.com".into()),
        display_name: Some("Demo User".into()),
        password: password.clone(),
    };
    admin::add_user(&*services.users, &*services.clock, user).await?;
    let client = NewClient {
        name: "Demo App".into(),
        redirect_uris: vec![redirect.into()],
        public: false,
        client_id: Some(DEMO_CLIENT.into()),
        auth_method: None,
        first_party: false,
    };
    let created = admin::add_client(&*services.clients, &*services.clock, client).await?;
    println!("demo user:     {DEMO_USER} / {password}");
    println!("demo client:   {DEMO_CLIENT} / {}", created.secret.unwrap_or_default());
    println!("redirect URI:  {redirect}");
    Ok(())
}
