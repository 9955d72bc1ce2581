//! The console's audit log: filtered, paged, exportable as JSON lines.

use super::*;

/// `GET /admin/audit?user=…&client=…&event=…&before=…`: newest first,
/// paged by `(at, id)`; `format=jsonl` exports the page as JSON lines.
pub async fn audit(req: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let me = match admin(&req, &services).await {
        Ok(user) => user,
        Err(page) => return page,
    };
    let params = query(&req);
    let text = |name| params.get(name).map(str::trim).unwrap_or("").to_string();
    let (user, client, event) = (text("user"), text("client"), text("event"));
    let mut filter = AuditFilter {
        client_id: (!client.is_empty()).then(|| client.clone()),
        event: (!event.is_empty()).then(|| event.clone()),
        before: params.get("before").and_then(parse_cursor),
        ..AuditFilter::default()
    };
    if !user.is_empty() {
        match find_user(&services, &user).await {
            Ok(Some(found)) => filter.user_id = Some(found.id),
            // Nobody by that name: nothing matches (not every event).
            Ok(None) => filter.user_id = Some(uuid::Uuid::nil()),
            Err(page) => return page,
        }
    }
    let size = services.settings.admin.page_size.clamp(1, 500);
    let mut events = match services.audit.search(&filter, size + 1).await {
        Ok(events) => events,
        Err(e) => return pages::server_error_page(&e),
    };
    let more = events.len() > size as usize;
    events.truncate(size as usize);
    if params.get("format") == Some("jsonl") {
        let lines: String = events
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|line| line + "\n")
            .collect();
        return HttpResponse::Ok().content_type("application/x-ndjson").body(lines);
    }
    let next = more.then(|| {
        let last = events.last().map(|e| format!("{}.{}", e.at, e.id)).unwrap_or_default();
        format!(
            "/admin/audit?user={}&client={}&event={}&before={}",
            encoded(&user),
            encoded(&client),
            encoded(&event),
            encoded(&last)
        )
    });
    let mut rows = Vec::new();
    for event in &events {
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
    crate::http::views::render(
        &AuditPage {
            admin: me.username.as_str(),
            user: &user,
            client: &client,
            event: &event,
            events: rows,
            next,
        },
        StatusCode::OK,
    )
}

/// `at.id`, as the next-page link writes it.
fn parse_cursor(cursor: &str) -> Option<(i64, uuid::Uuid)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}
