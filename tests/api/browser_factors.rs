//! Second factors in a real browser (Debian's headless Chromium): a person
//! sets up an authenticator app on the account page, an app asking for the
//! two-factor level gets a step-up of the password session, and the next
//! sign-in takes password + code, refusing a code already used; passkeys
//! and security keys through the DevTools virtual authenticator (CTAP2,
//! resident keys, user verification): registered on the account page, a
//! passkey signs in with no username (on an account that also has TOTP),
//! and a security key is the second step after a password.
//!
//! Set SESAME_SKIP_BROWSER_TESTS=1 to skip these tests locally; they say so.

use sesame::admin::{self, NewClient};
use sesame::auth::totp::TotpSecret;
use sesame::clock::Clock;
use sesame::domain::Level;

use crate::helpers::chromium::Chromium;
use crate::helpers::{Backend, PASSWORD, TestApp, TestClient, spawn_app};
use crate::second_factor::acr_and_amr;

/// An app on a loopback callback the browser can land on.
async fn register(app: &TestApp, name: &str, redirect_uri: &str) -> TestClient {
    let new = NewClient {
        name: name.into(),
        redirect_uris: vec![redirect_uri.into()],
        first_party: true,
        ..Default::default()
    };
    let created = admin::add_client(&app.services.client_admin(), new, sesame::admin::Via::Cli)
        .await
        .unwrap();
    TestClient {
        client_id: created.client.client_id.to_string(),
        secret: created.secret,
        redirect_uri: redirect_uri.into(),
    }
}

fn authorize_url(app: &TestApp, client: &TestClient, acr: Option<&str>) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid");
    if let Some(acr) = acr {
        url.query_pairs_mut().append_pair("acr_values", acr);
    }
    url.to_string()
}

fn code_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {url}"))
}

async fn type_code(browser: &Chromium, code: &str) {
    browser.type_into("code", code).await;
    browser.click("button[type=submit]").await;
}

async fn a_person_sets_up_totp_and_signs_in_with_it_in_a_real_browser(backend: Backend) {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let callback = crate::browser::start_relying_app();
    let (a_uri, b_uri) = (
        format!("http://127.0.0.1:{callback}/a/callback"),
        format!("http://127.0.0.1:{callback}/b/callback"),
    );
    let a = register(&app, "App A", &a_uri).await;
    let b = register(&app, "App B", &b_uri).await;
    app.add_user("alice").await;

    // The account page: sign in, set up the app from the QR page's key.
    browser.goto(&app.url("/login")).await.unwrap();
    browser.type_into("username", "alice").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/account")).await;
    browser.click("#add-totp").await;
    let secret = TotpSecret::from_base32(&browser.text_of("totp-secret").await).unwrap();
    assert!(
        browser.source().await.unwrap().contains("<svg"),
        "the QR code is on the page"
    );
    type_code(&browser, &secret.code_at(app.clock.now()).unwrap()).await;
    let codes = browser.text_of("recovery-codes").await;
    assert_eq!(codes.split_whitespace().count(), 10, "{codes}");
    app.clock.advance(30);

    // App B asks for two factors: the password session steps up with a code only.
    browser
        .goto(&authorize_url(&app, &b, Some(Level::TwoFactors.acr())))
        .await
        .unwrap();
    browser.url_once_at(&app.url("/login/second-factor")).await;
    type_code(&browser, &secret.code_at(app.clock.now()).unwrap()).await;
    let landed = browser.url_once_at(&b_uri).await;
    let (acr, amr) = acr_and_amr(&app, &b, &code_of(&landed)).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    let used = secret.code_at(app.clock.now()).unwrap();

    // Signed out, App A: password, then a code; the code just used is refused.
    browser.goto(&app.url("/account")).await.unwrap();
    browser.click("form[action='/account/sessions/end'] button").await;
    browser.text_of("signed-out").await;
    browser.goto(&authorize_url(&app, &a, None)).await.unwrap();
    browser.url_once_at(&app.url("/login")).await;
    browser.type_into("username", "alice").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/login/second-factor")).await;
    type_code(&browser, &used).await;
    let refused = browser.text_of("code-error").await;
    assert!(refused.contains("Each code works once"), "{refused}");
    app.clock.advance(30);
    type_code(&browser, &secret.code_at(app.clock.now()).unwrap()).await;
    let landed = browser.url_once_at(&a_uri).await;
    let (acr, _) = acr_and_amr(&app, &a, &code_of(&landed)).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    browser.quit().await;
}

