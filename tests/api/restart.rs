//! One node on its embedded defaults (SQLite, no Redis) survives a restart
//! of the real binary: the store journal brings back sessions, access
//! tokens, and authorization requests in flight, after a graceful stop and
//! after a SIGKILL past the journal's flush interval.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::browser::Browser;
use crate::helpers::processes::ServeProcess;
use crate::helpers::{PASSWORD, location, pkce_challenge, redirect_params};

fn sesame(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sesame"));
    command
        .current_dir(dir)
        .env(
            "SESAME_DATABASE_URL",
            format!("sqlite://{}", dir.join("data/sesame.db").display()),
        )
        .env("SESAME_KEYS_DIR", dir.join("keys"))
        .env("SESAME_HTTP__WORKERS", "1")
        .env("SESAME_REGISTRATION__HTTP_URIS", "any");
    command
}

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    use std::io::Write;
    let mut child = sesame(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn serve(dir: &std::path::Path) -> ServeProcess {
    ServeProcess::start(|| {
        let mut command = sesame(dir);
        command.arg("serve");
        command
    })
}

/// The same node again, on its port (and so its issuer).
fn serve_again(dir: &std::path::Path, port: u16) -> ServeProcess {
    ServeProcess::start_on(port, || {
        let mut command = sesame(dir);
        command.arg("serve");
        command
    })
}

/// A browser for `server` carrying the cookies `from` had.
fn same_browser(from: &Browser, server: &ServeProcess, names: &[&str]) -> Browser {
    let browser = Browser::new(&server.origin());
    for name in names {
        if let Some(value) = from.cookie(name) {
            browser.plant_cookie(&format!("{name}={value}; Path=/"));
        }
    }
    browser
}

struct App {
    client_id: String,
    secret: String,
}

const REDIRECT: &str = "http://app.example/callback";

fn request<'a>(app: &'a App, challenge: &'a str, prompt: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    if let Some(prompt) = prompt {
        params.push(("prompt", prompt));
    }
    params
}

async fn access_token(server: &ServeProcess, app: &App, code: &str, verifier: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/token", server.origin()))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn userinfo_status(server: &ServeProcess, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/userinfo", server.origin()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_restart_of_one_embedded_node_signs_nobody_out() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    cli(dir, &["user", "add", "alice"], Some(PASSWORD));
    let created = cli(
        dir,
        &[
            "client",
            "add",
            "--name",
            "App",
            "--redirect-uri",
            REDIRECT,
            "--first-party",
            "--json",
        ],
        None,
    );
    let app = App {
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().unwrap().to_string(),
    };
    let verifier = "v".repeat(43);
    let challenge = pkce_challenge(&verifier);

    // Signed in, with an access token, and a second request in flight.
    let first = serve(dir);
    let browser = Browser::new(&first.origin());
    let (request_id, csrf) = browser
        .open_login(browser.authorize(&request(&app, &challenge, None)).await)
        .await;
    let back = browser.submit_login(&request_id, &csrf, "alice", PASSWORD).await;
    let token = access_token(&first, &app, &redirect_params(&back)["code"], &verifier).await;
    let waiting = Browser::new(&first.origin());
    let (parked, parked_csrf) = waiting
        .open_login(waiting.authorize(&request(&app, &challenge, None)).await)
        .await;

    // A graceful restart.
    let port = first.port;
    first.terminate();
    let (stopped, log) = first.wait();
    assert!(stopped, "{log}");
    let second = serve_again(dir, port);
    assert!(second.log().contains("store journal"), "{}", second.log());
    let browser = same_browser(&browser, &second, &["sesame_session"]);
    let silent = browser.authorize(&request(&app, &challenge, Some("none"))).await;
    assert!(
        redirect_params(&silent).contains_key("code"),
        "still signed in: {}",
        location(&silent)
    );
    assert_eq!(
        userinfo_status(&second, &token).await,
        200,
        "the access token still works"
    );
    let waiting = same_browser(&waiting, &second, &["sesame_csrf"]);
    let done = waiting.submit_login(&parked, &parked_csrf, "alice", PASSWORD).await;
    assert!(
        redirect_params(&done).contains_key("code"),
        "the request in flight completes"
    );

    // A crash (SIGKILL) after the flush interval loses nothing either.
    let other = Browser::new(&second.origin());
    let (request_id, csrf) = other
        .open_login(other.authorize(&request(&app, &challenge, None)).await)
        .await;
    other.submit_login(&request_id, &csrf, "alice", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let pid = second.pid();
    let killed = Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let _ = second.wait();
    let third = serve_again(dir, port);
    let other = same_browser(&other, &third, &["sesame_session"]);
    let silent = other.authorize(&request(&app, &challenge, Some("none"))).await;
    assert!(redirect_params(&silent).contains_key("code"), "{}", location(&silent));
}

/// `sesame backup FILE` copies the database while the server runs; the copy
/// is private (0600), complete, and never overwrites a file.
#[tokio::test]
async fn a_backup_taken_while_serving_holds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    cli(dir, &["user", "add", "alice"], Some(PASSWORD));
    let created = cli(
        dir,
        &[
            "client",
            "add",
            "--name",
            "App",
            "--redirect-uri",
            REDIRECT,
            "--first-party",
            "--json",
        ],
        None,
    );
    let server = serve(dir);
    let browser = Browser::new(&server.origin());
    let app = App {
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().unwrap().to_string(),
    };
    let challenge = pkce_challenge(&"v".repeat(43));
    let (request_id, csrf) = browser
        .open_login(browser.authorize(&request(&app, &challenge, None)).await)
        .await;
    browser.submit_login(&request_id, &csrf, "alice", PASSWORD).await;

    let copy = dir.join("backup.db");
    cli(dir, &["backup", copy.to_str().unwrap()], None);
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let refused = sesame(dir).args(["backup", copy.to_str().unwrap()]).output().unwrap();
    assert!(!refused.status.success(), "an existing file is never overwritten");

    // The copy is a working database: the accounts and clients are in it.
    let users = sesame(dir)
        .env("SESAME_DATABASE_URL", format!("sqlite://{}", copy.display()))
        .args(["user", "list", "--json"])
        .output()
        .unwrap();
    assert!(users.status.success());
    let users: serde_json::Value = serde_json::from_slice(&users.stdout).unwrap();
    assert_eq!(users[0]["username"], "alice");
    drop(server);
}
