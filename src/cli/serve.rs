//! `sesame serve`: the server, and the demo accounts of `--demo`.

use crate::admin::{self, NewClient, NewUser, Via};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::http::Application;
use crate::startup;
use crate::store::UserRepository;

pub async fn run(settings: Settings, clock: SharedClock, demo: bool) -> anyhow::Result<()> {
    crate::observability::init_logging(settings.log_format);
    for warning in settings.load_warnings.iter().chain(&settings.development_warnings()) {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        database = %settings.database_location(),
        keys = %settings.keys_dir.display(),
        ephemeral = %settings.ephemeral_location(),
        "where this node keeps its data"
    );
    let services = startup::build_services(settings, clock).await?;
    if demo {
        create_demo_accounts(&services.client_admin(), &*services.users).await?;
    }
    Application::build(services).await?.run().await?;
    Ok(())
}

/// A user and a confidential client to try the flow with, created once.
async fn create_demo_accounts(clients: &admin::ClientAdmin<'_>, users: &dyn UserRepository) -> anyhow::Result<()> {
    const DEMO_CLIENT: &str = "demo-app";
    const DEMO_USER: &str = "demo";
    let redirect = "http://localhost:9000/callback";
    let demo_client = crate::domain::ClientId::parse(DEMO_CLIENT)?;
    if clients.clients.find_client(&demo_client).await?.is_some() {
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
    admin::add_user(users, clients.clock, user).await?;
    let client = NewClient {
        name: "Demo App".into(),
        redirect_uris: vec![redirect.into()],
        client_id: Some(DEMO_CLIENT.into()),
        post_logout_redirect_uris: vec!["http://localhost:9000/".into()],
        ..NewClient::default()
    };
    let created = admin::add_client(clients, client, Via::Cli).await?;
    println!("demo user:     {DEMO_USER} / {password}");
    println!("demo client:   {DEMO_CLIENT} / {}", created.secret.unwrap_or_default());
    println!("redirect URI:  {redirect}");
    Ok(())
}
