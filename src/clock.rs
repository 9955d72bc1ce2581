//! Time as an injected dependency, so lifetimes can be tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> UnixTime;
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that starts at the real time and moves only when told to.
#[derive(Debug)]
pub struct MockClock(AtomicI64);

impl MockClock {
    pub fn new() -> Arc<MockClock> {
        Arc::new(MockClock(AtomicI64::new(SystemClock.now())))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for MockClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

/// Unix seconds as ISO 8601 in UTC: `2026-12-04T13:26:24Z` (for operators:
/// the CLI and the admin console).
pub fn iso8601(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The instant an operator names: `2026-12-04` (its midnight, UTC),
/// `2026-12-04T13:26` or `2026-12-04T13:26:24Z` (UTC), or Unix seconds.
pub fn parse_instant(text: &str) -> Option<UnixTime> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let time = time.strip_suffix('Z').unwrap_or(time);
    let mut seconds = 0;
    if !time.is_empty() {
        let fields: Vec<&str> = time.split(':').collect();
        if !(2..=3).contains(&fields.len()) {
            return None;
        }
        let limits = [24, 60, 60];
        for (field, limit) in fields.iter().zip(limits) {
            let value: i64 = field.parse().ok()?;
            if !(0..limit).contains(&value) {
                return None;
            }
            seconds = seconds * 60 + value;
        }
        if fields.len() == 2 {
            seconds *= 60;
        }
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_back_what_iso8601_writes() {
        for epoch in [0, 951_782_400, 1_796_390_784, 4_107_542_399, -86_400] {
            assert_eq!(parse_instant(&iso8601(epoch)), Some(epoch), "{}", iso8601(epoch));
        }
        assert_eq!(parse_instant("2026-12-04"), parse_instant("2026-12-04T00:00:00Z"));
        assert_eq!(parse_instant("2026-12-04T13:26"), parse_instant("2026-12-04T13:26:00Z"));
        assert_eq!(parse_instant("1796390784"), Some(1_796_390_784));
        for bad in [
            "",
            "2026-13-01",
            "2026-12-04T25:00",
            "2026-12-04T10",
            "yesterday",
            "2026-12-04T1:2:3:4",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }
}
