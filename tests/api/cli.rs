//! The operator interface scripts rely on, run as the real binary.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::processes::ServeProcess;

fn sesame(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(args)
        .current_dir(dir)
        .env(
            "SESAME_DATABASE_URL",
            format!("sqlite://{}", dir.join("cli.db").display()),
        )
        .env("SESAME_KEYS_DIR", dir.join("keys"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[test]
fn users_and_clients_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = sesame(dir.path(), &["migrate"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = sesame(
        dir.path(),
        &["user", "add", "carol", "--email", "carol@example.com"],
        Some("a long password\n"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = sesame(dir.path(), &["user", "add", "Carol"], Some("a long password\n"));
    assert!(!again.status.success(), "usernames are unique, whatever their case");
    let short = sesame(dir.path(), &["user", "add", "dave"], Some("short\n"));
    assert!(!short.status.success());

    let out = sesame(
        dir.path(),
        &[
            "client",
            "add",
            "--name",
            "CLI App",
            "--redirect-uri",
            "https://cli.example/cb",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["client_secret"].as_str().unwrap().len(), 43, "a 256-bit secret");
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");

    let out = sesame(
        dir.path(),
        &[
            "client",
            "add",
            "--name",
            "SPA",
            "--redirect-uri",
            "https://spa.example/cb",
            "--public",
            "--client-id",
            "spa",
            "--json",
        ],
        None,
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["client_id"], "spa");
    assert!(created["client_secret"].is_null());

    let bad = sesame(
        dir.path(),
        &[
            "client",
            "add",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.example/cb#frag",
        ],
        None,
    );
    assert!(!bad.status.success());
}

#[test]
fn config_defaults_prints_the_annotated_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = sesame(dir.path(), &["config", "defaults"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r#"issuer = "http://localhost:8080""#));
    assert!(text.contains(r#"listen = "127.0.0.1:8080""#));
    let missing = sesame(dir.path(), &["--config", "nope.toml", "migrate"], None);
    assert!(!missing.status.success());
}

#[test]
fn keys_are_listed_rotated_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = |dir: &std::path::Path| -> Vec<serde_json::Value> {
        let out = sesame(dir, &["keys", "list", "--json"], None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let keys = list(dir.path());
    assert_eq!(
        keys.len(),
        3,
        "an RS256, an ES256 and a PASETO v4.public key on first start"
    );
    assert!(keys.iter().all(|k| k["state"] == "active"));
    assert!(std::fs::read_dir(dir.path().join("keys")).unwrap().any(|e| {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        name.starts_with("kek-") && name.ends_with(".key")
    }));

    let out = sesame(dir.path(), &["keys", "rotate"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let next = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let keys = list(dir.path());
    let scheduled = keys.iter().find(|k| k["kid"] == next.as_str()).unwrap();
    assert_eq!(scheduled["state"], "next");
    let out = sesame(dir.path(), &["keys", "rotate", "--alg", "v4.public"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let next_paseto = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(next_paseto.starts_with("k4.pid."), "{next_paseto}");

    let active = keys
        .iter()
        .find(|k| k["alg"] == "RS256" && k["state"] == "active")
        .unwrap();
    let kid = active["kid"].as_str().unwrap();
    let out = sesame(dir.path(), &["keys", "revoke", kid], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING"));
    let keys = list(dir.path());
    assert_eq!(keys.iter().find(|k| k["kid"] == kid).unwrap()["state"], "revoked");
    assert!(
        keys.iter().any(|k| k["alg"] == "RS256" && k["state"] == "active"),
        "a new key signs at once"
    );

    // Import a PEM made elsewhere.
    let pem = sesame::keys::KeyMaterial::generate(sesame::keys::Alg::ES256).unwrap();
    let file = dir.path().join("imported.pem");
    std::fs::write(&file, &pem.private_pem).unwrap();
    let out = sesame(dir.path(), &["keys", "import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), pem.kid);
}

/// `sesame user logout` reaches the sessions of a running server through the
/// shared Redis store, and the notices it owes show in `sesame logout deliveries`.
#[tokio::test]
async fn an_operator_signs_a_user_out_everywhere() {
    let app =
        crate::helpers::spawn_app_with(crate::helpers::Backend::PostgresRedis, |s| s.logout.poll_secs = 3600).await;
    let created = sesame::admin::add_client(
        &app.services.client_admin(),
        sesame::admin::NewClient {
            name: "App".into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            first_party: true,
            backchannel_logout_uri: Some("http://127.0.0.1:9/backchannel".into()),
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let client = crate::helpers::TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: "http://app.example/callback".into(),
    };
    app.add_user("alice").await;
    app.get_code(&client, "alice").await;

    let settings = &app.services.settings;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(args)
            .env("SESAME_DATABASE_URL", settings.database_url.expose())
            .env("SESAME_REDIS_URL", settings.redis_url.expose())
            .env("SESAME_REDIS_PREFIX", &settings.redis_prefix)
            .env("SESAME_KEYS_DIR", &settings.keys_dir)
            .env("SESAME_ISSUER", &settings.issuer)
            .output()
            .unwrap()
    };
    let out = run(&["user", "logout", "alice"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 session(s) ended"));
    let none = app
        .authorize(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("prompt", "none"),
        ])
        .await;
    assert_eq!(crate::helpers::redirect_params(&none)["error"], "login_required");

    let out = run(&["logout", "deliveries", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deliveries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["status"], "pending");
    assert_eq!(deliveries[0]["client_id"], client.client_id.as_str());
}

#[test]
fn clients_and_users_are_listed_shown_and_changed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = sesame(
        dir.path(),
        &[
            "client",
            "add",
            "--name",
            "Shop",
            "--redirect-uri",
            "https://shop.example/cb",
            "--client-id",
            "shop",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first_secret = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["client_secret"].clone();

    let out = sesame(dir.path(), &["client", "list", "--json"], None);
    let clients: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["client_id"], "shop");
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !listed.contains(first_secret.as_str().unwrap()) && !listed.contains("secret_hash"),
        "no secret nor digest"
    );

    let out = sesame(dir.path(), &["client", "show", "shop"], None);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["redirect_uris"], serde_json::json!(["https://shop.example/cb"]));
    assert_eq!(
        shown["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );

    // What a client's tokens reach is the operator's to set.
    let out = sesame(
        dir.path(),
        &[
            "client",
            "update",
            "shop",
            "--audience",
            "https://api.shop.example/",
            "--resource-server",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let updated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        updated["access_token_audiences"],
        serde_json::json!(["https://api.shop.example/"])
    );
    assert_eq!(updated["resource_server"], true);
    let out = sesame(
        dir.path(),
        &[
            "client",
            "update",
            "shop",
            "--clear-audiences",
            "--resource-server",
            "false",
            "--json",
        ],
        None,
    );
    let updated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(updated["access_token_audiences"], serde_json::json!([]));
    assert_eq!(updated["resource_server"], false);
    let refused = sesame(
        dir.path(),
        &["client", "update", "shop", "--audience", "not a uri"],
        None,
    );
    assert!(!refused.status.success(), "an audience is an absolute URI");
    // The management API only for a client that uses client_credentials.
    let refused = sesame(dir.path(), &["client", "update", "shop", "--management", "read"], None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("client_credentials"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let out = sesame(
        dir.path(),
        &[
            "client",
            "update",
            "shop",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "client_credentials",
            "--management",
            "change",
            "--first-party",
            "false",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let updated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (updated["management"].as_str(), updated["first_party"].as_bool()),
        (Some("change"), Some(false))
    );

    let out = sesame(dir.path(), &["client", "rotate-secret", "shop", "--json"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(rotated["client_secret"], first_secret);

    // Ids and kids are base64url and may begin with a hyphen: the commands
    // that name one take it as a value, not as an option.
    let out = sesame(
        dir.path(),
        &[
            "client",
            "add",
            "--name",
            "Dash",
            "--redirect-uri",
            "https://d.example/cb",
            "--client-id=-dash",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sesame(dir.path(), &["client", "show", "-dash"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = sesame(dir.path(), &["client", "delete", "shop"], None);
    assert!(out.status.success());
    assert!(!sesame(dir.path(), &["client", "show", "shop"], None).status.success());
    assert!(!sesame(dir.path(), &["client", "delete", "shop"], None).status.success());

    assert!(
        sesame(
            dir.path(),
            &["user", "add", "erin", "--email", "erin@example.com"],
            Some("first password\n")
        )
        .status
        .success()
    );
    let out = sesame(dir.path(), &["user", "set-password", "erin"], Some("second password\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !sesame(dir.path(), &["user", "set-password", "erin"], Some("short\n"))
            .status
            .success()
    );
    let out = sesame(dir.path(), &["user", "list", "--json"], None);
    let users: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(users[0]["username"], "erin");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("argon2"),
        "no password hash is shown"
    );

    let out = sesame(dir.path(), &["user", "delete", "erin"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sesame(dir.path(), &["user", "list", "--json"], None);
    let users: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(users.is_empty(), "the account is gone");
    assert!(!sesame(dir.path(), &["user", "delete", "erin"], None).status.success());
}

/// Registration tokens, roles and client changes from the command line, on
/// the database of a running server.
#[tokio::test]
async fn registration_tokens_roles_and_client_updates_from_the_command_line() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::SqliteMemory).await;
    let settings = &app.services.settings;
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(args)
            .env("SESAME_DATABASE_URL", settings.database_url.expose())
            .env("SESAME_KEYS_DIR", &settings.keys_dir)
            .env("SESAME_ISSUER", &settings.issuer)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();

    // An initial access token made by the operator registers one client.
    let created = json(run(&[
        "registration",
        "token",
        "create",
        "--uses",
        "1",
        "--label",
        "ci",
        "--json",
    ]));
    let token = created["token"].as_str().unwrap();
    let register = || {
        app.api
            .post(app.url("/register"))
            .bearer_auth(token)
            .json(&serde_json::json!({"client_name": "Via API", "redirect_uris": ["https://api.example/cb"]}))
            .send()
    };
    let registered: serde_json::Value = register().await.unwrap().json().await.unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    assert_eq!(register().await.unwrap().status(), 401, "one use only");
    let tokens = json(run(&["registration", "token", "list", "--json"]));
    assert_eq!(tokens[0]["uses_left"], 0);
    assert_eq!(tokens[0]["label"], "ci");
    assert!(!tokens.to_string().contains(token), "the token itself is never listed");
    run(&["registration", "token", "revoke", tokens[0]["id"].as_str().unwrap()]);
    assert_eq!(
        json(run(&["registration", "token", "list", "--json"])),
        serde_json::json!([])
    );

    // The same rules as the API and the portal, through `client update`.
    let updated = json(run(&[
        "client",
        "update",
        &client_id,
        "--name",
        "Renamed",
        "--redirect-uri",
        "https://api.example/new",
        "--contact",
        "ops@api.example",
        "--json",
    ]));
    assert_eq!(updated["client_name"], "Renamed");
    assert_eq!(updated["redirect_uris"], serde_json::json!(["https://api.example/new"]));
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.info.contacts, ["ops@api.example"]);
    assert!(stored.registration_token_hash.is_some(), "the API can still manage it");
    let refused = Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args([
            "client",
            "update",
            &client_id,
            "--redirect-uri",
            "https://api.example/cb#frag",
        ])
        .env("SESAME_DATABASE_URL", settings.database_url.expose())
        .env("SESAME_KEYS_DIR", &settings.keys_dir)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("fragment"));

    let rotated = json(run(&[
        "client",
        "rotate-secret",
        &client_id,
        "--grace",
        "600",
        "--json",
    ]));
    // Without Redis the CLI cannot reach the server's memory: the server sees
    // the CLI's change once its cached copy is `MAX_AGE_SECS` old.
    app.clock.advance(sesame::store::cache::MAX_AGE_SECS);
    let stored = app
        .services
        .clients
        .find_client(&sesame::domain::ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.previous_secret.map(|p| p.hash),
        Some(sesame::crypto::digest(registered["client_secret"].as_str().unwrap()))
    );
    assert!(rotated["client_secret"].is_string());

    // Roles.
    app.add_user("frank").await;
    assert!(run(&["user", "grant-role", "frank", "developer"]).contains("developer"));
    let users = json(run(&["user", "list", "--json"]));
    assert_eq!(users[0]["roles"], serde_json::json!(["developer"]));
    run(&["user", "revoke-role", "frank", "developer"]);
    let users = json(run(&["user", "list", "--json"]));
    assert_eq!(users[0]["roles"], serde_json::json!([]));
}

/// `sesame serve` on SQLite in a folder of its own, once it serves.
fn start_serve(env: &[(&str, &str)]) -> (tempfile::TempDir, ServeProcess) {
    let dir = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(|| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sesame"));
        command
            .arg("serve")
            .current_dir(dir.path())
            .env(
                "SESAME_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("serve.db").display()),
            )
            .env("SESAME_KEYS_DIR", dir.path().join("keys"))
            .env("SESAME_HTTP__WORKERS", "1")
            .envs(env.iter().copied());
        command
    });
    (dir, serve)
}

/// One GET on a fresh connection; the whole answer, or `None` when refused.
fn raw_get(port: u16, path: &str) -> Option<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    Some(answer)
}

/// SIGTERM: the server stops accepting, finishes, stops its workers, and
/// exits cleanly.
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let (_dir, serve) = start_serve(&[]);
    serve.terminate();
    let (success, log) = serve.wait();
    assert!(success, "{log}");
    assert!(
        log.contains("finishing background work") && log.contains("stopped"),
        "{log}"
    );
}

/// With `http.shutdown_drain_secs`, SIGTERM first turns `/readyz` to 503 so
/// that a load balancer moves away, while requests are still served; then
/// the server stops as above.
#[test]
fn serve_drains_before_it_stops() {
    let (_dir, serve) = start_serve(&[("SESAME_HTTP__SHUTDOWN_DRAIN_SECS", "5")]);
    let port = serve.port;
    assert!(raw_get(port, "/readyz").unwrap().starts_with("HTTP/1.1 200"));
    serve.terminate();
    let mut draining = false;
    for _ in 0..40 {
        let answer = raw_get(port, "/readyz").expect("still accepting while draining");
        if answer.starts_with("HTTP/1.1 503") && answer.contains("draining") {
            draining = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(draining, "/readyz says draining");
    let discovery = raw_get(port, "/.well-known/openid-configuration").expect("still accepting");
    assert!(discovery.starts_with("HTTP/1.1 200"), "still serving: {discovery}");
    let (success, log) = serve.wait();
    assert!(success, "{log}");
    assert!(log.contains("draining") && log.contains("stopped"), "{log}");
    assert!(raw_get(port, "/healthz").is_none(), "no longer accepting");
}

/// A data folder Sesame cannot make is named in the error, and the server
/// does not start; whatever it creates is its owner's alone.
#[test]
fn serve_names_a_data_folder_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file where a folder should be").unwrap();
    for (setting, value, named) in [
        (
            "SESAME_DATABASE_URL",
            format!("sqlite://{}", blocker.join("data/sesame.db").display()),
            blocker.join("data/sesame.db"),
        ),
        (
            "SESAME_STORE_JOURNAL",
            blocker.join("store.journal").display().to_string(),
            blocker.join("store.journal"),
        ),
        (
            "SESAME_KEYS_DIR",
            blocker.join("keys").display().to_string(),
            blocker.join("keys"),
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sesame"))
            .arg("serve")
            .current_dir(dir.path())
            .env("SESAME_LISTEN", "127.0.0.1:0")
            .env(setting, &value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{setting}: refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&named.display().to_string()), "{setting}: {stderr}");
    }
    let out = sesame(dir.path(), &["keys", "list"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (path, expected) in [("cli.db", 0o600), ("keys", 0o700)] {
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.path().join(path)).unwrap().permissions());
        assert_eq!(mode & 0o777, expected, "{path}");
    }
}

/// `sesame config show`: every effective setting with where it came from
/// (default, file, environment), secrets masked; an unknown `SESAME_*`
/// variable is a warning naming the closest setting, never fatal, and the
/// test suite's own variables are not even that.
#[test]
fn the_effective_configuration_shows_where_each_value_came_from() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sesame.toml"), "listen = \"127.0.0.1:9999\"\n").unwrap();
    let show = Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(["config", "show", "--json"])
        .current_dir(dir.path())
        .env("SESAME_ISSUER", "http://localhost:9999")
        .env("SESAME_MAIL__SMTP_PASSWORD", "hunter2")
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", String::from_utf8_lossy(&show.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&show.stdout).unwrap();
    let row = |key: &str| {
        rows.iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("{key}"))
            .clone()
    };
    assert_eq!(row("listen")["value"], "\"127.0.0.1:9999\"");
    assert!(row("listen")["source"].as_str().unwrap().starts_with("file "));
    assert_eq!(row("issuer")["source"], "environment SESAME_ISSUER");
    assert_eq!(row("retention.audit_days")["source"], "default");
    assert_eq!(row("mail.smtp_password")["value"], "\"********\"");
    assert!(!String::from_utf8_lossy(&show.stdout).contains("hunter2"));

    let listed = Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(["user", "list"])
        .current_dir(dir.path())
        .env(
            "SESAME_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("cli.db").display()),
        )
        .env("SESAME_KEYS_DIR", dir.path().join("keys"))
        .env("SESAME_MAIL__SMTP_HOTS", "mail.example")
        .env("SESAME_SKIP_BROWSER_TESTS", "1")
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(stderr.contains("did you mean SESAME_MAIL__SMTP_HOST?"), "{stderr}");
    assert!(!stderr.contains("SKIP_BROWSER_TESTS"), "{stderr}");
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        stdout.starts_with("USERNAME  STATE"),
        "a table has its header: {stdout}"
    );
}

/// Groups from the command line: created, filled, listed with a header,
/// an app restricted to them (and `client show` says so), deleted.
#[test]
fn groups_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str], stdin: Option<&str>| {
        let out = sesame(dir.path(), args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    ok(&["user", "add", "alice"], Some("a long password\n"));
    ok(
        &[
            "client",
            "add",
            "--name",
            "Wiki",
            "--redirect-uri",
            "https://wiki.example/cb",
            "--client-id",
            "wiki",
        ],
        None,
    );
    ok(&["group", "add", "staff"], None);
    assert!(ok(&["group", "add-member", "staff", "alice"], None).contains("alice added to staff"));
    assert!(ok(&["group", "add-member", "staff", "alice"], None).contains("was already in"));
    let listed = ok(&["group", "list"], None);
    assert!(listed.starts_with("GROUP  MEMBERS  CREATED\nstaff  1"), "{listed}");
    assert_eq!(ok(&["group", "members", "staff"], None), "USERNAME\nalice\n");
    assert!(ok(&["group", "restrict", "wiki", "staff"], None).contains("only members of staff"));
    let shown: serde_json::Value = serde_json::from_str(&ok(&["client", "show", "wiki"], None)).unwrap();
    assert_eq!(shown["access_groups"], serde_json::json!(["staff"]));
    assert!(
        !sesame(dir.path(), &["group", "add", "two words"], None)
            .status
            .success()
    );
    assert!(
        !sesame(dir.path(), &["group", "restrict", "wiki", "nobody"], None)
            .status
            .success()
    );
    ok(
        &[
            "user",
            "edit",
            "alice",
            "--name",
            "Alice Liddell",
            "--email",
            "alice@example.com",
        ],
        None,
    );
    let shown: serde_json::Value = serde_json::from_str(&ok(&["user", "show", "alice", "--json"], None)).unwrap();
    assert_eq!(shown["display_name"], "Alice Liddell");
    assert_eq!(shown["email"], "alice@example.com");
    assert_eq!(shown["email_verified"], false, "a new address is unconfirmed");
    ok(&["user", "edit", "alice", "--email-verified", "true"], None);
    let shown: serde_json::Value = serde_json::from_str(&ok(&["user", "show", "alice", "--json"], None)).unwrap();
    assert_eq!(shown["email_verified"], true);
    assert!(
        !sesame(dir.path(), &["user", "edit", "alice", "--email", "nope"], None)
            .status
            .success()
    );
    let shown = ok(&["user", "show", "alice"], None);
    assert!(
        shown.starts_with("FIELD") && shown.contains("groups    staff"),
        "{shown}"
    );
    let audit = ok(&["audit", "--event", "group_member_added"], None);
    assert!(
        audit.starts_with("WHEN") && audit.contains("group_member_added"),
        "{audit}"
    );
    assert!(!audit.contains("T00:00:00Z  group_created"), "filtered by event");
    let lines = ok(&["audit", "--user", "alice", "--json"], None);
    for line in lines.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event["event"].is_string(), "{line}");
    }
    ok(&["group", "delete", "staff"], None);
    let shown: serde_json::Value = serde_json::from_str(&ok(&["client", "show", "wiki"], None)).unwrap();
    assert_eq!(
        shown["access_groups"],
        serde_json::json!([]),
        "the rule went with the group"
    );
}

/// `sesame gateway check` names the rule that decides and why, for nobody
/// or for a person with their groups; a rule that makes no sense stops it
/// with its place in the list.
#[test]
fn gateway_rules_are_explained_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        sesame(dir.path(), &["user", "add", "alice"], Some("correct horse battery\n"))
            .status
            .success()
    );
    assert!(sesame(dir.path(), &["group", "add", "staff"], None).status.success());
    assert!(
        sesame(dir.path(), &["group", "add-member", "staff", "alice"], None)
            .status
            .success()
    );
    let config = dir.path().join("sesame.toml");
    std::fs::write(
        &config,
        r#"
issuer = "https://id.example.com"
[gateway]
enabled = true
domains = ["example.com"]
[[gateway.rules]]
hosts = ["wiki.example.com"]
paths = ["/public/"]
policy = "bypass"
[[gateway.rules]]
hosts = ["*.example.com"]
groups = ["staff"]
policy = "two_factor"
"#,
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let check = |args: &[&str]| {
        let mut all = vec!["--config", config, "gateway", "check"];
        all.extend_from_slice(args);
        let out = sesame(dir.path(), &all, None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(check(&["https://wiki.example.com/public/a"]).contains("allowed by rule 0 (policy bypass"));
    let nobody = check(&["https://wiki.example.com/page"]);
    assert!(
        nobody.contains("nobody signed in") && nobody.contains("sign in first: rule 1"),
        "{nobody}"
    );
    let alice = check(&["https://wiki.example.com/page", "--user", "alice"]);
    assert!(
        alice.contains("alice (groups: staff)") && alice.contains("second factor first: rule 1"),
        "{alice}"
    );
    let stepped = check(&["https://wiki.example.com/page", "--user", "alice", "--two-factors"]);
    assert!(stepped.contains("allowed by rule 1"), "{stepped}");
    assert!(check(&["https://other.test/"]).contains("no rule matches"));

    std::fs::write(
        dir.path().join("bad.toml"),
        "[gateway]\n[[gateway.rules]]\nnetworks = [\"10.0.0/8\"]\npolicy = \"deny\"\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    let out = sesame(
        dir.path(),
        &["--config", bad.to_str().unwrap(), "gateway", "check", "https://x.test/"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gateway.rules[0].networks"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
