//! `citytwin calibrate` through the real binary: a fit of a generated town to published-style
//! figures that writes a model file `run --model` reads back and a validation report; and bad
//! targets and counts files, each a one-line error naming the file, line and field.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// The generated town, imported, with its scene.
fn town(name: &str) -> (Scratch, PathBuf) {
    let dir = scratch(name);
    let osm = dir.join("town.osm");
    roads_only_town(&osm);
    let scene = dir.join("scene.ron");
    std::fs::write(
        &scene,
        format!("(name: \"town\", osm: {osm:?}, bundle: \"city.ctb\")"),
    )
    .unwrap();
    ok(&["-q", "import", "--scene", scene.to_str().unwrap()]);
    (dir, scene)
}

fn calibrate(scene: &Path, targets: &Path, out: &Path) -> std::process::Output {
    citytwin(&[
        "-q",
        "calibrate",
        scene.to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn a_fit_to_published_figures_writes_a_model_that_runs_read() {
    let (dir, scene) = town("calibrate-fit");
    let targets = dir.join("targets.ron");
    std::fs::write(
        &targets,
        "(indicators: [(kind: PeakTti, value: 1.3, tolerance: 0.05, source: \"test\"), \
          (kind: PeakSpeedKmh, value: 30.0, tolerance: 1.0, source: \"test\")], \
          fit: [DemandScale, Speed(All)], max_runs: 10)",
    )
    .unwrap();
    let model = dir.join("fit").join("model.ron");
    let out = calibrate(&scene, &targets, &model);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(
        text.starts_with("// Fitted by citytwin calibrate"),
        "{text}"
    );
    assert!(text.contains("demand.scale: 0.5000 →"), "{text}");
    let report = dir.join("fit").join("model_report");
    for file in ["report.html", "fit.png", "runs.csv", "counts.csv"] {
        assert!(report.join(file).exists(), "{file} missing");
    }
    let runs = std::fs::read_to_string(report.join("runs.csv")).unwrap();
    assert!(runs.starts_with("run,demand.scale,roads.speed.major+minor+local,cost"));
    // the fitted day is nearer the figures than the defaults' first day
    let costs: Vec<f64> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    let best = costs.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(best < costs[0] / 2.0, "{costs:?}");

    // run reads the fitted model and lands near the figures
    let day = dir.join("day");
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--no-ops",
        "-o",
        day.to_str().unwrap(),
    ]);
    let s = summary(&day);
    let speed = s["traffic"]["peak_speed_kmh"].as_f64().unwrap();
    assert!((25.0..35.0).contains(&speed), "peak speed {speed}");
}

#[test]
fn bad_targets_and_counts_are_one_line_errors() {
    let (dir, scene) = town("calibrate-bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let model = dir.join("model.ron");
    let run = |targets: &Path| {
        fails(&[
            "calibrate",
            scene.to_str().unwrap(),
            "--targets",
            targets.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ])
    };
    let e = run(&write(
        "unknown.ron",
        "(indicators: [(kind: Happiness, value: 1.0, tolerance: 0.1)])",
    ));
    assert!(e.contains("unknown.ron:1:"), "{e}");
    let e = run(&write("nothing.ron", "(fit: [DemandScale])"));
    assert!(e.contains("nothing.ron: nothing to fit"), "{e}");

    let counts = |name: &str, csv: &str| {
        write(name, csv);
        write(
            &format!("{name}.ron"),
            &format!("(counts: {name:?}, fit: [DemandScale])"),
        )
    };
    // the town's corner (116.40 E, 39.90 N) is on a street; 0.01° north is 1.1 km away
    let e = run(&counts(
        "far.csv",
        "lon,lat,from,to,count\n116.4,39.9,07:00,08:00,500\n116.4,39.95,07:00,08:00,500\n",
    ));
    assert!(
        e.contains("far.csv:3: lon,lat: the nearest car link is"),
        "{e}"
    );
    let e = run(&counts(
        "badcount.csv",
        "lon,lat,from,to,count\n116.4,39.9,07:00,08:00,many\n",
    ));
    assert!(
        e.contains("badcount.csv:2: count: expected a number"),
        "{e}"
    );
    let e = run(&counts(
        "bins.csv",
        "lon,lat,from,to,count\n116.4,39.9,07:10,08:00,500\n",
    ));
    assert!(
        e.contains("bins.csv:2: from/to: expected times on the model's 15-minute bins"),
        "{e}"
    );
    let e = run(&counts(
        "noway.csv",
        "way,direction,from,to,count\n999999,forward,07:00,08:00,500\n",
    ));
    assert!(
        e.contains("noway.csv:2: way: 999999 has no car link forward"),
        "{e}"
    );
    let e = run(&counts(
        "dir.csv",
        "way,direction,from,to,count\n1,sideways,07:00,08:00,500\n",
    ));
    assert!(
        e.contains("dir.csv:2: direction: expected forward, backward or empty"),
        "{e}"
    );
    assert!(!model.exists(), "no model file from a failed calibration");
}