/// WebAuthn needs a domain name: these tests serve Sesame as `localhost`.
async fn spawn_on_localhost(backend: Backend) -> TestApp {
    crate::helpers::spawn_app_with(backend, |s| s.issuer = s.issuer.replace("127.0.0.1", "localhost")).await
}

async fn sign_out_here(browser: &Chromium, app: &TestApp) {
    browser.goto(&app.url("/account")).await.unwrap();
    browser.click("form[action='/account/sessions/end'] button").await;
    browser.text_of("signed-out").await;
}

async fn add_key(browser: &Chromium, app: &TestApp, name: &str, kind: &str) {
    browser.goto(&app.url("/account")).await.unwrap();
    browser.type_into("key-name", name).await;
    browser.click(&format!("input[name=kind][value={kind}]")).await;
    browser.click("#add-key").await;
    browser.once_page_has(&format!("<strong>{name}</strong>")).await;
}

async fn passkeys_and_security_keys_in_a_real_browser(backend: Backend) {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let app = spawn_on_localhost(backend).await;
    let callback = crate::browser::start_relying_app();
    let (a_uri, b_uri) = (
        format!("http://127.0.0.1:{callback}/a/callback"),
        format!("http://127.0.0.1:{callback}/b/callback"),
    );
    let a = register(&app, "App A", &a_uri).await;
    let b = register(&app, "App B", &b_uri).await;
    app.add_user("alice").await;
    let platform = browser.add_authenticator("internal").await;

    // The account page: a passkey, and an authenticator app beside it.
    browser.goto(&app.url("/login")).await.unwrap();
    browser.type_into("username", "alice").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/account")).await;
    add_key(&browser, &app, "laptop", "passkey").await;
    // Later, adding a factor needs a recent sign-in: the passkey confirms it
    // is her (its user verification: both factors), no password typed.
    app.clock
        .advance(app.services.settings.mfa.recent_authentication_secs as i64 + 1);
    browser.click("#add-totp").await;
    browser.url_once_at(&app.url("/account/confirm")).await;
    browser.once_page_has("Use your passkey").await;
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "/account/confirm with a passkey: {violations:?}");
    browser.click("#confirm-with-passkey").await;
    browser.url_once_at(&app.url("/account")).await;
    browser.once_page_has("id=\"add-totp\"").await;
    browser.click("#add-totp").await;
    let secret = TotpSecret::from_base32(&browser.text_of("totp-secret").await).unwrap();
    type_code(&browser, &secret.code_at(app.clock.now()).unwrap()).await;
    browser.text_of("recovery-codes").await;
    sign_out_here(&browser, &app).await;

    // App A: the login page offers the passkey (autofill, a sealed challenge
    // in the page); Chromium's virtual authenticator answers that request
    // at once, as a person picking it from the username field's suggestions
    // would. No username typed, no code asked although the account has an
    // authenticator app. (The button's ceremony is tested over HTTP.)
    browser.goto(&authorize_url(&app, &a, None)).await.unwrap();
    let landed = browser.url_once_at(&a_uri).await;
    let (acr, amr) = acr_and_amr(&app, &a, &code_of(&landed)).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, ["swk", "user", "mfa"]);

    // A security key (another authenticator), then App B: password, then the key.
    browser.remove_authenticator(&platform).await;
    browser.add_authenticator("usb").await;
    add_key(&browser, &app, "yubikey", "security_key").await;
    sign_out_here(&browser, &app).await;
    browser.goto(&authorize_url(&app, &b, None)).await.unwrap();
    browser.url_once_at(&app.url("/login")).await;
    browser.type_into("username", "alice").await;
    browser.type_into("password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/login/second-factor")).await;
    browser.click("#use-key").await;
    let landed = browser.url_once_at(&b_uri).await;
    let (acr, amr) = acr_and_amr(&app, &b, &code_of(&landed)).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, ["pwd", "hwk", "mfa"]);
    browser.quit().await;
}

crate::on_both_backends!(
    a_person_sets_up_totp_and_signs_in_with_it_in_a_real_browser,
    passkeys_and_security_keys_in_a_real_browser,
);
