//! Looking ahead from the running state (以虚预实): a fork of the World runs on from now to
//! now + horizon and reports each link's speed and flow every step, and the cases the
//! operations centre would open on the way. The World itself is not touched: a forecast reads
//! a copy, so a live run keeps its guarantees.
//!
//! Skill is measured against a truth the forecaster did not see (another seed of the same
//! day, or a scenario it was not told about) and against persistence, the naive forecast that
//! "now stays".

mod background;
mod nowcast;
mod outlook;

pub use background::{BackgroundForecaster, ForecastFailed, due};
pub use citytwin_bikes::alarms::AlarmKind;
pub use nowcast::{
    FACTOR_LIMITS, MIN_SIMULATED, Nowcast, WINDOW_S, nowcast, passages, run_ahead_nowcast,
};
pub use outlook::{AlarmAhead, Outlook, OutlookStep, PredictedAlarm, outlook};

use crate::World;
use citytwin_city::LinkId;

/// Forecast steps, seconds: the 15-minute bins traffic centres report in.
pub const STEP_S: u32 = 900;

/// The links at one instant: cars on each, and how many cars have left each and the seconds
/// they spent on it since the start of the day. Two snapshots give each link's flow and
/// space-mean speed over the time between them, as loop detectors report them.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSnapshot {
    pub at_s: u32,
    pub vehicles: Vec<u32>,
    pub exits: Vec<u64>,
    pub travel_s: Vec<u64>,
}

impl LinkSnapshot {
    pub fn of(world: &World) -> LinkSnapshot {
        let stats = &world.traffic.stats;
        let n = world.traffic.net.links.len();
        let mut snap = LinkSnapshot {
            at_s: world.now_s(),
            vehicles: (0..n)
                .map(|l| world.traffic.vehicles_on(LinkId::from_index(l)) as u32)
                .collect(),
            exits: vec![0; n],
            travel_s: vec![0; n],
        };
        for b in 0..stats.bin_count() {
            for (l, bin) in stats.links_in(b).filter(|(l, _)| l.index() < n) {
                snap.exits[l.index()] += u64::from(bin.exits);
                snap.travel_s[l.index()] += u64::from(bin.travel_s);
            }
        }
        snap
    }
}

/// Each link's flow (veh/h) and space-mean speed (km/h) between two snapshots; the speed is
/// `None` where no car left the link.
pub fn interval(
    before: &LinkSnapshot,
    after: &LinkSnapshot,
    lengths_m: &[f64],
) -> Vec<(f64, Option<f64>)> {
    let seconds = f64::from(after.at_s.saturating_sub(before.at_s).max(1));
    (0..after.exits.len())
        .map(|l| {
            let left = after.exits[l].saturating_sub(before.exits[l]);
            let spent = after.travel_s[l].saturating_sub(before.travel_s[l]);
            let speed =
                (left > 0).then(|| lengths_m[l] / (spent as f64 / left as f64).max(1.0) * 3.6);
            (left as f64 * 3600.0 / seconds, speed)
        })
        .collect()
}

/// One link over one step ahead.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkForecast {
    pub link: LinkId,
    /// The end of the step, minutes after the forecast's start.
    pub minutes_ahead: u32,
    /// Space-mean speed of the cars that left the link during the step.
    pub speed_kmh: f64,
    /// Cars that left the link per hour during the step.
    pub flow_vph: f64,
}

/// A case the operations centre opens during the horizon.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PredictedCase {
    pub service_code: String,
    /// The unit grid cell it is in (GB/T 30428-style code), when it has one.
    pub cell: Option<String>,
    pub at_s: u32,
}

/// What a run ahead saw: the state it started from, one snapshot a step, and the cases.
#[derive(Clone, Debug)]
pub struct Forecast {
    pub start: LinkSnapshot,
    pub steps: Vec<LinkSnapshot>,
    pub cases: Vec<PredictedCase>,
    /// Each link's length (m; 0 for links cars cannot use).
    pub lengths_m: Vec<f64>,
}

/// Runs a copy of `world` on by `horizon_s` (to the end of its window at most), a snapshot
/// every [`STEP_S`].
pub fn run_ahead(world: &World, horizon_s: u32) -> Forecast {
    let mut fork = world.fork();
    watch(&mut fork, horizon_s)
}

/// Runs `world` itself on by `horizon_s` and reports as [`run_ahead`] does: the truth a
/// forecast is scored against is watched the same way.
pub fn watch(world: &mut World, horizon_s: u32) -> Forecast {
    let start = LinkSnapshot::of(world);
    let from = start.at_s;
    let mut steps = Vec::new();
    run_on(world, horizon_s, STEP_S, |w| {
        steps.push(LinkSnapshot::of(w))
    });
    let cases = opened_cases(world, from);
    let lengths_m = world
        .traffic
        .net
        .links
        .iter()
        .map(|l| l.as_ref().map_or(0.0, |q| q.length_m))
        .collect();
    Forecast {
        start,
        steps,
        cases,
        lengths_m,
    }
}

/// Runs `world` on by `horizon_s` (to the end of its window at most), calling `at_tick` every
/// `tick_s` and at the end.
fn run_on(world: &mut World, horizon_s: u32, tick_s: u32, mut at_tick: impl FnMut(&World)) {
    let end = world
        .now_s()
        .saturating_add(horizon_s)
        .min(world.options.to_s);
    let mut t = world.now_s();
    while t < end {
        t = t.saturating_add(tick_s.max(1)).min(end);
        world.advance_to(t);
        at_tick(world);
    }
}

