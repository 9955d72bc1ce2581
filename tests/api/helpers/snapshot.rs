//! Snapshots of what the specs care about, word for word: the discovery
//! document, error bodies and headers, the form_post page. A change to one
//! fails its test until the file under `tests/api/snapshots/` is updated on
//! purpose (`SESAME_UPDATE_SNAPSHOTS=1 cargo test`, then review the diff).

use std::path::PathBuf;

/// Compares `actual` with the stored snapshot `name`, after replacing the
/// test server's origin (its port changes every run) with `{issuer}`.
pub fn assert_snapshot(name: &str, issuer: &str, actual: &str) {
    let actual = without_fingerprints(&actual.replace(issuer, "{issuer}"));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api/snapshots")
        .join(name);
    if std::env::var_os("SESAME_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with SESAME_UPDATE_SNAPSHOTS=1 to write it, then review it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{name} differs from its snapshot (SESAME_UPDATE_SNAPSHOTS=1 updates it)\n\
             --- expected\n{expected}\n--- actual\n{actual}"
        );
    }
}

/// Static files are linked as `name?v=<fingerprint>`; the fingerprint
/// follows the file's content, which is not what a snapshot is about.
fn without_fingerprints(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("?v=") {
        out.push_str(&rest[..at + 3]);
        let tail = &rest[at + 3..];
        let digits = tail.chars().take_while(char::is_ascii_hexdigit).count();
        out.push_str(if digits == 16 { "{version}" } else { &tail[..digits] });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// A response as its snapshot: the status line, the headers a client acts
/// on, and the body (pretty-printed when JSON).
pub async fn response_snapshot(response: reqwest::Response) -> String {
    let mut text = format!("{}\n", response.status());
    for name in [
        "content-type",
        "cache-control",
        "pragma",
        "www-authenticate",
        "location",
    ] {
        for value in response.headers().get_all(name) {
            text.push_str(&format!("{name}: {}\n", value.to_str().unwrap()));
        }
    }
    let body = response.text().await.unwrap();
    let body = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap(),
        Err(_) => body,
    };
    text.push('\n');
    text.push_str(&body);
    text.push('\n');
    text
}
