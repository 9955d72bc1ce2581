//! The `sesame` command line: what operators and scripts rely on.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::admin::{self, NewClient, NewUser, Via};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{DEFAULTS_TOML, Settings};
use crate::domain::{Alg, ApplicationType, AuthMethod, Role};
use crate::startup::{self, Application};

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
enum KeysCommand {
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
        /// RS256 (default) or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
    },
    /// Revoke a compromised key: it leaves the JWKS at once and its tokens stop verifying.
    Revoke { kid: String },
    /// Import a private key (PEM, RSA or P-256) as the next key.
    Import {
        file: PathBuf,
        /// Sign with it at once instead of after the pre-publication window.
        #[arg(long)]
        now: bool,
    },
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
    /// Sign a user out everywhere, telling every app (needs the shared Redis
    /// store: with the in-process store, sessions live inside the server).
    Logout {
        username: String,
        /// Keep the user's offline_access refresh tokens (their offline apps go on working).
        #[arg(long)]
        keep_offline: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (read from a prompt, or from stdin when it is not a terminal).
    /// Everyone signed in as the user is signed out.
    SetPassword {
        username: String,
        /// Keep the user's offline_access refresh tokens.
        #[arg(long)]
        keep_offline: bool,
    },
    /// Disable an account: it cannot sign in, its sessions end everywhere and
    /// its offline_access refresh tokens are revoked.
    Disable {
        username: String,
        /// Keep the offline_access refresh tokens (unusable while disabled, usable once enabled again).
        #[arg(long)]
        keep_offline: bool,
    },
    /// Enable a disabled account.
    Enable { username: String },
    /// Grant a role: developer (registers clients on the developer portal) or admin (sees every client).
    GrantRole { username: String, role: String },
    /// Take a role back.
    RevokeRole { username: String, role: String },
}

#[derive(Subcommand, Debug)]
enum RegistrationCommand {
    /// Manage initial access tokens.
    #[command(subcommand)]
    Token(RegistrationTokenCommand),
}

