//! The console's audit log: filtered, paged, exportable as JSON lines.

use super::*;

/// `GET /admin/audit?user=…&client=…&event=…&from=…&to=…&before=…`: newest first,
/// paged by `(at, id)`; `format=jsonl` exports the page as JSON lines.
pub async fn audit(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let params = query(&req);
    let text = |name| params.get(name).map(str::trim).unwrap_or("").to_string();
    let (user, client, event, from, to) = (text("user"), text("client"), text("event"), text("from"), text("to"));
    let instant = |text: &str| (!text.is_empty()).then(|| crate::clock::parse_instant(text));
    let (since, until) = (instant(&from), instant(&to));
    let error = (matches!(since, Some(None)) || matches!(until, Some(None))).then(|| t("admin-bad-time"));
    let wanted = manage::AuditQuery {
        user: Some(user.clone()),
        client: Some(client.clone()),
        event: Some(event.clone()),
        since: since.flatten(),
        // A day names all of it: `to=2026-12-04` includes that day.
        until: until.flatten().map(|t| if to.contains('T') { t } else { t + 86_400 }),
        before: params.get("before").map(str::to_string),
    };
    let size = services.settings.admin.page_size;
    let slice = match manage::audit(&services, &wanted, size).await {
        Ok(slice) => slice,
        Err(e) => return pages::server_error_page(&e),
    };
    if params.get("format") == Some("jsonl") {
        let lines: String = slice
            .events
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|line| line + "\n")
            .collect();
        return HttpResponse::Ok().content_type("application/x-ndjson").body(lines);
    }
    let next = slice.next.map(|before| {
        format!(
            "/admin/audit?user={}&client={}&event={}&from={}&to={}&before={}",
            encoded(&user),
            encoded(&client),
            encoded(&event),
            encoded(&from),
            encoded(&to),
            encoded(&before)
        )
    });
    let mut rows = Vec::new();
    for event in &slice.events {
        let name = match event.user_id {
            Some(id) => services
                .users
                .find_user(id)
                .await
                .ok()
                .flatten()
                .map(|u| u.username.to_string()),
            None => None,
        };
        rows.push(AuditRow::new(event, name));
    }
    let status = status_for(&error);
    crate::http::views::render(
        &AuditPage {
            admin: me.username.as_str(),
            user: &user,
            client: &client,
            event: &event,
            from: &from,
            to: &to,
            events: rows,
            next,
            notice: None,
            error,
        },
        status,
    )
}
