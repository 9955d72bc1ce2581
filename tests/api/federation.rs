//! Signing in with an account at an upstream OpenID Connect provider —
//! here another Sesame, on `localhost` so the two keep their own cookies —
//! through HTTP: the login page's button, the upstream's sign-in, a local
//! account created and linked by the upstream's issuer and subject only
//! (never to the local account with the same address), `amr` `fed` in the
//! app's ID token, the answer usable once and only by the browser that
//! asked, provisioning off, an upstream that does not answer.

use reqwest::StatusCode;
use sesame::config::{Provisioning, Secret, UpstreamClaims, UpstreamClientAuth, UpstreamKind, UpstreamSettings};

use crate::helpers::browser::Browser;
use crate::helpers::relying_party::{RelyingApp, verify_logout_token};
use crate::helpers::{
    Backend, PASSWORD, TestApp, TestClient, hidden_field, location, pkce_challenge, redirect_params, spawn_app_with,
};
use crate::on_both_backends;

/// The upstream: a Sesame on `localhost`, with `alice`, and a first-party
/// app for the downstream Sesame (its redirect URI set once that one runs).
async fn upstream(backend: Backend) -> (TestApp, TestClient) {
    upstream_with(backend, |_| {}).await
}

/// The upstream, with `tweak` applied to its settings.
async fn upstream_with(backend: Backend, tweak: impl FnOnce(&mut sesame::config::Settings)) -> (TestApp, TestClient) {
    let upstream = spawn_app_with(backend, |s| {
        s.issuer = s.issuer.replace("127.0.0.1", "localhost");
        tweak(s);
    })
    .await;
    upstream.add_user("alice").await;
    let client = upstream.add_client(false).await;
    (upstream, client)
}

fn corp(upstream: &TestApp, client: &TestClient, provisioning: Provisioning) -> UpstreamSettings {
    UpstreamSettings {
        name: "corp".into(),
        display_name: "Corp SSO".into(),
        issuer: upstream.issuer.clone(),
        client_id: client.client_id.clone(),
        client_secret: Secret::new(client.secret.clone().unwrap()),
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        provisioning,
        domains: vec!["corp.example".into()],
        ..corp_like()
    }
}

/// An upstream's settings with nothing particular (for `..corp_like()`).
fn corp_like() -> UpstreamSettings {
    UpstreamSettings {
        name: "corp".into(),
        display_name: "Corp SSO".into(),
        issuer: "http://localhost".into(),
        client_id: String::new(),
        client_secret: Secret::default(),
        scopes: vec!["openid".into()],
        provisioning: Provisioning::Allowed,
        claims: UpstreamClaims::default(),
        client_auth: UpstreamClientAuth::ClientSecretBasic,
        trust_amr: false,
        kind: UpstreamKind::Oidc,
        authorization_endpoint: String::new(),
        token_endpoint: String::new(),
        userinfo_endpoint: String::new(),
        group_prefix: String::new(),
        domains: Vec::new(),
    }
}

/// Points the upstream's app at `downstream`'s callback and its
/// back-channel logout endpoint for this upstream.
async fn register_callback(upstream: &TestApp, client: &TestClient, downstream: &TestApp) {
    let id = sesame::domain::ClientId::parse(&client.client_id).unwrap();
    let stored = upstream.services.clients.find_client(&id).await.unwrap().unwrap();
    let mut metadata = sesame::admin::metadata_of(&stored);
    metadata.redirect_uris = vec![format!("{}/login/upstream-callback", downstream.issuer)];
    metadata.backchannel_logout_uri = Some(format!("{}/login/upstream/corp/backchannel-logout", downstream.issuer));
    sesame::admin::update_client(&upstream.services.client_admin(), &id, metadata)
        .await
        .unwrap();
}

/// Both Sesames, the downstream one with the upstream configured.
pub(crate) async fn federated_pair(backend: Backend, provisioning: Provisioning) -> (TestApp, TestApp) {
    federated_pair_with(backend, provisioning, |_| {}).await
}

/// The same, with `tweak` applied to the upstream's settings.
pub(crate) async fn federated_pair_with(
    backend: Backend,
    provisioning: Provisioning,
    tweak: impl FnOnce(&mut sesame::config::Settings),
) -> (TestApp, TestApp) {
    let (upstream, client) = upstream_with(backend, tweak).await;
    let settings = corp(&upstream, &client, provisioning);
    let downstream = spawn_app_with(backend, move |s| {
        s.upstreams = vec![settings];
        s.admin.enabled = true;
    })
    .await;
    register_callback(&upstream, &client, &downstream).await;
    (upstream, downstream)
}

/// GET `url` and follow redirects (absolute or relative to the page they
/// came from) until an answer that is not one, or a redirect to `stop_at`:
/// that URL, not fetched, and the answer that sent the browser there.
async fn follow(browser: &reqwest::Client, url: &str, stop_at: &str) -> (String, reqwest::Response) {
    let mut url = url::Url::parse(url).unwrap();
    for _ in 0..10 {
        let response = browser.get(url.as_str()).send().await.unwrap();
        if !response.status().is_redirection() {
            return (url.to_string(), response);
        }
        url = url.join(&location(&response)).unwrap();
        if url.as_str().starts_with(stop_at) {
            return (url.to_string(), response);
        }
    }
    panic!("too many redirects from {url}");
}

/// The page at `url`, as `browser` gets it.
async fn page_text(browser: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    browser.get(url).send().await.unwrap().text().await.unwrap()
}

