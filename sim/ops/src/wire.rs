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
use citytwin_city::DatastreamId;
use citytwin_city::calendar::rfc3339_seconds;
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

/// The simulated day live observations are placed on (the scene's, [`SimDay`]).
pub use citytwin_city::calendar::SimDay;

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
    let unix = rfc3339_seconds(&body.phenomenon_time)
        .ok_or_else(|| WireError::Time(body.phenomenon_time.clone()))?;
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
    use citytwin_city::calendar::Date;

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
        // a date the calendar lacks is refused, not rolled into the next month
        assert!(matches!(
            decode(
                &t,
                br#"{"phenomenonTime":"2026-02-31T08:00:00+08:00","result":1}"#,
                &DAY
            ),
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
