//! Scenarios on the demo city: every kind of edit applies and undoes without a trace (the
//! "spurious diff" test), unknown names are errors that suggest the nearest ones, and
//! `citytwin compare` / `citytwin sweep` work end to end (a no-op scenario differs by zero;
//! a sweep's manifest runs under GNU parallel and collects to the same table).

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_bikes::DocklessConfig;
use citytwin_bikes::demand::synthetic_bike_day;
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_ops::vitals::VitalsConfig;
use citytwin_sim::scenario::{BikeInputs, RunInputs, Scenario, ScenarioError, undo};
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::demand::synthetic_day;
use common::*;
use geo::{Coord, Point};
use std::path::Path;

/// One edit of each kind, on the demo city's roads, districts and fences.
const EVERY_EDIT: &str = r##"(
    name: "every kind of edit",
    base: "scene.ron",
    edits: [
        CloseRoad(road: Name("人民北路"), from: "07:10", to: "07:40"),
        ReopenRoad(road: Name("人民北路"), at: "07:30"),
        ChangeRoad(road: Name("红星路"), lanes: 1, speed_kmh: 30),
        Incident(road: Name("一环路"), at: "07:15", minutes: 20, lanes_open: 1),
        ScaleDemand(factor: 1.5, from: "07:00", to: "07:30", district: "成华区"),
        AddFence(name: "new fence", lon: 104.08, lat: 30.69, site: Shopping),
        RemoveFence(fence: "#3"),
        ResizeFence(fence: "#5", capacity: 40),
        MoveFence(fence: "#7", lon: 104.07, lat: 30.68),
        Fleet(bikes: 1200),
        ScaleBikesAt(fences: Site(SubwayEntrance), factor: 1.3),
        Crews(crews: 2, truck_capacity: 20),
        Crews(crews: 5, from: "07:20", to: "07:50"),
        Rebalancing(strategy: Proactive),
        BikeAlarms(overflow_ratio: 0.9, empty_minutes: 20),
        VitalThresholds(indicator: "aqi", amber: 151, red: 301),
    ],
)"##;

fn inputs(city: &City) -> RunInputs {
    let config = DocklessConfig {
        fleet: 800,
        ..DocklessConfig::default()
    };
    let bikes = BikeInputs::new(fences_from_osm(city, &Default::default()).unwrap(), config);
    let mut inputs = RunInputs::new(city.roads().clone(), Some(bikes));
    inputs.vitals = Some(VitalsConfig::default());
    inputs
}

fn apply(
    scenario: &Scenario,
    city: &City,
    inputs: &mut RunInputs,
) -> Result<Vec<citytwin_sim::scenario::Change>, ScenarioError> {
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id).unwrap();
    let project = |lon: f64, lat: f64| {
        to_city
            .coord(Coord { x: lon, y: lat })
            .ok()
            .map(Point::from)
    };
    scenario.apply(Path::new("every.ron"), city, &project, inputs)
}

/// An hour of the morning from these inputs; its traffic and bike figures.
fn morning(city: &City, inputs: &RunInputs) -> String {
    let trips = synthetic_day(city, 20_000, 3).unwrap();
    let plan = fences_from_osm(city, &Default::default()).unwrap();
    let bike_trips = synthetic_bike_day(city, &plan, &Default::default(), 4000, 3);
    let options = WorldOptions {
        seed: 3,
        from_s: 7 * 3600,
        to_s: 8 * 3600,
        ..WorldOptions::default()
    };
    let (mut world, _) = World::from_inputs(city, inputs, trips, bike_trips, options).unwrap();
    world.run(&mut |_| true);
    format!(
        "{:?} {:?}",
        world.traffic().summary(),
        world.bikes().map(|b| b.summary())
    )
}

