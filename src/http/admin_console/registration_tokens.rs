//! The console's initial access tokens for the registration API (RFC
//! 7591): listed without their values, made (the value shown once, on the
//! answer to the form), revoked.

use super::*;

/// `GET /admin/registration-tokens`.
pub async fn registration_tokens(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    tokens_page(&req, &services, &me, done_notice(&query(&req)), None, None).await
}

async fn tokens_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> HttpResponse {
    let tokens = match manage::registration_tokens(services).await {
        Ok(tokens) => tokens,
        Err(e) => return pages::server_error_page(&e),
    };
    let status = status_for(&error);
    // Every page is `no-store` (security.rs): a token shown once stays out of caches.
    csrf::form_page(req, services, status, |csrf| RegistrationTokensPage {
        admin: me.username.as_str(),
        tokens: tokens.iter().map(RegistrationTokenRow::from).collect(),
        new_token,
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/registration-tokens`: `create` (label, hours, uses) or
/// `revoke` (`id`).
pub async fn change_registration_tokens(
    req: HttpRequest,
    body: web::Bytes,
    services: web::Data<Services>,
) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let number = |name: &str| form.get(name).and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(0);
    let command = match form.get("action") {
        Some("create") => Command::CreateRegistrationToken {
            label: form.get("label").map(str::to_string),
            ttl_secs: u64::from(number("hours")) * 3600,
            uses: number("uses"),
        },
        Some("revoke") => match form.get("id").and_then(|id| uuid::Uuid::parse_str(id).ok()) {
            Some(id) => Command::RevokeRegistrationToken { id },
            None => return tokens_page(&req, &services, &me, None, Some(t("admin-no-token")), None).await,
        },
        _ => return tokens_page(&req, &services, &me, None, Some(t("admin-unknown-action")), None).await,
    };
    match act(&services, &me, command).await {
        Ok(Done::RegistrationToken { token, .. }) => {
            tokens_page(&req, &services, &me, Some(t("admin-done-created")), None, Some(token)).await
        }
        Ok(_) => outcome::see_other("/admin/registration-tokens?done=revoke"),
        Err(Ok(message)) => tokens_page(&req, &services, &me, None, Some(message), None).await,
        Err(Err(page)) => page,
    }
}
