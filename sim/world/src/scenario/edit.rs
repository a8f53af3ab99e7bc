//! Edits as a planner writes them in a scenario file: what to change, by name or id, and the
//! new value. Resolving one against the city (`resolve.rs`) turns it into `Change`s that also
//! hold the old value.

use citytwin_bikes::{FenceSite, Rebalancing};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time of day, written "HH:MM" (up to "24:00").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(pub u32);

impl Clock {
    pub fn parse(text: &str) -> Option<Clock> {
        let (h, m) = text.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        // checked before multiplying: a huge hour must not overflow (found by fuzzing)
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then(|| Clock(h * 3600 + m * 60))
    }
}

impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 / 60 % 60)
    }
}

impl Serialize for Clock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Clock, D::Error> {
        let text = String::deserialize(d)?;
        Clock::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a time of day \"HH:MM\" (00:00 to 24:00), found {text:?}"
            ))
        })
    }
}

/// Which road an edit is about. Every car link of the match is edited (both directions of a
/// two-way street).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RoadRef {
    /// An OSM way, by id.
    Way(i64),
    /// One directed link of the city's road graph, by id (`citytwin route` and traffic.gpkg
    /// show them).
    Link(u32),
    /// Every link carrying this street name (the OSM `name`).
    Name(String),
    /// Every link whose middle lies inside this polygon of (lon, lat) corners.
    Area(Vec<(f64, f64)>),
}

/// Which fences an edit is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FenceSelector {
    /// Every fence serving this kind of site.
    Site(FenceSite),
    /// These fences, by name (or `#N`).
    Named(Vec<String>),
}

/// One change a scenario makes, in the words of its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Edit {
    /// Closes a road to cars from `from` (default: the start of the day) to `to` (default:
    /// never re-opened); trips routed through it re-route.
    CloseRoad {
        road: RoadRef,
        #[serde(default)]
        from: Option<Clock>,
        #[serde(default)]
        to: Option<Clock>,
    },
    /// Re-opens at `at` a road the scenario closed earlier.
    ReopenRoad {
        road: RoadRef,
        at: Clock,
    },
    /// New lanes, speed limit or capacity for the whole day. Without a new capacity, a change
    /// of lanes changes capacity in proportion.
    ChangeRoad {
        road: RoadRef,
        #[serde(default)]
        lanes: Option<u8>,
        #[serde(default)]
        speed_kmh: Option<f32>,
        #[serde(default)]
        capacity_vph: Option<f32>,
    },
    /// An incident: only `lanes_open` lanes (0: closed) from `at` for `minutes`.
    Incident {
        road: RoadRef,
        at: Clock,
        minutes: u32,
        #[serde(default)]
        lanes_open: u8,
    },
    /// Multiplies car demand: all trips, those departing in [from, to), and/or those starting
    /// or ending in a district.
    ScaleDemand {
        factor: f64,
        #[serde(default)]
        from: Option<Clock>,
        #[serde(default)]
        to: Option<Clock>,
        #[serde(default)]
        district: Option<String>,
    },
    /// A new fence painted along the street nearest to (lon, lat), sized as fences of its
    /// kind are; its capacity from its area unless given.
    AddFence {
        name: String,
        lon: f64,
        lat: f64,
        site: FenceSite,
        #[serde(default)]
        capacity: Option<u32>,
    },
    RemoveFence {
        fence: String,
    },
    ResizeFence {
        fence: String,
        capacity: u32,
    },
    /// Moves a fence, unchanged in shape, so that its centre is at (lon, lat).
    MoveFence {
        fence: String,
        lon: f64,
        lat: f64,
    },
    /// Bikes in the fleet (where they start is unchanged).
    Fleet {
        bikes: u32,
    },
    /// Multiplies the bikes that start the day in these fences, adding them to the fleet
    /// (factor 1.3: 30% more bikes there, the same everywhere else).
    ScaleBikesAt {
        fences: FenceSelector,
        factor: f64,
    },
    /// Rebalancing crews: all day, or on duty in a window (`from`–`to`: "double the crews at
    /// the evening peak").
    Crews {
        crews: u32,
        #[serde(default)]
        truck_capacity: Option<u32>,
        #[serde(default)]
        from: Option<Clock>,
        #[serde(default)]
        to: Option<Clock>,
    },
    Rebalancing {
        strategy: Rebalancing,
    },
    /// Bike alarm rules; fields left out keep their values.
    BikeAlarms {
        #[serde(default)]
        overflow_ratio: Option<f64>,
        #[serde(default)]
        overflow_minutes: Option<u32>,
        #[serde(default)]
        empty_minutes: Option<u32>,
        #[serde(default)]
        clear_minutes: Option<u32>,
    },
    /// A governance rule the operators are held to (scene `rules:`), replacing the scene's
    /// rule of the same kind: `Rule(FleetCap(per_mille: 3.0))`.
    Rule(citytwin_city::governance::Rule),
    /// A vital sign's green/amber/red thresholds (ops.ron `vitals:`), by its key in
    /// vitals.csv: a reading is red at or past `red` (for indicators better high, such as
    /// speed, `red < amber`).
    VitalThresholds {
        indicator: String,
        amber: f64,
        red: f64,
    },
    /// The air-quality stations replay this day of their record (`YYYY-MM-DD`), e.g. a smog
    /// day; needs the scene's ops file.
    AirQualityDay {
        date: String,
    },
}

