//! The pages people see, as an operator makes them their own and as a
//! person reads them: the language they ask for, the operator's name, logo,
//! colours and texts, cacheable static files, and real answers to a method a
//! path does not serve.

use crate::helpers::smtp::app_with_mail;
use crate::helpers::snapshot::assert_snapshot;
use crate::helpers::{Backend, PASSWORD, hidden_field, location, spawn_app, spawn_app_with};

/// A page as a browser asking for `accept_language` gets it: headers, text.
async fn page(
    app: &crate::helpers::TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> (reqwest::header::HeaderMap, String) {
    let mut request = app.browser.get(app.url(path));
    if let Some(languages) = accept_language {
        request = request.header("accept-language", languages);
    }
    let response = request.send().await.unwrap();
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

/// The address of the page's `nth` stylesheet (from 1).
fn stylesheet(html: &str, nth: usize) -> String {
    html.split("<link rel=\"stylesheet\" href=\"")
        .nth(nth)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no stylesheet {nth}: {html}"))
        .to_string()
}

#[tokio::test]
async fn a_german_browser_gets_german_pages() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let (headers, html) = page(&app, "/login", Some("de-DE,de;q=0.9,en;q=0.8")).await;
    assert_eq!(headers["content-language"], "de");
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("<h1>Anmelden</h1>"), "{html}");
    assert!(html.contains("<label for=\"password\">Passwort</label>"), "{html}");

    let (headers, html) = page(&app, "/login", None).await;
    assert_eq!(headers["content-language"], "en");
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h1>Sign in</h1>"));
    let (_, html) = page(&app, "/login", Some("fr-FR, ja;q=0.5")).await;
    assert!(
        html.contains("<h1>Sign in</h1>"),
        "a language Sesame does not speak falls back to the default"
    );

    // Error pages too, and a method not served.
    let missing = app
        .browser
        .get(app.url("/nowhere"))
        .header("accept", "text/html")
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Seite nicht gefunden"));
}

#[tokio::test]
async fn the_operator_default_language_serves_browsers_that_ask_for_none() {
    let app = spawn_app_with(Backend::SqliteMemory, |s| s.ui.default_language = "de".into()).await;
    let (_, html) = page(&app, "/login", None).await;
    assert!(html.contains("<h1>Anmelden</h1>"), "{html}");
    let (_, html) = page(&app, "/login", Some("en-GB")).await;
    assert!(html.contains("<h1>Sign in</h1>"), "the browser's wish comes first");
}

