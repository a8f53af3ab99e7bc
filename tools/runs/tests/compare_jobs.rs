//! A comparison does not depend on how many runs go at once: on a generated grid city saved
//! as a bundle, a scenario against its baseline over two seeds, with one job and with four,
//! gives the same comparison and the same compare.json.

#![allow(clippy::unwrap_used)]

use citytwin_city::synthetic::GridCity;
use citytwin_runs::compare::{Comparison, Pairs, PairsProgress, write_all};
use citytwin_runs::{DayOptions, LoadedScenario, SceneParts};
use std::path::Path;

struct Quiet;

impl PairsProgress for Quiet {
    fn simulated(&self, _: u64) {}
    fn finished(&self, _: usize, _: usize) {}
    fn stop(&self) -> bool {
        false
    }
}

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("citytwin-runs-{name}-"))
        .tempdir()
        .unwrap()
}

fn compare(dir: &Path, jobs: usize) -> (Comparison, String) {
    let scene = dir.join("scene.ron");
    let options = DayOptions {
        from_s: 7 * 3600,
        to_s: 8 * 3600,
        ..DayOptions::default()
    };
    let parts = SceneParts::load(&scene, &options, None).unwrap();
    let scenario = LoadedScenario::load(&dir.join("closure.ron"), &scene).unwrap();
    let output = dir.join(format!("jobs{jobs}"));
    let seeds = [1, 2];
    let pairs = Pairs {
        scene: &scene,
        parts: &parts,
        scenario: &scenario,
        options: &options,
        seeds: &seeds,
        output: &output,
        jobs,
    };
    let finished = pairs.run(&Quiet).unwrap();
    let paired = pairs.paired(&finished).unwrap();
    assert_eq!(paired, seeds);
    let comparison = Comparison::new(&scene, &scenario, &paired, &finished, true);
    write_all(
        &output,
        &parts.city,
        &comparison,
        (options.from_s, options.to_s),
    )
    .unwrap();
    let json = std::fs::read_to_string(output.join("compare.json")).unwrap();
    (comparison, json)
}

#[test]
fn one_job_or_four_the_comparison_is_the_same() {
    let scratch = scratch("compare-jobs");
    let dir = scratch.path();
    GridCity::default()
        .build()
        .bundle
        .save(&dir.join("city.ctb"))
        .unwrap();
    std::fs::write(
        dir.join("scene.ron"),
        r#"(name: "grid", osm: "grid.osm", bundle: "city.ctb", population: 20000)"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("closure.ron"),
        r#"(name: "closure", base: "scene.ron", edits: [CloseRoad(road: Link(12)), ScaleDemand(factor: 1.5)])"#,
    )
    .unwrap();
    let (one, one_json) = compare(dir, 1);
    let (four, four_json) = compare(dir, 4);
    assert!(!one.kpis.is_empty());
    assert_eq!(one.kpis, four.kpis);
    assert_eq!(one_json, four_json);
    // the scenario made a difference the comparison can see
    let trips = &one.kpis["traffic.trips"];
    assert!(trips.variant_mean > trips.baseline_mean * 1.3, "{trips:?}");
    std::fs::remove_dir_all(dir).unwrap();
}
