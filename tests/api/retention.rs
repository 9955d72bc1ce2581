//! Pruning on both backends, with the injected clock: refresh tokens once
//! their family's lifetime is over, audit events after the retention, and
//! delivered or abandoned logout notices after a week; what is still of use
//! stays. Small batches (here 2) reach the end all the same.

use sesame::clock::Clock;
use sesame::domain::{AuditEvent, DeliveryStatus, FamilyId, LogoutDelivery, RefreshToken, Scopes, Sid};

use crate::helpers::{Backend, TestApp, spawn_app_with};

const DAY: i64 = 86_400;

fn refresh_token(
    app: &TestApp,
    user: uuid::Uuid,
    client: &crate::helpers::TestClient,
    hash: &str,
    family_expires_at: i64,
) -> RefreshToken {
    let now = app.clock.now();
    RefreshToken {
        token_hash: hash.to_string(),
        family_id: FamilyId::from_uuid(uuid::Uuid::new_v4()),
        client_id: client.id(),
        user_id: user,
        scopes: Scopes::parse("openid").unwrap(),
        sid: Sid::from_stored("sid".into()),
        session: None,
        auth_time: now,
        amr: vec!["pwd".into()],
        resource: None,
        issued_at: now,
        expires_at: family_expires_at,
        family_expires_at,
        consumed_at: None,
        revoked_at: None,
    }
}

fn notice(client: &crate::helpers::TestClient, status: DeliveryStatus, created_at: i64) -> LogoutDelivery {
    LogoutDelivery {
        id: uuid::Uuid::now_v7(),
        client_id: client.id(),
        uri: "http://app.example/logout".into(),
        subject: "someone".into(),
        sid: None,
        created_at,
        give_up_at: created_at + 3600,
        status,
        attempts: 0,
        next_attempt_at: created_at,
        last_error: None,
        delivered_at: None,
    }
}

async fn what_has_served_its_purpose_is_pruned_and_nothing_else(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.retention.batch = 2).await;
    let client = app.add_client(false).await;
    let user = app.add_user("alice").await;
    let now = app.clock.now();
    let services = &app.services;

    for i in 0..5 {
        let expired = refresh_token(&app, user.id, &client, &format!("old-{i}"), now - 1);
        services.refresh_tokens.insert_refresh_token(&expired).await.unwrap();
    }
    let live = refresh_token(&app, user.id, &client, "live", now + 30 * DAY);
    services.refresh_tokens.insert_refresh_token(&live).await.unwrap();

    for age_days in [100, 95, 91, 89, 1] {
        let event = AuditEvent::new("test_event", now - age_days * DAY).user(user.id);
        services.audit.record(&event).await.unwrap();
    }

    let old = now - 8 * DAY;
    let notices = [
        notice(&client, DeliveryStatus::Delivered, old),
        notice(&client, DeliveryStatus::Failed, old),
        notice(&client, DeliveryStatus::Pending, old),
        notice(&client, DeliveryStatus::Delivered, now - DAY),
    ];
    services.outbox.enqueue(&notices, 10_000).await.unwrap();

    let pruned = services.pruner().prune().await.unwrap();
    assert_eq!(pruned.refresh_tokens, 5);
    assert_eq!(pruned.audit_events, 3, "older than 90 days");
    assert_eq!(pruned.logout_deliveries, 2, "delivered or abandoned, older than a week");

    assert!(
        services
            .refresh_tokens
            .find_refresh_token("live")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        services
            .refresh_tokens
            .find_refresh_token("old-0")
            .await
            .unwrap()
            .is_none()
    );
    let events = services.audit.recent(100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.event == "test_event").count(), 2);
    let pending = services.outbox.claim_due(now, 60, 100, 100).await.unwrap();
    assert_eq!(pending.len(), 1, "a pending notice is never pruned");
    assert!(services.users.find_user(user.id).await.unwrap().is_some());

    // What is left is measured, for the operator's metrics.
    let rows: std::collections::HashMap<_, _> = services.pruner().measure().await.unwrap().into_iter().collect();
    assert_eq!(rows["users"], 1);
    assert_eq!(
        rows["logout_deliveries"], 2,
        "the pending notice and the recent delivered one"
    );
    assert!(rows["refresh_tokens"] >= 1 && rows["audit_events"] >= 2);

    // Nothing left to prune: a second pass deletes nothing.
    assert_eq!(services.pruner().prune().await.unwrap(), Default::default());
}

crate::on_both_backends!(what_has_served_its_purpose_is_pruned_and_nothing_else);
