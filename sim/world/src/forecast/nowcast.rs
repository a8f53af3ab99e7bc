//! The nowcast: before running ahead, the forecaster compares what the loop detectors counted
//! over the last [`WINDOW_S`] with what the model had them count, and scales the car trips
//! still to leave within the horizon by the ratio. A busier day than the model's (rain, an
//! event, a holiday's eve) shows at the detectors before it shows in the queues.
//!
//! This is the ratio form of the online OD correction that real-time DTA systems run (DynaMIT
//! and DYNASMART-X estimate the deviation of current OD flows from the historical ones from
//! detector counts, Ben-Akiva et al. 2001, Mahmassani 2001), with one city-wide factor: the
//! detectors of a city are too few to correct each OD pair. Counts saturate at a link's
//! capacity, so a jam understates the demand behind it; the factor is kept in
//! [`FACTOR_LIMITS`], and needs [`MIN_SIMULATED`] simulated passages to mean anything.

use super::{Forecast, LinkSnapshot, watch};
use crate::World;
use citytwin_city::LinkId;

/// Detector counts compared over the last half hour.
pub const WINDOW_S: u32 = 1800;
/// The least and most the departures are scaled by.
pub const FACTOR_LIMITS: (f64, f64) = (0.5, 2.0);
/// Fewer simulated passages than this at the detectors: no correction.
pub const MIN_SIMULATED: u64 = 200;

/// What the detectors saw against the model over the same window, and the correction.
#[derive(Clone, Debug, PartialEq)]
pub struct Nowcast {
    pub detectors: usize,
    pub observed: u64,
    pub simulated: u64,
    /// Observed over simulated, within [`FACTOR_LIMITS`].
    pub factor: f64,
}

/// Cars that left these links between two snapshots.
pub fn passages(before: &LinkSnapshot, after: &LinkSnapshot, links: &[LinkId]) -> u64 {
    links
        .iter()
        .map(|l| {
            let (a, b) = (before.exits.get(l.index()), after.exits.get(l.index()));
            b.copied()
                .unwrap_or(0)
                .saturating_sub(a.copied().unwrap_or(0))
        })
        .sum()
}

/// The correction from the detectors' counts over one window: `observed` and `simulated` are
/// (start, end) snapshots of the real city and of the model. `None` without detectors or
/// with too few simulated passages.
pub fn nowcast(
    detectors: &[LinkId],
    observed: (&LinkSnapshot, &LinkSnapshot),
    simulated: (&LinkSnapshot, &LinkSnapshot),
) -> Option<Nowcast> {
    let seen = passages(observed.0, observed.1, detectors);
    let modelled = passages(simulated.0, simulated.1, detectors);
    if detectors.is_empty() || modelled < MIN_SIMULATED {
        return None;
    }
    let ratio = seen as f64 / modelled as f64;
    Some(Nowcast {
        detectors: detectors.len(),
        observed: seen,
        simulated: modelled,
        factor: ratio.clamp(FACTOR_LIMITS.0, FACTOR_LIMITS.1),
    })
}

/// [`super::run_ahead`] with the car trips leaving within the horizon scaled by the nowcast.
pub fn run_ahead_nowcast(world: &World, horizon_s: u32, nowcast: &Nowcast) -> Forecast {
    let mut fork = world.fork();
    let until = fork.now_s().saturating_add(horizon_s);
    fork.scale_departures(nowcast.factor, until);
    watch(&mut fork, horizon_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(exits: &[u64]) -> LinkSnapshot {
        LinkSnapshot {
            at_s: 0,
            vehicles: vec![0; exits.len()],
            exits: exits.to_vec(),
            travel_s: vec![0; exits.len()],
        }
    }

    #[test]
    fn the_factor_is_observed_over_simulated_at_the_detectors_within_limits() {
        let detectors = [LinkId(0), LinkId(2)];
        let start = snap(&[100, 0, 100]);
        let model = snap(&[300, 999, 300]);
        let busier = snap(&[350, 0, 310]);
        let n = nowcast(&detectors, (&start, &busier), (&start, &model)).unwrap();
        assert_eq!((n.observed, n.simulated, n.detectors), (460, 400, 2));
        assert!((n.factor - 1.15).abs() < 1e-12);
        let jammed = snap(&[110, 0, 110]);
        let n = nowcast(&detectors, (&start, &jammed), (&start, &model)).unwrap();
        assert_eq!(n.factor, FACTOR_LIMITS.0);
        // too little to go on, or nothing to count with
        let quiet = snap(&[150, 0, 150]);
        assert!(nowcast(&detectors, (&start, &busier), (&start, &quiet)).is_none());
        assert!(nowcast(&[], (&start, &busier), (&start, &model)).is_none());
    }
}
