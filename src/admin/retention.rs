//! Pruning what has served its purpose, on every node: batch after batch
//! until a batch comes back short, so no statement holds locks for long and
//! nodes pruning at once only share the work.

use std::time::Duration;

use crate::clock::Clock;
use crate::config::RetentionSettings;
use crate::store::{Retention, StoreError};

const DAY_SECS: i64 = 86_400;

/// Rows deleted by one pruning, per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Grants (refresh-token families), each deleted with its tokens.
    pub refresh_tokens: u64,
    pub audit_events: u64,
    pub logout_deliveries: u64,
    pub mail: u64,
}

pub struct Pruner<'a> {
    pub store: &'a dyn Retention,
    pub clock: &'a dyn Clock,
    pub settings: &'a RetentionSettings,
}

impl Pruner<'_> {
    pub async fn prune(&self) -> Result<Pruned, StoreError> {
        let now = self.clock.now();
        let batch = self.settings.batch.max(1);
        let days = |d: u64| now.saturating_sub((d as i64).saturating_mul(DAY_SECS));
        let pruned = Pruned {
            refresh_tokens: drain(batch, |b| self.store.prune_refresh_tokens(now, b)).await?,
            audit_events: drain(batch, |b| {
                self.store.prune_audit_events(days(self.settings.audit_days), b)
            })
            .await?,
            logout_deliveries: drain(batch, |b| {
                self.store
                    .prune_logout_deliveries(days(self.settings.logout_notice_days), b)
            })
            .await?,
            mail: drain(batch, |b| {
                self.store.prune_mail(days(self.settings.logout_notice_days), b)
            })
            .await?,
        };
        crate::observability::pruned("refresh_tokens", pruned.refresh_tokens);
        crate::observability::pruned("audit_events", pruned.audit_events);
        crate::observability::pruned("logout_deliveries", pruned.logout_deliveries);
        crate::observability::pruned("mail_outbox", pruned.mail);
        Ok(pruned)
    }

    /// Publishes how many rows each growing table holds (`sesame_table_rows`).
    pub async fn measure(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let rows = self.store.table_rows().await?;
        for (table, count) in &rows {
            crate::observability::table_rows(table, *count);
        }
        Ok(rows)
    }
}

/// Deletes batch after batch until one comes back short; the total.
async fn drain<F, Fut>(batch: u32, mut delete: F) -> Result<u64, StoreError>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let mut total = 0;
    loop {
        let deleted = delete(batch).await?;
        total += deleted;
        if deleted < u64::from(batch) {
            return Ok(total);
        }
        // Let requests in between batches.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
