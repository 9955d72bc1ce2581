//! Mail through the durable outbox: queued with the action, sent by a node's
//! worker to a real SMTP server (a sink on port 0), retried while the server
//! is down, sent once, its body erased once it left; never in the clear
//! when TLS is asked for.

use sesame::domain::DeliveryStatus;

use crate::helpers::smtp::SmtpSink;
use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::on_both_backends;

async fn counts(app: &crate::helpers::TestApp) -> Vec<(DeliveryStatus, i64)> {
    app.services.mail.count_mail_by_status().await.unwrap()
}

/// A message to alice, as the account page's password change sends it.
fn to_alice() -> sesame::mail::Message {
    sesame::mail::messages::password_changed(
        "alice@example.com",
        "Alice",
        "id.example",
        sesame::mail::messages::PasswordChange::AccountPage,
    )
}

/// The outbox once its one message was tried more than once (the clock
/// moved on to each retry): it did not leave.
async fn after_retries(app: &crate::helpers::TestApp) -> Vec<sesame::domain::QueuedMail> {
    let mut waiting = Vec::new();
    for _ in 0..100 {
        waiting = app.services.mail.list_mail(10).await.unwrap();
        if waiting[0].attempts > 1 {
            break;
        }
        app.clock.advance(5);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    waiting
}

async fn mail_waits_for_a_server_that_is_down_and_leaves_once(backend: Backend) {
    let down = SmtpSink::down();
    let port = down.port;
    let app = spawn_app_with(backend, |s| {
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = port;
        s.mail.smtp_security = sesame::config::SmtpSecurity::None;
        s.mail.poll_secs = 1;
        s.mail.backoff_base_secs = 1;
        s.mail.backoff_max_secs = 1;
    })
    .await;
    app.services.mail_outbox().queue(to_alice()).await.unwrap();

    // The server is down: the message waits, with the reason.
    let mut waiting = Vec::new();
    for _ in 0..50 {
        waiting = app.services.mail.list_mail(10).await.unwrap();
        if waiting[0].attempts > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(waiting[0].status, DeliveryStatus::Pending);
    assert!(waiting[0].last_error.is_some());
    assert!(waiting[0].sealed_body.is_none(), "the list never shows bodies");

    // Up again: sent, once, and nothing of the body is kept.
    let sink = down.come_up();
    app.clock.advance(5);
    let received = sink.wait_for(1).await;
    assert_eq!(received[0].to, vec!["alice@example.com".to_string()]);
    assert!(
        received[0].subject().contains("password was changed"),
        "{}",
        received[0].raw
    );
    assert!(received[0].text().contains("Hello Alice"), "{}", received[0].text());
    assert!(received[0].html().contains("<p>Hello Alice,</p>"));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 1, "sent once");
    assert_eq!(counts(&app).await, vec![(DeliveryStatus::Delivered, 1)]);
    let claimed = app.services.mail.claim_due_mail(i64::MAX / 2, 60, 10).await.unwrap();
    assert!(claimed.is_empty(), "nothing left to send");
}

/// Without an SMTP server (development), messages go to the log and count
/// as sent.
async fn without_smtp_mail_is_written_to_the_log(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.services.settings.mail.logs_only());
    let message = sesame::mail::messages::password_changed(
        "bob@example.com",
        "Bob",
        "id.example",
        sesame::mail::messages::PasswordChange::AccountPage,
    );
    app.services.mail_outbox().queue(message).await.unwrap();
    for _ in 0..50 {
        if counts(&app).await == vec![(DeliveryStatus::Delivered, 1)] {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not sent: {:?}", counts(&app).await);
}

/// `smtp_security = "starttls"` (the default) is required, not
/// opportunistic: a server that does not offer STARTTLS — or a man in the
/// middle who struck it from the server's answer — gets no message in the
/// clear; it waits, with the reason, as for a server that is down.
async fn starttls_is_required_not_opportunistic(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(backend, |s| {
        sink.configure(s);
        s.mail.smtp_security = sesame::config::SmtpSecurity::Starttls;
    })
    .await;
    app.services.mail_outbox().queue(to_alice()).await.unwrap();
    let waiting = after_retries(&app).await;
    assert!(waiting[0].attempts > 1, "{waiting:?}");
    assert_eq!(waiting[0].status, DeliveryStatus::Pending);
    let reason = waiting[0].last_error.clone().unwrap_or_default();
    assert!(reason.to_ascii_lowercase().contains("tls"), "{reason}");
    assert!(sink.received().is_empty(), "nothing sent in the clear");
}

/// A relay whose certificate a private CA signed: with that CA trusted
/// (`smtp_tls_ca_file`) the message goes over STARTTLS; trusting another CA
/// instead, the certificate is refused and nothing is sent.
async fn starttls_to_a_relay_whose_certificate_a_private_ca_signed(backend: Backend) {
    let certificates = tempfile::tempdir().unwrap();
    crate::helpers::certificates::make_certificates(certificates.path());
    let sink = SmtpSink::start_with_starttls(certificates.path()).await;
    let trusting = |ca: &str| {
        let ca = certificates.path().join(ca).display().to_string();
        let sink = &sink;
        move |s: &mut sesame::config::Settings| {
            sink.configure(s);
            s.mail.smtp_security = sesame::config::SmtpSecurity::Starttls;
            s.mail.smtp_tls_ca_file = ca;
        }
    };

    let app = spawn_app_with(backend, trusting("ca.crt")).await;
    app.services.mail_outbox().queue(to_alice()).await.unwrap();
    let received = sink.wait_for(1).await;
    assert!(received[0].text().contains("Hello Alice"));
    assert_eq!(sink.over_tls(), vec![true]);

    let other = spawn_app_with(backend, trusting("other.crt")).await;
    other.services.mail_outbox().queue(to_alice()).await.unwrap();
    let waiting = after_retries(&other).await;
    assert_eq!(waiting[0].status, DeliveryStatus::Pending, "{waiting:?}");
    assert!(waiting[0].attempts > 1, "{waiting:?}");
    assert_eq!(sink.received().len(), 1, "nothing sent to a server it cannot verify");
}

on_both_backends!(
    starttls_to_a_relay_whose_certificate_a_private_ca_signed,
    starttls_is_required_not_opportunistic,
    mail_waits_for_a_server_that_is_down_and_leaves_once,
    without_smtp_mail_is_written_to_the_log
);
