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

/// Adds alice and a first-party confidential app (with `extra` options).
fn alice_and_app(dir: &std::path::Path, extra: &[&str]) -> App {
    cli(dir, &["user", "add", "alice"], Some(PASSWORD));
    let mut args = vec!["client", "add", "--name", "App", "--redirect-uri", REDIRECT];
    args.extend_from_slice(extra);
    args.extend(["--first-party", "--json"]);
    let created = cli(dir, &args, None);
    App {
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().unwrap().to_string(),
    }
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
    let body = token_request(
        server,
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    body["access_token"].as_str().unwrap().to_string()
}

/// A token request by `app` that succeeds; its answer.
async fn token_request(server: &ServeProcess, app: &App, form: &[(&str, &str)]) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}/token", server.origin()))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A refresh token's rotation that was answered is on disk: SIGKILL right
/// after the answer (no graceful stop, no flush interval) loses neither the
/// new token nor the old one's being spent — the rotations are committed
/// (grouped, with one fsync for those that wait together) before anyone is
/// answered.
#[tokio::test]
async fn an_answered_refresh_rotation_survives_a_kill_right_after() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let app = alice_and_app(dir, &[]);
    let verifier = "v".repeat(43);
    let challenge = pkce_challenge(&verifier);
    let first = serve(dir);
    let (_, code) = signed_in_with_code(&first, &app, &challenge).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let issued = token_request(&first, &app, &form).await;
    let old = issued["refresh_token"].as_str().expect("a refresh token").to_string();
    // Several rotations at once (committed together), then the kill.
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", old.as_str())];
    let rotations = (0..4).map(|_| token_request(&first, &app, &refresh));
    let answers = futures_util::future::join_all(rotations).await;
    let new = answers[0]["refresh_token"].as_str().unwrap().to_string();
    assert!(
        answers.iter().all(|a| a["refresh_token"] == new.as_str()),
        "one rotation, the others its grace answer"
    );
    let killed = Command::new("kill")
        .args(["-KILL", &first.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let port = first.port;
    let _ = first.wait();

    let second = serve_again(dir, port);
    // The old token stayed spent: at most the grace window's same answer,
    // never a rotation of its own.
    let replayed = reqwest::Client::new()
        .post(format!("{}/token", second.origin()))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(&refresh)
        .send()
        .await
        .unwrap();
    if replayed.status() == 200 {
        let body: serde_json::Value = replayed.json().await.unwrap();
        assert_eq!(
            body["refresh_token"],
            new.as_str(),
            "the answer already given, nothing new"
        );
    } else {
        assert_eq!(replayed.status(), 400);
    }
    let again = token_request(
        &second,
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", &new)],
    )
    .await;
    assert!(again["refresh_token"].is_string(), "the rotated token was durable");
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

/// A browser that signed alice in to `app` on `server`, and the code it got.
async fn signed_in_with_code(server: &ServeProcess, app: &App, challenge: &str) -> (Browser, String) {
    let browser = Browser::new(&server.origin());
    let (request_id, csrf) = browser
        .open_login(browser.authorize(&request(app, challenge, None)).await)
        .await;
    let back = browser.submit_login(&request_id, &csrf, "alice", PASSWORD).await;
    let code = redirect_params(&back)["code"].clone();
    (browser, code)
}

#[tokio::test]
async fn a_restart_of_one_embedded_node_signs_nobody_out() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let app = alice_and_app(dir, &[]);
    let verifier = "v".repeat(43);
    let challenge = pkce_challenge(&verifier);

    // Signed in, with an access token, and a second request in flight.
    let first = serve(dir);
    let (browser, code) = signed_in_with_code(&first, &app, &challenge).await;
    let token = access_token(&first, &app, &code, &verifier).await;
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
    let server = serve(dir);
    let browser = Browser::new(&server.origin());
    let app = alice_and_app(dir, &[]);
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

/// Runs the CLI as an operator would, for its exit status and what it said.
fn operator(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = sesame(dir).args(args).stdin(Stdio::null()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn signed_in_browser(server: &ServeProcess, app: &App, challenge: &str) -> Browser {
    let browser = Browser::new(&server.origin());
    let (request_id, csrf) = browser
        .open_login(browser.authorize(&request(app, challenge, None)).await)
        .await;
    let back = browser.submit_login(&request_id, &csrf, "alice", PASSWORD).await;
    assert!(redirect_params(&back).contains_key("code"), "{}", location(&back));
    browser
}

async fn silent_error(browser: &Browser, app: &App, challenge: &str) -> Option<String> {
    let silent = browser.authorize(&request(app, challenge, Some("none"))).await;
    redirect_params(&silent).get("error").cloned()
}

/// Without Redis, `sesame user logout` is carried out by the running server
/// through its admin socket: the session ends at once and the app is told.
/// A server that runs but does not answer makes the command fail, changing
/// nothing; with no server running, the command is done in the store
/// journal the server reads when it starts.
#[tokio::test]
async fn operator_commands_reach_the_running_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let receiver = crate::helpers::relying_party::RelyingApp::start();
    let app = alice_and_app(dir, &["--backchannel-logout-uri", &receiver.backchannel_uri()]);
    let challenge = pkce_challenge(&"v".repeat(43));
    let server = serve(dir);
    let socket = dir.join("data/sesame-admin.sock");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&socket).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the admin socket is its owner's alone");

    let browser = signed_in_browser(&server, &app, &challenge).await;
    let (ok, stdout, stderr) = operator(dir, &["user", "logout", "alice"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("1 session(s) ended"), "{stdout}");
    assert_eq!(
        silent_error(&browser, &app, &challenge).await.as_deref(),
        Some("login_required"),
        "signed out at once"
    );
    for _ in 0..100 {
        if !receiver.tokens().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(receiver.tokens().len(), 1, "the app received its logout token");

    // The server's answer for a name it does not know is an error, too.
    let (ok, _, stderr) = operator(dir, &["user", "disable", "nobody"]);
    assert!(!ok);
    assert!(stderr.contains("no user nobody"), "{stderr}");

    // A server that runs but does not answer: the command fails loudly.
    let browser_two = signed_in_browser(&server, &app, &challenge).await;
    let elsewhere = sesame(dir)
        .env("SESAME_ADMIN_SOCKET", dir.join("elsewhere.sock"))
        .args(["user", "logout", "alice"])
        .output()
        .unwrap();
    assert!(!elsewhere.status.success(), "no claim of success");
    let stderr = String::from_utf8_lossy(&elsewhere.stderr);
    assert!(stderr.contains("cannot reach the running server"), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert_eq!(
        silent_error(&browser_two, &app, &challenge).await,
        None,
        "nothing changed"
    );

    // No server running: done in its journal, in force when it starts.
    let port = server.port;
    server.terminate();
    let (stopped, log) = server.wait();
    assert!(stopped, "{log}");
    assert!(!socket.exists(), "the socket goes with the server");
    let (ok, _, stderr) = operator(dir, &["user", "logout", "alice"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("no server is running"), "{stderr}");
    let again = serve_again(dir, port);
    let browser_two = same_browser(&browser_two, &again, &["sesame_session"]);
    assert_eq!(
        silent_error(&browser_two, &app, &challenge).await.as_deref(),
        Some("login_required")
    );
    receiver.stop().await;
}

/// Verifies `jwt`'s signature against the JWKS `server` publishes.
async fn verifies_against(server: &ServeProcess, jwt: &str) -> bool {
    let header = josekit::jwt::decode_header(jwt).unwrap();
    let kid = header.claim("kid").unwrap().as_str().unwrap().to_string();
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", server.origin()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
    else {
        return false;
    };
    let jwk = josekit::jwk::Jwk::from_bytes(serde_json::to_vec(jwk).unwrap()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    josekit::jwt::decode_with_verifier(jwt, &verifier).is_ok()
}

async fn tokens(server: &ServeProcess, app: &App, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/token", server.origin()))
        .basic_auth(&app.client_id, Some(&app.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Signs alice in and redeems the code: ID token, access and refresh token.
async fn sign_in_and_redeem(server: &ServeProcess, app: &App) -> serde_json::Value {
    let verifier = "w".repeat(43);
    let challenge = pkce_challenge(&verifier);
    let browser = Browser::new(&server.origin());
    let mut params = request(app, &challenge, None);
    for (name, value) in params.iter_mut() {
        if *name == "scope" {
            *value = "openid offline_access";
        }
    }
    let (request_id, csrf) = browser.open_login(browser.authorize(&params).await).await;
    let back = browser.submit_login(&request_id, &csrf, "alice", PASSWORD).await;
    let code = redirect_params(&back)["code"].clone();
    let (status, body) = tokens(
        server,
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A backup taken while people sign in restores into a stopped installation
/// on another machine (its keys folder copied over): the restored server
/// signs people in, and what the old one issued still holds: its ID tokens
/// verify against the new JWKS and its refresh tokens refresh. A restore is
/// refused while a server runs, and for a file that is no backup or whose
/// keys the key-encryption key at hand cannot open.
#[tokio::test]
async fn a_backup_taken_under_load_restores_into_a_working_server() {
    let first_dir = tempfile::tempdir().unwrap();
    let first_dir = first_dir.path();
    let app = std::sync::Arc::new(alice_and_app(first_dir, &[]));
    let first = std::sync::Arc::new(serve(first_dir));
    let issued = sign_in_and_redeem(&first, &app).await;

    // Under load: people keep signing in while the backup is taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..3 {
        let (first, app, stop) = (first.clone(), app.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut signed_in = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                sign_in_and_redeem(&first, &app).await;
                signed_in += 1;
            }
            signed_in
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = first_dir.join("backup.db");
    let (ok, _, stderr) = operator(first_dir, &["backup", backup.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        assert!(task.await.unwrap() > 0, "the load ran");
    }
    let (ok, _, stderr) = operator(first_dir, &["restore", backup.to_str().unwrap()]);
    assert!(!ok, "never into a running installation");
    assert!(stderr.contains("running"), "{stderr}");

    let port = first.port;
    let first = std::sync::Arc::into_inner(first).unwrap();
    first.terminate();
    let (stopped, log) = first.wait();
    assert!(stopped, "{log}");

    // Another machine: without the key-encryption key, refused.
    let second_dir = tempfile::tempdir().unwrap();
    let second_dir = second_dir.path();
    let (ok, _, stderr) = operator(second_dir, &["restore", backup.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("key-encryption key"), "{stderr}");
    let (ok, _, stderr) = operator(second_dir, &["restore", "/etc/hostname"]);
    assert!(!ok);
    assert!(stderr.contains("not a Sesame backup"), "{stderr}");
    assert!(!second_dir.join("data/sesame.db").exists(), "nothing was put in place");

    // With the keys folder copied over, restored.
    std::fs::create_dir(second_dir.join("keys")).unwrap();
    for entry in std::fs::read_dir(first_dir.join("keys")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), second_dir.join("keys").join(entry.file_name())).unwrap();
    }
    let (ok, stdout, stderr) = operator(second_dir, &["restore", backup.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("restored into"), "{stdout}");
    let restored = second_dir.join("data/sesame.db");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&restored).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    let second = serve_again(second_dir, port);
    let id_token = issued["id_token"].as_str().unwrap();
    assert!(verifies_against(&second, id_token).await, "the old ID token verifies");
    let (status, refreshed) = tokens(
        &second,
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "the old refresh token refreshes: {refreshed}");
    let fresh = sign_in_and_redeem(&second, &app).await;
    assert!(verifies_against(&second, fresh["id_token"].as_str().unwrap()).await);

    // Restoring again over a database keeps the one it replaces.
    second.terminate();
    let (stopped, log) = second.wait();
    assert!(stopped, "{log}");
    let (ok, stdout, stderr) = operator(second_dir, &["restore", backup.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("kept aside") && stdout.contains("before-restore"),
        "{stdout}"
    );
}

/// A back-channel notice the app could not take before the stop (it was
/// down) is delivered once the server is back and the app is up.
#[tokio::test]
async fn a_logout_notice_pending_at_the_stop_is_delivered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let down = crate::helpers::relying_party::RelyingApp::down();
    let app = alice_and_app(
        dir,
        &[
            "--backchannel-logout-uri",
            &format!("http://127.0.0.1:{}/backchannel", down.port),
        ],
    );
    let server = serve(dir);
    signed_in_browser(&server, &app, &pkce_challenge(&"v".repeat(43))).await;
    let (ok, _, stderr) = operator(dir, &["user", "logout", "alice"]);
    assert!(ok, "{stderr}");
    let pending = || {
        let out = sesame(dir).args(["logout", "deliveries", "--json"]).output().unwrap();
        let deliveries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        deliveries.iter().filter(|d| d["status"] == "pending").count()
    };
    assert_eq!(pending(), 1, "owed to the app that is down");

    let port = server.port;
    server.terminate();
    let (stopped, log) = server.wait();
    assert!(stopped, "{log}");
    let receiver = down.come_up();
    let _again = serve_again(dir, port);
    for _ in 0..150 {
        if !receiver.tokens().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(receiver.tokens().len(), 1, "delivered after the restart");
    assert_eq!(pending(), 0);
    receiver.stop().await;
}

/// Mail survives a restart: a reset link asked for while the SMTP server
/// is down waits in the outbox (`sesame mail list` shows why), is sent by
/// the restarted node once the server is up, and the link still works.
#[tokio::test]
async fn mail_waiting_at_a_stop_is_sent_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let down = crate::helpers::smtp::SmtpSink::down();
    let smtp_port = down.port.to_string();
    let with_mail = |mut command: Command| {
        command
            .env("SESAME_MAIL__SMTP_HOST", "127.0.0.1")
            .env("SESAME_MAIL__SMTP_PORT", &smtp_port)
            .env("SESAME_MAIL__SMTP_SECURITY", "none")
            .env("SESAME_MAIL__POLL_SECS", "1")
            .env("SESAME_MAIL__BACKOFF_BASE_SECS", "1")
            .env("SESAME_MAIL__BACKOFF_MAX_SECS", "1")
            .env("SESAME_ACCOUNT__NOTICES__NEW_BROWSER", "false");
        command
    };
    cli(
        dir,
        &["user", "add", "alice", "--email", "alice@example.com"],
        Some(PASSWORD),
    );
    let server = ServeProcess::start(|| {
        let mut command = with_mail(sesame(dir));
        command.arg("serve");
        command
    });
    let person = Browser::new(&server.origin());
    let page = person
        .get(person.url("/login/forgot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let asked = person
        .post(person.url("/login/forgot"))
        .form(&[
            ("csrf", crate::helpers::hidden_field(&page, "csrf").as_str()),
            ("identifier", "alice"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let mut listed = serde_json::Value::Null;
    for _ in 0..50 {
        listed = cli(dir, &["mail", "list", "--json"], None);
        if listed[0]["attempts"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed[0]["status"], "pending", "{listed}");
    assert_eq!(listed[0]["kind"], "password_reset");
    assert!(listed[0]["last_error"].is_string(), "{listed}");
    assert!(!listed.to_string().contains("token="), "the list never shows a body");

    let port = server.port;
    server.terminate();
    let (stopped, log) = server.wait();
    assert!(stopped, "{log}");
    let sink = down.come_up();
    let again = ServeProcess::start_on(port, || {
        let mut command = with_mail(sesame(dir));
        command.arg("serve");
        command
    });
    let mail = sink.wait_for(1).await.remove(0);
    let link = mail
        .link(&format!("{}/login/reset?token=", again.origin()))
        .expect("the link");
    let person = Browser::new(&again.origin());
    assert_eq!(
        person.get(&link).send().await.unwrap().status(),
        200,
        "the link outlived the restart"
    );
    assert_eq!(cli(dir, &["mail", "list", "--json"], None)[0]["status"], "delivered");
}
