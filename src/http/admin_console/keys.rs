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
    let result = match action {
        "rotate" => match crate::keys::Alg::parse(form.get("alg").unwrap_or("")) {
            Some(alg) => services
                .key_rotation()
                .rotate(alg, crate::keys::rotation::When::Scheduled, None)
                .await
                .map(|kid| format!("rotated to {kid}"))
                .map_err(|e| e.to_string()),
            None => Err(t("admin-unknown-action")),
        },
        "revoke" => {
            let kid = form.get("kid").unwrap_or("").to_string();
            crate::control::perform(&services, crate::control::Operation::RevokeKey { kid: kid.clone() })
                .await
                .map(|_| format!("revoked {kid}"))
                .map_err(|e| e.to_string())
        }
        _ => Err(t("admin-unknown-action")),
    };
    match result {
        Ok(what) => {
            audit_action(&services, &me, what).await;
            outcome::see_other(&format!("/admin/keys?done={}", encoded(action)))
        }
        Err(message) => keys_page(&req, &services, &me, None, Some(message)),
    }
}
