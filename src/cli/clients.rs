//! `sesame client …`: registering and changing OAuth clients.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::admin::{self, NewClient, Via};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::{Alg, ApplicationType, AuthMethod, ClientId, ManagementAccess};
use crate::startup;

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and, for a confidential client, its secret (once).
    Add(ClientAdd),
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client's registration.
    Show {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Change a client's registration: the options given replace those values, the rest stay.
    Update {
        #[arg(allow_hyphen_values = true)]
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
        #[arg(allow_hyphen_values = true)]
        client_id: String,
        /// Seconds the old secret keeps working, to redeploy the app without downtime (default 0: it stops now).
        #[arg(long, default_value_t = 0)]
        grace: u64,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client; its tokens stop working.
    Delete {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
}

#[derive(Args, Debug)]
pub struct ClientAdd {
    #[command(flatten)]
    metadata: ClientMetadataArgs,
    /// A public client (SPA, native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Choose the client id instead of generating one.
    #[arg(long)]
    client_id: Option<String>,
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
pub struct ClientAccessArgs {
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
    /// Everyone signing in to this app must present a second factor
    /// (`--require-second-factor false` to take it back).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    require_second_factor: Option<bool>,
    /// People must have confirmed their email address before this app gets
    /// a code (`--require-verified-email false` to take it back).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    require_verified_email: Option<bool>,
    /// The operator's own app: people are not asked for consent
    /// (`--first-party false` to take it back).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    first_party: Option<bool>,
    /// What the client's own tokens (client_credentials) may do with the
    /// management API: read (what an auditor sees), change (what an admin
    /// does) or none.
    #[arg(long, value_name = "ACCESS", value_parser = ["read", "change", "none"])]
    management: Option<String>,
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
        self.audiences().is_none()
            && self.resource_server.is_none()
            && self.require_second_factor.is_none()
            && self.require_verified_email.is_none()
            && self.first_party.is_none()
            && self.management.is_none()
    }

    fn change(&self) -> admin::AccessChange {
        admin::AccessChange {
            audiences: self.audiences(),
            resource_server: self.resource_server,
            require_second_factor: self.require_second_factor,
            require_verified_email: self.require_verified_email,
            first_party: self.first_party,
            management: self.management.as_deref().map(ManagementAccess::parse),
        }
    }
}

/// Client metadata options, shared by `client add` and `client update`.
#[derive(Args, Debug)]
pub struct ClientMetadataArgs {
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
            base.id_token_alg =
                Some(Alg::parse_jws(a).with_context(|| format!("unsupported ID token algorithm {a:?}"))?);
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

pub async fn run(settings: Settings, clock: SharedClock, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Add(args) => {
            let base = NewClient {
                public: args.public,
                client_id: args.client_id,
                first_party: args.access.first_party.unwrap_or(false),
                jwt_access_tokens: args.jwt_access_tokens,
                audiences: args.access.audiences.clone(),
                resource_server: args.access.resource_server.unwrap_or(false),
                require_second_factor: args.access.require_second_factor.unwrap_or(false),
                require_verified_email: args.access.require_verified_email.unwrap_or(false),
                ..NewClient::default()
            };
            let new = args.metadata.apply_to(base)?;
            let services = super::services(settings, clock).await?;
            let mut created = admin::add_client(&services.client_admin(), new, Via::Cli).await?;
            if args.access.management.is_some() {
                let client_id = created.client.client_id.clone();
                created.client =
                    admin::set_client_access(&services.client_admin(), &client_id, args.access.change()).await?;
            }
            print_client(&created.client, created.secret.as_deref(), args.json);
            Ok(())
        }
        ClientCommand::Update {
            client_id,
            metadata,
            access,
            json,
        } => {
            let client_id = existing_client_id(&client_id)?;
            let services = super::services(settings, clock).await?;
            let client = services
                .clients
                .find_client(&client_id)
                .await?
                .with_context(|| format!("no client {client_id}"))?;
            let new = metadata.apply_to(admin::metadata_of(&client))?;
            let mut updated = admin::update_client(&services.client_admin(), &client_id, new).await?;
            if !access.is_empty() {
                updated.client =
                    admin::set_client_access(&services.client_admin(), &client_id, access.change()).await?;
            }
            print_client(&updated.client, updated.secret.as_deref(), json);
            Ok(())
        }
        ClientCommand::List { json } => {
            let sql = startup::connect_sql(&settings).await?;
            let clients = crate::store::ClientRepository::list_clients(&sql).await?;
            let views: Vec<_> = clients.iter().map(client_json).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                let rows: Vec<Vec<String>> = clients
                    .iter()
                    .map(|client| {
                        vec![
                            client.client_id.to_string(),
                            client.client_type.as_str().to_string(),
                            client.name.clone(),
                        ]
                    })
                    .collect();
                super::table::print(&["CLIENT ID", "TYPE", "NAME"], &rows);
            }
            Ok(())
        }
        ClientCommand::Show { client_id } => {
            let client_id = existing_client_id(&client_id)?;
            let sql = startup::connect_sql(&settings).await?;
            let client = crate::store::ClientRepository::find_client(&sql, &client_id)
                .await?
                .with_context(|| format!("no client {client_id}"))?;
            println!("{}", serde_json::to_string_pretty(&client_json(&client))?);
            Ok(())
        }
        ClientCommand::RotateSecret { client_id, grace, json } => {
            let client_id = existing_client_id(&client_id)?;
            let services = super::services(settings, clock).await?;
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
        ClientCommand::Delete { client_id } => {
            let client_id = existing_client_id(&client_id)?;
            let operation = crate::control::Operation::DeleteClient {
                client_id: client_id.to_string(),
            };
            super::on_the_server(settings, clock, operation).await?;
            println!("client {client_id} deleted; its tokens no longer work");
            Ok(())
        }
    }
}

/// A client's registration (as the registration API shows it), without
/// secrets, plus what only the operator sees.
fn client_json(client: &crate::domain::Client) -> serde_json::Value {
    let mut value = crate::oidc::registration::metadata_json(client);
    value["client_type"] = json!(client.client_type.as_str());
    value["first_party"] = json!(client.first_party);
    value["management"] = json!(client.management.map(ManagementAccess::as_str));
    value["jwt_access_tokens"] = json!(client.jwt_access_tokens);
    value["access_token_audiences"] = json!(client.audiences);
    value["resource_server"] = json!(client.resource_server);
    value["access_groups"] = json!(client.access_groups);
    value["require_second_factor"] = json!(client.require_second_factor);
    value["require_verified_email"] = json!(client.require_verified_email);
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

/// A client id from the command line; text that cannot be one names no client.
fn existing_client_id(id: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(id).map_err(|_| anyhow::anyhow!("no client {id}"))
}
