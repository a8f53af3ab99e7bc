//! What the vital signs are computed from: readings of links, fences, stations, cases and
//! sensors, gathered for one update.

use super::*;

/// Where one piece of evidence lies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub district: Option<DistrictId>,
    pub cell: Option<CellRef>,
}

impl Place {
    pub(super) fn scopes(&self) -> impl Iterator<Item = Scope> {
        [
            Some(Scope::City),
            self.district.map(Scope::District),
            self.cell.map(Scope::Cell),
        ]
        .into_iter()
        .flatten()
    }
}

/// A loaded car link now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkReading {
    pub place: Place,
    pub vehicles: u32,
    pub length_m: f64,
    pub speed_kmh: f64,
    /// Current over free-flow speed.
    pub speed_ratio: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FenceReading {
    pub place: Place,
    pub bikes: u32,
    pub capacity: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StationReading {
    pub place: Place,
    pub air: HourlyConcentrations,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseReading {
    pub place: Place,
    pub open: bool,
    /// Whether it met its SLA, once disposed.
    pub sla_met: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensorReading {
    pub place: Place,
    pub datastream: DatastreamId,
    pub value: f64,
    pub thresholds: Thresholds,
}

/// Everything the vital signs are computed from, at one moment.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub at_s: u32,
    pub links: Vec<LinkReading>,
    pub fences: Vec<FenceReading>,
    pub stations: Vec<StationReading>,
    pub cases: Vec<CaseReading>,
    pub readings: Vec<SensorReading>,
    /// The operators' governance score now (with shared bikes).
    pub governance_score: Option<f64>,
}
