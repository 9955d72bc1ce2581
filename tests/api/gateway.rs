//! The session gateway through HTTP, asked the way each proxy family asks
//! (nginx `auth_request`, Caddy/Traefik forward-auth, Envoy ext_authz):
//! sign in once and come back, identity headers, rules by host, group and
//! factor, a session ended anywhere denying the next request, trusted
//! proxies only, no open redirect.

use reqwest::StatusCode;
use sesame::config::{GatewayRuleSettings, Settings};

use crate::helpers::{Backend, PASSWORD, TestApp, hidden_field, location, spawn_app_with};
use crate::on_both_backends;

fn rule(hosts: &[&str], policy: &str) -> GatewayRuleSettings {
    GatewayRuleSettings {
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        policy: policy.into(),
        ..Default::default()
    }
}

/// Sesame on `localhost` guarding `*.localhost`, asked by a proxy on this
/// machine.
pub(crate) fn guarding(settings: &mut Settings) {
    settings.issuer = settings.issuer.replace("127.0.0.1", "localhost");
    settings.gateway.enabled = true;
    settings.gateway.domains = vec!["localhost".into()];
    settings.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    settings.gateway.rules = vec![
        rule(&["public.localhost"], "bypass"),
        rule(&["wiki.localhost"], "one_factor"),
        rule(&["admin.localhost"], "two_factor"),
        GatewayRuleSettings {
            groups: vec!["staff".into()],
            ..rule(&["staff.localhost"], "one_factor")
        },
        rule(&["closed.localhost"], "deny"),
        GatewayRuleSettings {
            basic: true,
            ..rule(&["api.localhost"], "one_factor")
        },
    ];
}

async fn gateway_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, guarding).await
}

