//! The console's outboxes: back-channel logout notices and mail, their
//! states, and "retry now" for what still waits or (a logout notice) failed.

use super::*;

/// `GET /admin/deliveries`: the newest of each.
pub async fn deliveries(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    deliveries_page(&req, &services, &me, done_notice(&query(&req)), None).await
}

async fn deliveries_page(
    req: &HttpRequest,
    services: &Services,
    me: &User,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let limit = i64::from(services.settings.admin.page_size.clamp(1, 500));
    let found = tokio::try_join!(
        manage::logout_deliveries(services, limit),
        manage::mails(services, limit)
    );
    let (logouts, mails) = match found {
        Ok(found) => found,
        Err(e) => return pages::server_error_page(&e),
    };
    let status = status_for(&error);
    csrf::form_page(req, services, status, |csrf| DeliveriesPage {
        admin: me.username.as_str(),
        sections: vec![
            DeliverySection {
                heading: "admin-logout-notices",
                id: "logout-deliveries",
                action: "retry_logout",
                rows: logouts.iter().map(DeliveryRow::from).collect(),
            },
            DeliverySection {
                heading: "admin-mails",
                id: "mails",
                action: "retry_mail",
                rows: mails.iter().map(DeliveryRow::from).collect(),
            },
        ],
        csrf,
        notice,
        error,
    })
}

/// `POST /admin/deliveries`: `retry_logout` or `retry_mail` (`id`).
pub async fn change_deliveries(req: HttpRequest, body: web::Bytes, services: web::Data<Services>) -> HttpResponse {
    let (me, form) = match acting_admin(&req, &services, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(id) = form.get("id").and_then(|id| uuid::Uuid::parse_str(id).ok()) else {
        return deliveries_page(&req, &services, &me, None, Some(t("admin-cannot-retry"))).await;
    };
    let command = match form.get("action") {
        Some("retry_logout") => Command::RetryLogoutDelivery { id },
        Some("retry_mail") => Command::RetryMail { id },
        _ => return deliveries_page(&req, &services, &me, None, Some(t("admin-unknown-action"))).await,
    };
    match act(&services, &me, command).await {
        Ok(_) => outcome::see_other("/admin/deliveries?done=retry"),
        Err(Ok(message)) => deliveries_page(&req, &services, &me, None, Some(message)).await,
        Err(Err(page)) => page,
    }
}
