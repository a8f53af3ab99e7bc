//! The live-feed wire format, after the SensorThings MQTT extension: an observation is
//! published to `<prefix>/v1.1/Datastreams(<id>)/Observations` with the JSON body
//!
//! ```json
//! {"phenomenonTime": "2026-11-22T08:15:00+08:00", "result": 41.5}
//! ```
//!
//! `phenomenonTime` is ISO 8601 with a `Z` or `±hh:mm` offset (fractional seconds allowed);
//! it is placed on the simulated day by the run's date and UTC offset. Anything else in the
//! body is ignored, as SensorThings clients may send more (`resultTime`, `parameters`).

use crate::model::Observation;
use crate::replay::Date;
use citytwin_city::DatastreamId;
use serde::Deserialize;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    #[error("topic `{0}`: expected .../v1.1/Datastreams(<id>)/Observations")]
    Topic(String),
    #[error("body is not an observation: {0}")]
    Body(String),
    #[error("phenomenonTime `{0}`: expected ISO 8601 like 2026-11-22T08:15:00+08:00")]
    Time(String),
    #[error("phenomenonTime `{0}` is not on the simulated day")]
    OtherDay(String),
}

/// Seconds since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's method).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of an ISO 8601 date-time with an offset.
pub fn parse_datetime(s: &str) -> Result<i64, WireError> {
    let bad = || WireError::Time(s.to_string());
    let (date, rest) = s.split_once('T').ok_or_else(bad)?;
    let date: Date = date.parse().map_err(|_| bad())?;
    let (clock, offset_s) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-']).ok_or_else(bad)?;
        let (c, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':').ok_or_else(bad)?;
        let h: i64 = h.parse().map_err(|_| bad())?;
        let m: i64 = m.parse().map_err(|_| bad())?;
        (c, sign * (h * 3600 + m * 60))
    };
    let mut parts = clock.split(':');
    let mut next = || -> Result<f64, WireError> {
        parts
            .next()
            .ok_or_else(bad)?
            .parse::<f64>()
            .map_err(|_| bad())
    };
    let (h, m, sec) = (next()?, next()?, next()?);
    if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..61.0).contains(&sec) {
        return Err(bad());
    }
    let days = days_from_civil(
        i64::from(date.year),
        i64::from(date.month),
        i64::from(date.day),
    );
    Ok(days * 86_400 + (h as i64) * 3600 + (m as i64) * 60 + sec.floor() as i64 - offset_s)
}

/// The simulated day live observations are placed on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimDay {
    pub date: Date,
    /// The city's offset from UTC, seconds (Chengdu: +8 h).
    pub utc_offset_s: i32,
}

impl SimDay {
    /// Unix seconds of the simulated day's midnight.
    pub fn midnight_unix(&self) -> i64 {
        days_from_civil(
            i64::from(self.date.year),
            i64::from(self.date.month),
            i64::from(self.date.day),
        ) * 86_400
            - i64::from(self.utc_offset_s)
    }

    /// Simulated seconds of a unix time on this day.
    pub fn sim_seconds(&self, unix: i64) -> Option<u32> {
        let s = unix - self.midnight_unix();
        (0..86_400 * 2).contains(&s).then_some(s as u32)
    }

    /// ISO 8601 (with this day's offset) of a simulated time.
    pub fn iso(&self, sim_s: u32) -> String {
        let local = self.midnight_unix() + i64::from(sim_s) + i64::from(self.utc_offset_s);
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let off = self.utc_offset_s;
        let sign = if off < 0 { '-' } else { '+' };
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off.abs() / 3600,
            off.abs() / 60 % 60
        )
    }
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
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

/// The datastream a topic publishes to.
pub fn datastream_of(topic: &str) -> Result<DatastreamId, WireError> {
    let bad = || WireError::Topic(topic.to_string());
    let rest = topic.strip_suffix(")/Observations").ok_or_else(bad)?;
    let at = rest.rfind("/v1.1/Datastreams(").ok_or_else(bad)?;
    let id = &rest[at + "/v1.1/Datastreams(".len()..];
    id.parse().map(DatastreamId).map_err(|_| bad())
}

/// The topic of a datastream under a prefix.
pub fn topic(prefix: &str, ds: DatastreamId) -> String {
    format!("{prefix}/v1.1/Datastreams({})/Observations", ds.0)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    phenomenon_time: String,
    result: f64,
}

/// Decodes one message; every way it can be wrong is an error, never a panic.
pub fn decode(topic: &str, payload: &[u8], day: &SimDay) -> Result<Observation, WireError> {
    let datastream = datastream_of(topic)?;
    let body: Body = serde_json::from_slice(payload).map_err(|e| WireError::Body(e.to_string()))?;
    let unix = parse_datetime(&body.phenomenon_time)?;
    let phenomenon_s = day
        .sim_seconds(unix)
        .ok_or_else(|| WireError::OtherDay(body.phenomenon_time.clone()))?;
    Ok(Observation {
        datastream,
        phenomenon_s,
        result: body.result,
    })
}

/// Encodes an observation as its topic's body.
pub fn encode(obs: &Observation, day: &SimDay) -> Vec<u8> {
    serde_json::json!({
        "phenomenonTime": day.iso(obs.phenomenon_s),
        "result": obs.result,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: SimDay = SimDay {
        date: Date {
            year: 2026,
            month: 11,
            day: 22,
        },
        utc_offset_s: 8 * 3600,
    };

    #[test]
    fn observations_round_trip_through_topic_and_body() {
        let obs = Observation {
            datastream: DatastreamId(42),
            phenomenon_s: 8 * 3600 + 15 * 60,
            result: 41.5,
        };
        let t = topic("citytwin/chengdu", obs.datastream);
        assert_eq!(t, "citytwin/chengdu/v1.1/Datastreams(42)/Observations");
        let body = encode(&obs, &DAY);
        assert_eq!(
            String::from_utf8_lossy(&body),
            r#"{"phenomenonTime":"2026-11-22T08:15:00+08:00","result":41.5}"#
        );
        assert_eq!(decode(&t, &body, &DAY), Ok(obs));
        // the same instant in UTC, with fractions and extra fields
        let utc =
            br#"{"phenomenonTime":"2026-11-22T00:15:00.250Z","result":41.5,"resultTime":"x"}"#;
        assert_eq!(decode(&t, utc, &DAY), Ok(obs));
    }

    #[test]
    fn malformed_messages_are_errors() {
        let t = topic("p", DatastreamId(1));
        assert!(matches!(
            decode("p/v1.1/Things(1)/Observations", b"{}", &DAY),
            Err(WireError::Topic(_))
        ));
        assert!(matches!(
            decode(&t, b"not json", &DAY),
            Err(WireError::Body(_))
        ));
        assert!(matches!(
            decode(
                &t,
                br#"{"phenomenonTime":"2026-11-22T08:00:00+08:00","result":"high"}"#,
                &DAY
            ),
            Err(WireError::Body(_))
        ));
        assert!(matches!(
            decode(&t, br#"{"phenomenonTime":"yesterday","result":1}"#, &DAY),
            Err(WireError::Time(_))
        ));
        assert!(matches!(
            decode(
                &t,
                br#"{"phenomenonTime":"2026-11-20T08:00:00+08:00","result":1}"#,
                &DAY
            ),
            Err(WireError::OtherDay(_))
        ));
    }
}
