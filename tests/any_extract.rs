//! Any OSM extract runs: a scene that holds only `name`, `osm` and `bundle` imports and
//! simulates a plausible day — demand sized from what the extract maps, traffic across its
//! edge, no internal error, no gridlock — on a 1 km² clip of the Nanjing extract and on a
//! generated town with roads and nothing else (no buildings, no land use, no POIs).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::Path;

const NANJING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/cities/nanjing/nanjing_center_2024.osm.pbf"
);

/// Imports and runs a scene that holds only name, osm and bundle; returns summary.json.
fn run_minimal(dir: &Path, osm: &Path) -> serde_json::Value {
    let scene = dir.join("scene.ron");
    std::fs::write(
        &scene,
        format!("(name: \"extract\", osm: {:?}, bundle: \"city.ctb\")", osm),
    )
    .unwrap();
    ok(&["-q", "import", "--scene", scene.to_str().unwrap()]);
    let out = dir.join("day");
    let run = citytwin(&[
        "run",
        scene.to_str().unwrap(),
        "--seed",
        "1",
        "-o",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // a city nobody fitted says so, in the closing lines and in summary.json
    assert!(
        stderr.contains("model: the defaults, fitted to no city"),
        "{stderr}"
    );
    let s = summary(&out);
    assert_eq!(s["city"]["fitted"], false, "{}", s["city"]);
    s
}

fn assert_plausible(s: &serde_json::Value, what: &str) {
    let t = &s["traffic"];
    let d = &s["demand"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!(
        f(&d["residents"]) > 0.0,
        "{what}: no residents estimated: {d}"
    );
    assert!(f(&d["external_stations"]) >= 2.0, "{what}: {d}");
    assert!(
        f(&d["external_trips"]) > 0.0,
        "{what}: no traffic crosses the edge: {d}"
    );
    assert!(f(&d["resident_trips"]) > 0.0, "{what}: {d}");
    assert_eq!(t["trips_no_route"], 0, "{what}: {t}");
    assert!(f(&t["completed_share"]) >= 0.99, "{what}: {t}");
    assert!(f(&t["stuck_share"]) < 0.005, "{what}: gridlock: {t}");
    let tti = f(&t["peak_tti"]);
    assert!((1.0..3.0).contains(&tti), "{what}: peak TTI {tti}");
    let speed = f(&t["peak_speed_kmh"]);
    assert!((10.0..70.0).contains(&speed), "{what}: peak speed {speed}");
}

#[test]
fn a_one_square_kilometre_clip_of_nanjing_runs_a_plausible_day() {
    let dir = scratch("clip");
    let clip = dir.join("clip.osm.pbf");
    let status = std::process::Command::new("osmium")
        .args([
            "extract",
            "-b",
            "118.775,32.035,118.7856,32.044",
            NANJING,
            "-o",
        ])
        .arg(&clip)
        .arg("--overwrite")
        .status()
        .expect("osmium runs (scripts/setup.sh installs osmium-tool)");
    assert!(status.success());
    let s = run_minimal(&dir, &clip);
    assert_plausible(&s, "Nanjing clip");
    // buildings are mapped there: they, not the streets, say where people live
    let e = &s["demand"]["estimate"];
    assert!(
        e["residents_from_buildings"].as_f64().unwrap()
            > e["residents_from_streets"].as_f64().unwrap(),
        "{e}"
    );
}

#[test]
fn a_town_with_roads_and_nothing_else_runs_a_plausible_day() {
    let dir = scratch("roads-only");
    let osm = dir.join("town.osm");
    roads_only_town(&osm);
    let s = run_minimal(&dir, &osm);
    assert_plausible(&s, "roads-only town");
    let e = &s["demand"]["estimate"];
    assert_eq!(e["residents_from_buildings"], 0.0);
    assert!(
        e["residents_from_streets"].as_f64().unwrap() > 1000.0,
        "{e}"
    );
    // the primary and the secondary road leave on all four sides, both ways
    assert_eq!(s["demand"]["external_stations"], 4);
}
