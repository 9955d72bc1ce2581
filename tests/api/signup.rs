//! Accounts people make: open sign-up (the account exists once its address
//! is confirmed; the page never tells whether an address has an account)
//! and operators' invitations (the person chooses a username and password).

use sesame::config::SignupMode;
use sesame::domain::{Role, Username};

use crate::helpers::browser::Browser;
use crate::helpers::smtp::SmtpSink;
use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, spawn_app, spawn_app_with};
use crate::on_both_backends;

async fn app_with(backend: Backend, mode: SignupMode) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        sink.configure(s);
        s.signup.mode = mode;
    })
    .await;
    (app, sink)
}

/// Fills in the form of `page_path` (its CSRF token) and posts `fields` to
/// `action`, from the client address `ip` when given (a server that trusts
/// `X-Forwarded-For` from loopback takes it).
async fn form_post_from(
    browser: &Browser,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
    ip: Option<&str>,
) -> (u16, String) {
    let from = |request: reqwest::RequestBuilder| match ip {
        Some(ip) => request.header("x-forwarded-for", ip),
        None => request,
    };
    let page = from(browser.get(browser.url(page_path)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = from(browser.post(browser.url(action)))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn sign_up(browser: &Browser, username: &str, email: &str) -> (u16, String) {
    sign_up_from(browser, username, email, None).await
}

async fn sign_up_from(browser: &Browser, username: &str, email: &str, ip: Option<&str>) -> (u16, String) {
    let fields = [
        ("token", ""),
        ("username", username),
        ("email", email),
        ("name", ""),
        ("password", PASSWORD),
        ("repeat", PASSWORD),
    ];
    form_post_from(browser, "/signup", "/signup", &fields, ip).await
}

async fn account(app: &TestApp, username: &str) -> Option<sesame::domain::User> {
    let name = Username::parse(username).unwrap();
    app.services
        .users
        .find_credentials(&name)
        .await
        .unwrap()
        .map(|(u, _)| u)
}

async fn open_sign_up_creates_the_account_once_confirmed(backend: Backend) {
    let (app, sink) = app_with(backend, SignupMode::Open).await;
    let login = app
        .browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("href=\"/signup\""));
    let person = app.other_browser();
    let (status, page) = sign_up(&person, "bob", "bob@example.com").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Almost there"));
    assert!(
        account(&app, "bob").await.is_none(),
        "no account before the address is confirmed"
    );
    assert_eq!(app.other_browser().sign_in("bob", PASSWORD).await, 401);

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["bob@example.com".to_string()]);
    let link = mail.link(&format!("{}/signup/confirm?token=", app.issuer)).unwrap();
    let page = person.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Create the account"));
    let response = person
        .post(person.url("/signup/confirm"))
        .form(&[
            ("csrf", hidden_field(&page, "csrf").as_str()),
            ("token", hidden_field(&page, "token").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Your account is ready"));
    let bob = account(&app, "bob").await.expect("the account exists");
    assert!(bob.email_verified && bob.roles.is_empty());
    assert_eq!(app.other_browser().sign_in("bob", PASSWORD).await, 303);
    assert_eq!(person.get(&link).send().await.unwrap().status(), 400, "once only");

    // A taken username is said at once (usernames are what people type to sign in).
    let (status, page) = sign_up(&app.other_browser(), "bob", "other@example.com").await;
    assert_eq!(status, 400);
    assert!(page.contains("username is taken"));
}

async fn sign_up_never_tells_whether_an_address_has_an_account(backend: Backend) {
    let (app, sink) = app_with(backend, SignupMode::Open).await;
    app.add_user("alice").await;
    let (taken_status, taken_page) = sign_up(&app.other_browser(), "carol", "alice@example.com").await;
    let (free_status, free_page) = sign_up(&app.other_browser(), "dave", "dave@example.com").await;
    assert_eq!((taken_status, &taken_page), (free_status, &free_page));
    let mail = sink.wait_for(2).await;
    let to_alice = mail
        .iter()
        .find(|m| m.to == vec!["alice@example.com".to_string()])
        .unwrap();
    assert!(to_alice.subject().contains("already have"), "{}", to_alice.subject());
    assert!(
        to_alice.link(&app.issuer).is_none(),
        "no link that would make a second account"
    );
    assert!(account(&app, "carol").await.is_none());
}

/// Sign-ups naming someone else's address can neither flood their inbox
/// nor, from one network, keep its owner from signing up: a few mails an
/// hour per network (an IPv6 /64 counts as one), a few more from all.
async fn a_stranger_cannot_spend_what_an_address_may_be_mailed(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        sink.configure(s);
        s.signup.mode = SignupMode::Open;
        s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let victim = "victim@example.com";
    for i in 0..5 {
        let stranger = format!("2001:db8:bad:1::{i}");
        assert_eq!(
            sign_up_from(&app.other_browser(), &format!("mallory{i}"), victim, Some(&stranger))
                .await
                .0,
            200
        );
    }
    assert_eq!(sink.wait_for(3).await.len(), 3);
    assert_eq!(
        sign_up_from(&app.other_browser(), "theowner", victim, Some("192.0.2.10"))
            .await
            .0,
        200
    );
    let mails = sink.wait_for(4).await;
    assert!(
        mails.iter().any(|m| m.text().contains("theowner")),
        "the owner's own sign-up was mailed"
    );
    // More networks: the inbox still gets at most ten an hour.
    for network in 2..6 {
        for i in 0..3 {
            let stranger = format!("2001:db8:bad:{network}::{i}");
            let username = format!("mallory{network}x{i}");
            assert_eq!(
                sign_up_from(&app.other_browser(), &username, victim, Some(&stranger))
                    .await
                    .0,
                200
            );
        }
    }
    sink.wait_for(10).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        sink.received().len(),
        10,
        "at most ten sign-up mails an hour to one address"
    );
}

async fn invitations_and_closed_sign_up(backend: Backend) {
    let closed = spawn_app(backend).await;
    assert_eq!(
        closed.browser.get(closed.url("/signup")).send().await.unwrap().status(),
        404
    );
    assert!(closed.services.signup().invite("x@example.com", vec![]).await.is_err());
    drop(closed);

    let (app, sink) = app_with(backend, SignupMode::Invite).await;
    assert_eq!(
        app.browser.get(app.url("/signup")).send().await.unwrap().status(),
        404,
        "invitations only"
    );
    app.services
        .signup()
        .invite("erin@example.com", vec![Role::Developer])
        .await
        .unwrap();
    let mail = sink.wait_for(1).await.remove(0);
    assert!(mail.subject().contains("invited"));
    let link = mail.link(&format!("{}/invitation?token=", app.issuer)).unwrap();
    let path = &link[app.issuer.len()..];
    let person = app.other_browser();
    let fields = |username: &'static str, repeat: &'static str| {
        [
            ("username", username),
            ("name", "Erin"),
            ("password", PASSWORD),
            ("repeat", repeat),
        ]
    };
    let page = person.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("erin@example.com"));
    let token = hidden_field(&page, "token");
    let with_token = |f: [(&'static str, &'static str); 4]| {
        let mut all = vec![("token", token.clone())];
        all.extend(f.iter().map(|(k, v)| (*k, v.to_string())));
        all
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let person = &person;
        async move {
            let page = person.get(person.url(path)).send().await.unwrap().text().await.unwrap();
            let mut form = vec![("csrf", hidden_field(&page, "csrf"))];
            form.extend(fields);
            let response = person.post(person.url("/invitation")).form(&form).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, page) = post(with_token(fields("erin", "different"))).await;
    assert_eq!(status, 400);
    assert!(page.contains("passwords differ"));
    let (status, page) = post(with_token(fields("erin", PASSWORD))).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your account is ready"));
    let erin = account(&app, "erin").await.unwrap();
    assert_eq!(erin.email.as_deref(), Some("erin@example.com"));
    assert!(erin.email_verified);
    assert_eq!(erin.roles, vec![Role::Developer]);
    assert_eq!(app.other_browser().sign_in("erin", PASSWORD).await, 303);
    assert_eq!(person.get(&link).send().await.unwrap().status(), 400, "once only");
}

on_both_backends!(
    open_sign_up_creates_the_account_once_confirmed,
    sign_up_never_tells_whether_an_address_has_an_account,
    a_stranger_cannot_spend_what_an_address_may_be_mailed,
    invitations_and_closed_sign_up
);
