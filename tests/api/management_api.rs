//! The management API (`/admin/api`) through HTTP: a client the operator
//! granted it scripts what the console does with its client_credentials
//! token; a read-only grant reads; admins and auditors use it with their
//! console session; everyone else is refused, and taking a grant away ends
//! access at once.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sesame::clock::Clock;
use sesame::domain::{ManagementAccess, Role};

use crate::helpers::browser::Browser;
use crate::helpers::{Backend, PASSWORD, TestApp, TestClient, spawn_app, spawn_app_with};
use crate::on_both_backends;

async fn console(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.admin.enabled = true).await
}

/// A confidential client using client_credentials, granted `access`.
async fn management_client(app: &TestApp, access: Option<ManagementAccess>) -> TestClient {
    let created = sesame::admin::add_client(
        &app.services.client_admin(),
        sesame::admin::NewClient {
            name: "Provisioning".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        },
        sesame::admin::Via::Cli,
    )
    .await
    .unwrap();
    let client_id = created.client.client_id.clone();
    sesame::admin::set_client_access(
        &app.services.client_admin(),
        &client_id,
        sesame::admin::AccessChange {
            management: Some(access),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    TestClient {
        client_id: client_id.to_string(),
        secret: created.secret,
        redirect_uri: String::new(),
    }
}

async fn token_of(app: &TestApp, client: &TestClient) -> String {
    let response = app.token(client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.api.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn command(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .api
        .post(app.url("/admin/api/commands"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A script creates a person, puts them in a group, edits them, reads
/// them back with everything that hangs on them, finds its own actions in
/// the audit log, deletes them; refusals come with the right status.
async fn a_management_client_scripts_what_the_console_does(backend: Backend) {
    let app = console(backend).await;
    let script = management_client(&app, Some(ManagementAccess::Change)).await;
    let token = token_of(&app, &script).await;

    let (status, done) = command(
        &app,
        &token,
        json!({"action": "create_user", "username": "bob", "email": "bob@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["user"]["username"], "bob");
    assert_eq!(done["user"]["email_verified"], false);
    for body in [
        json!({"action": "create_group", "name": "staff"}),
        json!({"action": "add_member", "group": "staff", "username": "bob"}),
        json!({"action": "edit_user", "username": "bob", "name": "Bob B", "roles": ["developer"]}),
    ] {
        let (status, done) = command(&app, &token, body.clone()).await;
        assert_eq!(status, 200, "{body}: {done}");
    }
    let (status, bob) = get(&app, &token, "/admin/api/user?username=bob").await;
    assert_eq!(status, 200);
    assert_eq!(bob["user"]["name"], "Bob B");
    assert_eq!(bob["user"]["email"], "bob@example.com", "left out: unchanged");
    assert_eq!(bob["user"]["roles"], json!(["developer"]));
    assert_eq!(bob["groups"], json!(["staff"]));
    assert_eq!(bob["sessions"], json!([]));
    assert!(bob["user"].get("password_hash").is_none());

    // Confirmed on the operator's word; sending the same address again keeps it so.
    for body in [
        json!({"action": "edit_user", "username": "bob", "email_verified": true}),
        json!({"action": "edit_user", "username": "bob", "email": "bob@example.com"}),
    ] {
        let (status, done) = command(&app, &token, body).await;
        assert_eq!(
            (status.as_u16(), &done["user"]["email_verified"]),
            (200, &json!(true)),
            "{done}"
        );
    }
    let (_, done) = command(
        &app,
        &token,
        json!({"action": "edit_user", "username": "bob", "email": "robert@example.com"}),
    )
    .await;
    assert_eq!(done["user"]["email_verified"], false, "a new address is unconfirmed");
    command(
        &app,
        &token,
        json!({"action": "edit_user", "username": "bob", "email": "bob@example.com"}),
    )
    .await;
    let (_, page) = get(&app, &token, "/admin/api/users?q=bo").await;
    assert_eq!(page["users"][0]["username"], "bob");
    let (_, group) = get(&app, &token, "/admin/api/group?name=staff").await;
    assert_eq!(group["members"], json!(["bob"]));
    let (status, clients) = get(&app, &token, "/admin/api/clients").await;
    assert_eq!(status, 200);
    assert_eq!(clients[0]["management"], "change");

    // Refusals: what was wrong, with the right status, and nothing done.
    for (body, status, error) in [
        (json!({"action": "launch_rockets"}), 400, "invalid_command"),
        (json!({"action": "delete_user"}), 400, "invalid_command"),
        (
            json!({"action": "delete_user", "username": "bob", "extra": 1}),
            400,
            "invalid_command",
        ),
        (
            json!({"action": "create_user", "username": "bob", "password": PASSWORD}),
            400,
            "refused",
        ),
        (
            json!({"action": "disable_user", "username": "nobody"}),
            404,
            "not_found",
        ),
        (json!({"action": "rotate_key", "alg": "none"}), 400, "refused"),
    ] {
        let (got, answer) = command(&app, &token, body.clone()).await;
        assert_eq!(
            (got.as_u16(), answer["error"].as_str().unwrap_or("")),
            (status, error),
            "{body}"
        );
    }
    let not_json = app
        .api
        .post(app.url("/admin/api/commands"))
        .bearer_auth(&token)
        .form(&[("action", "delete_user"), ("username", "bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);

    // The audit log names the client as the actor, and filters by time.
    let (_, actions) = get(&app, &token, "/admin/api/audit?event=admin_action").await;
    let details: Vec<&str> = actions["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"].as_str())
        .collect();
    let actor = format!("client {} create_user bob", script.client_id);
    assert!(details.contains(&actor.as_str()), "{details:?}");
    let later = app.clock.now() + 3600;
    let (_, none) = get(&app, &token, &format!("/admin/api/audit?since={later}")).await;
    assert_eq!(none["events"], json!([]));
    let (status, _) = get(&app, &token, "/admin/api/audit?since=yesterday").await;
    assert_eq!(status, 400);

    let (status, _) = command(&app, &token, json!({"action": "delete_user", "username": "bob"})).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, &token, "/admin/api/user?username=bob").await;
    assert_eq!(status, 404);

    // A secret and a registration token are shown once, in the answer.
    let (status, minted) = command(
        &app,
        &token,
        json!({"action": "create_registration_token", "label": "ci", "ttl_secs": 3600, "uses": 1}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(minted["token"].as_str().unwrap().len() >= 32);
    let (_, listed) = get(&app, &token, "/admin/api/registration-tokens").await;
    assert_eq!(listed[0]["label"], "ci");
    assert!(listed[0].get("token").is_none(), "never listed again");

    // The operator takes the grant away: the same token stops at once.
    let (status, _) = command(
        &app,
        &token,
        json!({"action": "set_client_access", "client_id": script.client_id, "management": "none"}),
    )
    .await;
    assert_eq!(status, 200);
    let response = app
        .api
        .get(app.url("/admin/api/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
}

/// Off unless enabled; no token, a bad token, a person's token, a client
/// without the grant: refused. A read grant reads and changes nothing.
async fn only_granted_clients_reach_the_management_api(backend: Backend) {
    let off = spawn_app(backend).await;
    let response = off.api.get(off.url("/admin/api/users")).send().await.unwrap();
    assert_eq!(response.status(), 404);

    let app = console(backend).await;
    let response = app.api.get(app.url("/admin/api/users")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let (status, body) = get(&app, "not-a-token", "/admin/api/users").await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (401, Some("invalid_token")));

    let plain = management_client(&app, None).await;
    let token = token_of(&app, &plain).await;
    let (status, body) = get(&app, &token, "/admin/api/users").await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );

    // A person's token from an app is theirs, not the app's.
    app.add_user("pat").await;
    let app_client = app.add_client(false).await;
    let (code, verifier) = app.get_code(&app_client, "pat").await;
    let tokens: Value = app.redeem(&app_client, &code, &verifier).await.json().await.unwrap();
    let personal = tokens["access_token"].as_str().unwrap();
    let (status, _) = get(&app, personal, "/admin/api/users").await;
    assert_eq!(status, 401);

    let reader = management_client(&app, Some(ManagementAccess::Read)).await;
    let token = token_of(&app, &reader).await;
    for path in [
        "/admin/api/users",
        "/admin/api/user?username=pat",
        "/admin/api/groups",
        "/admin/api/clients",
        "/admin/api/keys",
        "/admin/api/audit",
        "/admin/api/deliveries",
        "/admin/api/registration-tokens",
    ] {
        assert_eq!(get(&app, &token, path).await.0, 200, "{path}");
    }
    let (status, body) = command(&app, &token, json!({"action": "disable_user", "username": "pat"})).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("access_denied")));
    let name = sesame::domain::Username::parse("pat").unwrap();
    let pat = app.services.users.find_credentials(&name).await.unwrap();
    assert!(!pat.unwrap().0.disabled);
}

async fn with_role(app: &TestApp, username: &str, role: Role) -> Browser {
    let user = app.add_user(username).await;
    app.services
        .users
        .set_roles(user.id, &[role], app.clock.now())
        .await
        .unwrap();
    let browser = app.other_browser();
    assert_eq!(browser.sign_in(username, PASSWORD).await, 303);
    browser
}

async fn post_json(browser: &Browser, body: &Value) -> (StatusCode, Value) {
    let response = browser
        .post(browser.url("/admin/api/commands"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The console session works too: admins change (after a recent sign-in,
/// in JSON only), auditors read, plain users get nothing.
async fn people_use_the_management_api_with_their_console_session(backend: Backend) {
    let app = console(backend).await;
    let admin = with_role(&app, "root", Role::Admin).await;
    let auditor = with_role(&app, "audrey", Role::Auditor).await;
    let plain = app.other_browser();
    app.add_user("pat").await;
    assert_eq!(plain.sign_in("pat", PASSWORD).await, 303);

    let users = |b: &Browser| b.get(b.url("/admin/api/users")).send();
    assert_eq!(users(&admin).await.unwrap().status(), 200);
    assert_eq!(users(&auditor).await.unwrap().status(), 200);
    assert_eq!(users(&plain).await.unwrap().status(), 403);

    let create = json!({"action": "create_group", "name": "ops"});
    assert_eq!(post_json(&auditor, &create).await.0, 403);
    assert_eq!(post_json(&plain, &create).await.0, 403);
    // A form post (what another site's page could send) is not a command.
    let form = admin
        .post(admin.url("/admin/api/commands"))
        .form(&[("action", "create_group"), ("name", "ops")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let (status, done) = post_json(&admin, &create).await;
    assert_eq!(status, 200, "{done}");

    // The last admin stays, here as in the console.
    let (status, body) = post_json(&admin, &json!({"action": "disable_user", "username": "root"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("last"), "{body}");

    // Changes need a recent sign-in.
    app.clock
        .advance(app.services.settings.mfa.recent_authentication_secs as i64 + 1);
    let (status, body) = post_json(&admin, &json!({"action": "delete_group", "name": "ops"})).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (403, Some("login_required")));
    assert_eq!(users(&admin).await.unwrap().status(), 200, "reading goes on");
}

on_both_backends!(
    a_management_client_scripts_what_the_console_does,
    only_granted_clients_reach_the_management_api,
    people_use_the_management_api_with_their_console_session,
);