impl Edit {
    /// The edit's kind, as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Edit::CloseRoad { .. } => "CloseRoad",
            Edit::ReopenRoad { .. } => "ReopenRoad",
            Edit::ChangeRoad { .. } => "ChangeRoad",
            Edit::Incident { .. } => "Incident",
            Edit::ScaleDemand { .. } => "ScaleDemand",
            Edit::AddFence { .. } => "AddFence",
            Edit::RemoveFence { .. } => "RemoveFence",
            Edit::ResizeFence { .. } => "ResizeFence",
            Edit::MoveFence { .. } => "MoveFence",
            Edit::Fleet { .. } => "Fleet",
            Edit::ScaleBikesAt { .. } => "ScaleBikesAt",
            Edit::Crews { .. } => "Crews",
            Edit::Rebalancing { .. } => "Rebalancing",
            Edit::BikeAlarms { .. } => "BikeAlarms",
            Edit::Rule(_) => "Rule",
            Edit::VitalThresholds { .. } => "VitalThresholds",
            Edit::AirQualityDay { .. } => "AirQualityDay",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_and_write_as_hh_mm() {
        assert_eq!(Clock::parse("07:30"), Some(Clock(27_000)));
        assert_eq!(Clock::parse("24:00"), Some(Clock(86_400)));
        assert_eq!(Clock::parse("24:01"), None);
        assert_eq!(Clock::parse("4294967295:00"), None);
        assert_eq!(Clock::parse("7h"), None);
        assert_eq!(Clock(27_000).to_string(), "07:30");
    }

    #[test]
    fn a_misspelt_field_inside_an_edit_is_refused_not_ignored() {
        let read = |text: &str| citytwin_city::ron_file::from_str::<Vec<Edit>>(text);
        for (text, wrong) in [
            (
                r#"[ScaleDemand(factor: 2.0, distrct: "Chenghua")]"#,
                "distrct",
            ),
            (r#"[CloseRoad(road: Way(1), form: "07:00")]"#, "form"),
            (r#"[Crews(crews: 8, form: "17:00")]"#, "form"),
            (r#"[Rule(FleetCap(per_mile: 3.0))]"#, "per_mile"),
        ] {
            let err = read(text).expect_err(text).to_string();
            assert!(err.contains(wrong), "{text}: {err}");
        }
        let ok = read(r#"[Rule(FleetCap(per_mille: 3.0)), Crews(crews: 8, from: "17:00")]"#);
        assert_eq!(ok.expect("valid").len(), 2);
    }
}
