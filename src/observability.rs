//! What operators watch: log lines (text or JSON, level from `RUST_LOG`) and
//! Prometheus metrics, recorded where things happen. Serving them (the
//! request middleware and `GET /metrics`) is the HTTP layer's
//! (`http::metrics`).

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::domain::DeliveryStatus;
use crate::keys::KeyRing;
use crate::store::{EphemeralStore, LogoutOutbox};

/// Installs the global log subscriber once; later calls (tests) do nothing.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: escape codes in a log file or a
    // collector's pipe are noise that breaks searching.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Whether metrics are being recorded (a metrics listener was configured).
pub fn recording() -> bool {
    RECORDER.get().is_some_and(Option::is_some)
}

/// Installs the process-wide recorder (once); `None` if another recorder
/// was installed first. Without it every `counter!` is a no-op.
pub fn install_recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// A sign-in attempt: `succeeded`, `failed` or `throttled`.
pub fn login(outcome: &'static str) {
    counter!("sesame_logins_total", "outcome" => outcome).increment(1);
}

/// Rows pruned from `table` (see `admin::retention`).
pub fn pruned(table: &'static str, rows: u64) {
    counter!("sesame_pruned_rows_total", "table" => table).increment(rows);
}

/// A message was queued, sent, retried or given up.
pub fn mail(kind: &str, outcome: &'static str) {
    counter!("sesame_mail_total", "kind" => kind.to_string(), "outcome" => outcome).increment(1);
}

/// Messages in the mail outbox by status, read at scrape time.
pub async fn record_mail_gauges(outbox: &dyn crate::store::MailOutbox) {
    match outbox.count_mail_by_status().await {
        Ok(counts) => status_gauges("sesame_mail_outbox", &counts),
        Err(e) => tracing::warn!(error = %e, "metrics: counting mail failed"),
    }
}

/// One gauge per outbox status, zero for a status no row has.
fn status_gauges(name: &'static str, counts: &[(DeliveryStatus, i64)]) {
    for status in [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ] {
        let n = counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
        gauge!(name, "status" => status.as_str()).set(n as f64);
    }
}

/// Rows in `table`, measured after each pruning.
pub fn table_rows(table: &'static str, rows: u64) {
    gauge!("sesame_table_rows", "table" => table).set(rows as f64);
}

/// A second factor was enrolled, removed, accepted, refused or throttled.
pub fn second_factor(method: &'static str, outcome: &'static str) {
    counter!("sesame_second_factor_total", "method" => method, "outcome" => outcome).increment(1);
}

/// An account reached the alert level of failed sign-ins from elsewhere.
pub fn account_targeted() {
    counter!("sesame_accounts_targeted_total").increment(1);
}

/// Tokens issued at the token endpoint, by grant type.
pub fn tokens_issued(grant: &'static str) {
    counter!("sesame_tokens_issued_total", "grant" => grant).increment(1);
}

/// A refresh token presented again after it was used: its family is revoked.
pub fn refresh_reuse_detected() {
    counter!("sesame_refresh_reuse_detected_total").increment(1);
}

/// A back-channel logout attempt: `delivered`, `retry` or `gave_up`.
pub fn logout_delivery(outcome: &'static str) {
    counter!("sesame_logout_delivery_attempts_total", "outcome" => outcome).increment(1);
}

/// A request refused by a rate limit, by endpoint.
pub fn rate_limited(endpoint: &'static str) {
    counter!("sesame_rate_limited_total", "endpoint" => endpoint).increment(1);
}

/// Time spent hashing or verifying one password (argon2id).
pub fn password_hash_time(elapsed: Duration) {
    histogram!("sesame_password_hash_seconds").record(elapsed.as_secs_f64());
}

/// Sets the gauges that are read from storage at scrape time.
pub async fn record_gauges(outbox: &dyn LogoutOutbox, ephemeral: &dyn EphemeralStore, keys: &KeyRing, now: i64) {
    match outbox.count_by_status().await {
        Ok(counts) => status_gauges("sesame_logout_deliveries", &counts),
        Err(e) => tracing::warn!(error = %e, "metrics: counting logout deliveries failed"),
    }
    match ephemeral.entry_count().await {
        Ok(Some(entries)) => gauge!("sesame_ephemeral_entries").set(entries as f64),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "metrics: counting ephemeral entries failed"),
    }
    for key in keys.current().describe(now) {
        if key.state == "active" {
            gauge!("sesame_signing_key_age_seconds", "alg" => key.alg.to_string())
                .set((now - key.activates_at).max(0) as f64);
        }
    }
}

/// Every metric in the Prometheus text format; `None` when another recorder
/// was installed first.
pub fn render() -> Option<String> {
    let handle = install_recorder()?;
    handle.run_upkeep();
    Some(handle.render())
}

/// A gateway decision: which rule (`default` when none matched) and what it said.
pub fn gateway_decision(rule: Option<usize>, outcome: &'static str) {
    let rule = rule.map_or_else(|| "default".to_string(), |r| r.to_string());
    counter!("sesame_gateway_decisions_total", "rule" => rule, "outcome" => outcome).increment(1);
}
