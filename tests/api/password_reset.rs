//! "Forgot your password?" end to end: the request, the mail (through a real
//! SMTP sink), the link (single use, expiring, dead once a newer one is
//! sent), the second factor it asks for, what setting the password ends,
//! and answers that never tell whether an account exists.

use crate::helpers::browser::Browser;
use crate::helpers::smtp::{Received, SmtpSink, app_with_mail};
use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, spawn_app_with};
use crate::on_both_backends;
use crate::second_factor::{code_now, enrol};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Asks for a link; the status and the page.
async fn ask(browser: &Browser, identifier: &str) -> (u16, String) {
    let page = browser.get(browser.url("/login/forgot")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf");
    let response = browser
        .post(browser.url("/login/forgot"))
        .form(&[("csrf", csrf.as_str()), ("identifier", identifier)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The path and query of the reset link in `mail`.
fn reset_path(app: &TestApp, mail: &Received) -> String {
    let link = mail
        .link(&format!("{}/login/reset?token=", app.issuer))
        .unwrap_or_else(|| panic!("a reset link in {}", mail.text()));
    assert!(mail.html().contains(&link), "the HTML part carries the same link");
    link[app.issuer.len()..].to_string()
}

/// Submits the reset form of `path`: the status and the page.
async fn set_password(browser: &Browser, path: &str, password: &str, code: Option<&str>) -> (u16, String) {
    let page = browser.get(browser.url(path)).send().await.unwrap();
    if page.status() != 200 {
        return (page.status().as_u16(), page.text().await.unwrap());
    }
    let html = page.text().await.unwrap();
    let mut form = vec![
        ("csrf", hidden_field(&html, "csrf")),
        ("token", hidden_field(&html, "token")),
        ("password", password.to_string()),
        ("repeat", password.to_string()),
    ];
    if let Some(code) = code {
        form.push(("code", code.to_string()));
    }
    let response = browser
        .post(browser.url("/login/reset"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn a_forgotten_password_is_reset_once_with_the_mailed_link(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let client = app.add_client(false).await;
    let elsewhere = app.other_browser();
    assert_eq!(elsewhere.sign_in("alice", PASSWORD).await, 303);
    assert!(elsewhere.has_session(&client).await);

    let login = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("href=\"/login/forgot\""), "the login page offers it");
    let person = app.other_browser();
    let (status, page) = ask(&person, "alice").await;
    assert_eq!(status, 200);
    assert!(page.contains("If an account matches"));
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["alice@example.com".to_string()]);
    assert!(mail.subject().contains("Set a new password"));
    assert!(!mail.text().contains(PASSWORD), "never a password");
    let path = reset_path(&app, &mail);

    // Opening the link (a mail scanner, or the person twice) spends nothing.
    for _ in 0..2 {
        let page = person.get(person.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Set a new password"));
    }
    let (status, page) = set_password(&person, &path, "short", None).await;
    assert_eq!(status, 400, "the password policy holds");
    assert!(page.contains("8 to 1024"));
    let (status, page) = set_password(&person, &path, NEW_PASSWORD, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your password was changed"));

    // Once only; every session ended; the new password is the password.
    let (status, page) = set_password(&person, &path, "another passphrase", None).await;
    assert_eq!(status, 400);
    assert!(page.contains("no longer works"));
    assert!(!elsewhere.has_session(&client).await, "other sessions ended");
    assert_eq!(
        app.other_browser().sign_in("alice", PASSWORD).await,
        401,
        "the old password fails"
    );
    assert_eq!(app.other_browser().sign_in("alice", NEW_PASSWORD).await, 303);
    let notice = sink.wait_for(2).await.remove(1);
    assert!(
        notice.subject().contains("password was changed"),
        "{}",
        notice.subject()
    );
    let audit = app.services.audit.recent(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == "password_reset"));
}

async fn nothing_tells_whether_an_account_exists(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let browser = app.other_browser();
    let mut answers = Vec::new();
    for identifier in [
        "alice",
        "nobody",
        "alice@example.com",
        "nobody@example.com",
        "not a name!",
    ] {
        answers.push(ask(&browser, identifier).await);
    }
    assert!(answers.iter().all(|answer| answer == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200);
    // Only the two that name alice send anything.
    let mail = sink.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 2);
    assert!(mail.iter().all(|m| m.to == vec!["alice@example.com".to_string()]));
}

async fn a_newer_link_or_time_ends_an_older_one(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let person = app.other_browser();
    ask(&person, "alice").await;
    let first = reset_path(&app, &sink.wait_for(1).await[0]);
    ask(&person, "alice").await;
    let second = reset_path(&app, &sink.wait_for(2).await[1]);
    assert_ne!(first, second);
    let dead = person.get(person.url(&first)).send().await.unwrap();
    assert_eq!(dead.status(), 400, "a newer link ends the older");
    assert_eq!(person.get(person.url(&second)).send().await.unwrap().status(), 200);

    // 30 minutes later the newest is dead too.
    app.clock.advance(30 * 60);
    let (status, _) = set_password(&person, &second, NEW_PASSWORD, None).await;
    assert_eq!(status, 400);

    // Three links an hour per account; a fourth request sends nothing, but
    // is answered the same, and the last link sent still works.
    ask(&person, "alice").await;
    let third = reset_path(&app, &sink.wait_for(3).await[2]);
    let (status, _) = ask(&person, "alice").await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 3, "no fourth link this hour");
    let (status, page) = set_password(&person, &third, NEW_PASSWORD, None).await;
    assert_eq!(status, 200, "{page}");
}

async fn the_reset_asks_for_the_second_factor(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let enrolled = enrol(&app, &app.other_browser(), "alice").await;
    let person = app.other_browser();
    ask(&person, "alice@example.com").await;
    // The factor's own notice may come first.
    let path = reset_path(&app, &sink.wait_for_subject("Set a new password").await);
    let page = person
        .get(person.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"code\""), "the form asks for a code");
    let (status, page) = set_password(&person, &path, NEW_PASSWORD, None).await;
    assert_eq!(status, 400);
    assert!(page.contains("authenticator app"));
    let (status, _) = set_password(&person, &path, NEW_PASSWORD, Some("000000")).await;
    assert_eq!(status, 400);
    assert_eq!(
        app.other_browser().sign_in("alice", NEW_PASSWORD).await,
        401,
        "not changed yet"
    );
    let code = code_now(&app, &enrolled.secret);
    let (status, page) = set_password(&person, &path, NEW_PASSWORD, Some(&code)).await;
    assert_eq!(status, 200, "{page}");
    // The password step passes with the new password; the second step stays.
    assert_eq!(app.other_browser().sign_in("alice", NEW_PASSWORD).await, 303);
}

async fn requests_from_one_address_are_limited(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        sink.configure(s);
        s.password_reset.per_address_per_hour = 2;
    })
    .await;
    let browser = app.other_browser();
    assert_eq!(ask(&browser, "nobody").await.0, 200);
    assert_eq!(ask(&browser, "nobody").await.0, 200);
    let (status, page) = ask(&browser, "nobody").await;
    assert_eq!(status, 429);
    assert!(page.contains("Too many requests"));
}

/// The whole path in headless Chromium: the login page's link, the mail,
/// the link followed once, the new password signing in, the link dead after.
#[tokio::test]
async fn a_person_resets_a_forgotten_password_in_a_real_browser() {
    let Some(browser) = crate::helpers::chromium::Chromium::start().await else {
        return;
    };
    let (app, sink) = app_with_mail(Backend::SqliteMemory).await;
    app.add_user("alice").await;
    browser.goto(&app.url("/login")).await.unwrap();
    browser.click("#forgot-password").await;
    browser.url_once_at(&app.url("/login/forgot")).await;
    browser.type_into("identifier", "alice").await;
    browser.click("button[type=submit]").await;
    browser.once_page_has("If an account matches").await;
    let link = sink.wait_for(1).await[0]
        .link(&format!("{}/login/reset?token=", app.issuer))
        .unwrap();

    browser.goto(&link).await.unwrap();
    browser.once_page_has("Set a new password").await;
    browser.type_into("password", NEW_PASSWORD).await;
    browser.type_into("repeat", NEW_PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.text_of("reset-done").await;

    browser.goto(&app.url("/login")).await.unwrap();
    browser.type_into("username", "alice").await;
    browser.type_into("password", NEW_PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.url_once_at(&app.url("/account")).await;
    browser.goto(&link).await.unwrap();
    browser.once_page_has("This link no longer works").await;
    browser.quit().await;
}

on_both_backends!(
    a_forgotten_password_is_reset_once_with_the_mailed_link,
    nothing_tells_whether_an_account_exists,
    a_newer_link_or_time_ends_an_older_one,
    the_reset_asks_for_the_second_factor,
    requests_from_one_address_are_limited
);
