//! The operator interface scripts rely on, run as the real binary.

use std::io::Write;
use std::process::{Command, Stdio};

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