#[derive(Subcommand, Debug)]
enum RegistrationTokenCommand {
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

#[derive(Subcommand, Debug)]
enum LogoutCommand {
    /// List back-channel logout notices: pending, delivered, failed.
    Deliveries {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Register a client; prints its id and, for a confidential client, its secret (once).
    Add(ClientAdd),
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client's registration.
    Show { client_id: String },
    /// Change a client's registration: the options given replace those values, the rest stay.
    Update {
        client_id: String,
        #[command(flatten)]
        metadata: ClientMetadataArgs,
        #[command(flatten)]
        access: ClientAccessArgs,
        /// Print JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Give a client a new secret (printed once).
    RotateSecret {
        client_id: String,
        /// Seconds the old secret keeps working, to redeploy the app without downtime (default 0: it stops now).
        #[arg(long, default_value_t = 0)]
        grace: u64,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client; its tokens stop working.
    Delete { client_id: String },
}

#[derive(Args, Debug)]
struct ClientAdd {
    #[command(flatten)]
    metadata: ClientMetadataArgs,
    /// A public client (SPA, native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Choose the client id instead of generating one.
    #[arg(long)]
    client_id: Option<String>,
    /// The operator's own app: people are not asked for consent.
    #[arg(long)]
    first_party: bool,
    /// Issue RFC 9068 JWT access tokens (resource servers validate them locally).
    #[arg(long)]
    jwt_access_tokens: bool,
    #[command(flatten)]
    access: ClientAccessArgs,
    /// Print JSON, for scripts.
    #[arg(long)]
    json: bool,
}

/// What a client's access tokens reach, and what it may introspect: the
/// operator's decisions, never the app's (registration and the portal
/// cannot set them).
#[derive(Args, Debug)]
struct ClientAccessArgs {
    /// A resource (RFC 8707 resource indicator, an absolute URI) the client's
    /// access tokens may be for; repeat for several. On update, replaces the list.
    #[arg(long = "audience")]
    audiences: Vec<String>,
    /// On update: remove every audience (tokens are for this server only).
    #[arg(long, conflicts_with = "audiences")]
    clear_audiences: bool,
    /// The client is a resource server that may introspect every client's
    /// access tokens (`--resource-server false` to take it back).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    resource_server: Option<bool>,
}

impl ClientAccessArgs {
    /// The new audiences, when these options change them.
    fn audiences(&self) -> Option<Vec<String>> {
        if self.clear_audiences {
            return Some(Vec::new());
        }
        (!self.audiences.is_empty()).then(|| self.audiences.clone())
    }

    fn is_empty(&self) -> bool {
        self.audiences().is_none() && self.resource_server.is_none()
    }
}

/// Client metadata options, shared by `client add` and `client update`.
#[derive(Args, Debug)]
struct ClientMetadataArgs {
    #[arg(long)]
    name: Option<String>,
    /// web (default) or native (RFC 8252: private-use schemes, loopback on any port).
    #[arg(long)]
    application_type: Option<String>,
    /// A redirect URI, exactly as the app will send it; repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
    #[arg(long)]
    auth_method: Option<String>,
    /// ID token signing algorithm: RS256 (default) or ES256.
    #[arg(long)]
    id_token_alg: Option<String>,
    /// Where RP-initiated logout may return the browser; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout: where logout tokens are POSTed.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Front-Channel Logout: loaded in an iframe when the user signs out.
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// Grant types (repeat): authorization_code, refresh_token, client_credentials.
    /// Default: authorization_code and refresh_token.
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// For --auth-method private_key_jwt: a file holding the client's public JWK Set.
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// For --auth-method private_key_jwt: where Sesame fetches the client's JWK Set.
    #[arg(long)]
    jwks_uri: Option<String>,
    /// The app's home page, shown to people.
    #[arg(long)]
    client_uri: Option<String>,
    #[arg(long)]
    logo_uri: Option<String>,
    #[arg(long)]
    policy_uri: Option<String>,
    #[arg(long)]
    tos_uri: Option<String>,
    /// A contact email address; repeat for several.
    #[arg(long = "contact")]
    contacts: Vec<String>,
}

impl ClientMetadataArgs {
    /// These options over `base`: what is given replaces, the rest stays.
    fn apply_to(self, mut base: NewClient) -> anyhow::Result<NewClient> {
        if let Some(name) = self.name {
            base.name = name;
        }
        if let Some(t) = self.application_type.as_deref() {
            base.application_type =
                Some(ApplicationType::parse(t).with_context(|| format!("unknown application type {t:?}"))?);
        }
        if let Some(m) = self.auth_method.as_deref() {
            base.auth_method = Some(AuthMethod::parse(m).with_context(|| format!("unknown auth method {m:?}"))?);
        }
        if let Some(a) = self.id_token_alg.as_deref() {
            base.id_token_alg = Some(Alg::parse(a).with_context(|| format!("unsupported ID token algorithm {a:?}"))?);
        }
        if let Some(path) = &self.jwks_file {
            base.jwks = Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?);
            base.jwks_uri = None;
        }
        if self.jwks_uri.is_some() {
            base.jwks_uri = self.jwks_uri;
            base.jwks = None;
        }
        let replace = |list: Vec<String>, into: &mut Vec<String>| {
            if !list.is_empty() {
                *into = list;
            }
        };
        replace(self.redirect_uris, &mut base.redirect_uris);
        replace(self.post_logout_redirect_uris, &mut base.post_logout_redirect_uris);
        replace(self.grant_types, &mut base.grant_types);
        replace(self.contacts, &mut base.info.contacts);
        let set = |value: Option<String>, into: &mut Option<String>| {
            if let Some(v) = value {
                // An empty value clears the field.
                *into = Some(v).filter(|v| !v.is_empty());
            }
        };
        set(self.backchannel_logout_uri, &mut base.backchannel_logout_uri);
        set(self.frontchannel_logout_uri, &mut base.frontchannel_logout_uri);
        set(self.client_uri, &mut base.info.client_uri);
        set(self.logo_uri, &mut base.info.logo_uri);
        set(self.policy_uri, &mut base.info.policy_uri);
        set(self.tos_uri, &mut base.info.tos_uri);
        Ok(base)
    }
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
            let base = NewClient {
                public: args.public,
                client_id: args.client_id,
                first_party: args.first_party,
                jwt_access_tokens: args.jwt_access_tokens,
                audiences: args.access.audiences.clone(),
                resource_server: args.access.resource_server.unwrap_or(false),
                ..NewClient::default()
            };
            let new = args.metadata.apply_to(base)?;
            let services = startup::build_services(settings, clock).await?;
            let created = admin::add_client(&services.client_admin(), new, Via::Cli).await?;
            print_client(&created.client, created.secret.as_deref(), args.json);
            Ok(())
        }
        Command::Client(ClientCommand::Update {
            client_id,
            metadata,
            access,
            json,
        }) => {
            let services = startup::build_services(settings, clock).await?;
            let client = services
                .clients
                .find_client(&client_id)
                .await?
                .with_context(|| format!("no client {client_id}"))?;
            let new = metadata.apply_to(admin::metadata_of(&client))?;
            let mut updated = admin::update_client(&services.client_admin(), &client_id, new).await?;
            if !access.is_empty() {
                updated.client = admin::set_client_access(
                    &services.client_admin(),
                    &client_id,
                    access.audiences(),
                    access.resource_server,
                )
                .await?;
            }
            print_client(&updated.client, updated.secret.as_deref(), json);
            Ok(())
        }
        Command::Registration(RegistrationCommand::Token(command)) => {
            let services = startup::build_services(settings, clock).await?;
            registration_token_command(&services, command).await
        }
        Command::User(UserCommand::GrantRole { username, role }) => {
            change_role(settings, clock, &username, &role, true).await
        }
        Command::User(UserCommand::RevokeRole { username, role }) => {
            change_role(settings, clock, &username, &role, false).await
        }
        Command::Keys(command) => keys_command(settings, clock, command).await,
        Command::Client(ClientCommand::List { json }) => {
            let sql = startup::connect_sql(&settings).await?;
            let clients = crate::store::ClientRepository::list_clients(&sql).await?;
            let views: Vec<_> = clients.iter().map(client_json).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                for client in &clients {
                    println!(
                        "{:<24} {:<12} {}",
                        client.client_id,
                        client.client_type.as_str(),
                        client.name
                    );
                }
            }
            Ok(())
        }
        Command::Client(ClientCommand::Show { client_id }) => {
            let sql = startup::connect_sql(&settings).await?;
            let client = crate::store::ClientRepository::find_client(&sql, &client_id)
                .await?
                .with_context(|| format!("no client {client_id}"))?;
            println!("{}", serde_json::to_string_pretty(&client_json(&client))?);
            Ok(())
        }
        Command::Client(ClientCommand::RotateSecret { client_id, grace, json }) => {
            let services = startup::build_services(settings, clock).await?;
            let secret = admin::rotate_secret(&services.client_admin(), &client_id, grace).await?;
            if json {
                println!("{}", json!({ "client_id": client_id, "client_secret": secret }));
            } else if grace > 0 {
                println!("client_secret: {secret}\n(shown only now; the old secret keeps working for {grace} s)");
            } else {
                println!("client_secret: {secret}\n(shown only now; the old secret no longer works)");
            }
            Ok(())
        }
        Command::Client(ClientCommand::Delete { client_id }) => {
            let services = startup::build_services(settings, clock).await?;
            admin::delete_client(&services.client_admin(), &client_id).await?;
            println!("client {client_id} deleted; its tokens no longer work");
            Ok(())
        }
        Command::User(UserCommand::List { json }) => {
            let sql = startup::connect_sql(&settings).await?;
            let users = crate::store::UserRepository::list_users(&sql).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for user in &users {
                    let state = if user.disabled { "disabled" } else { "active" };
                    println!(
                        "{:<24} {:<9} {:<18} {}",
                        user.username,
                        state,
                        roles_text(&user.roles),
                        user.email.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
        Command::User(UserCommand::SetPassword { username, keep_offline }) => {
            let password = read_password()?;
            warn_without_shared_store(&settings);
            let services = startup::build_services(settings, clock).await?;
            let ended = admin::set_password(
                &services.user_admin(),
                &username,
                password,
                offline_tokens(keep_offline),
            )
            .await?;
            println!("password of {username} changed; {}", describe_ended(&ended));
            Ok(())
        }
        Command::User(UserCommand::Logout { username, keep_offline }) => {
            warn_without_shared_store(&settings);
            let services = startup::build_services(settings, clock).await?;
            let ended = admin::logout_user(&services.user_admin(), &username, offline_tokens(keep_offline)).await?;
            println!("{}", describe_ended(&ended));
            Ok(())
        }
        Command::User(UserCommand::Disable { username, keep_offline }) => {
            warn_without_shared_store(&settings);
            let services = startup::build_services(settings, clock).await?;
            let ended =
                admin::set_user_disabled(&services.user_admin(), &username, true, offline_tokens(keep_offline)).await?;
            println!("{username} disabled; {}", describe_ended(&ended));
            Ok(())
        }
        Command::User(UserCommand::Enable { username }) => {
            let services = startup::build_services(settings, clock).await?;
            admin::set_user_disabled(&services.user_admin(), &username, false, admin::OfflineTokens::Keep).await?;
            println!("{username} enabled");
            Ok(())
        }
        Command::Logout(LogoutCommand::Deliveries { json, limit }) => {
            let sql = startup::connect_sql(&settings).await?;
            let deliveries = crate::store::LogoutOutbox::list_deliveries(&sql, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&deliveries)?);
                return Ok(());
            }
            println!(
                "{:<10} {:<24} {:>8} {:>12}  LAST ERROR",
                "STATUS", "CLIENT", "ATTEMPTS", "NEXT"
            );
            for d in deliveries {
                println!(
                    "{:<10} {:<24} {:>8} {:>12}  {}",
                    d.status.as_str(),
                    d.client_id,
                    d.attempts,
                    d.next_attempt_at,
                    d.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
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

async fn keys_command(settings: Settings, clock: SharedClock, command: KeysCommand) -> anyhow::Result<()> {
    use crate::keys::rotation::When;
    use crate::keys::{Alg, KeyMaterial};
    let services = startup::build_services(settings, clock).await?;
    let when = |now: bool| if now { When::Now } else { When::Scheduled };
    match command {
        KeysCommand::List { json } => {
            let keys = services.keys.current().describe(services.clock.now());
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
                return Ok(());
            }
            println!(
                "{:<45} {:<6} {:<8} {:>12} {:>12} {:>12}",
                "KID", "ALG", "STATE", "CREATED", "ACTIVATES", "UNTIL"
            );
            for k in keys {
                let until = k.published_until.map(|u| u.to_string()).unwrap_or_default();
                println!(
                    "{:<45} {:<6} {:<8} {:>12} {:>12} {:>12}",
                    k.kid, k.alg, k.state, k.created_at, k.activates_at, until
                );
            }
        }
        KeysCommand::Rotate { now, alg } => {
            let alg = Alg::parse(&alg).with_context(|| format!("unsupported algorithm {alg:?}"))?;
            let kid = services.key_rotation().rotate(alg, when(now), None).await?;
            println!("{kid}");
        }
        KeysCommand::Revoke { kid } => {
            eprintln!(
                "WARNING: revoking {kid}. Tokens it signed stop verifying as soon as relying apps refetch the JWKS;                  if it was the active key, a new key signs at once and apps with a cached JWKS reject new tokens                  until they refetch it."
            );
            services.key_rotation().revoke(&kid).await?;
            println!("revoked {kid}");
        }
        KeysCommand::Import { file, now } => {
            let pem = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let material = KeyMaterial::from_any_pem(pem)?;
            let alg = material.alg;
            let kid = services.key_rotation().rotate(alg, when(now), Some(material)).await?;
            println!("{kid}");
        }
    }
    Ok(())
}

/// A client's registration (as the registration API shows it), without
/// secrets, plus what only the operator sees.
fn offline_tokens(keep: bool) -> admin::OfflineTokens {
    if keep {
        admin::OfflineTokens::Keep
    } else {
        admin::OfflineTokens::Revoke
    }
}

fn describe_ended(ended: &admin::Ended) -> String {
    format!(
        "{} session(s) ended, {} offline refresh token grant(s) revoked; apps are being told",
        ended.sessions, ended.offline_families
    )
}

fn client_json(client: &crate::domain::Client) -> serde_json::Value {
    let mut value = crate::oidc::registration::metadata_json(client);
    value["client_type"] = json!(client.client_type.as_str());
    value["first_party"] = json!(client.first_party);
    value["jwt_access_tokens"] = json!(client.jwt_access_tokens);
    value["access_token_audiences"] = json!(client.audiences);
    value["resource_server"] = json!(client.resource_server);
    value["scope"] = json!(client.allowed_scopes.to_string());
    value["owner_id"] = json!(client.owner_id);
    value
}

fn print_client(client: &crate::domain::Client, secret: Option<&str>, as_json: bool) {
    if as_json {
        let mut value = client_json(client);
        value["client_secret"] = json!(secret);
        println!("{value}");
        return;
    }
    println!("client_id:     {}", client.client_id);
    if let Some(secret) = secret {
        println!("client_secret: {secret}");
        println!("(the secret is shown only now; store it safely)");
    }
}

async fn change_role(
    settings: Settings,
    clock: SharedClock,
    username: &str,
    role: &str,
    granted: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| format!("unknown role {role:?} (developer or admin)"))?;
    let services = startup::build_services(settings, clock).await?;
    let roles = admin::set_user_role(&services.user_admin(), username, role, granted).await?;
    println!("{username} now has roles: {}", roles_text(&roles));
    Ok(())
}

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "-".into();
    }
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

async fn registration_token_command(
    services: &crate::services::Services,
    command: RegistrationTokenCommand,
) -> anyhow::Result<()> {
    match command {
        RegistrationTokenCommand::Create {
            expires_in,
            uses,
            label,
            json,
        } => {
            let ttl = expires_in.unwrap_or(services.settings.registration.token_ttl_secs);
            let (record, token) =
                admin::create_registration_token(&services.registration_token_admin(), label, ttl, uses).await?;
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
                    services.settings.endpoint("/register")
                );
            }
        }
        RegistrationTokenCommand::List { json } => {
            let tokens = services.registration_tokens.list_registration_tokens().await?;
            if json {
                let values: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        json!({"id": t.id, "label": t.label, "created_at": t.created_at,
                               "expires_at": t.expires_at, "uses_left": t.uses_left})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&values)?);
                return Ok(());
            }
            let now = services.clock.now();
            println!("{:<38} {:>9} {:<8} LABEL", "ID", "USES LEFT", "STATE");
            for t in tokens {
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
            admin::revoke_registration_token(&services.registration_token_admin(), id).await?;
            println!("registration token {id} revoked");
        }
    }
    Ok(())
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
    crate::observability::init_logging(settings.log_format);
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
        client_id: Some(DEMO_CLIENT.into()),
        post_logout_redirect_uris: vec!["http://localhost:9000/".into()],
        ..NewClient::default()
    };
    let created = admin::add_client(&services.client_admin(), client, Via::Cli).await?;
    println!("demo user:     {DEMO_USER} / {password}");
    println!("demo client:   {DEMO_CLIENT} / {}", created.secret.unwrap_or_default());
    println!("redirect URI:  {redirect}");
    Ok(())
}
