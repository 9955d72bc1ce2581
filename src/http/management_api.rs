//! `/admin/api`: the management API, JSON over HTTP, for scripts. It reads
//! what the console shows and takes the console's changes as
//! [`manage::Command`]s (`POST /admin/api/commands`), so whatever an
//! operator does in the browser a script can do too.
//!
//! Two kinds of caller: a client granted the API by an operator
//! (`management = read | change`), with its own access token from the
//! client_credentials grant as `Authorization: Bearer`; or a person with the
//! admin (change) or auditor (read) role, with their console session. A
//! session's changes need a recent sign-in, as in the console, and a JSON
//! body, which no other site's page can send here without a CORS preflight
//! (which Sesame never answers). Off unless `admin.enabled` (then 404).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{account_security, extract, pages, respond};
use crate::error::{ErrorCode, ProtocolError};
use crate::manage::{self, Command, ManageError, Operator, Reach};
use crate::oidc::params::Params;
use crate::startup::Services;

/// Who calls and how much they may do; whether a person signed in
/// recently enough to change anything.
struct Caller {
    operator: Operator,
    reach: Reach,
    recent: bool,
}

async fn caller(req: &HttpRequest, services: &Services) -> Result<Caller, HttpResponse> {
    if !super::server::console_served_here(req, services) {
        return Err(pages::not_found(req.clone()).await);
    }
    let bearer = extract::bearer(req).map_err(|()| {
        respond::bearer_error(&ProtocolError::invalid_request(
            "the Authorization header must be Bearer <token>",
        ))
    })?;
    match bearer {
        Some(token) => client_caller(services, &token).await,
        None => person_caller(req, services).await,
    }
}

/// A client's own access token (client_credentials), for this server,
/// from a client the operator granted the API.
async fn client_caller(services: &Services, token: &str) -> Result<Caller, HttpResponse> {
    let invalid = || respond::bearer_error(&ProtocolError::invalid_token("the access token is invalid or expired"));
    let record = match services.access_tokens().find(token).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(invalid()),
        Err(e) => return Err(unavailable(e)),
    };
    let issuer = services.settings.issuer.as_str();
    // A person's token speaks for them, not for the client; a token for
    // another resource is not for this API.
    if record.user_id.is_some() || !record.audience_or(issuer).iter().any(|aud| aud == issuer) {
        return Err(invalid());
    }
    let client = match services.clients.find_client(&record.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(invalid()),
        Err(e) => return Err(unavailable(e)),
    };
    // Read now, so taking the grant away ends access at once.
    let Some(reach) = Reach::of_client(client.management) else {
        return Err(respond::bearer_error(&ProtocolError::new(
            ErrorCode::InsufficientScope,
            "this client has no access to the management API",
        )));
    };
    Ok(Caller {
        operator: Operator::Client(client.client_id),
        reach,
        recent: true,
    })
}

/// A person signed in to the console in this browser.
async fn person_caller(req: &HttpRequest, services: &Services) -> Result<Caller, HttpResponse> {
    let (user, live) = match account_security::signed_in(req, services).await {
        Ok(found) => found,
        // The store failing is its own answer (503 or 500), not "sign in".
        Err(response) if !response.status().is_redirection() => {
            let code = if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                "temporarily_unavailable"
            } else {
                "server_error"
            };
            return Err(error(response.status(), code, "the session could not be read"));
        }
        Err(_) => {
            return Err(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="sesame""#))
                .json(json!({
                    "error": "invalid_token",
                    "error_description": "send a management client's access token, or sign in to the console",
                })));
        }
    };
    let Some(reach) = Reach::of_person(&user) else {
        return Err(error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "this account has neither the admin nor the auditor role",
        ));
    };
    Ok(Caller {
        recent: account_security::signed_in_recently(services, &live),
        operator: Operator::Person(user),
        reach,
    })
}

fn error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": code, "error_description": description }))
}

fn refusal(e: ManageError) -> HttpResponse {
    match e {
        ManageError::Refused(why) => error(StatusCode::BAD_REQUEST, "refused", &why),
        ManageError::NotFound(what) => error(StatusCode::NOT_FOUND, "not_found", &what),
        ManageError::Store(e) => unavailable(e),
    }
}

/// 503 (the store is down) or 500, the detail logged once.
fn unavailable(e: crate::store::StoreError) -> HttpResponse {
    respond::json_error(&ProtocolError::from(e))
}

fn query(req: &HttpRequest) -> Params {
    Params::parse(req.query_string()).unwrap_or_default()
}

