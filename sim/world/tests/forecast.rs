//! A fork runs on exactly as the World it was copied from, and leaves that World as it was:
//! the forecast from a state is the future of that state (same seed, no surprise).

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_sim::forecast::{run_ahead, speed_mae, watch};
use common::morning;

#[test]
fn a_fork_runs_on_as_its_world_would_and_leaves_it_untouched() {
    let mut world = morning(1);
    world.advance_to(7 * 3600 + 600);
    let before = world.kpis();
    let ahead = run_ahead(&world, 3600);
    // the World is where it was
    assert_eq!(world.now_s(), 7 * 3600 + 600);
    assert_eq!(format!("{:?}", world.kpis()), format!("{before:?}"));
    // four steps of 15 minutes, and the links that carry cars in each
    assert_eq!(ahead.steps.len(), 4);
    assert_eq!(ahead.steps[3].at_s, 8 * 3600 + 600);
    let links = ahead.links();
    assert!(
        links
            .iter()
            .any(|l| l.minutes_ahead == 60 && l.flow_vph > 0.0)
    );
    // the World run on itself gives exactly what the fork foresaw
    let truth = watch(&mut world, 3600);
    assert_eq!(truth.steps, ahead.steps);
    for (p, t) in ahead.step_intervals().iter().zip(truth.step_intervals()) {
        assert_eq!(speed_mae(p, &t), Some(0.0));
    }
}

#[test]
fn a_forecast_stops_at_the_end_of_the_window() {
    let mut world = morning(2);
    world.advance_to(9 * 3600 + 30 * 60);
    let ahead = run_ahead(&world, 3600);
    assert_eq!(ahead.steps.len(), 2);
    assert_eq!(ahead.steps.last().unwrap().at_s, 10 * 3600);
}
