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

#[test]
fn the_outlook_shows_each_step_as_the_world_will_be_and_alarms_when_they_open() {
    use citytwin_sim::forecast::{AlarmAhead, outlook};
    let mut world = morning(1);
    world.advance_to(7 * 3600);
    let open_now: Vec<_> = world.hotspots(10).iter().map(|h| h.link).collect();
    let ahead = outlook(&world, 3600, 10);
    assert_eq!(ahead.made_at_s, 7 * 3600);
    let minutes: Vec<u32> = ahead.steps.iter().map(|s| s.minutes_ahead).collect();
    assert_eq!(minutes, [15, 30, 45, 60]);
    assert!(ahead.alarms.windows(2).all(|w| w[0].at_s <= w[1].at_s));
    let congestion: Vec<_> = ahead
        .alarms
        .iter()
        .filter_map(|a| match a.what {
            AlarmAhead::Congestion { link, .. } => Some((a.at_s, link)),
            AlarmAhead::Bikes { .. } => None,
        })
        .collect();
    assert!(
        !congestion.is_empty(),
        "no congestion ahead on a busy morning"
    );
    // the World run on itself: each step's loads are the outlook's, and each predicted
    // alarm's link is among the worst hotspots at the minute it was expected
    let mut loads = Vec::new();
    for minute in 1..=60 {
        world.advance_to(7 * 3600 + minute * 60);
        let hot: Vec<_> = world.hotspots(10).iter().map(|h| h.link).collect();
        for (_, link) in congestion.iter().filter(|(at, _)| *at == world.now_s()) {
            assert!(hot.contains(link) && !open_now.contains(link));
        }
        if minute % 15 == 0 {
            world.link_loads(&mut loads);
            assert_eq!(ahead.loads_at(minute).unwrap(), loads.as_slice());
        }
    }
    assert_eq!(ahead.age_s(world.now_s()), 3600);
}
