//! Signing in with a directory password, against Debian's `slapd` started
//! by the test: the directory decides (a password changed there counts at
//! once), the first sign-in makes a local account linked by the entry's id
//! with the directory's name, address and groups, local accounts keep
//! their own passwords beside it (a local account with the same name is
//! never the directory's), a filter cannot be injected, and a directory
//! that is down is "temporarily unavailable" — a 503 at sign-in and at
//! readiness, never "wrong password".

use sesame::config::{DirectoryOrder, Secret, Settings};
use sesame::domain::{User, Username};

use crate::helpers::browser::Browser;
use crate::helpers::slapd::{BASE_DN, Person, SEARCH_DN, SEARCH_PASSWORD, Slapd, person_dn};
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app_with};
use crate::on_both_backends;

const DAVE: Person = Person {
    uid: "dave",
    name: "Dave Directory",
    email: "dave@corp.example",
    password: "dave-directory-1",
};

/// The directory's `erin`: a local `erin` exists too, with her own password.
const ERIN: Person = Person {
    uid: "erin",
    name: "Erin Directory",
    email: "erin@corp.example",
    password: "erin-directory-1",
};

fn directory() -> Slapd {
    Slapd::start(&[DAVE, ERIN], &[("staff", &["dave", "erin"]), ("ops", &["erin"])])
}

/// Sesame with `directory` as its `[ldap]`, asked in `order`.
fn with_directory(directory: &Slapd, order: DirectoryOrder) -> impl FnOnce(&mut Settings) + use<> {
    let url = directory.url();
    move |s: &mut Settings| {
        s.ldap.enabled = true;
        s.ldap.url = url;
        s.ldap.bind_dn = SEARCH_DN.into();
        s.ldap.bind_password = Secret::new(SEARCH_PASSWORD);
        s.ldap.base_dn = BASE_DN.into();
        s.ldap.group_base_dn = format!("ou=groups,{BASE_DN}");
        s.ldap.order = order;
        s.ldap.timeout_secs = 2;
    }
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> u16 {
    Browser::new(&app.issuer).sign_in(username, password).await
}

async fn account(app: &TestApp, username: &str) -> (User, String) {
    app.services
        .users
        .find_credentials(&Username::parse(username).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("an account {username}"))
}

/// A person signs in with their directory password: the directory decides,
/// every time, and their account follows the directory.
async fn a_directory_password_signs_in_and_the_directory_decides(backend: Backend) {
    let directory = directory();
    let app = spawn_app_with(backend, with_directory(&directory, DirectoryOrder::LocalFirst)).await;
    app.add_user("erin").await;
    app.add_user("carol").await;

    // The first sign-in creates dave's account, linked by the entry's id,
    // with the directory's name, address and groups, and no password here.
    let browser = Browser::new(&app.issuer);
    assert_eq!(browser.sign_in("dave", DAVE.password).await, 303);
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("dave"), "{page}");
    let (dave, hash) = account(&app, "dave").await;
    assert!(hash.is_empty(), "no password of its own");
    assert_eq!(dave.display_name.as_deref(), Some("Dave Directory"));
    assert_eq!(
        (dave.email.as_deref(), dave.email_verified),
        (Some("dave@corp.example"), true)
    );
    let links = app.services.links.links_of(dave.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].issuer.as_str(), links[0].upstream.as_str()), ("ldap", "ldap"));
    assert_eq!(links[0].subject.len(), 36, "the entry's entryUUID, not its name");
    assert_eq!(app.group_names(dave.id).await, ["ldap:staff"]);

    // The password is the directory's: the profile says so, and a change
    // posted anyway is refused.
    let profile = browser
        .get(app.url("/account/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(profile.contains("id=\"password-in-directory\""), "{profile}");
    assert!(!profile.contains("action=\"/account/profile/password\""));
    let csrf = crate::helpers::hidden_field(&profile, "csrf");
    let refused = browser
        .post(app.url("/account/profile/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", DAVE.password),
            ("password", "a-local-password-1"),
            ("repeat", "a-local-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("kept in your organisation"));
    assert!(account(&app, "dave").await.1.is_empty());

    // Wrong passwords, and names that try to change the filter, are refused.
    assert_eq!(sign_in(&app, "dave", "wrong").await, 401);
    assert_eq!(sign_in(&app, "*", DAVE.password).await, 401);
    assert_eq!(sign_in(&app, "dave)(uid=*", DAVE.password).await, 401);

    // Local accounts sign in beside it; the local erin's name is hers (the
    // directory's erin does not get her account).
    assert_eq!(sign_in(&app, "erin", PASSWORD).await, 303);
    assert_eq!(sign_in(&app, "erin", ERIN.password).await, 401);
    assert_eq!(sign_in(&app, "carol", PASSWORD).await, 303);

    // A password changed in the directory counts at once: nothing cached.
    directory.set_password("dave", "dave-directory-2");
    assert_eq!(sign_in(&app, "dave", DAVE.password).await, 401);
    assert_eq!(sign_in(&app, "dave", "dave-directory-2").await, 303);

    // Groups follow the directory at each sign-in; a group an operator
    // made is left alone.
    let team = app.add_group("team").await;
    app.services.groups.add_member(team, dave.id).await.unwrap();
    directory.modify(&format!(
        "dn: cn=staff,ou=groups,{BASE_DN}\nchangetype: modify\ndelete: member\nmember: {dave}\n\n\
         dn: cn=ops,ou=groups,{BASE_DN}\nchangetype: modify\nadd: member\nmember: {dave}\n",
        dave = person_dn("dave")
    ));
    assert_eq!(sign_in(&app, "dave", "dave-directory-2").await, 303);
    assert_eq!(app.group_names(dave.id).await, ["ldap:ops", "team"]);
    // …and so do name and address.
    directory.modify(&format!(
        "dn: {}\nchangetype: modify\nreplace: cn\ncn: Dave Renamed\n",
        person_dn("dave")
    ));
    assert_eq!(sign_in(&app, "dave", "dave-directory-2").await, 303);
    assert_eq!(
        account(&app, "dave").await.0.display_name.as_deref(),
        Some("Dave Renamed")
    );

    // The directory down: "try again", a 503, never "wrong password";
    // local accounts still sign in; readiness says which dependency.
    let mut directory = directory;
    directory.stop();
    let browser = Browser::new(&app.issuer);
    let page = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_field(&page, "csrf");
    let refused = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "dave"),
            ("password", "dave-directory-2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    let text = refused.text().await.unwrap();
    assert!(text.contains("try again"), "{text}");
    assert!(!text.contains("wrong"), "{text}");
    assert_eq!(sign_in(&app, "carol", PASSWORD).await, 303);
    let ready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["directory"], "unavailable");

    directory.restart();
    assert_eq!(sign_in(&app, "dave", "dave-directory-2").await, 303);
    assert_eq!(app.api.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}

/// With `directory_first`, the directory decides for every name it has —
/// its erin gets an account of her own beside the local one (never that
/// one) — and local accounts sign in for names it does not have.
async fn directory_first_asks_the_directory_before_local_accounts(backend: Backend) {
    let directory = directory();
    let app = spawn_app_with(backend, with_directory(&directory, DirectoryOrder::DirectoryFirst)).await;
    let local_erin = app.add_user("erin").await;
    app.add_user("carol").await;

    let browser = Browser::new(&app.issuer);
    assert_eq!(browser.sign_in("erin", ERIN.password).await, 303);
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("erin-ldap"), "{page}");
    let (directory_erin, _) = account(&app, "erin-ldap").await;
    assert_ne!(directory_erin.id, local_erin.id);
    assert!(app.services.links.links_of(local_erin.id).await.unwrap().is_empty());

    assert_eq!(sign_in(&app, "erin", PASSWORD).await, 401, "the directory has erin");
    assert_eq!(sign_in(&app, "carol", PASSWORD).await, 303, "it has no carol");
}

