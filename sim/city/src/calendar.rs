//! The simulated day (its date and the city's UTC offset on it), calendar dates and RFC 3339
//! times as POSIX seconds, for every file that carries a time (GBFS, SensorThings
//! observations, cases, link bins, GeoPackages, Parquet) and the dates replayed records are
//! cut by. Parsing, validation and time-zone rules are jiff's (the system's IANA database).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
        let civil = s.parse::<jiff::civil::Date>().map_err(|_| bad())?;
        Ok(Date {
            year: i32::from(civil.year()),
            month: civil.month() as u32,
            day: civil.day() as u32,
        })
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

/// Seconds since midnight as `HH:MM:SS` (`24:00:00` at the end of the day): the inverse of
/// [`clock_seconds`].
pub fn clock_text(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// `HH:MM` or `HH:MM:SS` as seconds (hours unbounded: a trip list may run past midnight).
pub fn clock_seconds(text: &str) -> Option<u32> {
    let mut parts = text.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m) = (parts.next()??, parts.next()??);
    let s = match parts.next() {
        Some(s) => s?,
        None => 0,
    };
    if parts.next().is_some() || m >= 60 || s >= 60 {
        return None;
    }
    // hours past what seconds in a u32 hold are no time at all (found by fuzzing)
    h.checked_mul(3600)?.checked_add(m * 60 + s)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` as POSIX seconds (fractions dropped). A date the
/// calendar does not have (`2025-02-31`) or a time without its offset is `None`.
pub fn rfc3339_seconds(s: &str) -> Option<i64> {
    // jiff also reads a bracketed zone name after the offset (RFC 9557); RFC 3339 has none
    if s.contains('[') {
        return None;
    }
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// POSIX seconds as `YYYY-MM-DDTHH:MM:SS±HH:MM` at a UTC offset (`Z` at 0), the inverse of
/// [`rfc3339_seconds`].
pub fn rfc3339(unix: i64, utc_offset_s: i32) -> String {
    stamp(unix, utc_offset_s, "Z")
}

/// [`rfc3339`] with an explicit offset, `+00:00` in UTC too: one form for every file a run
/// writes.
pub fn rfc3339_offset(unix: i64, utc_offset_s: i32) -> String {
    stamp(unix, utc_offset_s, "+00:00")
}

/// The local clock with its offset, `utc` at offset 0; built in one string, digit by digit
/// (a run writes one per trip and per link and bin).
fn stamp(unix: i64, utc_offset_s: i32, utc: &str) -> String {
    let local = unix + i64::from(utc_offset_s);
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let date = Date::from_days_since_epoch(days);
    let mut text = String::with_capacity(25);
    if (0..=9999).contains(&date.year) {
        let year = date.year as u32;
        push_two(&mut text, year / 100);
        push_two(&mut text, year % 100);
    } else {
        use fmt::Write;
        // writing to a String cannot fail
        let _ = write!(text, "{:04}", date.year);
    }
    text.push('-');
    push_two(&mut text, date.month);
    text.push('-');
    push_two(&mut text, date.day);
    text.push('T');
    let secs = secs as u32;
    push_two(&mut text, secs / 3600);
    text.push(':');
    push_two(&mut text, secs / 60 % 60);
    text.push(':');
    push_two(&mut text, secs % 60);
    if utc_offset_s == 0 {
        text.push_str(utc);
    } else {
        text.push(if utc_offset_s < 0 { '-' } else { '+' });
        let off = utc_offset_s.unsigned_abs();
        push_two(&mut text, off / 3600);
        text.push(':');
        push_two(&mut text, off / 60 % 60);
    }
    text
}

/// Two digits of `n` (below 100).
fn push_two(text: &mut String, n: u32) {
    text.push(char::from(b'0' + (n / 10 % 10) as u8));
    text.push(char::from(b'0' + (n % 10) as u8));
}

/// The simulated day: its date and the city's offset from UTC on it. Every file a run writes
/// places its times on this one day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimDay {
    pub date: Date,
    /// The city's offset from UTC on that day, seconds (Chengdu: +8 h).
    pub utc_offset_s: i32,
}

/// The date of a scene's day when neither the scene nor the run names one: an ordinary
/// weekday (a Monday), as the demand model's day is.
pub const DEFAULT_DATE: Date = Date {
    year: 2025,
    month: 1,
    day: 6,
};

impl SimDay {
    /// `date` in the IANA time zone `zone` (its offset at that day's noon, summer time
    /// included); in UTC without a zone.
    pub fn in_zone(date: Date, zone: Option<&str>) -> Result<SimDay, String> {
        if !(1970..=2200).contains(&date.year) {
            // feeds and GeoPackages carry Unix times: a year before 1970 is a typing error
            return Err(format!("{date}: expected a date from 1970 to 2200"));
        }
        let Some(zone) = zone else {
            return Ok(SimDay {
                date,
                utc_offset_s: 0,
            });
        };
        check_time_zone(zone)?;
        let tz = jiff::tz::db()
            .get(zone)
            .map_err(|e| format!("time zone `{zone}`: {e}"))?;
        let noon = jiff::civil::Date::new(date.year as i16, date.month as i8, date.day as i8)
            .and_then(|d| d.at(12, 0, 0, 0).to_zoned(tz))
            .map_err(|e| format!("{date} in `{zone}`: {e}"))?;
        Ok(SimDay {
            date,
            utc_offset_s: noon.offset().seconds(),
        })
    }

    /// Unix seconds of the simulated day's midnight.
    pub fn midnight_unix(&self) -> i64 {
        self.date.days_since_epoch() * 86_400 - i64::from(self.utc_offset_s)
    }

    /// Unix seconds of a simulated time (seconds after midnight, past 24:00 into the night).
    pub fn unix(&self, sim_s: u32) -> i64 {
        self.midnight_unix() + i64::from(sim_s)
    }

    /// Simulated seconds of a unix time on this day (24:00 included: a window may end there).
    pub fn sim_seconds(&self, unix: i64) -> Option<u32> {
        let s = unix - self.midnight_unix();
        (0..=86_400).contains(&s).then_some(s as u32)
    }

    /// RFC 3339 with this day's offset (`+00:00` in UTC, never `Z`: an explicit offset is what
    /// SensorThings, Open311 and GBFS readers all take) of a simulated time.
    pub fn iso(&self, sim_s: u32) -> String {
        rfc3339_offset(self.unix(sim_s), self.utc_offset_s)
    }
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
    fn a_day_takes_its_zones_offset_on_that_date() {
        let date = |s: &str| s.parse::<Date>().unwrap();
        let day = SimDay::in_zone(date("2016-12-14"), Some("Asia/Shanghai")).unwrap();
        assert_eq!(day.utc_offset_s, 8 * 3600);
        assert_eq!(day.iso(8 * 3600), "2016-12-14T08:00:00+08:00");
        assert_eq!(day.iso(25 * 3600), "2016-12-15T01:00:00+08:00");
        // summer time: Berlin is +1 h in January, +2 h in July
        let winter = SimDay::in_zone(date("2025-01-06"), Some("Europe/Berlin")).unwrap();
        let summer = SimDay::in_zone(date("2025-07-07"), Some("Europe/Berlin")).unwrap();
        assert_eq!((winter.utc_offset_s, summer.utc_offset_s), (3600, 7200));
        let utc = SimDay::in_zone(date("2025-01-06"), None).unwrap();
        assert_eq!(utc.iso(0), "2025-01-06T00:00:00+00:00");
        assert!(SimDay::in_zone(date("1969-12-31"), None).is_err());
        assert!(SimDay::in_zone(date("2025-01-06"), Some("Mars/Olympus")).is_err());
    }

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

    /// Stamps as jiff writes them, over two centuries of instants and offsets of whole,
    /// half and quarter hours either side of UTC.
    #[test]
    fn stamps_match_jiff() {
        use jiff::tz::{Offset, TimeZone};
        for k in 0..2_000i64 {
            let unix = -2_208_988_800 + k * 3_176_471_093 % 6_400_000_000;
            for off in [
                0,
                8 * 3600,
                -(3 * 3600 + 1800),
                5 * 3600 + 2700,
                -12 * 3600,
                14 * 3600,
            ] {
                let zone = TimeZone::fixed(Offset::from_seconds(off).unwrap());
                let time = jiff::Timestamp::from_second(unix).unwrap().to_zoned(zone);
                let expected = time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
                assert_eq!(rfc3339_offset(unix, off), expected);
            }
        }
    }

    #[test]
    fn clock_times_are_hh_mm_with_optional_seconds() {
        assert_eq!(clock_seconds("08:15"), Some(29_700));
        assert_eq!(clock_seconds("08:15:30"), Some(29_730));
        assert_eq!(clock_seconds("25:00"), Some(90_000));
        assert_eq!(clock_seconds("4294967295:00"), None);
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
        for bad in [
            "2025-13-01T00:00:00Z",
            "2025-02-31T08:00:00+08:00",
            "2025-02-29T08:00:00Z",
            "2025-04-01T00:12:00",
            "2025-04-01T24:12:00Z",
            "2025-04-01T00:12:00+08:00[Asia/Shanghai]",
            "yesterday",
            "",
        ] {
            assert_eq!(rfc3339_seconds(bad), None, "{bad}");
        }
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