/// Answers a read with `read`'s JSON, for any caller that may read.
macro_rules! read {
    ($req:expr, $services:expr, |$params:ident| $read:expr) => {{
        if let Err(response) = caller(&$req, &$services).await {
            return response;
        }
        let $params = query(&$req);
        match $read.await {
            Ok(found) => HttpResponse::Ok().json(found),
            Err(e) => refusal(ManageError::from(e)),
        }
    }};
}

/// `GET /admin/api/users?q=…&after=…&limit=…`: people by username.
pub async fn users(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |params| {
        let limit = params
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(services.settings.admin.page_size);
        manage::users(
            &services,
            params.get("q").unwrap_or("").trim(),
            params.get("after").unwrap_or(""),
            limit,
        )
    })
}

/// `GET /admin/api/user?username=…`: a person with their groups, sessions,
/// app grants and second factors.
pub async fn user(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |params| manage::user(
        &services,
        params.get("username").unwrap_or("")
    ))
}

/// `GET /admin/api/groups`.
pub async fn groups(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |_params| services.groups.list_groups())
}

/// `GET /admin/api/group?name=…`: members and the apps that admit it.
pub async fn group(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |params| manage::group(
        &services,
        params.get("name").unwrap_or("")
    ))
}

/// `GET /admin/api/clients`: every app with what only operators set.
pub async fn clients(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |_params| manage::clients(&services))
}

/// `GET /admin/api/keys`: the signing keys and their states.
pub async fn keys(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if let Err(response) = caller(&req, &services).await {
        return response;
    }
    let keys: Vec<_> = services
        .keys
        .current()
        .describe(services.clock.now())
        .into_iter()
        .map(|k| {
            json!({
                "kid": k.kid, "alg": k.alg, "state": k.state, "created_at": k.created_at,
                "activates_at": k.activates_at, "published_until": k.published_until,
            })
        })
        .collect();
    HttpResponse::Ok().json(keys)
}

/// `GET /admin/api/audit?user=…&client=…&event=…&since=…&until=…&before=…&limit=…`:
/// newest first; `next` continues as `before`. Times as Unix seconds or
/// ISO 8601 (UTC).
pub async fn audit(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    if let Err(response) = caller(&req, &services).await {
        return response;
    }
    let params = query(&req);
    let text = |name: &str| params.get(name).map(str::to_string);
    let instant = |name: &str| match params.get(name) {
        None | Some("") => Ok(None),
        Some(value) => crate::clock::parse_instant(value).map(Some).ok_or(name.to_string()),
    };
    let (since, until) = match (instant("since"), instant("until")) {
        (Ok(since), Ok(until)) => (since, until),
        (Err(name), _) | (_, Err(name)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("{name} is Unix seconds or ISO 8601 (2026-12-04T13:30:00Z)"),
            );
        }
    };
    let wanted = manage::AuditQuery {
        user: text("user"),
        client: text("client"),
        event: text("event"),
        since,
        until,
        before: text("before"),
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(services.settings.admin.page_size);
    match manage::audit(&services, &wanted, limit).await {
        Ok(slice) => HttpResponse::Ok().json(slice),
        Err(e) => unavailable(e),
    }
}

/// `GET /admin/api/deliveries?limit=…`: the newest logout notices and mails.
pub async fn deliveries(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |params| async {
        let limit = params
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(50i64)
            .clamp(1, 1000);
        let (logout, mail) = tokio::try_join!(
            manage::logout_deliveries(&services, limit),
            manage::mails(&services, limit)
        )?;
        Ok::<_, crate::store::StoreError>(json!({ "logout": logout, "mail": mail }))
    })
}

/// `GET /admin/api/registration-tokens` (never their values).
pub async fn registration_tokens(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    read!(req, services, |_params| manage::registration_tokens(&services))
}

/// `POST /admin/api/commands` with one [`Command`] as JSON: 200 with what
/// it made (a new secret or token, shown once), 400 `invalid_command` or
/// `refused`, 404 `not_found`, 403 for a caller who may only read.
pub async fn command(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let caller = match caller(&req, &services).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    if caller.reach != Reach::Change {
        return error(StatusCode::FORBIDDEN, "access_denied", "this caller may only read");
    }
    if !caller.recent {
        return error(
            StatusCode::FORBIDDEN,
            "login_required",
            "sign in again first: changes need a recent sign-in (/account/confirm?next=/admin)",
        );
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "send the command as application/json",
        );
    }
    let command: Command = match serde_json::from_slice(&body) {
        Ok(command) => command,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_command", &e.to_string()),
    };
    match manage::perform(&services, &caller.operator, command).await {
        Ok(done) => HttpResponse::Ok().json(done),
        Err(e) => refusal(e),
    }
}