/// OIDC Core 3.1.2.1 `ui_locales`: the app's wish holds for the whole
/// sign-in, over the browser's, and an error on the way is in it too.
#[tokio::test]
async fn ui_locales_choose_the_language_of_the_whole_sign_in() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let authorize = app
        .browser
        .get(app.url("/authorize"))
        .header("accept-language", "en")
        .query(&[
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("ui_locales", "fr-CA de-AT en"),
        ])
        .send()
        .await
        .unwrap();
    let login = location(&authorize);
    let response = app
        .browser
        .get(app.url(&login))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"de\">") && html.contains("<h1>Anmelden</h1>"),
        "{html}"
    );
    let refused = app
        .browser
        .post(app.url("/login"))
        .header("accept-language", "en")
        .form(&[
            ("req", hidden_field(&html, "req").as_str()),
            ("csrf", hidden_field(&html, "csrf").as_str()),
            ("username", "alice"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let text = refused.text().await.unwrap();
    assert!(text.contains("Benutzername oder Passwort ist falsch."), "{text}");
    assert!(
        text.contains("aria-describedby=\"login-error\""),
        "the error is tied to the fields"
    );
}

/// A German browser asking for a reset link gets it in German.
#[tokio::test]
async fn mail_is_written_in_the_language_of_the_request_behind_it() {
    let (app, sink) = app_with_mail(Backend::SqliteMemory).await;
    app.add_user("alice").await;
    let form = app
        .browser
        .get(app.url("/login/forgot"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    app.browser
        .post(app.url("/login/forgot"))
        .header("accept-language", "de")
        .form(&[("csrf", hidden_field(&form, "csrf").as_str()), ("identifier", "alice")])
        .send()
        .await
        .unwrap();
    let mail = sink.wait_for_subject("Neues Passwort").await;
    assert!(mail.text().contains("Hallo"), "{}", mail.text());
    assert!(mail.html().contains("lang=\"de\""), "{}", mail.html());
}

/// Name, logo, colour, texts, extra CSS and a footer from the configuration
/// and a theme folder, without rebuilding.
#[tokio::test]
async fn an_operator_brands_every_page_without_rebuilding() {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("locales/en")).unwrap();
    std::fs::create_dir_all(theme.path().join("static")).unwrap();
    std::fs::write(
        theme.path().join("locales/en/acme.ftl"),
        "login-to-your-account = to your { $product } workplace\n",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("static/acme.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(theme.path().join("extra.css"), ".brand span { letter-spacing: 0; }").unwrap();
    std::fs::write(
        theme.path().join("footer.html"),
        "<a href=\"https://acme.example/imprint\">Imprint</a>",
    )
    .unwrap();
    let folder = theme.path().to_path_buf();
    let app = spawn_app_with(Backend::SqliteMemory, move |s| {
        s.ui.product_name = "Acme ID".into();
        s.ui.accent_colour = "#0a6b4f".into();
        s.ui.logo = folder.join("static/acme.svg");
        s.ui.theme_dir = folder;
    })
    .await;
    let (_, html) = page(&app, "/login", None).await;
    assert!(html.contains("<title>Sign in · Acme ID</title>"), "{html}");
    assert!(html.contains("to your Acme ID workplace"), "the theme's text: {html}");
    assert!(
        html.contains("<img class=\"logo\" src=\"/static/brand-logo.svg?v="),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://acme.example/imprint\""),
        "the footer: {html}"
    );
    let theme_css = stylesheet(&html, 2);
    let css = app
        .browser
        .get(app.url(&theme_css))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        css.contains("--accent: #0a6b4f") && css.contains("letter-spacing: 0"),
        "{css}"
    );
    let logo = app.browser.get(app.url("/static/acme.svg")).send().await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    // German keeps its own text where the theme overrides only English.
    let (_, html) = page(&app, "/login", Some("de")).await;
    assert!(html.contains("bei Ihrem Acme ID-Konto"), "{html}");
}

#[tokio::test]
async fn a_theme_that_cannot_be_used_stops_the_start_with_its_reason() {
    let settings = |colour: &str| {
        let mut ui = sesame::config::Settings::defaults().ui;
        ui.accent_colour = colour.into();
        ui
    };
    let error = sesame::startup::look(&settings("red; } body { display: none"))
        .err()
        .unwrap();
    assert!(format!("{error:#}").contains("accent_colour"), "{error:#}");
    let mut ui = settings("");
    ui.default_language = "xx".into();
    assert!(format!("{:#}", sesame::startup::look(&ui).err().unwrap()).contains("default_language"));
    let mut ui = settings("");
    ui.logo = "/no/such/logo.png".into();
    assert!(format!("{:#}", sesame::startup::look(&ui).err().unwrap()).contains("/no/such/logo.png"));
}

/// Links carry the file's fingerprint and may be cached for good; without
/// it a file is revalidated by its ETag.
#[tokio::test]
async fn static_files_are_cacheable() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let (_, html) = page(&app, "/login", None).await;
    let link = stylesheet(&html, 1);
    assert!(link.starts_with("/static/sesame.css?v="), "{link}");
    let css = app.browser.get(app.url(&link)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = css.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .browser
        .get(app.url("/static/sesame.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let stale = app
        .browser
        .get(app.url("/static/sesame.css?v=0000"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.headers()["cache-control"], "public, max-age=300");
    assert_eq!(
        app.browser
            .get(app.url("/static/nothing.css"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// RFC 9110 15.5.6: 405 names the methods the path serves in `Allow`; a
/// browser gets a page, an API client JSON.
#[tokio::test]
async fn a_method_a_path_does_not_serve_is_405_with_allow() {
    let app = spawn_app(Backend::SqliteMemory).await;
    let token = app.api.get(app.url("/token")).send().await.unwrap();
    assert_eq!(token.status(), 405);
    assert_eq!(token.headers()["allow"], "POST");
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    let login = app
        .browser
        .put(app.url("/login"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 405);
    assert_eq!(login.headers()["allow"], "GET, POST");
    assert!(login.text().await.unwrap().contains("Not available this way"));
    // Every route still answers its own methods.
    assert_eq!(app.api.get(app.url("/jwks")).send().await.unwrap().status(), 200);
}

/// The sign-out confirmation on a shared browser offers this account or
/// every account, and the page after says what happened.
#[tokio::test]
async fn signing_out_can_end_every_account_on_the_browser() {
    let app = spawn_app(Backend::SqliteMemory).await;
    app.add_user("alice").await;
    app.add_user("bob").await;
    let client = app.add_client(false).await;
    let browser = app.other_browser();
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    assert_eq!(browser.sign_in("bob", PASSWORD).await, 303);
    let confirm = browser
        .get(browser.url("/end_session"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Sign out bob"), "{confirm}");
    assert!(confirm.contains("Also signed in on this browser: alice."), "{confirm}");
    let out = browser
        .post(browser.url("/end_session/confirm"))
        .form(&[("csrf", hidden_field(&confirm, "csrf").as_str()), ("every", "1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        out.contains("are signed out") && out.contains("alice") && out.contains("bob"),
        "{out}"
    );
    assert!(!browser.has_session(&client).await, "nobody is signed in");
}

/// The sign-in page, word for word, in English and German.
#[tokio::test]
async fn the_sign_in_page_in_two_languages() {
    let app = spawn_app(Backend::SqliteMemory).await;
    for (language, name) in [("en", "login.en.html"), ("de", "login.de.html")] {
        let (_, html) = page(&app, "/login", Some(language)).await;
        let csrf = hidden_field(&html, "csrf");
        assert_snapshot(name, &app.issuer, &html.replace(&csrf, "{csrf}"));
    }
}
