//! A morning of dockless shared bikes on the demo city: through `citytwin run` (reports,
//! determinism) and in process (counts stay exact, no bike is lost).

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_bikes::demand::synthetic_bike_day;
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_bikes::{BikeSim, DocklessConfig};
use citytwin_city::City;
use common::*;
use gdal::vector::LayerAccess;

#[test]
fn fence_counts_stay_exact_and_every_bike_is_parked_or_ridden() {
    let dir = scratch("bike-day");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let plan = fences_from_osm(&city).unwrap();
    let trips = synthetic_bike_day(&city, &plan, 6000, 7);
    let config = DocklessConfig {
        fleet: 1000,
        ..DocklessConfig::default()
    };
    let mut bikes = BikeSim::new(&city, plan, trips, config, 7);
    bikes.start_at(6 * 3600);
    let mut seen_riding = 0;
    // out of the World there are no road travel times: every truck trip takes ten minutes
    // and three kilometres
    let mut travel = |_: u32, _: u32| Some((600.0, 3000.0));
    while bikes.now() < 10 * 3600 {
        bikes.step(&mut travel);
        if bikes.now().is_multiple_of(600) {
            let parked: Vec<_> = bikes.parked_bikes().map(|(_, p)| p).collect();
            assert_eq!(
                parked.len() + bikes.riding() + bikes.in_trucks(),
                1000,
                "a bike was lost"
            );
            // the kept counts equal an exact point-in-polygon recount
            let (inside, outside) = bikes.plan.fences.count(parked.iter().copied());
            let (kept, kept_outside) = bikes.counts();
            assert_eq!(kept, inside.as_slice());
            assert_eq!(kept_outside, outside as usize);
            seen_riding = seen_riding.max(bikes.riding());
        }
    }
    let s = bikes.summary();
    assert!(seen_riding > 10 && s.trips > 500, "{s:?}");
    assert!(s.unmet_demand > 0 && s.illegal_parking > 0, "{s:?}");
    // alarms: every opening is counted, and empty fences have been seen at 06:00
    let opened = bikes.events.iter().filter(|e| e.opened).count() as u64;
    assert_eq!(opened, s.overflow_alarms + s.empty_alarms);
    assert!(s.empty_minutes > 0);
    // every alarm that found no open task on its fence became one; crews served some
    assert!(
        s.tasks > 0 && s.tasks_done > 0 && s.bikes_moved > 0,
        "{s:?}"
    );
    assert!(
        (s.truck_km - 3.0 * s.tasks_done as f64).abs()
            <= 3.0 * (s.tasks - s.tasks_done) as f64 + 1e-6
    );
    assert!(s.mean_response_s >= 600.0, "{s:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_with_bikes_reports_them_and_repeats_byte_for_byte() {
    let dir = scratch("bike-run");
    let scene = demo_scene(&dir);
    let run = |out: &str, fleet: &str| {
        let out = dir.join(out);
        ok(&[
            "-q",
            "run",
            scene.to_str().unwrap(),
            "--from",
            "06:00",
            "--to",
            "09:00",
            "--trips",
            "3000",
            "--bike-fleet",
            fleet,
            "--bike-trips",
            "4000",
            "-o",
            out.to_str().unwrap(),
        ]);
        out
    };
    let a = run("a", "800");
    let b = run("b", "800");
    let s = summary(&a);
    for key in [
        "trips",
        "unmet_demand",
        "overflow_alarms",
        "empty_alarms",
        "illegal_parking",
        "blacklist_alarms",
        "overflow_minutes",
        "empty_minutes",
    ] {
        assert!(
            s["bikes"][key].is_u64(),
            "bikes.{key} missing: {}",
            s["bikes"]
        );
    }
    assert!(s["bikes"]["trips"].as_u64().unwrap() > 100);
    let fences = std::fs::read_to_string(a.join("fences.csv")).unwrap();
    assert!(fences.starts_with("fence,time_s,bikes,capacity,overflow_alarm,empty_alarm\n"));
    // 12 samples of 15 minutes (06:00 … 08:45) for every fence
    let n = s["bikes"]["fences"].as_u64().unwrap() as usize;
    assert_eq!(fences.lines().count(), 1 + 12 * n);
    assert_eq!(
        fences,
        std::fs::read_to_string(b.join("fences.csv")).unwrap()
    );
    assert_eq!(s["bikes"], summary(&b)["bikes"]);
    let gpkg = gdal::Dataset::open(a.join("bikes.gpkg")).unwrap();
    assert_eq!(
        gpkg.layer_by_name("fences_day").unwrap().feature_count() as usize,
        n
    );
    // no fleet, no bikes
    let none = run("none", "0");
    assert!(summary(&none).get("bikes").is_none());
    assert!(!none.join("fences.csv").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
