//! Certificates for the TLS tests, made with the `openssl` command.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `openssl` in `dir` with a command line (no argument has spaces).
fn openssl(dir: &Path, command_line: &str) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(command_line.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {command_line}");
}

/// A CA of the test's own, a certificate it signed for 127.0.0.1, and
/// another CA's certificate.
pub fn make_certificates(dir: &Path) {
    let self_signed = "req -x509 -newkey rsa:2048 -nodes -days 1";
    openssl(
        dir,
        &format!("{self_signed} -keyout ca.key -out ca.crt -subj /CN=Sesame-test-CA"),
    );
    openssl(
        dir,
        &format!("{self_signed} -keyout other.key -out other.crt -subj /CN=Another-CA"),
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1",
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext",
    );
}
