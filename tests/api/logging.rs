//! What the real binary writes to its log, at debug level: never the values
//! an app or a person sends that a log reader must not learn (`state`,
//! `nonce`, `login_hint`, `id_token_hint`, the sealed request a sign-in page
//! carries, passwords), and the client address as `http.trusted_proxies`
//! says to believe it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::processes::ServeProcess;
use crate::helpers::{Browser, PASSWORD, hidden_field, location};

fn sesame(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sesame"));
    command
        .current_dir(dir)
        .env(
            "SESAME_DATABASE_URL",
            format!("sqlite://{}", dir.join("log.db").display()),
        )
        .env("SESAME_KEYS_DIR", dir.join("keys"))
        .env("SESAME_HTTP__WORKERS", "1")
        .env("SESAME_HTTP__TRUSTED_PROXIES", "[\"127.0.0.2\"]")
        .env("RUST_LOG", "debug");
    command
}

fn run(command: &mut Command, stdin: Option<&str>) -> String {
    let mut child = command
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
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn log_lines_carry_no_request_secrets_and_the_believed_client_address() {
    let dir = tempfile::tempdir().unwrap();
    run(sesame(dir.path()).args(["user", "add", "alice"]), Some(PASSWORD));
    let client: serde_json::Value = serde_json::from_str(&run(
        sesame(dir.path()).args([
            "client",
            "add",
            "--name",
            "App",
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--first-party",
            "--json",
        ]),
        None,
    ))
    .unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let server = ServeProcess::start(|| {
        let mut command = sesame(dir.path());
        command.arg("serve");
        command
    });
    let issuer = server.origin();
    let browser = Browser::new(&issuer);

    let secrets = [
        "state-SECRET-4f1c",
        "nonce-SECRET-9a2e",
        "hint-secret-77@example.com",
        "idtokenhint-SECRET-0b3d",
        "wrong-password-SECRET-5e6f",
    ];
    let authorize = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("client_id", client_id),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", secrets[0]),
            ("nonce", secrets[1]),
            ("login_hint", secrets[2]),
        ];
        params.extend_from_slice(extra);
        browser.get(format!("{issuer}/authorize")).query(&params).send()
    };
    // A forged hint goes back to the app as an error (logged as nothing).
    authorize(&[("id_token_hint", secrets[3])]).await.unwrap();
    // From a trusted proxy at 127.0.0.2, forwarding for 203.0.113.7.
    let proxied = Browser::from_address(&issuer, "127.0.0.2");
    proxied
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    // From an untrusted peer, a forged header is not believed.
    browser
        .get(format!("{issuer}/jwks"))
        .header("x-forwarded-for", "198.51.100.66")
        .send()
        .await
        .unwrap();

    let login = location(&authorize(&[]).await.unwrap());
    let handle = login.strip_prefix("/login?req=").unwrap().to_string();
    let page = browser
        .get(format!("{issuer}{login}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    let post = |password: &'static str| {
        browser
            .post(format!("{issuer}/login"))
            .form(&[
                ("req", handle.as_str()),
                ("csrf", csrf.as_str()),
                ("username", "alice"),
                ("password", password),
            ])
            .send()
    };
    assert_eq!(post(secrets[4]).await.unwrap().status(), 401);
    let signed_in = post(PASSWORD).await.unwrap();
    assert_eq!(signed_in.status(), 303);
    let code = crate::helpers::redirect_params(&signed_in)["code"].clone();

    server.terminate();
    let (_, log) = server.wait();
    assert!(log.contains("HTTP request"), "request spans are logged: {log}");
    for secret in secrets.into_iter().chain([PASSWORD, handle.as_str(), code.as_str()]) {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    assert!(
        log.contains("http.client_ip=203.0.113.7"),
        "the trusted proxy's client: {log}"
    );
    assert!(
        !log.contains("198.51.100.66"),
        "a forged X-Forwarded-For is not believed"
    );
}

/// Every line the JSON log writes during a sign-in (one failed password,
/// then the right one) parses, with typed fields: audit events name the
/// username tried and hold no `Some(..)`/`None` debug strings, and each
/// request has one access line with its status, duration, route and
/// request id — never its query string.
#[tokio::test]
async fn json_log_lines_parse_into_typed_fields() {
    let dir = tempfile::tempdir().unwrap();
    run(sesame(dir.path()).args(["user", "add", "alice"]), Some(PASSWORD));
    let server = ServeProcess::start(|| {
        let mut command = sesame(dir.path());
        command
            .env("RUST_LOG", "info")
            .env("SESAME_LOG_FORMAT", "json")
            .arg("serve");
        command
    });
    let browser = Browser::new(&server.origin());
    assert_eq!(browser.sign_in("alice", "not-the-password").await, 401);
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    server.terminate();
    let (_, log) = server.wait();

    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &lines {
        for (name, value) in line["fields"].as_object().unwrap() {
            let text = value.as_str().unwrap_or_default();
            assert!(!text.starts_with("Some(") && text != "None", "{name}: {line}");
        }
    }
    let failed = lines
        .iter()
        .find(|l| l["target"] == "audit" && l["fields"]["event"] == "login_failed")
        .expect("the failed sign-in is audited");
    assert_eq!(failed["fields"]["client_ip"], "127.0.0.1");
    assert!(
        failed["fields"]["detail"]
            .as_str()
            .unwrap()
            .contains("username tried \"alice\""),
        "{failed}"
    );
    let access: Vec<_> = lines.iter().filter(|l| l["target"] == "access").collect();
    let login_posts: Vec<_> = access
        .iter()
        .filter(|l| l["span"]["http.route"] == "/login" && l["span"]["http.method"] == "POST")
        .collect();
    assert_eq!(login_posts.len(), 2, "one access line per request: {access:?}");
    assert_eq!(login_posts[0]["fields"]["status"], 401);
    assert!(login_posts[0]["fields"]["duration_ms"].is_f64());
    assert!(!login_posts[0]["span"]["request_id"].as_str().unwrap().is_empty());
    assert!(!log.contains(PASSWORD) && !log.contains("not-the-password"));
}