/// Cases opened after `from_s`, in order.
fn opened_cases(world: &World, from_s: u32) -> Vec<PredictedCase> {
    let Some(ops) = world.ops.as_ref() else {
        return Vec::new();
    };
    let mut cases: Vec<PredictedCase> = ops
        .desk
        .cases()
        .iter()
        .filter(|c| c.requested_s > from_s)
        .map(|c| PredictedCase {
            service_code: c.filing.service_code.clone(),
            cell: c.filing.cell_code.clone(),
            at_s: c.requested_s,
        })
        .collect();
    cases.sort();
    cases
}

impl Forecast {
    /// Each step's flows and speeds, by link.
    pub fn step_intervals(&self) -> Vec<Vec<(f64, Option<f64>)>> {
        let mut before = &self.start;
        self.steps
            .iter()
            .map(|snap| {
                let out = interval(before, snap, &self.lengths_m);
                before = snap;
                out
            })
            .collect()
    }

    /// Every link that cars left during a step, with their speed and flow.
    pub fn links(&self) -> Vec<LinkForecast> {
        let mut out = Vec::new();
        for (snap, links) in self.steps.iter().zip(self.step_intervals()) {
            let minutes_ahead = (snap.at_s - self.start.at_s) / 60;
            for (l, (flow_vph, speed)) in links.into_iter().enumerate() {
                if let Some(speed_kmh) = speed {
                    out.push(LinkForecast {
                        link: LinkId::from_index(l),
                        minutes_ahead,
                        speed_kmh,
                        flow_vph,
                    });
                }
            }
        }
        out
    }
}

/// Mean absolute speed error (km/h) over the links with a speed on both sides; `None` when
/// there is none.
pub fn speed_mae(predicted: &[(f64, Option<f64>)], truth: &[(f64, Option<f64>)]) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u64);
    for (p, t) in predicted.iter().zip(truth) {
        if let (Some(p), Some(t)) = (p.1, t.1) {
            sum += (p - t).abs();
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// Mean absolute flow error (veh/h) over the links that carried cars on either side; `None`
/// when none did.
pub fn flow_mae(predicted: &[(f64, Option<f64>)], truth: &[(f64, Option<f64>)]) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u64);
    for (p, t) in predicted.iter().zip(truth) {
        if p.0 > 0.0 || t.0 > 0.0 {
            sum += (p.0 - t.0).abs();
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// Precision and recall of predicted cases against the cases that did open: a prediction
/// hits when a case of the same service opened in the same cell within the horizon (each
/// true case matched once). `None` where there is nothing to divide by.
pub fn case_skill(
    predicted: &[PredictedCase],
    truth: &[PredictedCase],
) -> (Option<f64>, Option<f64>) {
    let mut unmatched: Vec<&PredictedCase> = truth.iter().collect();
    let mut hits = 0usize;
    for p in predicted {
        if let Some(i) = unmatched
            .iter()
            .position(|t| t.service_code == p.service_code && t.cell == p.cell)
        {
            unmatched.remove(i);
            hits += 1;
        }
    }
    let share = |k: usize, of: usize| (of > 0).then(|| k as f64 / of as f64);
    (share(hits, predicted.len()), share(hits, truth.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_give_flow_and_space_mean_speed_and_errors_compare_links_seen_on_both_sides() {
        let snap = |at_s, exits: &[u64], travel_s: &[u64]| LinkSnapshot {
            at_s,
            vehicles: vec![0; exits.len()],
            exits: exits.to_vec(),
            travel_s: travel_s.to_vec(),
        };
        let before = snap(0, &[10, 0], &[100, 0]);
        let after = snap(900, &[40, 0], &[400, 0]);
        // 30 cars in 15 minutes, 10 s each on 100 m: 120 veh/h at 36 km/h
        let got = interval(&before, &after, &[100.0, 50.0]);
        assert_eq!(got[0], (120.0, Some(36.0)));
        assert_eq!(got[1], (0.0, None));
        let truth = [(0.0, Some(30.0)), (0.0, Some(20.0)), (0.0, None)];
        let predicted = [(0.0, Some(36.0)), (0.0, None), (0.0, Some(5.0))];
        assert_eq!(speed_mae(&predicted, &truth), Some(6.0));
        assert_eq!(speed_mae(&predicted, &[(0.0, None); 3]), None);
        let flows = [(100.0, None), (0.0, None), (30.0, None)];
        assert_eq!(
            flow_mae(&flows, &[(80.0, None), (0.0, None), (0.0, None)]),
            Some(25.0)
        );
        assert_eq!(flow_mae(&[(0.0, None)], &[(0.0, None)]), None);
    }

    #[test]
    fn cases_match_by_service_and_cell_once_each() {
        let case = |code: &str, cell: &str| PredictedCase {
            service_code: code.into(),
            cell: Some(cell.into()),
            at_s: 0,
        };
        let truth = [case("traffic.congestion", "a"), case("bikes.overflow", "b")];
        let predicted = [
            case("traffic.congestion", "a"),
            case("traffic.congestion", "a"),
            case("bikes.overflow", "c"),
        ];
        let (precision, recall) = case_skill(&predicted, &truth);
        assert_eq!(precision, Some(1.0 / 3.0));
        assert_eq!(recall, Some(0.5));
        assert_eq!(case_skill(&[], &[]), (None, None));
    }
}
