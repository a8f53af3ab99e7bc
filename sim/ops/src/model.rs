//! The sensor layer, after the OGC SensorThings API data model: a `Thing` (a station or a
//! device) has a `Location` and `Datastream`s; each datastream is one `ObservedProperty`
//! measured by one `Sensor` in one unit, and holds `Observation`s (a phenomenon time and a
//! numeric result). Only numeric results are modelled: every feed here is a measurement.

use crate::catalog::Quantity;
use citytwin_city::grid::CellRef;
use citytwin_city::{DatastreamId, DistrictId, ThingId};
use geo::Point;
use serde::{Deserialize, Serialize};

/// A station or device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thing {
    pub id: ThingId,
    pub name: String,
    pub description: String,
    pub location: Location,
    pub datastreams: Vec<DatastreamId>,
}

/// Where a thing is: as published (WGS84) and in the city's CRS, with its grid cell and
/// district, which the vital signs aggregate by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    pub point: Point<f64>,
    pub cell: Option<CellRef>,
    pub district: Option<DistrictId>,
}

/// How the observations of a datastream reach the World.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Sampled from the simulation.
    Virtual,
    /// A real, recorded time series played back in simulated time; `origin` names it.
    Replay { origin: String },
    /// Published live to the MQTT broker.
    Live,
}

/// The device that measures (SensorThings `Sensor`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sensor {
    pub name: String,
    /// What kind of device: "loop detector", "bike counter", "air-quality analyser"...
    pub description: String,
}

/// Green/amber/red levels of a reading. `amber` and `red` are the values where each level
/// starts; a reading that is better when high (speed) has `amber > red`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub amber: f64,
    pub red: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    Green,
    Amber,
    Red,
}

impl Thresholds {
    pub fn level(&self, value: f64) -> Level {
        let worse_when_high = self.red >= self.amber;
        let past = |limit: f64| {
            if worse_when_high {
                value >= limit
            } else {
                value <= limit
            }
        };
        if past(self.red) {
            Level::Red
        } else if past(self.amber) {
            Level::Amber
        } else {
            Level::Green
        }
    }
}

/// One quantity of one thing over time: a feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Datastream {
    pub id: DatastreamId,
    pub name: String,
    pub thing: ThingId,
    pub sensor: Sensor,
    pub quantity: Quantity,
    pub source: Source,
    /// How often an observation is expected; data quality measures against it.
    pub interval_s: u32,
    /// Alarm levels for this sensor's own reading, if it has any.
    pub thresholds: Option<Thresholds>,
}

/// One measurement. Times are simulated seconds after the midnight that starts the run's day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub datastream: DatastreamId,
    pub phenomenon_s: u32,
    pub result: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_work_both_ways() {
        let pm = Thresholds {
            amber: 75.0,
            red: 150.0,
        };
        assert_eq!(pm.level(10.0), Level::Green);
        assert_eq!(pm.level(75.0), Level::Amber);
        assert_eq!(pm.level(151.0), Level::Red);
        let speed = Thresholds {
            amber: 30.0,
            red: 15.0,
        };
        assert_eq!(speed.level(45.0), Level::Green);
        assert_eq!(speed.level(25.0), Level::Amber);
        assert_eq!(speed.level(15.0), Level::Red);
    }
}
