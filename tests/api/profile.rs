//! A person's own name, password and email address on `/account/profile`:
//! the current password (or a recent sign-in) to change the password, other
//! sessions ended on request, a new address that counts only once confirmed
//! from the link sent to it, with the old address told.

use crate::helpers::browser::Browser;
use crate::helpers::smtp::{SmtpSink, app_with_mail};
use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, location, spawn_app_with};
use crate::on_both_backends;

/// Posts `form` (plus the page's CSRF token) to `path`: status, location, body.
async fn post(browser: &Browser, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let page = browser.get(browser.url("/account/profile")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf");
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let response = browser.post(browser.url(path)).form(&fields).send().await.unwrap();
    let status = response.status().as_u16();
    let to = if response.status().is_redirection() {
        location(&response)
    } else {
        String::new()
    };
    (status, to, response.text().await.unwrap_or_default())
}

async fn user(app: &TestApp) -> sesame::domain::User {
    let name = sesame::domain::Username::parse("alice").unwrap();
    app.services.users.find_credentials(&name).await.unwrap().unwrap().0
}

async fn a_person_changes_their_name_and_password(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let client = app.add_client(false).await;
    let here = app.other_browser();
    let elsewhere = app.other_browser();
    assert_eq!(here.sign_in("alice", PASSWORD).await, 303);
    assert_eq!(elsewhere.sign_in("alice", PASSWORD).await, 303);
    let account = here
        .get(here.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("href=\"/account/profile\""));

    let (status, to, _) = post(&here, "/account/profile/name", &[("name", "Alice Liddell")]).await;
    assert_eq!((status, to.as_str()), (303, "/account/profile?done=name"));
    assert_eq!(user(&app).await.display_name.as_deref(), Some("Alice Liddell"));
    let (status, _, page) = post(&here, "/account/profile/name", &[("name", "bad\u{7}name")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("control characters"));

    let new = "a fresh passphrase";
    let change = |current: &'static str, password: &'static str, repeat: &'static str| {
        [
            ("current", current),
            ("password", password),
            ("repeat", repeat),
            ("end_others", "1"),
        ]
    };
    let (status, _, page) = post(&here, "/account/profile/password", &change("wrong password", new, new)).await;
    assert_eq!(status, 400);
    assert!(page.contains("current password is not right"), "{page}");
    let (status, _, _) = post(&here, "/account/profile/password", &change(PASSWORD, new, "different")).await;
    assert_eq!(status, 400);
    // Signed in a moment ago: the current password may be left out.
    let (status, to, _) = post(&here, "/account/profile/password", &change("", new, new)).await;
    assert_eq!((status, to.as_str()), (303, "/account/profile?done=password"));
    assert!(here.has_session(&client).await, "this browser stays signed in");
    assert!(!elsewhere.has_session(&client).await, "the others are signed out");
    assert_eq!(app.other_browser().sign_in("alice", new).await, 303);
    let notice = sink.wait_for(1).await.remove(0);
    assert!(notice.subject().contains("password was changed"));

    // Later, the current password is needed again.
    app.clock.advance(3600);
    let (status, _, page) = post(&here, "/account/profile/password", &change("", PASSWORD, PASSWORD)).await;
    assert_eq!(status, 400);
    assert!(page.contains("Enter your current password"), "{page}");
}

async fn a_new_address_counts_once_confirmed(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let here = app.other_browser();
    assert_eq!(here.sign_in("alice", PASSWORD).await, 303);
    let (status, _, page) = post(&here, "/account/profile/email", &[("email", "not an address")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("not an email address"));

    let (status, to, _) = post(&here, "/account/profile/email", &[("email", "first@new.example")]).await;
    assert_eq!((status, to.as_str()), (303, "/account/profile?done=email"));
    let (status, _, _) = post(&here, "/account/profile/email", &[("email", "alice@new.example")]).await;
    assert_eq!(status, 303);
    let mail = sink.wait_for(4).await;
    let sent_to = |address: &str| {
        mail.iter()
            .find(|m| m.subject().contains("Confirm your email") && m.to == vec![address.to_string()])
            .unwrap_or_else(|| panic!("a link to {address}"))
    };
    let to_new = [sent_to("first@new.example"), sent_to("alice@new.example")];
    let told = mail.iter().filter(|m| m.subject().contains("is being changed")).count();
    assert_eq!(told, 2, "the old address is told");
    assert!(
        mail.iter()
            .filter(|m| m.subject().contains("is being changed"))
            .all(|m| m.to == vec!["alice@example.com".to_string()])
    );
    let before = user(&app).await;
    assert_eq!(
        before.email.as_deref(),
        Some("alice@example.com"),
        "nothing changes before"
    );
    assert!(!before.email_verified);

    let prefix = format!("{}/account/email/confirm?token=", app.issuer);
    let first = to_new[0].link(&prefix).unwrap();
    let newest = to_new[1].link(&prefix).unwrap();
    // Any browser may follow it; the newer link ends the older.
    let other = app.other_browser();
    assert_eq!(other.get(&first).send().await.unwrap().status(), 400);
    let page = other.get(&newest).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("alice@new.example"));
    assert!(!user(&app).await.email_verified, "opening the link changes nothing");
    let response = other
        .post(other.url("/account/email/confirm"))
        .form(&[
            ("csrf", hidden_field(&page, "csrf").as_str()),
            ("token", hidden_field(&page, "token").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Your address is confirmed"));
    let after = user(&app).await;
    assert_eq!(after.email.as_deref(), Some("alice@new.example"));
    assert!(after.email_verified);
    assert_eq!(other.get(&newest).send().await.unwrap().status(), 400, "once only");
}

/// Security notices: a second factor added or removed, and a sign-in from a
/// browser that had not signed in to the account before (never one it had).
async fn people_are_told_of_changes_they_may_not_have_made(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        sink.configure(s);
        s.account.notices.new_browser = true;
    })
    .await;
    app.add_user("alice").await;
    let browser = app.other_browser();
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    let first = sink.wait_for(1).await.remove(0);
    assert!(
        first.subject().contains("browser not used before"),
        "{}",
        first.subject()
    );
    assert!(first.text().contains("network address"));
    // The same browser again: it is known now.
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    crate::second_factor::enrol(&app, &browser, "alice").await;
    let mail = sink.wait_for(2).await;
    assert!(
        mail[1].subject().contains("second factor was added"),
        "{}",
        mail[1].subject()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let subjects: Vec<String> = sink.received().iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 2, "no notice for a known browser: {subjects:?}");
}

/// An app that needs confirmed addresses gets no code for an unconfirmed
/// one: the person confirms it (from a link, in any browser) and continues.
async fn an_app_that_needs_a_confirmed_address_waits_for_it(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.add_user("alice").await;
    let client = app.add_client(false).await;
    let change = sesame::admin::AccessChange {
        require_verified_email: Some(true),
        ..Default::default()
    };
    sesame::admin::set_client_access(&app.services.client_admin(), &client.id(), change)
        .await
        .unwrap();
    let params = [
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid email"),
    ];
    let signed_in = app.login_through(&params, "alice").await;
    let page_path = location(&signed_in);
    assert!(page_path.starts_with("/login/verify-email?req="), "{page_path}");
    let page = app
        .browser
        .get(app.url(&page_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("needs a confirmed email address"), "{page}");
    let mut silent = params.to_vec();
    silent.push(("prompt", "none"));
    let answer = app.authorize(&silent).await;
    assert_eq!(
        crate::helpers::redirect_params(&answer)["error"],
        "interaction_required"
    );

    let request_id = hidden_field(&page, "req");
    let csrf = hidden_field(&page, "csrf");
    let act = |action: &'static str| {
        app.browser.post(app.url("/login/verify-email")).form(&[
            ("csrf", csrf.as_str()),
            ("req", request_id.as_str()),
            ("action", action),
        ])
    };
    let not_yet = act("continue").send().await.unwrap();
    assert_eq!(location(&not_yet), page_path, "no code before the address is confirmed");
    let sent = act("send").send().await.unwrap();
    assert!(location(&sent).ends_with("&sent=1"));
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["alice@example.com".to_string()]);
    let link = mail
        .link(&format!("{}/account/email/confirm?token=", app.issuer))
        .unwrap();
    let phone = app.other_browser();
    let confirm = phone.get(&link).send().await.unwrap().text().await.unwrap();
    let done = phone
        .post(phone.url("/account/email/confirm"))
        .form(&[
            ("csrf", hidden_field(&confirm, "csrf").as_str()),
            ("token", hidden_field(&confirm, "token").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let back = act("continue").send().await.unwrap();
    assert!(location(&back).starts_with(&client.redirect_uri), "{}", location(&back));
    assert!(crate::helpers::redirect_params(&back).contains_key("code"));
}

on_both_backends!(
    an_app_that_needs_a_confirmed_address_waits_for_it,
    a_person_changes_their_name_and_password,
    a_new_address_counts_once_confirmed,
    people_are_told_of_changes_they_may_not_have_made
);
