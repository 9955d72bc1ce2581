//! Times as operators read them in tables: ISO 8601 in UTC, with how long
//! ago (or how soon). `--json` keeps Unix seconds, for scripts.

/// `2026-12-04T13:26:24Z`.
pub fn iso(epoch: i64) -> String {
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

/// `2026-12-04T13:26:24Z (3 min ago)`, or `… (in 2 h)` for a time to come.
pub fn when(epoch: i64, now: i64) -> String {
    let delta = now - epoch;
    let span = |secs: i64| match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86_399 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    };
    let relative = if delta >= 0 {
        format!("{} ago", span(delta))
    } else {
        format!("in {}", span(-delta))
    };
    format!("{} ({relative})", iso(epoch))
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
    fn times_read_as_iso_8601_with_how_long_ago() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_796_390_784), "2026-12-04T13:26:24Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(when(1000, 1180), "1970-01-01T00:16:40Z (3 min ago)");
        assert_eq!(when(1000 + 7200, 1000), "1970-01-01T02:16:40Z (in 2 h)");
    }
}
