//! Operations end to end: a morning of the demo city with its sensors (virtual, replayed and
//! live), vital signs, data quality and cases; the same again gives the same files; a broken
//! ops file or report list is a one-line error naming where.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::path::Path;

fn run_morning(scene: &Path, out: &Path) {
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "06:00",
        "--to",
        "08:00",
        "--trips",
        "8000",
        "--parquet",
        "-o",
        out.to_str().unwrap(),
    ]);
}

#[test]
fn a_morning_reports_vitals_quality_and_cases_and_repeats_exactly() {
    let dir = scratch("ops-morning");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    let (a, b) = (dir.join("a"), dir.join("b"));
    run_morning(&scene, &a);
    let s = summary(&a);

    assert!(
        s["sensors"]["things"].as_u64().unwrap() > 100,
        "{}",
        s["sensors"]
    );
    // the replayed typical day (the series' median-AQI day): amber, "lightly polluted"
    let aqi = &s["vitals"]["city"]["aqi"];
    assert!(
        (100.0..200.0).contains(&aqi["mean"].as_f64().unwrap()),
        "{aqi}"
    );
    assert_eq!(aqi["amber_share"].as_f64().unwrap(), 1.0, "{aqi}");
    assert_eq!(aqi["red_share"].as_f64().unwrap(), 0.0, "{aqi}");
    let replay = &s["quality"]["by_source"]["replay"];
    assert_eq!(replay["feeds"], 48, "6 stations × 8 datastreams");
    assert_eq!(replay["received"]["invalid"], 0);
    // nobody publishes the live sensors in a headless run: they go stale and say so
    let live = &s["quality"]["by_source"]["live"];
    assert_eq!(live["received"]["accepted"], 0);
    assert!(live["stale_alarms"].as_u64().unwrap() >= 2, "{live}");
    // virtual sensors miss only the window's first minute (the run starts after it)
    let virtual_feeds = &s["quality"]["by_source"]["virtual"];
    let completeness = virtual_feeds["scores"]["completeness"].as_f64().unwrap();
    assert!((0.99..=1.0).contains(&completeness), "{virtual_feeds}");

    let cases = &s["cases"];
    assert!(cases["opened"].as_u64().unwrap() > 0);
    // the hotline's 07:05 rear-end collision on 红星路 is filed as a traffic incident, the
    // weather question is nobody's
    assert_eq!(cases["by_service"]["traffic.incident"]["opened"], 1);
    assert!(
        cases["by_service"]["sensor.fault"]["opened"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(cases["not_responsible"].as_u64().unwrap() >= 1);
    // nothing of the weather question was disposed of: no SLA share rather than 0
    assert!(cases["by_service"]["unclassified"]["sla_met_share"].is_null());
    let share = cases["sla_met_share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));

    let csv = |name: &str| std::fs::read_to_string(a.join(name)).unwrap();
    assert!(csv("vitals.csv").starts_with("time,scope,indicator,value,level\n"));
    assert!(csv("vitals.csv").contains(",city,aqi,"));
    assert!(csv("cases.csv").contains(",traffic.incident,"));
    // the median-AQI day of the demo's December 2016 records, not the smog day (18th)
    assert!(csv("sensors.csv").contains("replay: Dongsi station, 2016-12-07"));
    assert!(csv("quality.csv").lines().count() > 2);
    // the time series again as Parquet, row for row
    for name in ["vitals", "quality", "link_bins"] {
        let file = std::fs::File::open(a.join(format!("{name}.parquet"))).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let rows = reader.metadata().file_metadata().num_rows() as usize;
        assert_eq!(
            rows + 1,
            csv(&format!("{name}.csv")).lines().count(),
            "{name}"
        );
    }

    run_morning(&scene, &b);
    for file in [
        "vitals.csv",
        "quality.csv",
        "cases.csv",
        "sensors.csv",
        "vitals.parquet",
        "link_bins.parquet",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two identical runs");
    }
    let mut t = summary(&b);
    let mut s = s;
    for v in [&mut s, &mut t] {
        v["run"]["wall_seconds"] = serde_json::Value::Null;
    }
    assert_eq!(s, t);
}

#[test]
fn broken_ops_files_and_report_lists_are_one_line_errors() {
    let dir = scratch("ops-bad");
    let ops = dir.join("ops.ron");
    let scene = scene_with_ops(&dir, &ops);
    let run = |ops_text: &str| {
        std::fs::write(&ops, ops_text).unwrap();
        fails(&[
            "-q",
            "run",
            scene.to_str().unwrap(),
            "--from",
            "06:00",
            "--to",
            "06:10",
            "--trips",
            "100",
            "-o",
            dir.join("out").to_str().unwrap(),
        ])
    };
    // the day moved to the scene: an ops file that still names it says where it went
    let err = run(r#"(date: "2016-12-18", utc_offset_hours: 8)"#);
    assert!(err.contains("ops.ron: date:"), "{err}");
    assert!(err.contains("the scene's `date:`"), "{err}");

    let err = run(r#"(sensors: [])"#);
    assert!(err.contains("ops.ron:1:"), "{err}");
    assert!(err.contains("sensors"), "{err}");

    std::fs::write(
        dir.join("hotline.csv"),
        "time,lon,lat,text\n07:00,104.07,30.69,堵车\n7 o'clock,104.07,30.69,堵车\n",
    )
    .unwrap();
    let err = run(r#"(reports: "hotline.csv")"#);
    assert!(err.contains("hotline.csv:3: time `7 o'clock`"), "{err}");

    let replay = dir.join("station.csv");
    std::fs::write(
        &replay,
        "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",\"station\"\n1,2016,12,18,0,lots,1,1,1,1,1,\"X\"\n",
    )
    .unwrap();
    let err = run(
        r#"(air_quality_date: "2016-12-18", air_quality: [(name: "x", file: "station.csv", lon: 104.07, lat: 30.69)])"#,
    );
    assert!(
        err.contains("station.csv: line 2: `PM2.5` is `lots`, expected a number or NA"),
        "{err}"
    );
}

#[test]
fn a_scenario_moves_vital_sign_thresholds() {
    let dir = scratch("ops-thresholds");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    // the typical morning (AQI about 150) is amber below AQI 201; a scenario that calls
    // AQI 150 red sees it red all along
    std::fs::write(
        dir.join("strict.ron"),
        r#"(name: "strict AQI", base: "scene.ron", edits: [VitalThresholds(indicator: "aqi", amber: 100, red: 150)])"#,
    )
    .unwrap();
    let out = dir.join("strict");
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--scenario",
        dir.join("strict.ron").to_str().unwrap(),
        "--from",
        "06:00",
        "--to",
        "07:00",
        "--trips",
        "2000",
        "-o",
        out.to_str().unwrap(),
    ]);
    let aqi = &summary(&out)["vitals"]["city"]["aqi"];
    assert!(aqi["min"].as_f64().unwrap() >= 150.0, "{aqi}");
    assert_eq!(aqi["red_share"].as_f64().unwrap(), 1.0, "{aqi}");
}