#[test]
fn every_edit_undoes_to_a_zero_difference() {
    let dir = scratch("scenario-undo");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let scenario = Scenario::from_ron(EVERY_EDIT).unwrap();
    // edits round-trip through RON
    assert_eq!(
        Scenario::from_ron(&scenario.to_ron().unwrap()).unwrap(),
        scenario
    );
    let original = inputs(&city);
    let baseline = morning(&city, &original);
    // each kind alone, then all together: applied, they change the inputs; undone, nothing
    for n in 0..=scenario.edits.len() {
        let mut one = scenario.clone();
        if n < scenario.edits.len() {
            // a re-opening needs its closure before it
            let keep = if n == 1 { 0..2 } else { n..n + 1 };
            one.edits = scenario.edits[keep].to_vec();
        }
        let mut edited = original.clone();
        let changes = apply(&one, &city, &mut edited).unwrap();
        assert!(!changes.is_empty(), "{:?}", one.edits);
        assert_ne!(edited, original, "{:?} changed nothing", one.edits);
        undo(&changes, &mut edited);
        assert_eq!(edited, original, "{:?} left a trace", one.edits);
    }
    let mut edited = original.clone();
    let changes = apply(&scenario, &city, &mut edited).unwrap();
    assert_ne!(
        morning(&city, &edited),
        baseline,
        "the edits change the morning"
    );
    undo(&changes, &mut edited);
    assert_eq!(
        morning(&city, &edited),
        baseline,
        "spurious difference after undo"
    );
}

#[test]
fn unknown_names_are_errors_that_suggest_the_nearest() {
    let dir = scratch("scenario-errors");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let original = inputs(&city);
    for (edit, expected) in [
        (
            r#"CloseRoad(road: Name("人民北"))"#,
            "no road named `人民北`; nearest: 人民北路",
        ),
        (
            r#"CloseRoad(road: Way(1))"#,
            "no road with OSM way id 1; nearest:",
        ),
        (
            r#"CloseRoad(road: Link(999999))"#,
            "no link 999999: the city's links are 0 to",
        ),
        (
            r#"ScaleDemand(factor: 2, district: "成华")"#,
            "no district named `成华`; nearest: 成华区",
        ),
        (
            r#"RemoveFence(fence: "subway_entrance · nowhere")"#,
            "no fence named `subway_entrance · nowhere`; nearest: subway_entrance",
        ),
        (
            r#"ChangeRoad(road: Name("红星路"), lanes: 0)"#,
            "`lanes`: expected 1 to 8",
        ),
        (
            r#"AddFence(name: "far", lon: 0, lat: 0, site: School)"#,
            "lies outside the city",
        ),
        (
            r#"VitalThresholds(indicator: "smog", amber: 1, red: 2)"#,
            "no indicator `smog`; expected one of travel_time_index,",
        ),
        (
            r#"VitalThresholds(indicator: "aqi", amber: 200, red: 200)"#,
            "`amber, red`: expected two different numbers",
        ),
        (
            r#"VitalThresholds(indicator: "travel_time_index", amber: 2.0, red: 1.5)"#,
            "`amber, red`: travel_time_index is worse when high: red (1.5) must be above amber (2)",
        ),
    ] {
        let text =
            format!("(name: \"bad\", base: \"scene.ron\", edits: [Fleet(bikes: 900), {edit}])");
        let scenario = Scenario::from_ron(&text).unwrap();
        let mut edited = original.clone();
        let message = apply(&scenario, &city, &mut edited)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("every.ron: edit 2 ("), "{message}");
        assert!(message.contains(expected), "{message} lacks {expected}");
        // the first edit is taken back: a failed scenario leaves nothing applied
        assert_eq!(edited, original);
    }
    // a syntax error names the line
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        "(name: \"x\",\n base: \"scene.ron\",\n edits: [CloseRoad(road: Street(\"a\"))])",
    )
    .unwrap();
    let message = Scenario::load(&bad).unwrap_err().to_string();
    assert!(message.contains("bad.ron:3:"), "{message}");
}

