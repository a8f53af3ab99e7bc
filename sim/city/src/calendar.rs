//! Calendar dates and RFC 3339 times as POSIX seconds, for the feeds that carry them (GBFS,
//! SensorThings observations) and the dates replayed records are cut by. Proleptic
//! Gregorian, no time-zone database: offsets are as written.

use std::fmt;
use std::str::FromStr;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }

    pub fn from_days_since_epoch(days: i64) -> Date {
        let (y, m, d) = civil_from_days(days);
        Date {
            year: y as i32,
            month: m as u32,
            day: d as u32,
        }
    }

    pub fn previous(self) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() - 1)
    }
}

/// `YYYY-MM-DD`, with exactly those digits, a month 01–12 and a day that month has.
impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date as YYYY-MM-DD");
        let parts: Vec<&str> = s.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return Err(bad());
        }
        let date = Date {
            year: y.parse().map_err(|_| bad())?,
            month: m.parse().map_err(|_| bad())?,
            day: d.parse().map_err(|_| bad())?,
        };
        // a day past the month's end comes back as another date
        let valid = (1..=12).contains(&date.month)
            && date.day >= 1
            && Date::from_days_since_epoch(date.days_since_epoch()) == date;
        valid.then_some(date).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01 (the inverse of the above).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `HH:MM` or `HH:MM:SS` as seconds (hours unbounded: a trip list may run past midnight).
pub fn clock_seconds(text: &str) -> Option<u32> {
    let mut parts = text.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m) = (parts.next()??, parts.next()??);
    let s = match parts.next() {
        Some(s) => s?,
        None => 0,
    };
    (parts.next().is_none() && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` as POSIX seconds.
pub fn rfc3339_seconds(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(zone_at);
    let mut c = clock.split(':');
    let (h, mi) = (
        c.next()?.parse::<i64>().ok()?,
        c.next()?.parse::<i64>().ok()?,
    );
    let sec = c.next()?.split('.').next()?.parse::<i64>().ok()?;
    let offset = match zone.as_bytes().first()? {
        b'Z' | b'z' => 0,
        sign => {
            let (oh, om) = zone[1..].split_once(':')?;
            let o = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
            if *sign == b'-' { -o } else { o }
        }
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, m, day) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// POSIX seconds as `YYYY-MM-DDTHH:MM:SS±HH:MM` at a UTC offset (`Z` at 0), the inverse of
/// [`rfc3339_seconds`].
pub fn rfc3339(unix: i64, utc_offset_s: i32) -> String {
    let local = unix + i64::from(utc_offset_s);
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let date = Date::from_days_since_epoch(days);
    let clock = format!(
        "{date}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if utc_offset_s == 0 {
        return clock + "Z";
    }
    let sign = if utc_offset_s < 0 { '-' } else { '+' };
    let off = utc_offset_s.abs();
    format!("{clock}{sign}{:02}:{:02}", off / 3600, off / 60 % 60)
}

/// Where Debian's `tzdata` package keeps the IANA time zone database.
pub const ZONEINFO_DIR: &str = "/usr/share/zoneinfo";

/// Checks that `name` is an IANA time zone (`Asia/Shanghai`, `Etc/UTC`): written as the
/// database writes its names and present in the system's database (a TZif file). Feeds
/// publish the name (GBFS `system_information.timezone`) and their readers look it up, so
/// `Mars/Olympus` or `UTC+8` would make a feed that fails the GBFS schema.
///
/// ```
/// assert!(citytwin_city::calendar::check_time_zone("Asia/Shanghai").is_ok());
/// assert!(citytwin_city::calendar::check_time_zone("Mars/Olympus").is_err());
/// ```
pub fn check_time_zone(name: &str) -> Result<(), String> {
    let written_as_iana = !name.is_empty()
        && name.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        });
    if !written_as_iana {
        return Err(format!(
            "`{name}` is not written as an IANA time zone (Area/Location, e.g. Asia/Shanghai)"
        ));
    }
    let dir = std::path::Path::new(ZONEINFO_DIR);
    if !dir.is_dir() {
        return Err(format!(
            "no time zone database at {ZONEINFO_DIR} to check `{name}` against (install tzdata)"
        ));
    }
    let mut magic = [0u8; 4];
    let is_zone = std::fs::File::open(dir.join(name))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"TZif");
    if is_zone {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a time zone of the IANA database ({ZONEINFO_DIR})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_must_be_iana_names_of_the_database() {
        for ok in [
            "Asia/Shanghai",
            "Etc/UTC",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT-8",
        ] {
            assert_eq!(check_time_zone(ok), Ok(()), "{ok}");
        }
        for bad in [
            "Mars/Olympus",
            "UTC+8",
            "",
            "../../etc/passwd",
            "Asia",
            "asia/shanghai ",
        ] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_round_trips() {
        for (unix, off) in [
            (0, 0),
            (1_743_466_320, 8 * 3600),
            (-86_401, -5 * 3600 - 1800),
        ] {
            let text = rfc3339(unix, off);
            assert_eq!(rfc3339_seconds(&text), Some(unix), "{text}");
        }
        assert_eq!(rfc3339(1_743_466_320, 0), "2025-04-01T00:12:00Z");
        assert_eq!(
            rfc3339(1_743_466_320, 8 * 3600),
            "2025-04-01T08:12:00+08:00"
        );
    }

    #[test]
    fn clock_times_are_hh_mm_with_optional_seconds() {
        assert_eq!(clock_seconds("08:15"), Some(29_700));
        assert_eq!(clock_seconds("08:15:30"), Some(29_730));
        assert_eq!(clock_seconds("25:00"), Some(90_000));
        for bad in [
            "08",
            "08:60",
            "08:15:60",
            "08:15:00:00",
            "8h15",
            ":15",
            "08:",
        ] {
            assert_eq!(clock_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_times_match_posix_seconds() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_seconds("2025-04-01T00:12:00Z"), Some(1_743_466_320));
        assert_eq!(
            rfc3339_seconds("2025-04-01T02:12:00+02:00"),
            Some(1_743_466_320)
        );
        assert_eq!(
            rfc3339_seconds("2025-04-01T00:12:00.250Z"),
            Some(1_743_466_320)
        );
        assert_eq!(rfc3339_seconds("2025-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339_seconds("yesterday"), None);
    }

    #[test]
    fn dates_parse_strictly_and_step_back_over_month_and_leap_ends() {
        let date = |s: &str| s.parse::<Date>();
        assert_eq!(
            date("2016-03-01")
                .map(Date::previous)
                .map(|d| d.to_string()),
            Ok("2016-02-29".into())
        );
        assert_eq!(
            date("2017-01-01")
                .map(Date::previous)
                .map(|d| d.to_string()),
            Ok("2016-12-31".into())
        );
        for bad in [
            "2016-13-01",
            "2016-02-30",
            "2016-3-01",
            "16-03-01",
            "2016-03-01x",
            "today",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
        let d = Date {
            year: 2016,
            month: 12,
            day: 18,
        };
        assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d);
    }
}