/// Signs `username` in at the upstream in `browser` (its own login page).
async fn sign_in_upstream(browser: &reqwest::Client, upstream: &TestApp, username: &str) {
    let page = page_text(browser, upstream.url("/login")).await;
    let signed_in = browser
        .post(upstream.url("/login"))
        .form(&[
            ("csrf", hidden_field(&page, "csrf").as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
}

/// The first sign-in with an upstream account creates a local account and
/// links it by (issuer, subject) — not to the local `alice` who has the
/// same address, whose name the new account does not take either; the app
/// the person was signing in to gets a code, and its ID token says `fed`.
/// The next sign-in finds the same account.
async fn an_upstream_account_signs_in_to_an_app_and_is_linked_by_subject_only(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let local_alice = downstream.add_user("alice").await;
    let app = downstream.add_client(false).await;
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;

    // The app sends the browser to sign in; the login page offers Corp SSO.
    let verifier = "federated-verifier-0123456789-0123456789-0123456789";
    let authorize = browser
        .authorize(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("code_challenge", &pkce_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let login = location(&authorize);
    let page = page_text(&browser, downstream.url(&login)).await;
    let request_id = hidden_field(&page, "req");
    let button = format!("href=\"/login/upstream/corp?req={request_id}&amp;next=");
    assert!(page.contains(&button), "{page}");
    assert!(page.contains("Sign in with Corp SSO"));

    let begin = downstream.url(&format!("/login/upstream/corp?req={request_id}"));
    let callback = downstream.url("/login/upstream-callback");
    let (answer, _) = follow(&browser, &begin, &callback).await;
    let back = browser.get(&answer).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let params = redirect_params(&back);
    let code = params.get("code").unwrap_or_else(|| panic!("a code: {params:?}"));
    let tokens: serde_json::Value = downstream.redeem(&app, code, verifier).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = downstream.services.keys.verify(id_token).unwrap();
    assert_eq!(claims.claim("amr").unwrap(), &serde_json::json!(["fed"]));

    // A new account, linked by the upstream's issuer and subject.
    let (upstream_alice, _) = upstream
        .services
        .users
        .find_credentials(&sesame::domain::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    let link = downstream
        .services
        .links
        .find_link(&upstream.issuer, &upstream_alice.id.to_string())
        .await
        .unwrap()
        .expect("linked by issuer and subject");
    assert_ne!(
        link.user_id, local_alice.id,
        "never the local account with the same address"
    );
    assert!(
        downstream
            .services
            .links
            .links_of(local_alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    let created = downstream
        .services
        .users
        .find_user(link.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        created.username.as_str(),
        "alice-corp",
        "the local alice keeps her name"
    );
    assert_eq!(created.email.as_deref(), Some("alice@example.com"));
    assert!(!created.email_verified, "the upstream did not say it confirmed it");

    // Another browser, another sign-in: the same account, no new one.
    let (_, account) = signed_in_with_corp(&upstream, &downstream).await;
    assert!(account.contains("alice-corp"));
    assert_eq!(downstream.services.links.links_of(link.user_id).await.unwrap().len(), 1);
}

/// The upstream's answer is good once, and only in the browser that began
/// the sign-in: replayed, or brought to another browser (login CSRF), it
/// finds nothing.
async fn an_upstream_answer_is_used_once_by_the_browser_that_asked(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    let callback = downstream.url("/login/upstream-callback");
    let begin = downstream.url("/login/upstream/corp?next=/account");
    let (answer, _) = follow(&browser, &begin, &callback).await;

    // Another browser brings the answer (login CSRF): refused.
    let stranger = Browser::new(&downstream.issuer);
    let stolen = stranger.get(&answer).send().await.unwrap();
    assert_eq!(stolen.status(), StatusCode::BAD_REQUEST);
    assert!(stolen.text().await.unwrap().contains("expired"));
    // The browser that asked signs in with it; replayed — even with the
    // very cookie it came with — it is refused.
    let cookie = browser
        .cookie("sesame_upstream")
        .expect("the sign-in, sealed in a cookie");
    assert!(
        !cookie.contains("corp") && !cookie.contains("alice"),
        "sealed: {cookie}"
    );
    let signed_in = browser.get(&answer).send().await.unwrap();
    assert_eq!(signed_in.status(), 303, "{:?}", signed_in.text().await);
    browser.plant_cookie(&format!("sesame_upstream={cookie}; Path=/"));
    let replayed = browser.get(&answer).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);

    // Beginning a sign-in stores nothing: nobody fills the store by
    // beginning them.
    let before = downstream.services.ephemeral.entry_count().await.unwrap();
    for _ in 0..20 {
        let begun = stranger.get(&begin).send().await.unwrap();
        assert_eq!(begun.status(), 303);
    }
    assert_eq!(downstream.services.ephemeral.entry_count().await.unwrap(), before);

    // The upstream said no (cancelled): a page, not an error of ours.
    let cancelled = browser
        .get(downstream.url("/login/upstream-callback?error=access_denied&state=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::BAD_REQUEST);
    let unknown = browser
        .get(downstream.url("/login/upstream/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// With provisioning off, an upstream account linked to nobody is refused
/// with a page saying what to do; an upstream that does not answer is a
/// clear 503, never a wrong-password message.
async fn unlinked_accounts_and_unreachable_upstreams_get_clear_pages(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Off).await;
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    let callback = downstream.url("/login/upstream-callback");
    let (answer, _) = follow(&browser, &downstream.url("/login/upstream/corp"), &callback).await;
    let refused = browser.get(&answer).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("not linked"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let down = spawn_app_with(backend, move |s| {
        s.upstreams = vec![UpstreamSettings {
            name: "gone".into(),
            display_name: "Gone".into(),
            issuer: nowhere,
            client_id: "x".into(),
            client_secret: Secret::default(),
            scopes: vec!["openid".into()],
            provisioning: Provisioning::Allowed,
            claims: UpstreamClaims::default(),
            ..corp_like()
        }]
    })
    .await;
    let unavailable = down.browser.get(down.url("/login/upstream/gone")).send().await.unwrap();
    assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(unavailable.headers().contains_key("retry-after"));
    assert!(unavailable.text().await.unwrap().contains("not answering"));
}

/// Follows `path` (a "Sign in with …" link) in `browser`, already signed in
/// at the upstream, through the upstream and back to the account page.
async fn sign_in_through(browser: &Browser, downstream: &TestApp, path: &str) {
    let callback = downstream.url("/login/upstream-callback");
    let (answer, _) = follow(browser, &downstream.url(path), &callback).await;
    assert_eq!(location(&browser.get(&answer).send().await.unwrap()), "/account");
}

/// A new browser signed in at the upstream as alice, then here with Corp
/// SSO: the browser, and its account page.
async fn signed_in_with_corp(upstream: &TestApp, downstream: &TestApp) -> (Browser, String) {
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, upstream, "alice").await;
    sign_in_through(&browser, downstream, "/login/upstream/corp?next=/account").await;
    let page = browser.get(downstream.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    (browser, page)
}

/// POSTs an account page form (`fields` and the page's CSRF token) in
/// `browser`; the answer.
async fn account_form(browser: &Browser, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = page_text(browser, browser.url("/account")).await;
    let csrf = hidden_field(&page, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(browser.url(path)).form(&form).send().await.unwrap()
}

/// A person signed in to both links the upstream account to their local
/// one from the account page; signing in with it then reaches that
/// account. Unlinking works while another way in remains (a password), and
/// an account that has only its link keeps it. An upstream account linked
/// to one person is never linked to another.
async fn a_local_account_links_its_upstream_account_from_the_account_page(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let alice = downstream.add_user("alice").await;
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    assert_eq!(browser.sign_in("alice", PASSWORD).await, 303);
    let page = page_text(&browser, downstream.url("/account")).await;
    assert!(
        page.contains("Accounts elsewhere") && page.contains("id=\"link-corp\""),
        "{page}"
    );

    let callback = downstream.url("/login/upstream-callback");
    let asked = account_form(&browser, "/account/upstreams/link", &[("name", "corp")]).await;
    assert_eq!(asked.status(), 303);
    let (answer, _) = follow(&browser, &location(&asked), &callback).await;
    let linked = browser.get(&answer).send().await.unwrap();
    assert_eq!(location(&linked), "/account?linked=1");
    let links = downstream.services.links.links_of(alice.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].issuer, upstream.issuer);

    // Signing in with the upstream account now reaches alice's own account.
    let (_, account) = signed_in_with_corp(&upstream, &downstream).await;
    assert!(account.contains("alice"), "{account}");
    assert!(!account.contains("alice-corp"), "no new account");

    // Someone else cannot take the same upstream account.
    downstream.add_user("bob").await;
    let bob = Browser::new(&downstream.issuer);
    sign_in_upstream(&bob, &upstream, "alice").await;
    assert_eq!(bob.sign_in("bob", PASSWORD).await, 303);
    let asked = account_form(&bob, "/account/upstreams/link", &[("name", "corp")]).await;
    let (answer, _) = follow(&bob, &location(&asked), &callback).await;
    let taken = bob.get(&answer).send().await.unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);

    // alice has a password: she may unlink.
    let subject = links[0].subject.clone();
    let unlinked = account_form(
        &browser,
        "/account/upstreams/unlink",
        &[("issuer", upstream.issuer.as_str()), ("subject", subject.as_str())],
    )
    .await;
    assert_eq!(location(&unlinked), "/account?unlinked=1");
    assert!(downstream.services.links.links_of(alice.id).await.unwrap().is_empty());

    // An account made by an upstream sign-in has no other way in: its link stays.
    let (fresh, page) = signed_in_with_corp(&upstream, &downstream).await;
    assert!(
        page.contains("alice-corp") && !page.contains("id=\"unlink-corp\""),
        "{page}"
    );
    let kept = account_form(
        &fresh,
        "/account/upstreams/unlink",
        &[("issuer", upstream.issuer.as_str()), ("subject", subject.as_str())],
    )
    .await;
    assert_eq!(kept.status(), StatusCode::CONFLICT);
}

/// An app that names the upstream (`idp_hint`, or Keycloak's
/// `kc_idp_hint`), or hints an address in one of its domains
/// (`login_hint`), sends the person straight there, past the choice; a name
/// or domain no upstream has shows the login page as usual.
async fn idp_hint_and_login_hint_domains_skip_the_choice(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let app = downstream.add_client(false).await;
    for (parameter, value, straight) in [
        ("idp_hint", "corp", true),
        ("kc_idp_hint", "corp", true),
        ("idp_hint", "nobody", false),
        ("login_hint", "alice@CORP.example", true),
        ("login_hint", "alice@elsewhere.example", false),
    ] {
        let browser = Browser::new(&downstream.issuer);
        sign_in_upstream(&browser, &upstream, "alice").await;
        let authorize = browser
            .authorize(&[
                ("client_id", app.client_id.as_str()),
                ("redirect_uri", app.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid"),
                (
                    "code_challenge",
                    &pkce_challenge("hint-verifier-0123456789-0123456789-0123456789"),
                ),
                ("code_challenge_method", "S256"),
                (parameter, value),
            ])
            .await;
        let login = browser.get(downstream.url(&location(&authorize))).send().await.unwrap();
        if !straight {
            assert_eq!(login.status(), 200, "{parameter}={value}: the login page");
            continue;
        }
        assert_eq!(login.status(), 303, "{parameter}={value}");
        assert!(
            location(&login).starts_with("/login/upstream/corp?req="),
            "{}",
            location(&login)
        );
        let (answer, _) = follow(
            &browser,
            &downstream.url(&location(&login)),
            &downstream.url("/login/upstream-callback"),
        )
        .await;
        let back = browser.get(&answer).send().await.unwrap();
        assert!(
            redirect_params(&back).contains_key("code"),
            "{parameter}: a code for the app"
        );
    }
}

/// Operators see a person's linked accounts on the console's user page and
/// unlink one, or link an account they name by its subject; an upstream
/// account linked to one person is refused for another.
async fn operators_see_link_and_unlink_upstream_accounts(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    let callback = downstream.url("/login/upstream-callback");
    let (answer, _) = follow(
        &browser,
        &downstream.url("/login/upstream/corp?next=/account"),
        &callback,
    )
    .await;
    browser.get(&answer).send().await.unwrap();
    let (upstream_alice, _) = upstream
        .services
        .users
        .find_credentials(&sesame::domain::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    let subject = upstream_alice.id.to_string();

    let root = downstream.add_user("root").await;
    let now = sesame::clock::Clock::now(&*downstream.clock);
    downstream
        .services
        .users
        .set_roles(root.id, &[sesame::domain::Role::Admin], now)
        .await
        .unwrap();
    let admin = downstream.other_browser();
    assert_eq!(admin.sign_in("root", PASSWORD).await, 303);
    let page = page_text(&admin, downstream.url("/admin/user?u=alice")).await;
    assert!(page.contains("Accounts elsewhere") && page.contains(&subject), "{page}");

    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        let downstream = &downstream;
        async move {
            let page = page_text(admin, downstream.url("/admin/user?u=alice")).await;
            let mut form = vec![("csrf", hidden_field(&page, "csrf")), ("u", "alice".to_string())];
            form.extend(fields);
            admin
                .post(downstream.url("/admin/user"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let unlinked = post(vec![
        ("action", "unlink".into()),
        ("issuer", upstream.issuer.clone()),
        ("subject", subject.clone()),
    ])
    .await;
    assert_eq!(unlinked.status(), 303);
    let alice = sesame::manage::user(&downstream.services, "alice").await.unwrap();
    assert!(alice.linked.is_empty());

    let linked = post(vec![
        ("action", "link".into()),
        ("upstream", "corp".into()),
        ("subject", subject.clone()),
    ])
    .await;
    assert_eq!(linked.status(), 303);
    let alice = sesame::manage::user(&downstream.services, "alice").await.unwrap();
    assert_eq!(alice.linked.len(), 1);
    assert_eq!(alice.linked[0].issuer, upstream.issuer);

    // Someone else's already: refused, and said why.
    downstream.add_user("bob").await;
    let operator = sesame::manage::Operator::Person(root.clone());
    let taken = sesame::manage::perform(
        &downstream.services,
        &operator,
        serde_json::from_value(serde_json::json!({
            "action": "link_upstream", "username": "bob", "upstream": "corp", "subject": subject,
        }))
        .unwrap(),
    )
    .await;
    assert!(matches!(taken, Err(sesame::manage::ManageError::Refused(_))));
    let unknown = sesame::manage::perform(
        &downstream.services,
        &operator,
        serde_json::from_value(serde_json::json!({
            "action": "link_upstream", "username": "bob", "upstream": "nope", "subject": "x",
        }))
        .unwrap(),
    )
    .await;
    assert!(matches!(unknown, Err(sesame::manage::ManageError::NotFound(_))));
}

/// The upstream's subject for `username` (its account id).
async fn upstream_subject(upstream: &TestApp, username: &str) -> String {
    account_at(upstream, username).await.0.id.to_string()
}

/// A logout token as the upstream signs them, for `audience`.
fn upstream_logout_token(upstream: &TestApp, audience: &str, subject: &str, sid: Option<&str>) -> String {
    sesame::oidc::logout::token::sign(
        &upstream.services.signer(),
        120,
        &sesame::domain::ClientId::parse(audience).unwrap(),
        subject,
        sid,
        sesame::domain::Alg::RS256,
    )
    .unwrap()
}

/// Signing out at the upstream signs the person out of Sesame and of the
/// Sesame apps they signed in to through it: the upstream's logout token
/// (Back-Channel Logout 1.0) ends the session, and each app gets Sesame's
/// own. A token replayed, forged, for another client or not a logout token
/// is refused with 400 and ends nothing.
async fn signing_out_upstream_signs_out_of_sesames_apps(backend: Backend) {
    let (upstream, downstream) = federated_pair(backend, Provisioning::Allowed).await;
    let rp = RelyingApp::start();
    let app = sesame::admin::add_client(
        &downstream.services.client_admin(),
        sesame::admin::NewClient {
            name: "App".into(),
            redirect_uris: vec!["http://app.example/callback".into()],
            first_party: true,
            backchannel_logout_uri: Some(rp.backchannel_uri()),
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let app_id = app.client.client_id.to_string();
    let (browser, _) = signed_in_with_corp(&upstream, &downstream).await;
    let authorize = browser
        .authorize(&[
            ("client_id", app_id.as_str()),
            ("redirect_uri", "http://app.example/callback"),
            ("response_type", "code"),
            ("scope", "openid"),
            (
                "code_challenge",
                &pkce_challenge("federated-logout-verifier-0123456789-0123456789"),
            ),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert!(redirect_params(&authorize).contains_key("code"), "signed in to the app");
    let post = |token: String| {
        let url = downstream.url("/login/upstream/corp/backchannel-logout");
        let api = downstream.api.clone();
        async move { api.post(url).form(&[("logout_token", token)]).send().await.unwrap() }
    };

    // Tokens that do not hold end nothing.
    let (alice, client_id) = (upstream_subject(&upstream, "alice").await, corp_client_id(&downstream));
    let forged = sesame::oidc::logout::token::sign(
        &downstream.services.signer(),
        120,
        &sesame::domain::ClientId::parse(&client_id).unwrap(),
        &alice,
        None,
        sesame::domain::Alg::RS256,
    )
    .unwrap();
    let other_app = upstream.add_client(false).await;
    for token in [
        forged,
        upstream_logout_token(&upstream, &other_app.client_id, &alice, None),
        not_a_logout_token(&upstream, &client_id, &alice),
        "junk".to_string(),
    ] {
        let refused = post(token).await;
        assert_eq!(refused.status(), 400);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
    let missing = downstream
        .api
        .post(downstream.url("/login/upstream/corp/backchannel-logout"))
        .form(&[("other", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(
        browser.get(downstream.url("/account")).send().await.unwrap().status(),
        200
    );

    // Signed out at the upstream (an operator there, here): its logout
    // token reaches Sesame, which ends the session and tells the app.
    sesame::admin::logout_user(
        &upstream.services.user_admin(),
        "alice",
        sesame::admin::OfflineTokens::Revoke,
    )
    .await
    .unwrap();
    // Delivered here, or by the upstream's own sender (which may have taken
    // the notice first, and still be sending it).
    let mut outbox = Vec::new();
    for _ in 0..100 {
        upstream.services.delivery().deliver_due().await.unwrap();
        outbox = upstream.services.outbox.list_deliveries(10).await.unwrap();
        if outbox
            .iter()
            .all(|d| d.status == sesame::domain::DeliveryStatus::Delivered)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        outbox
            .iter()
            .all(|d| d.status == sesame::domain::DeliveryStatus::Delivered),
        "Sesame answered 200: {outbox:?}"
    );
    let account = browser.get(downstream.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 303, "signed out of Sesame");
    downstream.services.delivery().deliver_due().await.unwrap();
    let tokens = rp.tokens();
    assert_eq!(tokens.len(), 1, "the app is told");
    let claims = verify_logout_token(&downstream, &tokens[0], &app_id).await;
    assert!(claims["sid"].is_string());

    // Once is enough: the same token again is refused, a new one for a
    // person with no session left is simply done.
    let token = upstream_logout_token(&upstream, &client_id, &alice, None);
    assert_eq!(post(token.clone()).await.status(), 200);
    assert_eq!(post(token).await.status(), 400, "replayed");

    // A token naming only the upstream's session (`sid`) ends the session
    // it signed in, and no other.
    let (other_browser, _) = signed_in_with_corp(&upstream, &downstream).await;
    let user = downstream
        .services
        .links
        .find_link(&upstream.issuer, &alice)
        .await
        .unwrap()
        .unwrap()
        .user_id;
    let sessions = downstream.services.sessions().list_for_user(user).await.unwrap();
    let came_from = sessions[0]
        .session
        .upstream
        .clone()
        .expect("the session knows where it came from");
    let (browser, _) = signed_in_with_corp(&upstream, &downstream).await;
    assert_eq!(
        (came_from.upstream.as_str(), came_from.subject.as_str()),
        ("corp", alice.as_str())
    );
    let sid = came_from.sid.expect("the upstream's sid");
    assert_eq!(
        post(upstream_logout_token(&upstream, &client_id, "", Some(&sid)))
            .await
            .status(),
        200
    );
    let still: Vec<_> = downstream.services.sessions().list_for_user(user).await.unwrap();
    assert_eq!(still.len(), 1, "only the session that sid signed in ended");
    assert_ne!(
        still[0].session.upstream.as_ref().unwrap().sid.as_deref(),
        Some(sid.as_str())
    );
    assert_eq!(
        other_browser
            .get(downstream.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    // Signing out here offers signing out at Corp too; the offer signs the
    // person out there.
    let signed_out = account_form(&browser, "/account/sessions/end-browser", &[]).await;
    let page = signed_out.text().await.unwrap();
    assert!(page.contains("Also sign out of Corp SSO"), "{page}");
    let offer = page
        .split("class=\"upstream-sign-out\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert!(offer.starts_with(&upstream.url("/end_session")), "{offer}");
    assert!(offer.contains("id_token_hint=") && offer.contains(&format!("client_id={client_id}")));
    assert_eq!(
        browser.get(upstream.url("/account")).send().await.unwrap().status(),
        200
    );
    let (_, there) = follow(&browser, &offer, "http://never.example").await;
    assert_eq!(there.status(), 200);
    assert_eq!(
        browser.get(upstream.url("/account")).send().await.unwrap().status(),
        303,
        "signed out at Corp"
    );
}

/// A JWT the upstream signed for the downstream that is no logout token
/// (no `events`: an ID token, say).
fn not_a_logout_token(upstream: &TestApp, audience: &str, subject: &str) -> String {
    let now = upstream.services.clock.now();
    let claims = serde_json::json!({
        "iss": upstream.issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + 60, "jti": "j",
    });
    upstream
        .services
        .keys
        .sign(&claims, "JWT", sesame::domain::Alg::RS256, now)
        .unwrap()
}

/// The `client_id` the downstream uses at the upstream.
fn corp_client_id(downstream: &TestApp) -> String {
    downstream.services.settings.upstreams[0].client_id.clone()
}

/// A provider without OpenID Connect (GitHub's kind): its configured
/// endpoints, the person read from its userinfo with the access token, the
/// configured subject claim; its groups become `hub:` groups, kept up to
/// date at each sign-in (a group an operator made is left alone).
async fn a_plain_oauth2_upstream_signs_in_through_its_userinfo_with_groups(backend: Backend) {
    let (upstream, client) = upstream(backend).await;
    let (alice, _) = account_at(&upstream, "alice").await;
    let staff = upstream.add_group("staff").await;
    upstream.services.groups.add_member(staff, alice.id).await.unwrap();
    let hub = UpstreamSettings {
        name: "hub".into(),
        display_name: "Hub".into(),
        issuer: "https://hub.example".into(),
        kind: UpstreamKind::OAuth2,
        authorization_endpoint: upstream.url("/authorize"),
        token_endpoint: upstream.url("/token"),
        userinfo_endpoint: upstream.url("/userinfo"),
        client_id: client.client_id.clone(),
        client_secret: Secret::new(client.secret.clone().unwrap()),
        scopes: ["openid", "profile", "email", "groups"].map(String::from).to_vec(),
        claims: UpstreamClaims {
            groups: "groups".into(),
            ..UpstreamClaims::default()
        },
        ..corp_like()
    };
    let downstream = spawn_app_with(backend, move |s| s.upstreams = vec![hub]).await;
    register_callback(&upstream, &client, &downstream).await;

    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    let sign_in_with_hub = || sign_in_through(&browser, &downstream, "/login/upstream/hub?next=/account");
    sign_in_with_hub().await;
    let link = downstream
        .services
        .links
        .find_link("https://hub.example", &alice.id.to_string())
        .await
        .unwrap()
        .expect("linked under the configured issuer, by the userinfo's subject");
    let local = downstream
        .services
        .users
        .find_user(link.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.username.as_str(), "alice");
    assert_eq!(downstream.group_names(link.user_id).await, ["hub:staff"]);
    let sessions = downstream
        .services
        .sessions()
        .list_for_user(link.user_id)
        .await
        .unwrap();
    assert_eq!(sessions[0].session.amr, ["fed"]);

    let team = downstream.add_group("team").await;
    downstream.services.groups.add_member(team, link.user_id).await.unwrap();
    upstream.services.groups.remove_member(staff, alice.id).await.unwrap();
    let ops = upstream.add_group("ops").await;
    upstream.services.groups.add_member(ops, alice.id).await.unwrap();
    sign_in_with_hub().await;
    assert_eq!(downstream.group_names(link.user_id).await, ["hub:ops", "team"]);
}

async fn account_at(app: &TestApp, username: &str) -> (sesame::domain::User, String) {
    app.services
        .users
        .find_credentials(&sesame::domain::Username::parse(username).unwrap())
        .await
        .unwrap()
        .unwrap()
}

/// panva's `oidc-provider` from npm as an upstream (`tests/upstream/`),
/// killed when dropped.
struct NodeProvider {
    issuer: String,
    child: std::process::Child,
}

impl NodeProvider {
    const CLIENT_ID: &str = "sesame-downstream";
    const CLIENT_SECRET: &str = "downstream-secret-0123456789-0123456789";

    fn start() -> NodeProvider {
        use std::io::BufRead;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("target/oidc-upstream");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "npm's oidc-provider is missing from {} (bash .ci/services installs it)",
            dir.display()
        );
        // Node resolves imports from the script's folder: it runs beside them.
        std::fs::copy(
            root.join("tests/upstream/oidc_provider.mjs"),
            dir.join("oidc_provider.mjs"),
        )
        .unwrap();
        crate::helpers::processes::on_a_free_port("oidc-provider", |port| {
            let mut child = std::process::Command::new("node")
                .arg(dir.join("oidc_provider.mjs"))
                .args([port.to_string().as_str(), Self::CLIENT_ID, Self::CLIENT_SECRET])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("node runs (bash .ci/services installs it)");
            let mut line = String::new();
            let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
            stdout.read_line(&mut line).unwrap();
            // Read on: it writes notices later, and a closed pipe would end it.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            if let Some(issuer) = line.trim().strip_prefix("ready ") {
                return Some(NodeProvider {
                    issuer: issuer.to_string(),
                    child,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            None
        })
    }

    fn settings(&self) -> UpstreamSettings {
        UpstreamSettings {
            name: "partner".into(),
            display_name: "Partner".into(),
            issuer: self.issuer.clone(),
            client_id: Self::CLIENT_ID.into(),
            client_auth: UpstreamClientAuth::PrivateKeyJwt,
            trust_amr: true,
            scopes: ["openid", "profile", "email", "groups"].map(String::from).to_vec(),
            claims: UpstreamClaims {
                groups: "groups".into(),
                ..UpstreamClaims::default()
            },
            ..corp_like()
        }
    }

    /// Registers `downstream` (its callback and back-channel logout URI).
    async fn register(&self, downstream: &TestApp) {
        let registered = downstream
            .api
            .post(format!("{}/reg", self.issuer))
            .json(&serde_json::json!({
                "redirect_uris": [downstream.url("/login/upstream-callback")],
                "backchannel_logout_uri": downstream.url("/login/upstream/partner/backchannel-logout"),
                "backchannel_logout_session_required": true,
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
                "jwks_uri": downstream.url("/jwks"),
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), 201, "{}", registered.text().await.unwrap());
    }
}

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Another provider than Sesame: panva's certified `oidc-provider`, which
/// Sesame authenticates to with `private_key_jwt` (its own key, from its
/// JWKS). Its account signs in (a new local account, its groups as
/// `partner:` groups, its `amr` trusted); signing out there (its own logout
/// page) reaches Sesame by back-channel and ends the session.
async fn an_oidc_provider_account_signs_in_and_its_logout_ends_the_session(backend: Backend) {
    let partner = NodeProvider::start();
    let settings = partner.settings();
    let downstream = spawn_app_with(backend, move |s| s.upstreams = vec![settings]).await;
    partner.register(&downstream).await;

    let browser = Browser::new(&downstream.issuer);
    sign_in_through(&browser, &downstream, "/login/upstream/partner?next=/account").await;
    let link = downstream
        .services
        .links
        .find_link(&partner.issuer, "olivia-0001")
        .await
        .unwrap()
        .expect("linked by issuer and subject");
    let olivia = downstream
        .services
        .users
        .find_user(link.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(olivia.username.as_str(), "olivia");
    assert_eq!(olivia.email.as_deref(), Some("olivia@partner.example"));
    let groups = downstream.services.groups.groups_of(olivia.id).await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        ["partner:writers"]
    );
    let sessions = downstream.services.sessions().list_for_user(olivia.id).await.unwrap();
    let came_from = sessions[0].session.upstream.clone().unwrap();
    assert!(came_from.sid.is_some(), "oidc-provider's sid is kept");
    assert_eq!(
        sessions[0].session.amr,
        ["fed", "pwd", "otp", "mfa"],
        "the partner's two factors count: it is trusted to say so"
    );

    // Signing out at the partner: its logout page, confirmed.
    let page = page_text(&browser, format!("{}/session/end", partner.issuer)).await;
    let xsrf = hidden_field(&page, "xsrf");
    let confirmed = browser
        .post(format!("{}/session/end/confirm", partner.issuer))
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_redirection() || confirmed.status().is_success());
    let mut signed_out = false;
    for _ in 0..50 {
        if downstream
            .services
            .sessions()
            .list_for_user(olivia.id)
            .await
            .unwrap()
            .is_empty()
        {
            signed_out = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(signed_out, "the partner's logout token ended the Sesame session");
    assert_eq!(
        browser.get(downstream.url("/account")).send().await.unwrap().status(),
        303
    );
}

/// With `provisioning = "invited"`, an upstream account that is linked to
/// nobody gets an account only by following an operator's invitation and
/// choosing the upstream on its page: the account has the invitation's
/// address (proven by the link) and roles, the invitation is spent, and
/// without one the answer is "not linked".
async fn only_invited_people_get_an_account_from_an_upstream(backend: Backend) {
    let (upstream, client) = upstream(backend).await;
    let settings = corp(&upstream, &client, Provisioning::Invited);
    let downstream = spawn_app_with(backend, move |s| {
        s.upstreams = vec![settings];
        s.signup.mode = sesame::config::SignupMode::Invite;
    })
    .await;
    register_callback(&upstream, &client, &downstream).await;
    upstream.add_user("bob").await;
    let callback = downstream.url("/login/upstream-callback");

    let browser = Browser::new(&downstream.issuer);
    sign_in_upstream(&browser, &upstream, "alice").await;
    let (answer, _) = follow(&browser, &downstream.url("/login/upstream/corp"), &callback).await;
    assert_eq!(
        browser.get(&answer).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    let invitation = sesame::store::records::MailedLinks::new(
        &*downstream.services.ephemeral,
        sesame::store::records::LinkPurpose::Invitation,
    );
    let target = sesame::store::records::LinkTarget {
        user_id: uuid::Uuid::now_v7(),
        email: Some("alice.invited@example.com".into()),
        account: Some(sesame::store::records::PendingAccount {
            roles: vec![sesame::domain::Role::Developer],
            ..Default::default()
        }),
    };
    let now = downstream.services.clock.now();
    let token = invitation
        .issue(target, now, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    let page = page_text(&browser, downstream.url(&format!("/invitation?token={token}"))).await;
    let accept = format!("/login/upstream/corp?invitation={token}");
    assert!(
        page.contains(&accept) && page.contains("Accept with Corp SSO"),
        "{page}"
    );
    sign_in_through(&browser, &downstream, &accept).await;
    let alice = upstream_subject(&upstream, "alice").await;
    let link = downstream
        .services
        .links
        .find_link(&upstream.issuer, &alice)
        .await
        .unwrap()
        .expect("linked");
    let created = downstream
        .services
        .users
        .find_user(link.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.email.as_deref(), Some("alice.invited@example.com"));
    assert!(created.email_verified, "the invitation's link proved it");
    assert_eq!(created.roles, vec![sesame::domain::Role::Developer]);

    // Spent: not again, not by anyone else.
    let other = Browser::new(&downstream.issuer);
    sign_in_upstream(&other, &upstream, "bob").await;
    let again = other.get(downstream.url(&accept)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let page = other
        .get(downstream.url(&format!("/invitation?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

/// Signs in at the upstream's own login page, the one an authorization
/// request with `prompt=login` shows (`page`, at `upstream`), as
/// `username`; the upstream's answer.
async fn sign_in_again_upstream(
    browser: &Browser,
    upstream: &TestApp,
    page: &str,
    username: &str,
) -> reqwest::Response {
    browser
        .post(upstream.url("/login"))
        .form(&[
            ("req", hidden_field(page, "req").as_str()),
            ("csrf", hidden_field(page, "csrf").as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// An account an upstream made has no password to type again when a
/// change needs a recent sign-in: `/account/confirm` offers a fresh
/// sign-in at the linked upstream instead (`prompt=login`, `max_age=0`
/// there: its login page again, though signed in there), and the change
/// goes through once the person came back. Another account at the
/// upstream, or a sign-in there from before the request, confirms nothing.
/// The upstream (a Sesame) ends its old session when the person signs in
/// there again, and says so by back-channel logout: that no longer names
/// the session here, which now came through the new one.
async fn an_account_an_upstream_made_confirms_it_is_them_there(backend: Backend) {
    // The upstream's notices leave when the test sends them.
    let (upstream, downstream) = federated_pair_with(backend, Provisioning::Allowed, upstream_sends_when_told).await;
    upstream.add_user("bob").await;
    let (browser, _) = signed_in_with_corp(&upstream, &downstream).await;
    assert_eq!(
        browser
            .get(downstream.url("/account/totp"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let later = downstream.services.settings.mfa.recent_authentication_secs as i64 + 1;
    upstream.clock.advance(later);
    downstream.clock.advance(later);
    let stale = browser.get(downstream.url("/account/totp")).send().await.unwrap();
    assert_eq!(location(&stale), "/account/confirm");

    let confirm = page_text(&browser, downstream.url("/account/confirm")).await;
    assert!(
        !confirm.contains("id=\"password\""),
        "no password to ask for: {confirm}"
    );
    assert!(confirm.contains("id=\"confirm-with-corp\""), "{confirm}");
    let callback = downstream.url("/login/upstream-callback");
    // Bob's account there; alice's, with a sign-in that seems to predate
    // the request (as from an upstream that ignored `prompt=login`: here,
    // this server's clock runs two minutes ahead of the upstream's); then
    // alice's as it should be.
    for (username, ahead, confirmed) in [("bob", 0, false), ("alice", 120, false), ("alice", 0, true)] {
        downstream.clock.advance(ahead);
        let asked = browser
            .post(downstream.url("/account/confirm/upstream"))
            .form(&[
                ("csrf", hidden_field(&confirm, "csrf").as_str()),
                ("name", "corp"),
                ("next", "/account"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            asked.status(),
            303,
            "{username}, {ahead}: {}",
            asked.text().await.unwrap()
        );
        let to_upstream = location(&asked);
        let query: std::collections::HashMap<String, String> = url::Url::parse(&to_upstream)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(query.get("prompt").map(String::as_str), Some("login"), "{to_upstream}");
        assert_eq!(query.get("max_age").map(String::as_str), Some("0"), "{to_upstream}");
        // Signed in there already, and asked to sign in again all the same.
        let (at, login) = follow(&browser, &to_upstream, &callback).await;
        assert!(at.starts_with(&upstream.url("/login")), "{at}");
        let login = login.text().await.unwrap();
        let answer = sign_in_again_upstream(&browser, &upstream, &login, username).await;
        assert_eq!(
            answer.status(),
            303,
            "{username}, {ahead}: {}",
            answer.text().await.unwrap()
        );
        // Straight back, as the upstream has its answer at once.
        let answer = location(&answer);
        assert!(answer.starts_with(&callback), "{answer}");
        let back = browser.get(&answer).send().await.unwrap();
        upstream.clock.advance(ahead);
        if confirmed {
            assert_eq!(location(&back), "/account");
        } else {
            let status = back.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{answer} {}", back.text().await.unwrap());
        }
        let totp = browser.get(downstream.url("/account/totp")).send().await.unwrap();
        assert_eq!(totp.status() == 200, confirmed, "{username}: {:?}", totp.headers());
    }
    send_upstream_notices(&upstream).await;
    let totp = browser.get(downstream.url("/account/totp")).send().await.unwrap();
    assert_eq!(totp.status(), 200, "still signed in here: {:?}", totp.headers());
}

/// Upstream settings: logout notices are sent only by `send_upstream_notices`.
pub(crate) fn upstream_sends_when_told(settings: &mut sesame::config::Settings) {
    settings.logout.poll_secs = 3600;
}

/// Sends the upstream's due logout notices, and waits until each is
/// recorded delivered (the downstream answered 200).
pub(crate) async fn send_upstream_notices(upstream: &TestApp) {
    upstream.services.delivery().deliver_due().await.unwrap();
    let outbox = upstream.services.outbox.list_deliveries(50).await.unwrap();
    assert!(!outbox.is_empty(), "the upstream ended a session its app had joined");
    assert!(
        outbox
            .iter()
            .all(|d| d.status == sesame::domain::DeliveryStatus::Delivered),
        "{outbox:?}"
    );
}

on_both_backends!(
    an_account_an_upstream_made_confirms_it_is_them_there,
    only_invited_people_get_an_account_from_an_upstream,
    an_oidc_provider_account_signs_in_and_its_logout_ends_the_session,
    a_plain_oauth2_upstream_signs_in_through_its_userinfo_with_groups,
    signing_out_upstream_signs_out_of_sesames_apps,
    operators_see_link_and_unlink_upstream_accounts,
    idp_hint_and_login_hint_domains_skip_the_choice,
    a_local_account_links_its_upstream_account_from_the_account_page,
    an_upstream_account_signs_in_to_an_app_and_is_linked_by_subject_only,
    an_upstream_answer_is_used_once_by_the_browser_that_asked,
    unlinked_accounts_and_unreachable_upstreams_get_clear_pages,
);

/// `sesame upstream list` shows what is configured and the redirect URI to
/// register; `sesame upstream test NAME` says whether discovery answers.
#[tokio::test]
async fn upstreams_are_listed_and_tested_from_the_command_line() {
    let (upstream, _) = upstream(Backend::SqliteMemory).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sesame.toml");
    std::fs::write(
        &config,
        format!(
            "issuer = \"https://id.example.com\"\n\
             [[upstreams]]\nname = \"corp\"\ndisplay_name = \"Corp SSO\"\nissuer = \"{}\"\nclient_id = \"sesame\"\n\
             [[upstreams]]\nname = \"gone\"\ndisplay_name = \"Gone\"\nissuer = \"http://127.0.0.1:9\"\n\
             client_id = \"sesame\"\nprovisioning = \"off\"\n",
            upstream.issuer
        ),
    )
    .unwrap();
    let run = |args: &'static [&'static str]| {
        let (dir, config) = (dir.path().to_path_buf(), config.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_sesame"))
                .arg("--config")
                .arg(&config)
                .args(args)
                .current_dir(&dir)
                .env(
                    "SESAME_DATABASE_URL",
                    format!("sqlite://{}", dir.join("cli.db").display()),
                )
                .env("SESAME_KEYS_DIR", dir.join("keys"))
                .output()
                .unwrap()
        })
    };
    let list = run(&["upstream", "list"]).await.unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    assert!(
        text.contains("corp") && text.contains("Corp SSO") && text.contains("off"),
        "{text}"
    );
    assert!(
        text.contains("https://id.example.com/login/upstream-callback"),
        "{text}"
    );

    let test = run(&["upstream", "test", "corp"]).await.unwrap();
    let text = String::from_utf8_lossy(&test.stdout);
    assert!(test.status.success(), "{}", String::from_utf8_lossy(&test.stderr));
    assert!(text.contains(&format!("{}/authorize", upstream.issuer)), "{text}");
    let gone = run(&["upstream", "test", "gone"]).await.unwrap();
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("unavailable"));
}
