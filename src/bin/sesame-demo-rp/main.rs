//! A demo relying app: `sesame-demo-rp --port 9001 --client-id ID --client-secret SECRET`.
//! See the README's "Single logout, in a browser" section. It is a client
//! of Sesame like any other: it uses none of Sesame's code, only its HTTP
//! endpoints. With `--port 0` it listens where the system says and prints
//! that address first (tests start it so).

mod app;

use std::net::TcpListener;

use app::DemoConfig;
use clap::Parser;

#[derive(Parser)]
#[command(about = "A demo relying app that signs in and out through Sesame")]
struct Args {
    #[arg(long, default_value = "http://localhost:8080", env = "SESAME_ISSUER")]
    issuer: String,
    /// 0: any free port (printed).
    #[arg(long, default_value_t = 9001)]
    port: u16,
    #[arg(long)]
    client_id: String,
    #[arg(long, env = "DEMO_RP_CLIENT_SECRET")]
    client_secret: String,
    #[arg(long, default_value = "Demo app")]
    name: String,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    let config = DemoConfig {
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret: args.client_secret,
        name: args.name.clone(),
    };
    let app = app::start(config, listener).await?;
    println!("{} on http://127.0.0.1:{}/", args.name, app.port);
    app.server.await?;
    Ok(())
}
