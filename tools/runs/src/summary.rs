//! summary.json as a type: what a run reports, block by block. The file is its serialisation
//! (keys in name order); comparisons and sweeps read the figures from it.

use citytwin_bikes::{BikeSummary, GovernanceReport};
use citytwin_live::twin::LiveFacts;
use citytwin_sim::ops::{CasesSummary, QualitySummary, VitalsSummary};
use citytwin_traffic::demand::ActivitySources;
use citytwin_traffic::dynamic::TrafficSummary;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub traffic: TrafficBlock,
    pub demand: DemandBlock,
    pub run: RunBlock,
    /// The city of a scene's run (none on a SUMO network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<CityBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bikes: Option<BikeSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub governance: Option<GovernanceReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensors: Option<SensorsBlock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vitals: Option<VitalsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualitySummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cases: Option<CasesSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveFacts>,
}

/// The day's traffic, and with an equilibrium how it settled.
#[derive(Clone, Debug, Serialize)]
pub struct TrafficBlock {
    #[serde(flatten)]
    pub day: TrafficSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equilibrium_days: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equilibrium_gap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equilibrium_target_gap: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equilibrium_reached: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DemandBlock {
    /// "synthetic", "od", "trip_list" or "sumo_trips".
    pub source: &'static str,
    pub file: Option<String>,
    /// Trips departing in the window.
    pub trips: usize,
    /// What the synthetic day was made of.
    #[serde(flatten)]
    pub synthetic: Option<SyntheticBlock>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SyntheticBlock {
    pub external_trips: usize,
    pub resident_trips: usize,
    pub external_stations: u64,
    pub residents: f64,
    pub jobs: f64,
    pub estimate: ActivitySources,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunBlock {
    /// The scene (or SUMO network) file.
    pub scene: Option<String>,
    pub scenario: Option<ScenarioBlock>,
    pub seed: u64,
    pub date: String,
    pub utc_offset_s: i32,
    pub from_s: u32,
    pub to_s: u32,
    pub sim_seconds: u32,
    pub wall_seconds: f64,
    pub interrupted: bool,
    pub model_bytes: usize,
    pub model_bytes_per_trip: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioBlock {
    pub file: String,
    pub name: String,
    pub edits: usize,
    pub changes: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct CityBlock {
    pub name: String,
    pub area_km2: f64,
    /// False where the day ran on the model's defaults, fitted to no city: its congestion is
    /// the model's rather than the city's (docs/demand.md).
    pub fitted: bool,
    /// The fitted model's parameters file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SensorsBlock {
    pub things: u32,
    pub datastreams: u32,
}

impl RunSummary {
    /// Every numeric figure by its dotted name (`traffic.mean_speed_kmh`, booleans as 0/1),
    /// as comparisons and sweeps tabulate them.
    pub fn figures(&self) -> BTreeMap<String, f64> {
        serde_json::to_value(self)
            .map(|v| crate::compare::kpis(&v))
            .unwrap_or_default()
    }

    /// summary.json's text.
    pub fn to_json(&self) -> serde_json::Result<String> {
        // through a Value: its map keeps keys in name order, as the file always had them
        Ok(serde_json::to_string_pretty(&serde_json::to_value(self)?)? + "\n")
    }
}
