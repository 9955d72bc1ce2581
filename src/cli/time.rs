//! Times as operators read them in tables: ISO 8601 in UTC, with how long
//! ago (or how soon). `--json` keeps Unix seconds, for scripts.

/// `2026-12-04T13:26:24Z`.
pub fn iso(epoch: i64) -> String {
    crate::clock::iso8601(epoch)
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
