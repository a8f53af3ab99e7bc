//! `citytwin forecast` end to end: from the demo morning's state at 08:00, half an hour ahead,
//! scored against another seed; the same inputs give the same files.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::Path;

/// The command line of a forecast of the demo morning from `at`, half an hour ahead.
fn forecast_args(scene: &Path, out: &Path, at: &str, extra: &[&str]) -> Vec<String> {
    let window = ["--from", "07:00", "--to", "09:00", "--trips", "30000"];
    let mut args = vec!["forecast".to_string(), scene.display().to_string()];
    args.extend(window.iter().map(|a| a.to_string()));
    args.extend(["--at", at, "--horizon", "30", "-o"].map(String::from));
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

fn forecast(scene: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["-q".to_string()];
    args.extend(forecast_args(scene, out, "08:00", extra));
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn a_forecast_writes_link_steps_and_cases_and_scores_itself_against_a_truth() {
    let dir = scratch("forecast");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    let a = dir.join("a");
    forecast(&scene, &a, &["--truth-seed", "2"]);
    let csv = std::fs::read_to_string(a.join("forecast_links.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("link,osm_way_id,minutes_ahead,speed_kmh,flow_vph")
    );
    let steps: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(steps.into_iter().collect::<Vec<_>>(), ["15", "30"]);
    assert!(
        csv.lines().count() > 500,
        "{} link-steps",
        csv.lines().count()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("forecast.json")).unwrap()).unwrap();
    assert_eq!(json["at"], "2025-01-06T08:00:00+08:00");
    assert!(json["seconds"].as_f64().unwrap() > 0.0);
    let skill = &json["skill"];
    assert_eq!(skill["steps"].as_array().unwrap().len(), 2);
    for step in skill["steps"].as_array().unwrap() {
        let (f, p) = (
            step["speed_mae_kmh"].as_f64().unwrap(),
            step["persistence_speed_mae_kmh"].as_f64().unwrap(),
        );
        // errors of a few km/h, not of the model's whole range
        assert!(
            (0.0..15.0).contains(&f) && (0.0..15.0).contains(&p),
            "{step}"
        );
    }
    // the same inputs, the same forecast (the wall-clock `seconds` aside)
    let b = dir.join("b");
    forecast(&scene, &b, &["--truth-seed", "2"]);
    assert_eq!(
        std::fs::read(a.join("forecast_links.csv")).unwrap(),
        std::fs::read(b.join("forecast_links.csv")).unwrap()
    );
    // a forecast against its own seed is perfect: the fork is the future of that state
    let same = dir.join("same");
    forecast(&scene, &same, &["--truth-seed", "1"]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(same.join("forecast.json")).unwrap())
            .unwrap();
    for step in json["skill"]["steps"].as_array().unwrap() {
        assert_eq!(step["speed_mae_kmh"].as_f64(), Some(0.0), "{step}");
    }
    assert_eq!(
        json["skill"]["alarm_recall"],
        json["skill"]["alarm_precision"]
    );
    // the nowcast: its own seed's detectors agree with the model exactly
    assert_eq!(json["nowcast"]["factor"].as_f64(), Some(1.0));
    assert!(json["nowcast"]["detectors"].as_u64().unwrap() > 50);
    // a busier morning than the model's shows at the detectors, and the forecast scales up
    let busier = dir.join("busier.ron");
    std::fs::write(
        &busier,
        r#"(name: "busier", base: "scene.ron", edits: [ScaleDemand(factor: 1.3)])"#,
    )
    .unwrap();
    let scaled = dir.join("scaled");
    let busier_arg = busier.to_str().unwrap();
    forecast(
        &scene,
        &scaled,
        &["--truth-seed", "2", "--truth-scenario", busier_arg],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scaled.join("forecast.json")).unwrap())
            .unwrap();
    let factor = json["nowcast"]["factor"].as_f64().unwrap();
    assert!((1.1..1.4).contains(&factor), "nowcast factor {factor}");
    let step = &json["skill"]["steps"][1];
    assert!(
        step["without_nowcast_flow_mae_vph"].as_f64().is_some(),
        "{step}"
    );
    let plain = dir.join("plain");
    forecast(
        &scene,
        &plain,
        &[
            "--truth-seed",
            "2",
            "--truth-scenario",
            busier_arg,
            "--no-nowcast",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plain.join("forecast.json")).unwrap())
            .unwrap();
    assert!(json["nowcast"].is_null());
    assert!(json["skill"]["steps"][1]["without_nowcast_flow_mae_vph"].is_null());
    let bad = forecast_args(&scene, &dir.join("bad"), "10:00", &[]);
    let err = fails(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        err.contains("--at 10:00:00: outside the simulated window"),
        "{err}"
    );
}
