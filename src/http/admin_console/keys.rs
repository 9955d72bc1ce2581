//! The console's signing keys: states, rotation, revocation.

use super::*;

/// `GET /admin/keys`: the signing keys and their states.
pub async fn keys(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    keys_page(&req, &services, &me, done_notice(&query(&req)), None)
}

fn keys_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let now = services.clock.now();
    let keys = services
        .keys
        .current()
        .describe(now)
        .into_iter()
        .map(|k| KeyRow {
            kid: k.kid,
            alg: k.alg,
            state: k.state,
            created: crate::clock::iso8601(k.created_at),
            activates: crate::clock::iso8601(k.activates_at),
            until: k.published_until.map(crate::clock::iso8601).unwrap_or_default(),
        })
        .collect();
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| KeysPage {
        admin: me.username.as_str(),
        keys,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/keys`: `rotate` (a new key of `alg`, published now and
/// signing once caches have it) or `revoke` (`kid`, at once).
pub async fn change_keys(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let action = form.get("action").unwrap_or("");
    let command = match action {
        "rotate" => Command::RotateKey {
            alg: form.get("alg").unwrap_or("").to_string(),
        },
        "revoke" => Command::RevokeKey {
            kid: form.get("kid").unwrap_or("").to_string(),
        },
        _ => return keys_page(&req, &services, &me, None, Some(t("admin-unknown-action"))),
    };
    match act(&services, &me, command).await {
        Ok(_) => outcome::see_other(&format!("/admin/keys?done={}", encoded(action))),
        Err(Ok(message)) => keys_page(&req, &services, &me, None, Some(message)),
        Err(Err(page)) => page,
    }
}