#[test]
fn compare_with_a_no_op_scenario_differs_by_zero_and_writes_its_report() {
    let dir = scratch("compare");
    let scene = demo_scene(&dir);
    let noop = dir.join("noop.ron");
    std::fs::write(&noop, "(name: \"nothing\", base: \"scene.ron\", edits: [])").unwrap();
    let compare = |scenario: &Path, jobs: &str, to: &Path| {
        let mut args = vec![
            "-q",
            "compare",
            scene.to_str().unwrap(),
            scenario.to_str().unwrap(),
            "--seeds",
            "2",
            "--jobs",
            jobs,
            "-o",
            to.to_str().unwrap(),
        ];
        args.extend([
            "--from",
            "07:00",
            "--to",
            "08:00",
            "--trips",
            "15000",
            "--bike-trips",
            "3000",
        ]);
        ok(&args);
        std::fs::read_to_string(to.join("compare.json")).unwrap()
    };
    let out = dir.join("cmp");
    let json: serde_json::Value = serde_json::from_str(&compare(&noop, "2", &out)).unwrap();
    let kpis = json["kpis"].as_object().unwrap();
    assert!(kpis.contains_key("traffic.mean_speed_kmh") && kpis.contains_key("bikes.trips"));
    for (name, d) in kpis {
        assert_eq!(d["difference"], 0.0, "{name}");
        assert_eq!(d["significant"], false, "{name}");
    }
    for file in [
        "compare.gpkg",
        "kpis.png",
        "timeseries.png",
        "speed_map.png",
        "runs/baseline-seed2/summary.json",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("data:image/png;base64,").count(), 3);

    // a real change: without crews no truck drives; one job at a time gives the same file
    let crews = dir.join("crews.ron");
    std::fs::write(
        &crews,
        "(name: \"no crews\", base: \"scene.ron\", edits: [Crews(crews: 0)])",
    )
    .unwrap();
    let parallel = compare(&crews, "2", &dir.join("crews2"));
    assert_eq!(
        compare(&crews, "1", &dir.join("crews1")),
        parallel,
        "thread count changed the result"
    );
    let json: serde_json::Value = serde_json::from_str(&parallel).unwrap();
    let moved = &json["kpis"]["bikes.truck_km"];
    assert_eq!(moved["variant_mean"], 0.0, "{moved}");
    assert!(moved["baseline_mean"].as_f64().unwrap() > 0.0, "{moved}");
    let gpkg = gdal::Dataset::open(dir.join("crews2/compare.gpkg")).unwrap();
    assert!(gpkg.layer_by_name("link_diff").is_ok());
    // every fence once, also where several share a name (generated fences are named after
    // the stop or street they serve)
    let fences = json["kpis"]["bikes.fences"]["baseline_mean"]
        .as_f64()
        .unwrap();
    let fence_diff = gpkg.layer_by_name("fence_diff").unwrap();
    assert_eq!(
        gdal::vector::LayerAccess::feature_count(&fence_diff) as f64,
        fences
    );

    // a scenario for another scene is refused
    let other = dir.join("other.ron");
    std::fs::write(
        &other,
        "(name: \"x\", base: \"elsewhere/scene.ron\", edits: [])",
    )
    .unwrap();
    let run = citytwin(&[
        "compare",
        scene.to_str().unwrap(),
        other.to_str().unwrap(),
        "-o",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("the scenario is for scene"));
}

#[test]
fn a_sweep_plans_runs_resumes_and_collects_through_gnu_parallel() {
    let dir = scratch("sweep");
    demo_scene(&dir);
    let sweep = dir.join("sweep.ron");
    std::fs::write(
        &sweep,
        r#"(name: "crews", scene: "scene.ron", seeds: 2,
            args: ["--from", "07:00", "--to", "07:30", "--trips", "8000", "--bike-trips", "2000"],
            grid: {"crews": [1, 3]})"#,
    )
    .unwrap();
    let here = dir.join("here");
    ok(&[
        "-q",
        "sweep",
        sweep.to_str().unwrap(),
        "--parquet",
        "-o",
        here.to_str().unwrap(),
    ]);
    let results = std::fs::read_to_string(here.join("results.csv")).unwrap();
    assert_eq!(results.lines().count(), 5, "{results}");
    // the same table as Parquet, figures as doubles
    {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;
        let file = std::fs::File::open(here.join("results.parquet")).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 4);
        let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
        let trips = header.iter().position(|h| *h == "bikes.trips").unwrap();
        let first: Vec<&str> = results.lines().nth(1).unwrap().split(',').collect();
        let row = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
        assert_eq!(
            row.get_double(trips).unwrap(),
            first[trips].parse::<f64>().unwrap()
        );
    }
    assert!(
        results.lines().skip(1).all(|l| l.contains(",done,")),
        "{results}"
    );
    // resumable: a run taken away is redone, the others are kept
    let run_dir = |label: &str| {
        let mut dirs: Vec<_> = std::fs::read_dir(here.join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(label))
            .collect();
        assert_eq!(dirs.len(), 1, "{label}: {dirs:?}");
        dirs.pop().unwrap()
    };
    std::fs::remove_file(run_dir("run-0002-").join("summary.json")).unwrap();
    let kept = std::fs::metadata(run_dir("run-0001-").join("summary.json"))
        .unwrap()
        .modified()
        .unwrap();
    ok(&[
        "-q",
        "sweep",
        sweep.to_str().unwrap(),
        "-o",
        here.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(here.join("results.csv")).unwrap(),
        results
    );
    assert_eq!(
        std::fs::metadata(run_dir("run-0001-").join("summary.json"))
            .unwrap()
            .modified()
            .unwrap(),
        kept
    );

    // an edited sweep file re-runs what changed (it used to report "4 of 4 runs already
    // done" and label the old figures with the new values)
    let edited = dir.join("edited.ron");
    std::fs::write(
        &edited,
        std::fs::read_to_string(&sweep)
            .unwrap()
            .replace("[1, 3]", "[1, 4]"),
    )
    .unwrap();
    ok(&[
        "-q",
        "sweep",
        edited.to_str().unwrap(),
        "-o",
        here.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_dir(here.join("runs")).unwrap().count(),
        6,
        "crews 4's two runs are new, crews 1's kept"
    );
    assert_eq!(
        std::fs::metadata(run_dir("run-0001-").join("summary.json"))
            .unwrap()
            .modified()
            .unwrap(),
        kept
    );

    // plan → GNU parallel → collect gives the same table
    let there = dir.join("there");
    ok(&[
        "-q",
        "sweep",
        sweep.to_str().unwrap(),
        "--plan",
        "-o",
        there.to_str().unwrap(),
    ]);
    let jobs = std::fs::read_to_string(there.join("jobs.txt")).unwrap();
    assert_eq!(jobs.lines().count(), 4);
    assert!(
        jobs.lines().all(|l| l.starts_with("citytwin -q run ")),
        "{jobs}"
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_citytwin")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("parallel")
        .args(["--will-cite", "-j", "2", "--halt", "now,fail=1"])
        .stdin(std::fs::File::open(there.join("jobs.txt")).unwrap())
        .env("PATH", path)
        .env("RUST_LOG", "error")
        .status()
        .expect("GNU parallel is installed (scripts/setup.sh)");
    assert!(status.success());
    ok(&[
        "-q",
        "sweep",
        sweep.to_str().unwrap(),
        "--collect",
        "-o",
        there.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(there.join("results.csv")).unwrap(),
        results
    );

    // an option `citytwin run` does not have fails before anything runs
    let typo = dir.join("typo.ron");
    std::fs::write(
        &typo,
        r#"(name: "t", scene: "scene.ron", seeds: 1, grid: {"crew": [1]})"#,
    )
    .unwrap();
    let run = citytwin(&[
        "sweep",
        typo.to_str().unwrap(),
        "-o",
        dir.join("t").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--crew"), "{err}");
    assert!(!dir.join("t/runs").exists());
}
