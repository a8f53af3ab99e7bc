//! The hour ahead as the wall shows it: every link's load at each 15-minute step (the
//! traffic overlay's "+15 / +30 / +60" views) and the alarms that would open on the way, each
//! with the time it is expected. Built from a fork, like every forecast: the running World is
//! only read.

use super::{STEP_S, run_on};
use crate::World;
use citytwin_bikes::alarms::AlarmKind;
use citytwin_city::{FenceId, LinkId};
use citytwin_traffic::dynamic::LinkLoad;
use std::collections::BTreeSet;

/// Predicted congestion alarms are looked for every simulated minute: the time to an event
/// is known to the minute, not to the 15-minute step.
const ALARM_TICK_S: u32 = 60;

/// What a predicted alarm is about.
#[derive(Clone, Debug, PartialEq)]
pub enum AlarmAhead {
    /// A link joins the `n` worst congestion hotspots (the wall's open congestion alarms).
    Congestion {
        link: LinkId,
        speed_kmh: f64,
        vehicles: u32,
    },
    /// A fence's overflow or empty alarm opens, or a monitoring point's illegal-parking alarm
    /// (a breach of the parking rules).
    Bikes { fence: FenceId, kind: AlarmKind },
}

/// An alarm that is not open now and would open during the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictedAlarm {
    /// When it is expected to open (seconds after midnight).
    pub at_s: u32,
    pub what: AlarmAhead,
}

/// Every link's load at one step ahead.
#[derive(Clone, Debug, PartialEq)]
pub struct OutlookStep {
    pub minutes_ahead: u32,
    /// Indexed by link, as [`World::link_loads`] gives them.
    pub loads: Vec<LinkLoad>,
}

/// The hour ahead from one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Outlook {
    /// The simulated time it was made from.
    pub made_at_s: u32,
    /// One per [`STEP_S`] ahead, in order.
    pub steps: Vec<OutlookStep>,
    /// In the order they are expected to open.
    pub alarms: Vec<PredictedAlarm>,
}

impl Outlook {
    /// The loads `minutes_ahead` after the outlook was made, if it reaches that far.
    pub fn loads_at(&self, minutes_ahead: u32) -> Option<&[LinkLoad]> {
        self.steps
            .iter()
            .find(|s| s.minutes_ahead == minutes_ahead)
            .map(|s| s.loads.as_slice())
    }

    /// Simulated seconds since it was made.
    pub fn age_s(&self, now_s: u32) -> u32 {
        now_s.saturating_sub(self.made_at_s)
    }
}

/// Runs a copy of `world` on by `horizon_s`: loads every [`STEP_S`], and the congestion
/// alarms (links joining the `congestion_alarms` worst hotspots) and fence alarms that open.
pub fn outlook(world: &World, horizon_s: u32, congestion_alarms: usize) -> Outlook {
    let mut fork = world.fork();
    let made_at_s = fork.now_s();
    let mut flagged: BTreeSet<LinkId> = fork
        .hotspots(congestion_alarms)
        .iter()
        .map(|h| h.link)
        .collect();
    let bike_events_before = fork.bikes.as_ref().map_or(0, |b| b.alarm_events().len());
    let mut alarms = Vec::new();
    let mut steps = Vec::new();
    run_on(&mut fork, horizon_s, ALARM_TICK_S, |w| {
        let now = w.now_s();
        for h in w.hotspots(congestion_alarms) {
            if flagged.insert(h.link) {
                alarms.push(PredictedAlarm {
                    at_s: now,
                    what: AlarmAhead::Congestion {
                        link: h.link,
                        speed_kmh: h.speed_kmh,
                        vehicles: h.vehicles,
                    },
                });
            }
        }
        let ahead = now - made_at_s;
        if ahead.is_multiple_of(STEP_S) {
            let mut loads = Vec::new();
            w.link_loads(&mut loads);
            steps.push(OutlookStep {
                minutes_ahead: ahead / 60,
                loads,
            });
        }
    });
    if let Some(bikes) = &fork.bikes {
        let opened = bikes.alarm_events()[bike_events_before..]
            .iter()
            .filter(|e| e.opened && AlarmKind::STATES.contains(&e.kind));
        alarms.extend(opened.map(|e| PredictedAlarm {
            at_s: e.minute * 60,
            what: AlarmAhead::Bikes {
                fence: e.fence,
                kind: e.kind,
            },
        }));
    }
    // stable: congestion before bikes within a minute, each in the order it was found
    alarms.sort_by_key(|a| a.at_s);
    Outlook {
        made_at_s,
        steps,
        alarms,
    }
}
