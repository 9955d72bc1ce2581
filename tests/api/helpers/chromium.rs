//! A real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver), for the tests of what people do on Sesame's pages.
//!
//! chromedriver listens on a port it picks itself (`--port=0`, read back
//! from what it prints), so two tests never fight over one. It runs in a
//! process group of its own with the Chromium it starts: [`Chromium::quit`]
//! ends the WebDriver session (Chromium exits) and stops chromedriver, and
//! if a test fails before that, dropping the value kills the whole group,
//! so no browser outlives its test.

use std::io::{BufRead, BufReader};
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Chromium {
    client: Client,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

/// The WebDriver client: `goto`, `find`, `current_url`… are fantoccini's.
impl Deref for Chromium {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Chromium {
    /// A fresh headless Chromium with an empty profile; `None`, with a
    /// notice on stderr, when SESAME_SKIP_BROWSER_TESTS is set.
    pub async fn start() -> Option<Chromium> {
        if std::env::var_os("SESAME_SKIP_BROWSER_TESTS").is_some() {
            eprintln!("NOTICE: browser test skipped because SESAME_SKIP_BROWSER_TESTS is set");
            return None;
        }
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver: run `bash .ci/services` \
             (or set SESAME_SKIP_BROWSER_TESTS=1 to skip them locally)"
        );
        let mut chromedriver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let port = announced_port(&mut chromedriver);
        let profile = tempfile::tempdir().unwrap();
        let client = ClientBuilder::native()
            .capabilities(capabilities(profile.path()))
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                kill_group(&mut chromedriver);
                panic!("chromedriver did not start a session: {e}");
            }
        };
        Some(Chromium {
            client,
            chromedriver,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium exits) and stops chromedriver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        kill_group(&mut self.chromedriver);
    }

    /// The URL once it starts with `prefix` (navigation after a click
    /// completes asynchronously); fails after ten seconds.
    pub async fn url_once_at(&self, prefix: &str) -> url::Url {
        for _ in 0..100 {
            let url = self.current_url().await.unwrap();
            if url.as_str().starts_with(prefix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the browser never reached {prefix}: at {}",
            self.current_url().await.unwrap()
        );
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        self.find(Locator::Id(id)).await.unwrap().send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    /// The text of the element with this id, once it exists (ten seconds at most).
    pub async fn text_of(&self, id: &str) -> String {
        self.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Id(id))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// A command of the WebAuthn WebDriver extension (W3C WebAuthn §11), which
/// fantoccini does not model: a virtual authenticator in place of a key or
/// a phone.
#[derive(Debug)]
struct WebAuthnCommand {
    path: String,
    method: http::Method,
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/webauthn/{}", session_id.unwrap_or(""), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (self.method.clone(), self.body.as_ref().map(|b| b.to_string()))
    }
}

/// A DevTools protocol command through chromedriver (`goog/cdp/execute`):
/// what WebDriver has no command for, such as emulating a dark theme.
#[derive(Debug)]
struct DevToolsCommand {
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevToolsCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

impl Chromium {
    /// Pages from now on see `prefers-color-scheme: dark` (or `light`).
    pub async fn prefer_colour_scheme(&self, scheme: &str) {
        let command = DevToolsCommand {
            body: serde_json::json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": scheme }] },
            }),
        };
        self.client
            .issue_cmd(command)
            .await
            .expect("the colour scheme emulated");
    }

    /// Runs axe-core (WCAG 2.2 A and AA rules) on the current page: the
    /// violations, as "rule: target" lines. The script comes from npm's
    /// axe-core, which `.ci/services` installs (`SESAME_AXE_CORE` names it).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let path = std::env::var("SESAME_AXE_CORE").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/axe-core/node_modules/axe-core/axe.min.js"
            )
            .into()
        });
        let axe = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("axe-core is not at {path} ({e}): run `bash .ci/services`, which installs it from npm")
        });
        let script = format!(
            "{axe}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }} }})\n\
             .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\n\
             .catch(e => done(['axe failed: ' + e]));"
        );
        let result = self.client.execute_async(&script, vec![]).await.expect("axe-core runs");
        serde_json::from_value(result).expect("a list of violations")
    }

    /// Adds a virtual authenticator: `internal` (a platform authenticator
    /// that keeps passkeys and verifies the person) or `usb` (a security
    /// key). Returns its id.
    pub async fn add_authenticator(&self, transport: &str) -> String {
        let resident = transport == "internal";
        let command = WebAuthnCommand {
            path: "authenticator".into(),
            method: http::Method::POST,
            body: Some(serde_json::json!({
                "protocol": "ctap2",
                "transport": transport,
                "hasResidentKey": resident,
                "hasUserVerification": true,
                "isUserConsenting": true,
                "isUserVerified": true,
            })),
        };
        let id = self.client.issue_cmd(command).await.expect("a virtual authenticator");
        id.as_str().expect("its id").to_string()
    }

    pub async fn remove_authenticator(&self, id: &str) {
        let command = WebAuthnCommand {
            path: format!("authenticator/{id}"),
            method: http::Method::DELETE,
            body: None,
        };
        self.client.issue_cmd(command).await.expect("the authenticator removed");
    }

    /// The page's HTML once it contains `text` (ten seconds at most).
    pub async fn once_page_has(&self, text: &str) -> String {
        let mut html = String::new();
        for _ in 0..100 {
            html = self.source().await.unwrap_or_default();
            if html.contains(text) {
                return html;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text:?}: {html}");
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        kill_group(&mut self.chromedriver);
    }
}

/// Reads chromedriver's "ChromeDriver was started successfully on port N."
/// and keeps draining what it prints afterwards (a closed pipe would kill it).
fn announced_port(chromedriver: &mut Child) -> u16 {
    let mut lines = BufReader::new(chromedriver.stdout.take().unwrap()).lines();
    let port = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    break rest.trim_end_matches('.').parse::<u16>().expect("a port number");
                }
            }
            _ => {
                kill_group(chromedriver);
                panic!("chromedriver exited before it listened");
            }
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    port
}

fn capabilities(profile: &std::path::Path) -> serde_json::Map<String, serde_json::Value> {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    capabilities
}

/// SIGKILL to chromedriver's process group: chromedriver and every
/// Chromium process it started.
fn kill_group(chromedriver: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", chromedriver.id())])
        .stderr(Stdio::null())
        .status();
    let _ = chromedriver.wait();
}