/// The directory over TLS: StartTLS on `ldap://` and `ldaps://`, each
/// checked against the configured CA — a directory whose certificate
/// another CA signed is "unavailable", never a wrong password.
#[tokio::test]
async fn the_directory_over_starttls_and_ldaps_with_its_ca() {
    let certificates = tempfile::tempdir().unwrap();
    crate::helpers::certificates::make_certificates(certificates.path());
    let directory = Slapd::start_tls(&[DAVE], &[], certificates.path());
    let ldaps = format!("ldaps://127.0.0.1:{}", directory.tls_port.unwrap());
    let cases = [
        (directory.url(), true, "ca.crt", 303),
        (ldaps.clone(), false, "ca.crt", 303),
        (ldaps, false, "other.crt", 503),
    ];
    for (url, starttls, ca, status) in cases {
        let ca_file = certificates.path().join(ca).display().to_string();
        let app = spawn_app_with(Backend::SqliteMemory, {
            let tls = with_directory(&directory, DirectoryOrder::LocalFirst);
            move |s: &mut Settings| {
                tls(s);
                s.ldap.url = url;
                s.ldap.starttls = starttls;
                s.ldap.ca_file = ca_file;
            }
        })
        .await;
        assert_eq!(
            sign_in(&app, "dave", DAVE.password).await,
            status,
            "{ca} starttls={starttls}"
        );
    }
}

/// A directory that takes connections and never answers: after
/// `timeout_secs`, "try again" (503) — the sign-in does not hang.
#[tokio::test]
async fn a_directory_that_does_not_answer_is_unavailable_after_its_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ldap://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let app = spawn_app_with(Backend::SqliteMemory, move |s| {
        s.ldap.enabled = true;
        s.ldap.url = url;
        s.ldap.base_dn = BASE_DN.into();
        s.ldap.timeout_secs = 1;
    })
    .await;
    app.add_user("carol").await;
    let started = std::time::Instant::now();
    assert_eq!(sign_in(&app, "dave", "whatever").await, 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "held up: {:?}",
        started.elapsed()
    );
    assert_eq!(
        sign_in(&app, "carol", PASSWORD).await,
        303,
        "local accounts are not held up"
    );
    drop(silent);
}

on_both_backends!(
    a_directory_password_signs_in_and_the_directory_decides,
    directory_first_asks_the_directory_before_local_accounts,
);
