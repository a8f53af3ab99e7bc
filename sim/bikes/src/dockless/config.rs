//! A dockless day's settings and the plain figures it reports.

use crate::alarms::AlarmRules;
use crate::dispatch::DispatchConfig;
use crate::governance::OperatorConfig;
use citytwin_city::BikeId;
use citytwin_city::governance::Rule;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocklessConfig {
    pub fleet: u32,
    pub walk_radius_m: f64,
    pub park_radius_m: f64,
    /// Share of riders who look for a fence at all.
    pub fence_compliance: f64,
    /// Every n-th bike id is on the blacklist (0: none), unless `blacklist` lists them.
    pub blacklist_every: u32,
    /// The blacklisted bikes by id (from a file); when given, `blacklist_every` is unused.
    pub blacklist: Option<Vec<BikeId>>,
    /// Chance that a ride leaves its bike broken (parked where it ends, not rentable, until
    /// a crew takes it to the workshop).
    pub breakdown_per_ride: f64,
    pub watch_radius_m: f64,
    pub alarms: AlarmRules,
    pub dispatch: DispatchConfig,
    /// Near a metro entrance the operators' apps charge a fee for a ride ended outside a
    /// fence: this share of the riders who would not look for a fence look for one there.
    #[serde(default = "default_key_area_enforcement")]
    pub key_area_enforcement: f64,
    /// Per fence, a factor on its share of the fleet at the start of the day (bikes start
    /// in fences in proportion to capacity × factor); empty or missing entries are 1.
    pub start_bias: Vec<f64>,
    /// The operators sharing the fleet and its crews (none: one operator runs it all).
    #[serde(default)]
    pub operators: Vec<OperatorConfig>,
    /// What the city holds them to.
    #[serde(default = "Rule::defaults")]
    pub rules: Vec<Rule>,
    /// Residents of the city, for the fleet cap (0: the cap is not checked).
    #[serde(default)]
    pub residents: f64,
}

/// A model assumption (docs/bikes.md): the fee deters most, not all.
fn default_key_area_enforcement() -> f64 {
    0.9
}

impl DocklessConfig {
    /// The operators, or the sole one of a scene that names none.
    pub fn operators(&self) -> Vec<OperatorConfig> {
        if self.operators.is_empty() {
            vec![OperatorConfig::sole()]
        } else {
            self.operators.clone()
        }
    }
}

impl Default for DocklessConfig {
    fn default() -> Self {
        DocklessConfig {
            fleet: 3000,
            walk_radius_m: 300.0,
            park_radius_m: 150.0,
            fence_compliance: 0.85,
            blacklist_every: 100,
            blacklist: None,
            breakdown_per_ride: 0.002,
            watch_radius_m: 50.0,
            alarms: AlarmRules::default(),
            dispatch: DispatchConfig::default(),
            start_bias: Vec::new(),
            key_area_enforcement: default_key_area_enforcement(),
            operators: Vec::new(),
            rules: Rule::defaults(),
            residents: 0.0,
        }
    }
}

/// The `bikes.` block of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BikeSummary {
    pub fleet: u32,
    pub fences: u32,
    pub trips: u64,
    pub unmet_demand: u64,
    pub overflow_alarms: u64,
    pub empty_alarms: u64,
    pub illegal_parking: u64,
    pub blacklist_alarms: u64,
    pub overflow_minutes: u64,
    pub empty_minutes: u64,
    /// Rebalancing tasks opened by alarms, and those done.
    pub tasks: u64,
    pub tasks_done: u64,
    /// From an alarm to its crew's arrival, over the tasks done.
    pub mean_response_s: f64,
    pub truck_km: f64,
    pub bikes_moved: u64,
    /// Rides that left their bike broken, and broken bikes crews took to the workshop.
    pub breakdowns: u64,
    pub repairs_collected: u64,
    /// Monitoring points' illegal-parking alarms, and blacklisted bikes crews impounded.
    pub illegal_parking_alarms: u64,
    pub impounded: u64,
    /// Rides that ended (parked) in the day.
    #[serde(default)]
    pub rides_ended: u64,
    /// Wishes that found no bike within reach: unmet / (rides + unmet).
    #[serde(default)]
    pub unmet_share: f64,
    /// Share of the ended rides whose bike was left inside a fence.
    #[serde(default)]
    pub parking_compliance: f64,
}

/// Where a bike is: each bike is in exactly one of these at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BikeState {
    /// Parked inside a fence, rentable.
    InFence,
    /// Parked outside every fence, rentable.
    Outside,
    Riding,
    /// On a crew's truck, to be unloaded at a fence.
    InTruck,
    /// Broken: left where its last ride ended, or taken to the workshop; not rentable.
    Broken,
    /// Blacklisted and taken off the street by a crew.
    Impounded,
}

/// How many bikes are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetStates {
    pub in_fence: u32,
    pub outside: u32,
    pub riding: u32,
    pub in_truck: u32,
    pub broken: u32,
    pub impounded: u32,
}

impl FleetStates {
    pub fn total(&self) -> u32 {
        self.in_fence + self.outside + self.riding + self.in_truck + self.broken + self.impounded
    }
}

/// Each fence's bikes and open alarms at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FenceSample {
    pub at_s: u32,
    pub counts: Vec<u32>,
    pub overflow_open: Vec<bool>,
    pub empty_open: Vec<bool>,
    pub illegal_parking_open: Vec<bool>,
}
