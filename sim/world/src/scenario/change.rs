//! Resolved edits: each holds the old and the new value, so that applying and undoing it
//! leaves the run's inputs exactly as they were (A/B Street's edit commands).

use super::inputs::{BikeInputs, DemandScale, RunInputs};
use citytwin_bikes::{AlarmRules, DispatchConfig, FenceError, PlannedFence};
use citytwin_city::FenceId;
use citytwin_city::calendar::Date;
use citytwin_city::governance::Rule;
use citytwin_ops::Thresholds;
use citytwin_traffic::dynamic::LinkEvent;
use geo::Polygon;

/// The attributes of a link a scenario may change for the whole day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoadAttrs {
    pub lanes: u8,
    pub speed_kmh: f32,
    pub capacity_vph: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Road {
        link: u32,
        old: RoadAttrs,
        new: RoadAttrs,
    },
    /// A timed link event added (undo takes it out again).
    Event(LinkEvent),
    /// A demand factor added.
    Demand(DemandScale),
    Fleet {
        old: u32,
        new: u32,
    },
    StartBias {
        old: Vec<f64>,
        new: Vec<f64>,
    },
    /// A fence put in at `index` (with its start bias).
    FenceAdded {
        index: usize,
        fence: Box<PlannedFence>,
        bias: f64,
    },
    /// The fence at `index` taken out (with its start bias).
    FenceRemoved {
        index: usize,
        fence: Box<PlannedFence>,
        bias: f64,
    },
    FenceCapacity {
        fence: FenceId,
        old: u32,
        new: u32,
    },
    FenceArea {
        fence: FenceId,
        old: Polygon<f64>,
        new: Polygon<f64>,
    },
    Dispatch {
        old: DispatchConfig,
        new: DispatchConfig,
    },
    Alarms {
        old: AlarmRules,
        new: AlarmRules,
    },
    Rules {
        old: Vec<Rule>,
        new: Vec<Rule>,
    },
    VitalThresholds {
        indicator: String,
        old: Thresholds,
        new: Thresholds,
    },
    AirQualityDay {
        old: Option<Date>,
        new: Option<Date>,
    },
}

/// Changes to bikes are only resolved when the run has bikes; this keeps the borrow short.
fn bikes(inputs: &mut RunInputs) -> &mut BikeInputs {
    inputs
        .bikes
        .as_mut()
        .expect("bike changes are resolved only for runs with bikes")
}

impl Change {
    pub fn apply(&self, inputs: &mut RunInputs) -> Result<(), FenceError> {
        self.set(inputs, true)
    }

    pub fn undo(&self, inputs: &mut RunInputs) -> Result<(), FenceError> {
        self.set(inputs, false)
    }

    fn set(&self, inputs: &mut RunInputs, forward: bool) -> Result<(), FenceError> {
        fn pick<'a, T>(forward: bool, old: &'a T, new: &'a T) -> &'a T {
            if forward { new } else { old }
        }
        match self {
            Change::Road { link, old, new } => {
                let attrs = pick(forward, old, new);
                let l = &mut inputs.roads.links[*link as usize];
                l.lanes = attrs.lanes;
                l.speed_kmh = attrs.speed_kmh;
                l.capacity_vph = attrs.capacity_vph;
            }
            Change::Event(event) => {
                if forward {
                    inputs.events.push(event.clone());
                } else if let Some(i) = inputs.events.iter().rposition(|e| e == event) {
                    inputs.events.remove(i);
                }
            }
            Change::Demand(scale) => {
                if forward {
                    inputs.demand.push(scale.clone());
                } else if let Some(i) = inputs.demand.iter().rposition(|s| s == scale) {
                    inputs.demand.remove(i);
                }
            }
            Change::Fleet { old, new } => bikes(inputs).config.fleet = *pick(forward, old, new),
            Change::StartBias { old, new } => {
                bikes(inputs).config.start_bias = pick(forward, old, new).clone();
            }
            Change::FenceAdded { index, fence, bias } => {
                insert_or_remove(bikes(inputs), *index, fence, *bias, forward)?;
            }
            Change::FenceRemoved { index, fence, bias } => {
                insert_or_remove(bikes(inputs), *index, fence, *bias, !forward)?;
            }
            Change::FenceCapacity { fence, old, new } => {
                bikes(inputs)
                    .plan
                    .set_capacity(*fence, *pick(forward, old, new))?;
            }
            Change::FenceArea { fence, old, new } => {
                bikes(inputs)
                    .plan
                    .set_area(*fence, pick(forward, old, new).clone())?;
            }
            Change::Dispatch { old, new } => {
                bikes(inputs).config.dispatch = pick(forward, old, new).clone();
            }
            Change::Alarms { old, new } => {
                bikes(inputs).config.alarms = pick(forward, old, new).clone()
            }
            Change::Rules { old, new } => {
                bikes(inputs).config.rules = pick(forward, old, new).clone()
            }
            Change::VitalThresholds {
                indicator,
                old,
                new,
            } => {
                let set = inputs
                    .vitals
                    .as_mut()
                    .and_then(|v| v.thresholds_mut(indicator))
                    .expect("threshold changes are resolved only for indicators the run has");
                *set = *pick(forward, old, new);
            }
            Change::AirQualityDay { old, new } => {
                inputs.air_quality_date = *pick(forward, old, new);
            }
        }
        Ok(())
    }
}

fn insert_or_remove(
    bikes: &mut BikeInputs,
    index: usize,
    fence: &PlannedFence,
    bias: f64,
    insert: bool,
) -> Result<(), FenceError> {
    if insert {
        bikes.plan.insert(index, fence.clone())?;
        bikes.config.start_bias.insert(index, bias);
    } else {
        bikes.plan.remove(index)?;
        bikes.config.start_bias.remove(index);
    }
    Ok(())
}
