//! What the benches that run `sesame` as a process share: how a bench node
//! is configured, running the CLI, PKCE, free ports and resident memory.

use std::process::{Command, Stdio};

pub const REDIRECT_URI: &str = "http://127.0.0.1/cb";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `sesame` on its default settings (every worker, every limit and throttle
/// as shipped: the benches prove the defaults never throttle a node's
/// capacity), with per-request logs off (`BENCH_SERVER_LOG` sets `RUST_LOG`
/// to profile).
pub fn sesame_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sesame"));
    command.env(
        "RUST_LOG",
        std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
    );
    command
}

/// Runs a CLI command to completion, with `stdin` fed to it; its JSON
/// output, or `Null` when it printed none.
pub fn run_cli(mut command: Command, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    use std::io::Write;
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sesame {args:?} failed");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// A fresh PKCE pair: `(verifier, S256 challenge)`.
pub fn pkce() -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier: String = (0..2).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The process's resident memory, from `/proc` (0 once it is gone).
pub fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}
