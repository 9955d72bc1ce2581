//! Second factors: an authenticator app set up on the account page and
//! asked at sign-in, codes accepted once, recovery codes, the policy
//! matrix, step-up with `acr_values`, and what ID tokens say (`acr`, `amr`)
//! verified as a relying party would, with the `openidconnect` crate.

use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, JsonWebKeySetUrl, Nonce};
use reqwest::Response;
use sesame::admin;
use sesame::auth::totp::TotpSecret;
use sesame::clock::Clock;
use sesame::config::SecondFactorPolicy;
use sesame::domain::{Level, Role};

use crate::helpers::browser::Browser;
use crate::helpers::relying_party::rp_http;
use crate::helpers::{
    Backend, PASSWORD, TestApp, TestClient, hidden_field, location, redirect_params, spawn_app, spawn_app_with,
};

/// What a person gets from setting up an authenticator app.
pub(crate) struct Enrolled {
    pub(crate) secret: TotpSecret,
    pub(crate) recovery_codes: Vec<String>,
}

/// The text of the element with `id`.
fn element_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_string()
}

fn recovery_codes(html: &str) -> Vec<String> {
    let list = &html[html.find("id=\"recovery-codes\"").expect("the recovery codes")..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<code>")
        .skip(1)
        .map(|item| item[..item.find("</code>").unwrap()].to_string())
        .collect()
}

/// The six-digit code the app shows now.
pub(crate) fn code_now(app: &TestApp, secret: &TotpSecret) -> String {
    secret.code_at(app.clock.now()).unwrap()
}

/// Signs `username` in on `browser` (plain login page) and sets up an
/// authenticator app on the account page, as a person does.
pub(crate) async fn enrol(app: &TestApp, browser: &Browser, username: &str) -> Enrolled {
    assert_eq!(browser.sign_in(username, PASSWORD).await, 303);
    let page = browser.get(browser.url("/account/totp")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR code is rendered on the server");
    assert!(!html.contains("<script"), "no inline script");
    let secret = TotpSecret::from_base32(&element_text(&html, "totp-secret")).expect("a base32 secret");
    let response = browser
        .post(browser.url("/account/totp"))
        .form(&[
            ("csrf", hidden_field(&html, "csrf").as_str()),
            ("enrolment", hidden_field(&html, "enrolment").as_str()),
            ("code", code_now(app, &secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let codes = recovery_codes(&response.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    // The confirming code is spent: the next sign-in needs the next one.
    app.clock.advance(30);
    Enrolled {
        secret,
        recovery_codes: codes,
    }
}

/// The password step for `params`; returns the second-factor form's `(req, csrf)`.
async fn password_step(browser: &Browser, params: &[(&str, &str)], username: &str) -> (String, String) {
    let (request_id, csrf) = browser.open_login(browser.authorize(params).await).await;
    let before = browser.cookie("sesame_session");
    let response = browser.submit_login(&request_id, &csrf, username, PASSWORD).await;
    assert_eq!(response.status(), 303);
    let next = location(&response);
    assert_eq!(next, format!("/login/second-factor?req={request_id}"));
    assert_eq!(
        browser.cookie("sesame_session"),
        before,
        "no session before the second step"
    );
    second_factor_form(browser, &next).await
}

pub(crate) async fn second_factor_form(browser: &Browser, path: &str) -> (String, String) {
    let page = browser.get(browser.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Two-step verification"), "{html}");
    (hidden_field(&html, "req"), hidden_field(&html, "csrf"))
}

pub(crate) async fn send_code(browser: &Browser, request_id: &str, csrf: &str, code: &str) -> Response {
    browser
        .post(browser.url("/login/second-factor"))
        .form(&[("req", request_id), ("csrf", csrf), ("code", code)])
        .send()
        .await
        .unwrap()
}

pub(crate) fn request(client: &TestClient) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
    ]
}

/// The `acr` and `amr` of the ID token `code` yields, verified against the
/// JWKS by the `openidconnect` crate.
pub(crate) async fn acr_and_amr(app: &TestApp, client: &TestClient, code: &str) -> (String, Vec<String>) {
    let response = app
        .token(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &client.redirect_uri),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let id_token: CoreIdToken = body["id_token"].as_str().unwrap().parse().unwrap();
    let jwks = CoreJsonWebKeySet::fetch_async(&JsonWebKeySetUrl::new(app.url("/jwks")).unwrap(), &rp_http)
        .await
        .unwrap();
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(client.client_id.clone()),
        ClientSecret::new(client.secret.clone().unwrap()),
        IssuerUrl::new(app.issuer.clone()).unwrap(),
        jwks,
    );
    let claims = id_token
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("the ID token verifies");
    let acr = claims.auth_context_ref().expect("an acr").to_string();
    let amr = claims
        .auth_method_refs()
        .expect("an amr")
        .iter()
        .map(|m| m.to_string())
        .collect();
    (acr, amr)
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

async fn password_and_totp_sign_in_to_an_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;

    let browser = app.other_browser();
    let (request_id, csrf) = password_step(&browser, &request(&client), "alice").await;
    let back = send_code(&browser, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(back.status(), 303);
    assert!(location(&back).starts_with(&client.redirect_uri), "{}", location(&back));
    assert!(browser.cookie("sesame_session").is_some());
    let (acr, amr) = acr_and_amr(&app, &client, &redirect_params(&back)["code"]).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, strings(&["pwd", "otp", "mfa"]));

    // SSO: the session answers the next request without asking again.
    assert!(browser.has_session(&client).await);

    // prompt=login: password and code again, whatever the session has.
    app.clock.advance(30);
    let mut again = request(&client);
    again.push(("prompt", "login"));
    let (request_id, csrf) = password_step(&browser, &again, "alice").await;
    let back = send_code(&browser, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert!(location(&back).starts_with(&client.redirect_uri), "{}", location(&back));
}

async fn a_totp_code_is_accepted_once_within_its_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;
    let factors = app.services.second_factors();
    // Past the steps the enrolment used.
    app.clock.advance(60);
    let now = app.clock.now();
    let code_at = |steps: i64| enrolled.secret.code_at(now + steps * 30).unwrap();
    let check = |code: String| {
        let factors = &factors;
        async move { factors.check(user.id, &code, "127.0.0.1").await.unwrap() }
    };
    use sesame::auth::second_factor::CodeCheck;
    let accepted = |c: &CodeCheck| matches!(c, CodeCheck::Accepted { recovery: false, .. });
    // Outside ±1 step: refused.
    assert_eq!(check(code_at(-2)).await, CodeCheck::Refused);
    assert_eq!(check(code_at(2)).await, CodeCheck::Refused);
    // One step behind, now, one step ahead: each once.
    assert!(accepted(&check(code_at(-1)).await));
    assert_eq!(check(code_at(-1)).await, CodeCheck::Refused, "the same code again");
    assert!(accepted(&check(code_at(0)).await));
    assert!(accepted(&check(code_at(1)).await));
    // After a later step was used, an earlier code is refused for the rest of its window.
    assert_eq!(check(code_at(0)).await, CodeCheck::Refused);
    assert_eq!(check(code_at(1)).await, CodeCheck::Refused);
    // Malformed input is only a wrong code.
    for junk in ["", "12345", "1234567", "abcdef", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"] {
        assert_eq!(check(junk.to_string()).await, CodeCheck::Refused, "{junk:?}");
    }

    // Through the sign-in page: a code used once is refused on its second use.
    let client = app.add_client(false).await;
    app.clock.advance(120);
    let code = code_now(&app, &enrolled.secret);
    let first = app.other_browser();
    let (request_id, csrf) = password_step(&first, &request(&client), "alice").await;
    assert_eq!(send_code(&first, &request_id, &csrf, &code).await.status(), 303);
    let second = app.other_browser();
    let (request_id, csrf) = password_step(&second, &request(&client), "alice").await;
    let replay = send_code(&second, &request_id, &csrf, &code).await;
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("Each code works once"));
    assert!(second.cookie("sesame_session").is_none());
}

async fn recovery_codes_are_single_use_and_regenerated(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;
    let recovery = enrolled.recovery_codes[3].to_uppercase().replace('-', " ");

    let browser = app.other_browser();
    let (request_id, csrf) = password_step(&browser, &request(&client), "alice").await;
    let back = send_code(&browser, &request_id, &csrf, &recovery).await;
    assert_eq!(back.status(), 303, "a recovery code, typed loosely, signs in once");
    let (_, amr) = acr_and_amr(&app, &client, &redirect_params(&back)["code"]).await;
    assert_eq!(amr, strings(&["pwd", "otp", "mfa"]));

    let again = app.other_browser();
    let (request_id, csrf) = password_step(&again, &request(&client), "alice").await;
    assert_eq!(send_code(&again, &request_id, &csrf, &recovery).await.status(), 401);

    // The account page shows one used; new codes replace the old set.
    let account = app
        .browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        element_text(&account, "recovery-summary").starts_with("9 of 10 left"),
        "{account}"
    );
    let fresh = app
        .browser
        .post(app.url("/account/recovery-codes"))
        .form(&[("csrf", hidden_field(&account, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    let fresh = recovery_codes(&fresh.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    let old = &enrolled.recovery_codes[0];
    let third = app.other_browser();
    let (request_id, csrf) = password_step(&third, &request(&client), "alice").await;
    assert_eq!(
        send_code(&third, &request_id, &csrf, old).await.status(),
        401,
        "the old set is dead"
    );
    assert_eq!(send_code(&third, &request_id, &csrf, &fresh[0]).await.status(), 303);
}

async fn wrong_codes_end_the_sign_in_without_locking_the_password_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;

    let attacker = app.other_browser();
    let (request_id, csrf) = password_step(&attacker, &request(&client), "alice").await;
    for attempt in 1..=5 {
        let response = send_code(&attacker, &request_id, &csrf, "000000").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("Internal"), "{html}");
    }
    // The sign-in is over: even the right code does not finish it now.
    let after = send_code(&attacker, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(after.status(), 400);
    assert!(attacker.cookie("sesame_session").is_none());

    // The person, in their own browser, still signs in with password and code.
    let alice = app.other_browser();
    let (request_id, csrf) = password_step(&alice, &request(&client), "alice").await;
    let back = send_code(&alice, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(back.status(), 303);

    // A partial sign-in past its time finishes nothing.
    let slow = app.other_browser();
    let (request_id, csrf) = password_step(&slow, &request(&client), "alice").await;
    app.clock.advance(601);
    let late = send_code(&slow, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(late.status(), 400);
    assert!(slow.cookie("sesame_session").is_none());
}

/// Signs in without a factor under a policy that needs one: the person sets
/// one up during sign-in, sees their recovery codes, and goes on to the app.
async fn enrols_during_sign_in(app: &TestApp, client: &TestClient, username: &str) {
    let browser = app.other_browser();
    let (request_id, csrf) = browser.open_login(browser.authorize(&request(client)).await).await;
    let response = browser.submit_login(&request_id, &csrf, username, PASSWORD).await;
    let next = location(&response);
    assert!(next.starts_with("/login/second-factor"), "{next}");
    let html = browser
        .get(browser.url(&next))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Set up an authenticator app"), "{html}");
    let secret = TotpSecret::from_base32(&element_text(&html, "totp-secret")).unwrap();
    let codes_page = browser
        .post(browser.url("/login/second-factor"))
        .form(&[
            ("req", request_id.as_str()),
            ("csrf", hidden_field(&html, "csrf").as_str()),
            ("enrolment", hidden_field(&html, "enrolment").as_str()),
            ("code", code_now(app, &secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(codes_page.status(), 200);
    let html = codes_page.text().await.unwrap();
    assert_eq!(recovery_codes(&html).len(), 10);
    assert!(
        browser.cookie("sesame_session").is_none(),
        "no session before the last step"
    );
    let back = browser
        .post(browser.url("/login/finish"))
        .form(&[
            ("req", request_id.as_str()),
            ("csrf", hidden_field(&html, "csrf").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert!(location(&back).starts_with(&client.redirect_uri));
    let (acr, amr) = acr_and_amr(app, client, &redirect_params(&back)["code"]).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, strings(&["pwd", "otp", "mfa"]));
}

/// A password alone reaches the app.
async fn password_suffices(app: &TestApp, client: &TestClient, username: &str) {
    let browser = app.other_browser();
    let back = browser.sign_in_for(client, username).await;
    assert!(location(&back).starts_with(&client.redirect_uri), "{}", location(&back));
    let (acr, amr) = acr_and_amr(app, client, &redirect_params(&back)["code"]).await;
    assert_eq!(acr, Level::OneFactor.acr());
    assert_eq!(amr, strings(&["pwd"]));
}

async fn the_policy_matrix(backend: Backend) {
    // Optional (the default): a password alone, until the account has a factor.
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("bob").await;
    password_suffices(&app, &client, "bob").await;

    // Per app: one app requires two factors, the other does not.
    let strict = app.add_client(false).await;
    admin::set_client_access(
        &app.services.client_admin(),
        &strict.id(),
        admin::AccessChange {
            require_second_factor: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.add_user("carol").await;
    enrols_during_sign_in(&app, &strict, "carol").await;

    // Per role: admins need two factors, others do not.
    let app = spawn_app_with(backend, |s| s.mfa.required_for_roles = vec![Role::Admin]).await;
    let client = app.add_client(false).await;
    app.add_user("dora").await;
    admin::set_user_role(&app.services.user_admin(), "dora", Role::Admin, true)
        .await
        .unwrap();
    app.add_user("erin").await;
    password_suffices(&app, &client, "erin").await;
    enrols_during_sign_in(&app, &client, "dora").await;

    // Required everywhere: everyone enrols.
    let app = spawn_app_with(backend, |s| s.mfa.second_factor = SecondFactorPolicy::Required).await;
    let client = app.add_client(false).await;
    app.add_user("frank").await;
    enrols_during_sign_in(&app, &client, "frank").await;
}

async fn acr_values_step_up_a_password_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    let user = app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;
    // A session from before the authenticator existed: password only.
    let browser = app.other_browser();
    let plain = app.services.sessions();
    let origin = sesame::session::Origin {
        user_agent: "test",
        client_ip: "127.0.0.1",
    };
    let (cookie, _) = plain.start(user.id, (vec!["pwd".into()], None), &origin).await.unwrap();
    browser.plant_cookie(&format!("sesame_session={cookie}; Path=/"));

    // Without acr_values the session answers as it is.
    let back = browser.authorize(&request(&client)).await;
    let (acr, _) = acr_and_amr(&app, &client, &redirect_params(&back)["code"]).await;
    assert_eq!(acr, Level::OneFactor.acr());

    // prompt=none cannot step up.
    let mut silent = request(&client);
    silent.push(("acr_values", Level::TwoFactors.acr()));
    silent.push(("prompt", "none"));
    let back = browser.authorize(&silent).await;
    assert_eq!(redirect_params(&back)["error"], "interaction_required");

    // Asking for two factors: the second step only, no password again.
    let mut asking = request(&client);
    asking.push(("acr_values", Level::TwoFactors.acr()));
    let back = browser.authorize(&asking).await;
    let next = location(&back);
    assert!(next.starts_with("/login/second-factor?req="), "{next}");
    let (request_id, csrf) = second_factor_form(&browser, &next).await;
    let done = send_code(&browser, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).starts_with(&client.redirect_uri), "{}", location(&done));
    let (acr, amr) = acr_and_amr(&app, &client, &redirect_params(&done)["code"]).await;
    assert_eq!(acr, Level::TwoFactors.acr());
    assert_eq!(amr, strings(&["pwd", "otp", "mfa"]));
    // The same session now answers two-factor requests silently.
    let back = browser.authorize(&silent).await;
    assert!(redirect_params(&back).contains_key("code"));
}

async fn factor_changes_need_a_recent_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("alice").await;
    let enrolled = enrol(&app, &app.browser, "alice").await;
    app.clock.advance(3600);
    let account = app
        .browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let remove = app
        .browser
        .post(app.url("/account/totp/remove"))
        .form(&[("csrf", hidden_field(&account, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&remove), "/account/confirm");
    // Password, then the second factor, then the change goes through.
    let page = app
        .browser
        .get(app.url("/account/confirm"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let confirmed = app
        .browser
        .post(app.url("/account/confirm"))
        .form(&[("csrf", hidden_field(&page, "csrf").as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&confirmed), "/login/second-factor");
    let (request_id, csrf) = second_factor_form(&app.browser, "/login/second-factor").await;
    let done = send_code(&app.browser, &request_id, &csrf, &code_now(&app, &enrolled.secret)).await;
    assert_eq!(location(&done), "/account");
    let removed = app
        .browser
        .post(app.url("/account/totp/remove"))
        .form(&[("csrf", hidden_field(&account, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&removed), "/account");
    let account = app
        .browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("Set up an authenticator app"));

    // Required by policy: the last factor stays.
    let app = spawn_app_with(backend, |s| s.mfa.second_factor = SecondFactorPolicy::Required).await;
    let client = app.add_client(false).await;
    app.add_user("bob").await;
    enrols_during_sign_in(&app, &client, "bob").await;
}

async fn an_operator_lists_and_resets_second_factors(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.add_client(false).await;
    app.add_user("alice").await;
    enrol(&app, &app.browser, "alice").await;
    let (user, summary) = admin::second_factors_of(&app.services.user_admin(), &app.services.second_factors(), "alice")
        .await
        .unwrap();
    assert_eq!(user.username.as_str(), "alice");
    assert!(summary.totp.is_some());
    assert_eq!(summary.recovery_codes_left, 10);
    let ended = admin::reset_second_factors(&app.services.user_admin(), &app.services.second_factors(), "alice")
        .await
        .unwrap();
    assert_eq!(ended.sessions, 1, "the reset signs her out");
    password_suffices(&app, &client, "alice").await;
}

crate::on_both_backends!(
    password_and_totp_sign_in_to_an_app,
    a_totp_code_is_accepted_once_within_its_window,
    recovery_codes_are_single_use_and_regenerated,
    wrong_codes_end_the_sign_in_without_locking_the_password_step,
    the_policy_matrix,
    acr_values_step_up_a_password_session,
    factor_changes_need_a_recent_sign_in,
    an_operator_lists_and_resets_second_factors,
);

mod webauthn {
    //! Passkey and security-key ceremonies over HTTP, without an
    //! authenticator: what a forged, replayed or misplaced answer gets.
    //! (The ceremonies themselves run in `browser_factors`, in Chromium.)

    use serde_json::Value;
    use sesame::clock::Clock;

    use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, spawn_app, spawn_app_with};

    async fn on_localhost(backend: Backend) -> TestApp {
        spawn_app_with(backend, |s| s.issuer = s.issuer.replace("127.0.0.1", "localhost")).await
    }

    async fn login_csrf(app: &TestApp, browser: &crate::helpers::browser::Browser) -> (String, String) {
        let html = browser
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (hidden_field(&html, "csrf"), html)
    }

    async fn passkeys_need_a_domain_name(backend: Backend) {
        let app = spawn_app(backend).await;
        let (csrf, html) = login_csrf(&app, &app.browser).await;
        assert!(
            !html.contains("passkey-sign-in"),
            "no passkey button on an IP-address issuer"
        );
        let response = app
            .browser
            .post(app.url("/login/passkey/start"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("not available"), "{body}");
    }

    async fn forged_replayed_or_misplaced_answers_sign_nobody_in(backend: Backend) {
        let app = on_localhost(backend).await;
        app.add_user("alice").await;
        let (csrf, html) = login_csrf(&app, &app.browser).await;
        assert!(html.contains("passkey-sign-in"));
        assert!(html.contains("/static/webauthn.js") && !html.contains("<script>"));
        let start = || async {
            let body: Value = app
                .browser
                .post(app.url("/login/passkey/start"))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["options"]["publicKey"]["userVerification"], "required");
            body["ceremony"].as_str().unwrap().to_string()
        };
        let finish = |browser: &crate::helpers::browser::Browser, csrf: &str, ceremony: &str, credential: &str| {
            let request = browser.post(app.url("/login/passkey/finish")).form(&[
                ("csrf", csrf),
                ("ceremony", ceremony),
                ("credential", credential),
            ]);
            async move { request.send().await.unwrap() }
        };
        let forged = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA","userHandle":"AAAA"},"extensions":{}}"#;
        let huge = "x".repeat(60_000);
        for credential in ["", "not json", "{}", "[]", forged, huge.as_str()] {
            let ceremony = start().await;
            let response = finish(&app.browser, &csrf, &ceremony, credential).await;
            assert!(
                [400, 413].contains(&response.status().as_u16()),
                "{credential:.20}: {}",
                response.status()
            );
            // Refused again: a forged answer never becomes a good one.
            let again = finish(&app.browser, &csrf, &ceremony, forged).await;
            assert_eq!(again.status(), 400);
        }
        // Anyone may start one: it costs no store entry.
        let before = app.services.ephemeral.entry_count().await.unwrap();
        for _ in 0..5 {
            start().await;
        }
        assert_eq!(app.services.ephemeral.entry_count().await.unwrap(), before);
        // A ceremony finished in another browser (its own CSRF token) is expired there.
        let ceremony = start().await;
        let other = app.other_browser();
        let (other_csrf, _) = login_csrf(&app, &other).await;
        let response = finish(&other, &other_csrf, &ceremony, forged).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("another browser"));
        assert!(app.browser.cookie("sesame_session").is_none());
        assert!(other.cookie("sesame_session").is_none());
    }

    async fn adding_a_key_needs_a_recent_sign_in_and_a_name(backend: Backend) {
        let app = on_localhost(backend).await;
        app.add_user("alice").await;
        assert_eq!(app.browser.sign_in("alice", PASSWORD).await, 303);
        let account = app
            .browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(account.contains("add-key"));
        let csrf = hidden_field(&account, "csrf");
        let start = |kind: &'static str, name: String| {
            let request = app.browser.post(app.url("/account/webauthn/start")).form(&[
                ("csrf", csrf.as_str()),
                ("kind", kind),
                ("name", name.as_str()),
            ]);
            async move { request.send().await.unwrap() }
        };
        let passkey: Value = start("passkey", "laptop".into()).await.json().await.unwrap();
        let selection = &passkey["options"]["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required", "{passkey}");
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(passkey["options"]["publicKey"]["rp"]["id"], "localhost");
        let key: Value = start("security_key", "yubikey".into()).await.json().await.unwrap();
        assert!(
            key["options"]["publicKey"]["extensions"]
                .get("credentialProtectionPolicy")
                .is_none()
        );
        assert_eq!(start("fingerprint", "x".into()).await.status(), 400);
        assert_eq!(start("passkey", "x".repeat(65)).await.status(), 400);
        assert_eq!(start("passkey", "   ".into()).await.status(), 400);
        app.clock.advance(3600);
        let stale: Value = start("passkey", "laptop".into()).await.json().await.unwrap();
        assert_eq!(stale["location"], "/account/confirm");
    }

    /// A passkey held by a software authenticator (which keeps no resident
    /// keys: the test lists the credential in each request and names the
    /// account in each answer, as a phone's passkey does itself).
    struct SoftPasskey {
        authenticator: webauthn_authenticator_rs::softpasskey::SoftPasskey,
        credential_id: String,
        user_handle: String,
    }

    impl SoftPasskey {
        /// Adds a passkey on the account page of the signed-in `browser`.
        async fn register(app: &TestApp, browser: &crate::helpers::browser::Browser) -> SoftPasskey {
            use webauthn_authenticator_rs::WebauthnAuthenticator;
            let account = browser
                .get(app.url("/account"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden_field(&account, "csrf");
            let started: Value = browser
                .post(app.url("/account/webauthn/start"))
                .form(&[("csrf", csrf.as_str()), ("kind", "passkey"), ("name", "phone")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let mut options = started["options"].clone();
            options["publicKey"]["authenticatorSelection"]["residentKey"] = "discouraged".into();
            options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = false.into();
            let user_handle = options["publicKey"]["user"]["id"].as_str().unwrap().to_string();
            let mut authenticator = webauthn_authenticator_rs::softpasskey::SoftPasskey::new(true);
            let created = authenticator
                .do_registration(
                    url::Url::parse(&app.issuer).unwrap(),
                    serde_json::from_value(options).unwrap(),
                )
                .unwrap();
            let created = serde_json::to_value(&created).unwrap();
            let response = browser
                .post(app.url("/account/webauthn/finish"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("ceremony", started["ceremony"].as_str().unwrap()),
                    ("credential", created.to_string().as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303);
            SoftPasskey {
                authenticator,
                credential_id: created["id"].as_str().unwrap().to_string(),
                user_handle,
            }
        }

        /// The authenticator's answer to `options`, as the page posts it.
        fn answer(&mut self, app: &TestApp, options: &Value) -> String {
            use webauthn_authenticator_rs::WebauthnAuthenticator;
            let mut options = options.clone();
            options["publicKey"]["allowCredentials"] =
                serde_json::json!([{ "type": "public-key", "id": self.credential_id }]);
            let asserted = self
                .authenticator
                .do_authentication(
                    url::Url::parse(&app.issuer).unwrap(),
                    serde_json::from_value(options).unwrap(),
                )
                .unwrap();
            let mut answer = serde_json::to_value(&asserted).unwrap();
            answer["response"]["userHandle"] = self.user_handle.clone().into();
            answer.to_string()
        }
    }

    fn attribute(html: &str, name: &str) -> String {
        let marker = format!("{name}=\"");
        let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
        let raw = &html[start..start + html[start..].find('"').unwrap()];
        raw.replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&amp;", "&")
            .replace("&#x2b;", "+")
    }

    async fn a_passkey_signs_in_through_autofill_and_the_button_and_an_answer_works_once(backend: Backend) {
        let app = on_localhost(backend).await;
        let user = app.add_user("alice").await;
        assert_eq!(app.browser.sign_in("alice", PASSWORD).await, 303);
        let mut passkey = SoftPasskey::register(&app, &app.browser).await;

        // Autofill: the login page carries a sealed challenge; nothing is stored for it.
        let browser = app.other_browser();
        let html = browser
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("autocomplete=\"username webauthn\""));
        let ceremony = attribute(&html, "data-autofill");
        assert!(ceremony.starts_with("sealed."), "{ceremony}");
        let options: Value = serde_json::from_str(&attribute(&html, "data-options")).unwrap();
        let credential = passkey.answer(&app, &options);
        let csrf = hidden_field(&html, "csrf");
        let finish = |browser: &crate::helpers::browser::Browser, ceremony: &str, credential: &str, csrf: &str| {
            let request = browser.post(app.url("/login/passkey/finish")).form(&[
                ("csrf", csrf),
                ("ceremony", ceremony),
                ("credential", credential),
                ("next", "/account"),
            ]);
            async move { request.send().await.unwrap() }
        };
        let signed_in = finish(&browser, &ceremony, &credential, &csrf).await;
        assert_eq!(signed_in.status(), 303);
        assert_eq!(crate::helpers::location(&signed_in), "/account");
        assert!(browser.cookie("sesame_session").is_some());
        // The same answer again (a replay): refused.
        let replay = finish(&browser, &ceremony, &credential, &csrf).await;
        assert_eq!(replay.status(), 400);
        // A tampered sealed challenge opens nothing.
        let tampered = format!("{}x", &ceremony[..ceremony.len() - 1]);
        assert_eq!(finish(&browser, &tampered, &credential, &csrf).await.status(), 400);

        // The button: a stored ceremony, taken once.
        let other = app.other_browser();
        let html = other.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_field(&html, "csrf");
        let started: Value = other
            .post(app.url("/login/passkey/start"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ceremony = started["ceremony"].as_str().unwrap().to_string();
        let credential = passkey.answer(&app, &started["options"]);
        assert_eq!(finish(&other, &ceremony, &credential, &csrf).await.status(), 303);
        assert_eq!(finish(&other, &ceremony, &credential, &csrf).await.status(), 400);

        // A counter that went backwards (a cloned or synchronised passkey)
        // is audited, not refused.
        let factors = &app.services.second_factors;
        let stored = factors.webauthn_credentials(user.id).await.unwrap().remove(0);
        let mut ahead: Value = serde_json::from_str(&stored.credential).unwrap();
        fn set_counters(value: &mut Value) {
            match value {
                Value::Object(map) => map.iter_mut().for_each(|(k, v)| {
                    if k == "counter" {
                        *v = 1_000_000.into();
                    } else {
                        set_counters(v);
                    }
                }),
                Value::Array(items) => items.iter_mut().for_each(set_counters),
                _ => {}
            }
        }
        set_counters(&mut ahead);
        factors
            .webauthn_used(stored.id, &ahead.to_string(), app.clock.now())
            .await
            .unwrap();
        let third = app.other_browser();
        let html = third.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        let options: Value = serde_json::from_str(&attribute(&html, "data-options")).unwrap();
        let credential = passkey.answer(&app, &options);
        let ceremony = attribute(&html, "data-autofill");
        let csrf = hidden_field(&html, "csrf");
        assert_eq!(finish(&third, &ceremony, &credential, &csrf).await.status(), 303);
        let events = app.services.audit.recent(50).await.unwrap();
        assert!(
            events.iter().any(|e| e.event == "webauthn_counter_regressed"),
            "{events:?}"
        );
    }

    /// A change that needs a recent sign-in: the person's passkey (both
    /// factors) confirms it is them on `/account/confirm`, once; a passkey
    /// of another account, answering the same ceremony, confirms nothing.
    async fn a_passkey_confirms_it_is_them_and_only_their_own(backend: Backend) {
        let app = on_localhost(backend).await;
        app.add_user("alice").await;
        app.add_user("bob").await;
        assert_eq!(app.browser.sign_in("alice", PASSWORD).await, 303);
        let mut alices = SoftPasskey::register(&app, &app.browser).await;
        let bobs_browser = app.other_browser();
        assert_eq!(bobs_browser.sign_in("bob", PASSWORD).await, 303);
        let mut bobs = SoftPasskey::register(&app, &bobs_browser).await;
        app.clock
            .advance(app.services.settings.mfa.recent_authentication_secs as i64 + 1);
        let browser = &app.browser;
        let stale = browser.get(app.url("/account/totp")).send().await.unwrap();
        assert_eq!(crate::helpers::location(&stale), "/account/confirm");

        let page = browser
            .get(app.url("/account/confirm"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"confirm-with-passkey\""), "{page}");
        let csrf = hidden_field(&page, "csrf");
        for (passkey, confirms) in [(&mut bobs, false), (&mut alices, true)] {
            let started: Value = browser
                .post(app.url("/account/confirm/passkey/start"))
                .form(&[("csrf", csrf.as_str()), ("next", "/account")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let ceremony = started["ceremony"].as_str().unwrap().to_string();
            let credential = passkey.answer(&app, &started["options"]);
            let finish = || {
                browser.post(app.url("/account/confirm/passkey/finish")).form(&[
                    ("csrf", csrf.as_str()),
                    ("ceremony", ceremony.as_str()),
                    ("credential", credential.as_str()),
                    ("next", "/account"),
                ])
            };
            let finished = finish().send().await.unwrap();
            let totp = browser.get(app.url("/account/totp")).send().await.unwrap();
            if confirms {
                assert_eq!(crate::helpers::location(&finished), "/account");
                assert_eq!(totp.status(), 200);
                // The same answer again: the ceremony was used.
                assert_eq!(finish().send().await.unwrap().status(), 400);
            } else {
                assert_eq!(finished.status(), 400, "another account's passkey");
                assert_eq!(crate::helpers::location(&totp), "/account/confirm");
            }
        }
    }

    crate::on_both_backends!(
        a_passkey_confirms_it_is_them_and_only_their_own,
        a_passkey_signs_in_through_autofill_and_the_button_and_an_answer_works_once,
        passkeys_need_a_domain_name,
        forged_replayed_or_misplaced_answers_sign_nobody_in,
        adding_a_key_needs_a_recent_sign_in_and_a_name,
    );
}