/// What nginx's `auth_request` sends for a browser's request to `url`.
async fn auth_request(app: &TestApp, url: &str, pass: Option<&str>) -> reqwest::Response {
    let mut request = app
        .api
        .get(app.url("/gateway/auth-request"))
        .header("X-Original-URL", url)
        .header("X-Original-Method", "GET");
    if let Some(pass) = pass {
        request = request.header("Cookie", format!("sesame_gateway={pass}"));
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The pass `/gateway/start` set, and the domain it was set for.
fn pass_of(response: &reqwest::Response) -> (String, String) {
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("sesame_gateway="))
        .expect("a pass");
    let value = cookie.split(';').next().unwrap().trim_start_matches("sesame_gateway=");
    let domain = cookie
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Domain="))
        .unwrap_or("");
    (value.to_string(), domain.to_string())
}

/// Signs `username` in on the login page that goes on to `next`, as a
/// browser with `http`'s cookies; the login form's answer.
async fn sign_in_for_next(http: &reqwest::Client, app: &TestApp, username: &str, next: &str) -> reqwest::Response {
    let page = http
        .get(app.url(&format!("/login?next={next}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    http.post(app.url("/login"))
        .form(&[
            ("csrf", hidden_field(&page, "csrf").as_str()),
            ("next", next),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// Sends `code` to the second-step form at `path`; the form's answer.
async fn send_second_step(http: &reqwest::Client, app: &TestApp, path: &str, code: &str) -> reqwest::Response {
    let form = http.get(app.url(path)).send().await.unwrap().text().await.unwrap();
    http.post(app.url("/login/second-factor"))
        .form(&[
            ("req", hidden_field(&form, "req").as_str()),
            ("csrf", hidden_field(&form, "csrf").as_str()),
            ("code", code),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs the browser in through the login page the gateway sent it to and
/// follows it back; returns the pass for the protected domain.
async fn sign_in_through_the_gateway(app: &TestApp, username: &str, sign_in_url: &str) -> String {
    let start = app.browser.get(sign_in_url).send().await.unwrap();
    assert_eq!(location(&start), "/login?next=/gateway/start");
    let signed_in = sign_in_for_next(&app.browser, app, username, "/gateway/start").await;
    assert_eq!(location(&signed_in), "/gateway/start");
    let back = app.browser.get(app.url("/gateway/start")).send().await.unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(location(&back), "http://wiki.localhost/page?x=1");
    let (pass, domain) = pass_of(&back);
    assert_eq!(domain, "localhost", "set for the protected domain");
    pass
}

/// Signed out: the proxy is told to send the browser to sign in (nginx:
/// 401 with the way in; forward-auth: a redirect, 303 after a POST); after
/// one sign-in the browser comes back to the very URL, and the app gets the
/// person's identity.
async fn one_sign_in_lets_a_browser_through_the_gateway(backend: Backend) {
    let app = gateway_app(backend).await;
    let alice = app.add_user("alice").await;
    let now = sesame::clock::Clock::now(&*app.clock);
    app.services
        .users
        .set_display_name(alice.id, Some("Alice Liddell"), now)
        .await
        .unwrap();
    app.services.group_admin().create("staff").await.unwrap();
    app.services.group_admin().add_member("staff", "alice").await.unwrap();

    let page = "http://wiki.localhost/page?x=1";
    let refused = auth_request(&app, page, None).await;
    assert_eq!(refused.status(), 401);
    let sign_in_url = header(&refused, "x-sesame-sign-in");
    assert_eq!(
        sign_in_url,
        app.url("/gateway/start?rd=http%3A%2F%2Fwiki.localhost%2Fpage%3Fx%3D1")
    );
    let forwarded = |method: &'static str| {
        app.api
            .get(app.url("/gateway/forward-auth"))
            .header("X-Forwarded-Method", method)
            .header("X-Forwarded-Proto", "http")
            .header("X-Forwarded-Host", "wiki.localhost")
            .header("X-Forwarded-Uri", "/page?x=1")
            .send()
    };
    let get = forwarded("GET").await.unwrap();
    assert_eq!((get.status(), location(&get)), (StatusCode::FOUND, sign_in_url.clone()));
    assert_eq!(forwarded("POST").await.unwrap().status(), 303);

    let pass = sign_in_through_the_gateway(&app, "alice", &sign_in_url).await;
    let allowed = auth_request(&app, page, Some(&pass)).await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(header(&allowed, "remote-user"), "alice");
    assert_eq!(header(&allowed, "remote-name"), "Alice Liddell");
    assert_eq!(header(&allowed, "remote-groups"), "staff");
    assert_eq!(
        header(&allowed, "remote-email"),
        "",
        "an unconfirmed address is not vouched for"
    );
    assert_eq!(
        header(&allowed, "remote-assertion"),
        "",
        "no assertion unless gateway.assertion"
    );
    let envoy = app
        .api
        .post(app.url("/gateway/ext-authz/page?x=1"))
        .header("Host", "wiki.localhost")
        .header("X-Forwarded-Proto", "http")
        .header("Cookie", format!("sesame_gateway={pass}"))
        .send()
        .await
        .unwrap();
    assert_eq!(envoy.status(), 200);
    assert_eq!(header(&envoy, "remote-user"), "alice");

    // Anyone reaches a bypass host, without identity; a denied host nobody.
    let open = auth_request(&app, "http://public.localhost/", None).await;
    assert_eq!(
        (open.status(), header(&open, "remote-user")),
        (StatusCode::OK, String::new())
    );
    assert_eq!(
        auth_request(&app, "http://closed.localhost/", Some(&pass))
            .await
            .status(),
        403
    );
    assert_eq!(
        auth_request(&app, "http://unknown.localhost/", Some(&pass))
            .await
            .status(),
        403
    );
    // A group rule admits its members only.
    assert_eq!(
        auth_request(&app, "http://staff.localhost/", Some(&pass))
            .await
            .status(),
        200
    );
    app.services
        .group_admin()
        .remove_member("staff", "alice")
        .await
        .unwrap();
    app.clock
        .advance(app.services.settings.gateway.identity_refresh_secs as i64);
    assert_eq!(
        auth_request(&app, "http://staff.localhost/", Some(&pass))
            .await
            .status(),
        403,
        "membership is read again"
    );
    // Two factors wanted, one given: sign in again, stepping up.
    let step_up = auth_request(&app, "http://admin.localhost/", Some(&pass)).await;
    assert_eq!(step_up.status(), 401);
    assert!(header(&step_up, "x-sesame-sign-in").ends_with("&level=2"));
    let no_factor = app
        .browser
        .get(header(&step_up, "x-sesame-sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_factor.status(),
        403,
        "no second factor to step up with: a page says so"
    );
}

/// What an app behind the proxy does with `Remote-Assertion`: verifies it
/// with the key its footer names, from `/gateway/keys`, for its own host.
/// The claims, or why not.
pub(crate) fn verify_assertion(
    published: &serde_json::Value,
    token: &str,
    host: &str,
    check_times: bool,
) -> Result<serde_json::Value, String> {
    use pasetors::claims::ClaimsValidationRules;
    use pasetors::footer::Footer;
    use pasetors::keys::AsymmetricPublicKey;
    use pasetors::token::UntrustedToken;
    use pasetors::version4::V4;
    use pasetors::{Public, public};

    let untrusted = UntrustedToken::<Public, V4>::try_from(token).map_err(|e| e.to_string())?;
    let mut footer = Footer::new();
    footer
        .parse_bytes(untrusted.untrusted_footer())
        .map_err(|e| e.to_string())?;
    let kid = footer.get_claim("kid").and_then(|k| k.as_str()).ok_or("no kid")?;
    let paserk = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("{kid} is not published"))?["paserk"]
        .as_str()
        .unwrap()
        .to_string();
    let key = AsymmetricPublicKey::<V4>::try_from(paserk.as_str()).map_err(|e| e.to_string())?;
    let mut rules = ClaimsValidationRules::new();
    rules.validate_audience_with(host);
    if !check_times {
        // The test clock runs ahead of the machine's (exp is still checked).
        rules.disable_valid_at();
    }
    let trusted = public::verify(&key, &untrusted, &rules, Some(&footer), None).map_err(|e| e.to_string())?;
    let claims = trusted.payload_claims().ok_or("no claims")?;
    let mut json: serde_json::Value = serde_json::from_str(&claims.to_string().unwrap()).unwrap();
    json["kid"] = kid.into();
    Ok(json)
}

/// The PASETO keys Sesame publishes.
async fn published_keys(app: &TestApp) -> serde_json::Value {
    let keys = app.api.get(app.url("/gateway/keys")).send().await.unwrap();
    assert_eq!(keys.status(), 200);
    keys.json().await.unwrap()
}

/// With `gateway.assertion`, the app is also handed a PASETO v4.public
/// token saying who it is: it verifies with the key published at
/// `/gateway/keys` for the protected host, and for no other host, with
/// another key, or altered. Its keys rotate like the JWKS: the successor is
/// published before it signs, and the old one stays published.
async fn the_identity_assertion_verifies_with_the_published_key(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        guarding(s);
        s.gateway.assertion = true;
        s.keys.jwks_max_age_secs = 600;
        s.keys.prepublish_margin_secs = 300;
    })
    .await;
    let alice = app.add_user("alice").await;
    app.services.group_admin().create("staff").await.unwrap();
    app.services.group_admin().add_member("staff", "alice").await.unwrap();
    let refused = auth_request(&app, "http://wiki.localhost/page?x=1", None).await;
    let pass = sign_in_through_the_gateway(&app, "alice", &header(&refused, "x-sesame-sign-in")).await;

    let keys = app.api.get(app.url("/gateway/keys")).send().await.unwrap();
    assert_eq!(keys.status(), 200);
    assert_eq!(header(&keys, "cache-control"), "public, max-age=600");
    let etag = header(&keys, "etag");
    let published: serde_json::Value = keys.json().await.unwrap();
    assert_eq!(published["keys"].as_array().unwrap().len(), 1);
    let unchanged = app
        .api
        .get(app.url("/gateway/keys"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let jwks: serde_json::Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!jwks.to_string().contains("k4."), "a PASETO key is never in the JWKS");

    let allowed = auth_request(&app, "http://wiki.localhost/page?x=1", Some(&pass)).await;
    assert_eq!(allowed.status(), 200);
    let token = header(&allowed, "remote-assertion");
    assert!(token.starts_with("v4.public."), "{token}");
    let claims = verify_assertion(&published, &token, "wiki.localhost", true).unwrap();
    assert_eq!(claims["sub"], alice.id.to_string());
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["groups"], serde_json::json!(["staff"]));
    assert!(
        claims.get("email").is_none(),
        "an unconfirmed address is not vouched for"
    );
    let lifetime = sesame::clock::parse_instant(claims["exp"].as_str().unwrap()).unwrap()
        - sesame::clock::parse_instant(claims["iat"].as_str().unwrap()).unwrap();
    assert_eq!(lifetime, 60);

    // For one host only; altered, it is worth nothing.
    assert!(verify_assertion(&published, &token, "staff.localhost", true).is_err());
    let mut altered = token.clone().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    assert!(verify_assertion(&published, &String::from_utf8(altered).unwrap(), "wiki.localhost", true).is_err());
    // Nobody signed in, nothing to assert.
    let open = auth_request(&app, "http://public.localhost/", None).await;
    assert_eq!(header(&open, "remote-assertion"), "");

    // A scheduled rotation: published now, signing after the JWKS max-age
    // and the margin; the old key stays published.
    let old_kid = claims["kid"].as_str().unwrap().to_string();
    let new_kid = app
        .services
        .key_rotation()
        .rotate(
            sesame::keys::Alg::PasetoV4,
            sesame::keys::rotation::When::Scheduled,
            None,
        )
        .await
        .unwrap();
    assert!(new_kid.starts_with("k4.pid."));
    let published = published_keys(&app).await;
    assert_eq!(
        published["keys"].as_array().unwrap().len(),
        2,
        "published before it signs"
    );
    let before = auth_request(&app, "http://wiki.localhost/", Some(&pass)).await;
    let claims = verify_assertion(&published, &header(&before, "remote-assertion"), "wiki.localhost", true).unwrap();
    assert_eq!(claims["kid"], old_kid.as_str());
    app.clock.advance(900);
    let after = auth_request(&app, "http://wiki.localhost/", Some(&pass)).await;
    let claims = verify_assertion(&published, &header(&after, "remote-assertion"), "wiki.localhost", false).unwrap();
    assert_eq!(claims["kid"], new_kid.as_str());
    app.services.key_rotation().tick().await.unwrap();
    let published = published_keys(&app).await;
    assert!(published.to_string().contains(&old_kid), "the old key stays published");

    // Without `gateway.assertion` there is no key document and no assertion.
    let plain = gateway_app(backend).await;
    assert_eq!(
        plain.api.get(plain.url("/gateway/keys")).send().await.unwrap().status(),
        404
    );
}

/// nginx's `auth_request` for a script's request to `url` with HTTP Basic.
async fn basic_request(app: &TestApp, url: &str, username: &str, password: &str) -> reqwest::Response {
    app.api
        .get(app.url("/gateway/auth-request"))
        .header("X-Original-URL", url)
        .header("X-Original-Method", "GET")
        .basic_auth(username, Some(password))
        .send()
        .await
        .unwrap()
}

/// HTTP Basic where a rule accepts it: the person is let through as
/// themselves; the verified credential is remembered as a keyed digest (no
/// password hash per request), yet a changed password or a disabled account
/// counts at once; a wrong password, an account with a second factor and a
/// host whose rule does not accept Basic all get the same 401 challenge, or
/// (elsewhere) the usual way to sign in — the header is the app's own there.
async fn http_basic_passes_where_a_rule_accepts_it(backend: Backend) {
    let sink = crate::helpers::smtp::SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        guarding(s);
        sink.configure(s);
        s.account.notices.new_browser = true;
    })
    .await;
    let alice = app.add_user("alice").await;
    let api = "http://api.localhost/v1/report";

    let allowed = basic_request(&app, api, "alice", PASSWORD).await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(header(&allowed, "remote-user"), "alice");
    let credential = format!("{}:alice{PASSWORD}", "alice".len());
    let digest = app
        .services
        .sealer
        .keyed_digest(sesame::keys::Purpose::GatewayCredential, credential.as_bytes())
        .unwrap();
    let remembered = sesame::store::records::GatewayCredentials::new(&*app.services.ephemeral)
        .recall(&digest)
        .await
        .unwrap()
        .expect("the verified credential is remembered");
    assert_eq!(remembered.user_id, alice.id);
    assert_eq!(basic_request(&app, api, "alice", PASSWORD).await.status(), 200);
    // A script is no new browser: nobody is mailed about it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "no new-browser notice for a script");

    let wrong = basic_request(&app, api, "alice", "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        header(&wrong, "www-authenticate"),
        r#"Basic realm="api.localhost", charset="UTF-8""#
    );
    let nobody = basic_request(&app, api, "nobody", PASSWORD).await;
    assert_eq!(
        (nobody.status(), header(&nobody, "www-authenticate")),
        (wrong.status(), header(&wrong, "www-authenticate")),
        "an unknown name is answered alike"
    );
    // Where no rule accepts Basic, the header is the app's: sign in as usual.
    let wiki = basic_request(&app, "http://wiki.localhost/", "alice", PASSWORD).await;
    assert_eq!(wiki.status(), 401);
    assert!(header(&wiki, "x-sesame-sign-in").contains("/gateway/start?rd="));

    // A new password counts at once, the remembered credential with it.
    sesame::admin::set_password(
        &app.services.user_admin(),
        "alice",
        "a new password for alice".into(),
        sesame::admin::OfflineTokens::Keep,
    )
    .await
    .unwrap();
    assert_eq!(basic_request(&app, api, "alice", PASSWORD).await.status(), 401);
    assert_eq!(
        basic_request(&app, api, "alice", "a new password for alice")
            .await
            .status(),
        200
    );
    sesame::admin::set_user_disabled(
        &app.services.user_admin(),
        "alice",
        true,
        sesame::admin::OfflineTokens::Keep,
    )
    .await
    .unwrap();
    assert_eq!(
        basic_request(&app, api, "alice", "a new password for alice")
            .await
            .status(),
        401,
        "a disabled account, at once"
    );

    // A password alone is not how an account with a second factor signs
    // in: from the moment it has one, its remembered credential included.
    app.add_user("bob").await;
    assert_eq!(basic_request(&app, api, "bob", PASSWORD).await.status(), 200);
    let browser = app.other_browser();
    crate::second_factor::enrol(&app, &browser, "bob").await;
    assert_eq!(basic_request(&app, api, "bob", PASSWORD).await.status(), 401);
}

/// Ending the session any way denies the very next request, and the pass
/// is worth nothing after.
async fn a_session_ended_anywhere_closes_the_gateway(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        guarding(s);
        s.metrics.listen = "127.0.0.1:0".into();
    })
    .await;
    app.add_user("alice").await;
    assert_eq!(app.browser.sign_in("alice", PASSWORD).await, 303);
    let start = app
        .browser
        .get(app.url("/gateway/start?rd=http%3A%2F%2Fwiki.localhost%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&start), "http://wiki.localhost/");
    let (pass, _) = pass_of(&start);
    assert_eq!(
        auth_request(&app, "http://wiki.localhost/", Some(&pass)).await.status(),
        200
    );
    sesame::admin::logout_user(&app.services.user_admin(), "alice", sesame::admin::OfflineTokens::Keep)
        .await
        .unwrap();
    let after = auth_request(&app, "http://wiki.localhost/", Some(&pass)).await;
    assert_eq!(after.status(), 401, "signed out everywhere: sign in again");
    assert_eq!(
        auth_request(&app, "http://wiki.localhost/", Some("forged"))
            .await
            .status(),
        401
    );
    // Decisions are counted by rule and outcome.
    let port = app.metrics_port.unwrap();
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["allow", "sign_in"] {
        let line = format!("sesame_gateway_decisions_total{{rule=\"1\",outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

/// Only a trusted proxy describes a request; `/gateway/start` sends people
/// only to the protected domains; off, the paths do not exist.
async fn the_gateway_believes_only_its_proxies_and_redirects_only_home(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        guarding(s);
        s.http.trusted_proxies = vec!["127.0.0.2".parse().unwrap()];
    })
    .await;
    let spoofed = auth_request(&app, "http://public.localhost/", None).await;
    assert_eq!(
        spoofed.status(),
        403,
        "an untrusted peer's X-Original-URL is not believed"
    );

    let app = gateway_app(backend).await;
    app.add_user("alice").await;
    assert_eq!(app.browser.sign_in("alice", PASSWORD).await, 303);
    for rd in [
        "https://evil.example/",
        "http://localhost.evil.example/",
        "http://evillocalhost/",
        "javascript:alert(1)",
        "http://alice:pw@wiki.localhost/",
        "/relative",
        "",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(rd.as_bytes()).collect();
        let response = app
            .browser
            .get(app.url(&format!("/gateway/start?rd={encoded}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{rd}");
    }
    assert_eq!(auth_request(&app, "not a url", None).await.status(), 400);

    let off = crate::helpers::spawn_app(backend).await;
    let response = off
        .api
        .get(off.url("/gateway/auth-request"))
        .header("X-Original-URL", "http://wiki.localhost/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// A script with a person's access token issued for the app (RFC 8707
/// audience) is let through as that person; a token for another app or for
/// Sesame itself, or none that lives, gets an RFC 6750 challenge — never a
/// sign-in page.
async fn an_access_token_for_the_app_passes_the_gateway(backend: Backend) {
    let app = gateway_app(backend).await;
    app.add_user("alice").await;
    let for_wiki = app.add_client(false).await;
    sesame::admin::set_client_access(
        &app.services.client_admin(),
        &for_wiki.id(),
        sesame::admin::AccessChange {
            audiences: Some(vec!["http://wiki.localhost".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (code, verifier) = app.get_code(&for_wiki, "alice").await;
    let tokens: serde_json::Value = app.redeem(&for_wiki, &code, &verifier).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let ask = |url: &'static str, token: String| {
        app.api
            .get(app.url("/gateway/auth-request"))
            .header("X-Original-URL", url)
            .header("X-Original-Method", "GET")
            .bearer_auth(token)
            .send()
    };
    let through = ask("http://wiki.localhost/api/items", token.clone()).await.unwrap();
    assert_eq!(through.status(), 200);
    assert_eq!(header(&through, "remote-user"), "alice");
    let elsewhere = ask("http://api.localhost/", token.clone()).await.unwrap();
    assert_eq!(elsewhere.status(), 401, "a token for the wiki is not for another app");
    assert!(header(&elsewhere, "www-authenticate").contains("invalid_token"));
    assert!(elsewhere.headers().get("x-sesame-sign-in").is_none());
    let junk = ask("http://wiki.localhost/", "junk".into()).await.unwrap();
    assert_eq!(junk.status(), 401);

    // A token for Sesame itself (no audience of the app's) counts for nobody.
    let plain = app.add_client(false).await;
    let (code, verifier) = app.get_code(&plain, "alice").await;
    let tokens: serde_json::Value = app.redeem(&plain, &code, &verifier).await.json().await.unwrap();
    let own = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(ask("http://wiki.localhost/", own).await.unwrap().status(), 401);

    // Revoked: refused on the next request.
    let revoked = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(&for_wiki.client_id, for_wiki.secret.as_deref())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(ask("http://wiki.localhost/", token).await.unwrap().status(), 401);
}

/// A `two_factor` rule asks a one-factor session for the second factor
/// through the sign-in pipeline (password again, then the code), and then
/// lets the browser through; the decisions are counted by rule and outcome.
async fn a_two_factor_rule_steps_the_session_up(backend: Backend) {
    let app = gateway_app(backend).await;
    app.add_user("alice").await;
    let enrolled = crate::second_factor::enrol(&app, &app.browser, "alice").await;
    // A fresh browser is sent to sign in, with both factors, and comes back.
    let browser = crate::helpers::browser::Browser::new(&app.url(""));
    let start = browser
        .get(app.url("/gateway/start?rd=http%3A%2F%2Fadmin.localhost%2F&level=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&start), "/login?next=/gateway/start");
    let signed_in = sign_in_for_next(&browser, &app, "alice", "/gateway/start").await;
    let second_step = location(&signed_in);
    assert!(second_step.starts_with("/login/second-factor"), "{second_step}");
    let code = crate::second_factor::code_now(&app, &enrolled.secret);
    let done = send_second_step(&browser, &app, &second_step, &code).await;
    assert_eq!(location(&done), "/gateway/start");
    // Two factors now: the gateway lets the browser through at once.
    let back = browser.get(app.url("/gateway/start")).send().await.unwrap();
    assert_eq!(location(&back), "http://admin.localhost/");
    let (pass, _) = pass_of(&back);
    assert_eq!(
        auth_request(&app, "http://admin.localhost/", Some(&pass))
            .await
            .status(),
        200
    );

    // The first browser signed in on the password only when it enrolled:
    // it is asked for the password and the code, then let through.
    let start = app
        .browser
        .get(app.url("/gateway/start?rd=http%3A%2F%2Fadmin.localhost%2F&level=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&start), "/account/confirm?next=/gateway/start");
    let confirm = app
        .browser
        .get(app.url("/account/confirm?next=/gateway/start"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let password = app
        .browser
        .post(app.url("/account/confirm"))
        .form(&[
            ("csrf", hidden_field(&confirm, "csrf").as_str()),
            ("next", "/gateway/start"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let second_step = location(&password);
    assert!(second_step.starts_with("/login/second-factor"), "{second_step}");
    app.clock.advance(30);
    let code = crate::second_factor::code_now(&app, &enrolled.secret);
    let stepped = send_second_step(&app.browser, &app, &second_step, &code).await;
    assert_eq!(location(&stepped), "/gateway/start");
    let back = app.browser.get(app.url("/gateway/start")).send().await.unwrap();
    assert_eq!(location(&back), "http://admin.localhost/");
    let (pass, _) = pass_of(&back);
    assert_eq!(
        auth_request(&app, "http://admin.localhost/", Some(&pass))
            .await
            .status(),
        200
    );
}

/// Two nodes on one PostgreSQL and Redis: a pass from one is honoured by
/// the other, and signing out of an OIDC app (RP-initiated logout) on one
/// denies the next gateway request on the other.
#[tokio::test]
async fn signing_out_of_an_app_closes_the_gateway_on_every_node() {
    let first = gateway_app(Backend::PostgresRedis).await;
    first.add_user("alice").await;
    let settings = first.services.settings.clone();
    let second = spawn_app_with(Backend::PostgresRedis, move |s| {
        guarding(s);
        s.database_url = settings.database_url;
        s.redis_prefix = settings.redis_prefix;
        s.keys_dir = settings.keys_dir;
        s.issuer = settings.issuer;
    })
    .await;
    let client = first.add_client(false).await;
    let (code, verifier) = first.get_code(&client, "alice").await;
    let tokens: serde_json::Value = first.redeem(&client, &code, &verifier).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let start = first
        .browser
        .get(first.url("/gateway/start?rd=http%3A%2F%2Fwiki.localhost%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&start), "http://wiki.localhost/");
    let (pass, _) = pass_of(&start);
    assert_eq!(
        auth_request(&second, "http://wiki.localhost/", Some(&pass))
            .await
            .status(),
        200
    );

    let logout = first
        .browser
        .get(first.url(&format!("/end_session?id_token_hint={id_token}")))
        .send()
        .await
        .unwrap();
    assert!(
        logout.status().is_success() || logout.status().is_redirection(),
        "{}",
        logout.status()
    );
    assert!(!first.browser.has_session(&client).await, "signed out");
    assert_eq!(
        auth_request(&second, "http://wiki.localhost/", Some(&pass))
            .await
            .status(),
        401,
        "the other node denies the next request"
    );
}

/// The echo app behind the README's nginx and Caddy, each serving `host`
/// and asking `app`; the directory their configurations live in.
fn documented_proxies(
    app: &TestApp,
    host: &str,
) -> (
    crate::helpers::proxies::EchoApp,
    tempfile::TempDir,
    [(&'static str, crate::helpers::proxies::ProxyProcess); 2],
) {
    let echo = crate::helpers::proxies::EchoApp::start();
    let dir = tempfile::tempdir().unwrap();
    let sesame_port: u16 = app.issuer.rsplit(':').next().unwrap().parse().unwrap();
    let proxies = [
        (
            "nginx",
            crate::helpers::proxies::nginx(dir.path(), sesame_port, echo.port, host),
        ),
        (
            "caddy",
            crate::helpers::proxies::caddy(dir.path(), sesame_port, echo.port, host),
        ),
    ];
    (echo, dir, proxies)
}

/// A browser that finds `wiki.localhost` on this machine, with cookies.
fn wiki_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .resolve("wiki.localhost", "127.0.0.1:0".parse().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The README's nginx and Caddy configurations (`docs/gateway/`) in front
/// of an app: one sign-in reaches it through each, the app gets who it is,
/// a forged identity header never reaches it, and signing out everywhere
/// closes it on the next request.
async fn the_documented_proxies_guard_an_app(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        guarding(s);
        s.gateway.assertion = true;
    })
    .await;
    app.add_user("alice").await;
    let (echo, _dir, proxies) = documented_proxies(&app, "wiki.localhost");
    for (name, proxy) in &proxies {
        let browser = wiki_browser();
        let page = format!("http://wiki.localhost:{}/page?x=1", proxy.port);
        let forged = |request: reqwest::RequestBuilder| {
            request
                .header("Remote-User", "root")
                .header("Remote_User", "root")
                .header("Remote-Groups", "admins")
                .header("Remote-Assertion", "v4.public.forged")
        };
        let first = forged(browser.get(&page)).send().await.unwrap();
        assert_eq!(first.status(), 302, "{name}: {:?}", first.text().await);
        let sign_in = location(&first);
        let rd: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
        assert_eq!(sign_in, app.url(&format!("/gateway/start?rd={rd}")), "{name}");
        // A POST is sent to sign in too (and comes back with a GET).
        let post = forged(browser.post(&page)).body("a=1").send().await.unwrap();
        assert!(matches!(post.status().as_u16(), 302 | 303), "{name}: {}", post.status());

        let start = browser.get(&sign_in).send().await.unwrap();
        assert_eq!(location(&start), "/login?next=/gateway/start", "{name}");
        let signed_in = sign_in_for_next(&browser, &app, "alice", "/gateway/start").await;
        assert_eq!(location(&signed_in), "/gateway/start", "{name}");
        let back = browser.get(app.url("/gateway/start")).send().await.unwrap();
        assert_eq!(location(&back), page, "{name}: back to the very URL");

        let through = forged(browser.get(&page)).send().await.unwrap();
        assert_eq!(through.status(), 200, "{name}");
        let seen = crate::helpers::proxies::echoed(&through.text().await.unwrap());
        assert_eq!(seen["path"], "/page?x=1", "{name}");
        let headers = &seen["headers"];
        assert_eq!(headers["remote-user"], "alice", "{name}: {headers}");
        // In no group: the forged value is gone (nginx sends no empty header).
        assert_eq!(headers["remote-groups"].as_str().unwrap_or(""), "", "{name}: {headers}");
        assert!(headers.get("remote_user").is_none(), "{name}: {headers}");
        let published = published_keys(&app).await;
        let assertion = headers["remote-assertion"].as_str().unwrap_or("");
        let claims = verify_assertion(&published, assertion, "wiki.localhost", true)
            .unwrap_or_else(|e| panic!("{name}: {e}: {headers}"));
        assert_eq!(claims["preferred_username"], "alice", "{name}");

        sesame::admin::logout_user(&app.services.user_admin(), "alice", sesame::admin::OfflineTokens::Keep)
            .await
            .unwrap();
        let after = forged(browser.get(&page)).send().await.unwrap();
        assert_eq!(after.status(), 302, "{name}: signed out, sent to sign in again");
    }
    drop(proxies);
    echo.stop().await;
}

/// Scripts through the README's nginx and Caddy configurations: HTTP Basic
/// where a rule accepts it reaches the app as the person; a wrong password
/// gets the 401 challenge (not a sign-in page); a person's access token for
/// the app passes, a junk one gets the RFC 6750 challenge.
async fn scripts_pass_the_documented_proxies(backend: Backend) {
    let app = gateway_app(backend).await;
    app.add_user("alice").await;
    let (echo, _dir, proxies) = documented_proxies(&app, "api.localhost");
    let script = reqwest::Client::builder()
        .resolve("api.localhost", "127.0.0.1:0".parse().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (name, proxy) in &proxies {
        let url = format!("http://api.localhost:{}/v1/report", proxy.port);
        let through = script
            .get(&url)
            .basic_auth("alice", Some(PASSWORD))
            .header("Remote-User", "root")
            .send()
            .await
            .unwrap();
        assert_eq!(through.status(), 200, "{name}");
        let seen = crate::helpers::proxies::echoed(&through.text().await.unwrap());
        assert_eq!(seen["headers"]["remote-user"], "alice", "{name}: {}", seen["headers"]);

        let wrong = script
            .get(&url)
            .basic_auth("alice", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{name}");
        assert_eq!(
            header(&wrong, "www-authenticate"),
            r#"Basic realm="api.localhost", charset="UTF-8""#,
            "{name}"
        );
        let junk = script.get(&url).bearer_auth("junk").send().await.unwrap();
        assert_eq!(junk.status(), 401, "{name}");
        assert!(
            header(&junk, "www-authenticate").starts_with("Bearer error=\"invalid_token\""),
            "{name}"
        );
        let nothing = script.get(&url).send().await.unwrap();
        assert_eq!(nothing.status(), 302, "{name}: a browser is sent to sign in");
    }
    drop(proxies);
    echo.stop().await;
}

on_both_backends!(
    scripts_pass_the_documented_proxies,
    http_basic_passes_where_a_rule_accepts_it,
    the_identity_assertion_verifies_with_the_published_key,
    a_two_factor_rule_steps_the_session_up,
    an_access_token_for_the_app_passes_the_gateway,
    the_documented_proxies_guard_an_app,
    one_sign_in_lets_a_browser_through_the_gateway,
    a_session_ended_anywhere_closes_the_gateway,
    the_gateway_believes_only_its_proxies_and_redirects_only_home,
);

/// The README shows the very configurations the tests run.
#[test]
fn the_readme_shows_the_proxy_configurations_the_tests_run() {
    let readme = include_str!("../../README.md");
    for (name, config) in [
        ("nginx.conf", include_str!("../../docs/gateway/nginx.conf")),
        ("Caddyfile", include_str!("../../docs/gateway/Caddyfile")),
    ] {
        assert!(readme.contains(config), "README.md shows docs/gateway/{name} as it is");
    }
}
