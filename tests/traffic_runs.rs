//! Headless traffic runs and static assignment through the real `citytwin` binary.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn run(scene: &Path, out: &Path, seed: &str) {
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "07:00",
        "--to",
        "08:30",
        "--trips",
        "30000",
        "--seed",
        seed,
        "-o",
        out.to_str().unwrap(),
    ]);
}

#[test]
fn a_morning_peak_runs_reports_and_repeats_byte_for_byte() {
    let dir = scratch("run");
    let scene = demo_scene(&dir);
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    run(&scene, &a, "7");
    run(&scene, &b, "7");
    run(&scene, &c, "8");
    for file in ["link_bins.csv", "trips.csv"] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two runs with the same seed");
    }
    let (mut sa, mut sb) = (summary(&a), summary(&b));
    // the one figure that may differ: how long the machine took
    sa["run"]["wall_seconds"] = 0.into();
    sb["run"]["wall_seconds"] = 0.into();
    assert_eq!(sa, sb);
    assert_ne!(
        std::fs::read(a.join("trips.csv")).unwrap(),
        std::fs::read(c.join("trips.csv")).unwrap(),
        "another seed, another day"
    );

    let t = &sa["traffic"];
    for key in [
        "trips",
        "trips_completed",
        "vkt_km",
        "vht_h",
        "mean_speed_kmh",
        "mean_delay_s",
        "congestion_index",
    ] {
        assert!(t[key].is_number(), "traffic.{key} missing");
    }
    assert_eq!(sa["run"]["seed"], 7);
    assert_eq!(sa["run"]["sim_seconds"], 5400);
    // every trip is accounted for, and most of a morning's trips finish
    let n = |k: &str| t[k].as_u64().unwrap();
    assert_eq!(
        n("trips"),
        n("trips_completed") + n("trips_en_route") + n("trips_waiting") + n("trips_no_route")
    );
    assert!(n("trips_completed") * 10 > n("trips") * 7, "{t}");
    let speed = t["mean_speed_kmh"].as_f64().unwrap();
    assert!((5.0..80.0).contains(&speed), "mean speed {speed}");
    // the trips table has a row per trip and per bike crew's truck; link bins are 15 minutes
    let trips = std::fs::read_to_string(a.join("trips.csv")).unwrap();
    assert_eq!(
        trips.lines().count() as u64,
        n("trips") + n("service_trips") + 1
    );
    assert_eq!(
        trips.lines().filter(|l| l.contains(",service,")).count() as u64,
        n("service_trips")
    );
    let bins = std::fs::read_to_string(a.join("link_bins.csv")).unwrap();
    assert_eq!(
        bins.lines().next(),
        Some(
            "bin_start,link,osm_way_id,flow_vph,mean_speed_kmh,density_veh_km,stuck_moves,bin_seconds"
        )
    );
    // the per-link stuck moves add up to the summary's
    let stuck: u64 = bins
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap())
        .sum();
    // a day run to its end saw every bin whole
    assert!(bins.lines().skip(1).all(|l| l.ends_with(",900")));
    assert_eq!(stuck, n("stuck_moves"));
    // bins start on the quarter hour of the scene's day, with the offset of its time zone
    assert!(bins.lines().skip(1).all(|l| {
        let start = l.split(',').next().unwrap();
        let (clock, offset) = start.split_at(19);
        offset == "+08:00"
            && clock.starts_with("2025-01-06T")
            && [":00:00", ":15:00", ":30:00", ":45:00"]
                .iter()
                .any(|q| clock.ends_with(q))
    }));
}

#[test]
fn run_refuses_bad_arguments_in_one_line() {
    let dir = scratch("run-bad");
    let scene = dir.join("scene.ron");
    std::fs::write(
        &scene,
        "(name: \"x\", osm: \"x.osm\", bundle: \"missing.ctb\")",
    )
    .unwrap();
    let no_bundle = format!(
        "no city bundle; import the scene {0} first (citytwin import --scene {0})",
        scene.display()
    );
    let cases: [(&[&str], &str); 3] = [
        (
            &["--from", "10:00", "--to", "09:00"],
            "--from/--to 10:00:00–09:00:00: expected a start before the end",
        ),
        (&["--from", "25:00"], "expected a time of day HH:MM"),
        (&[], &no_bundle),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["run", scene.to_str().unwrap(), "-o", "/tmp/unused"];
        args.extend_from_slice(extra);
        let out = citytwin(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

const SIOUX: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../sim/traffic/tests/data/SiouxFalls"
);

#[test]
fn assign_prints_iterations_and_ends_with_json() {
    let dir = scratch("assign");
    let flows = dir.join("flows.csv");
    let out = ok(&[
        "-q",
        "assign",
        "--net",
        &format!("{SIOUX}/SiouxFalls_net.tntp"),
        "--trips",
        &format!("{SIOUX}/SiouxFalls_trips.tntp"),
        "--gap",
        "1e-6",
        "--compare",
        &format!("{SIOUX}/SiouxFalls_flow.tntp"),
        "--flows",
        flows.to_str().unwrap(),
        "--json",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("iteration    0  relative gap"));
    let json: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert!(json["relative_gap"].as_f64().unwrap() <= 1e-6);
    let objective = json["objective"].as_f64().unwrap();
    assert!((objective / 42.313_352_871_074_4e5 - 1.0).abs() < 1e-4);
    assert!(json["flow_rmse_relative"].as_f64().unwrap() < 0.01);
    assert_eq!(std::fs::read_to_string(&flows).unwrap().lines().count(), 77);

    // a gap it could never reach is refused, by its flag, before the network is read
    let err = fails(&[
        "assign",
        "--net",
        "/nonexistent/net.tntp",
        "--trips",
        "/nonexistent/trips.tntp",
        "--gap",
        "0",
    ]);
    assert!(
        err.contains("--gap 0: expected a relative gap > 0"),
        "{err}"
    );

    // a cut network file: one line naming the file and what is wrong
    let cut = dir.join("cut_net.tntp");
    let text = std::fs::read_to_string(format!("{SIOUX}/SiouxFalls_net.tntp")).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let out = citytwin(&[
        "assign",
        "--net",
        cut.to_str().unwrap(),
        "--trips",
        &format!("{SIOUX}/SiouxFalls_trips.tntp"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cut_net.tntp") && err.lines().count() == 1,
        "{err}"
    );

    // a negative weight used to loop forever; zones cut off by the header used to leave
    // most trips out with a warning and "converged"
    let sioux = |net: &str, extra: &[&str]| {
        let mut args = vec![
            "-q",
            "assign",
            "--net",
            net,
            "--trips",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../sim/traffic/tests/data/SiouxFalls/SiouxFalls_trips.tntp"
            ),
        ];
        args.extend_from_slice(extra);
        fails(&args)
    };
    let net = format!("{SIOUX}/SiouxFalls_net.tntp");
    let err = sioux(&net, &["--toll-weight=-1"]);
    assert!(
        err.contains("toll weight -1: expected minutes per unit ≥ 0"),
        "{err}"
    );
    let isolated = dir.join("isolated_net.tntp");
    // cut every link of node 24 (zone 24 too) and its trips have no path
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            !(f.len() > 2 && (f[0] == "24" || f[1] == "24"))
        })
        .collect();
    let removed = text.lines().count() - kept.len();
    let kept = kept.join("\n").replace(
        "<NUMBER OF LINKS> 76",
        &format!("<NUMBER OF LINKS> {}", 76 - removed),
    );
    std::fs::write(&isolated, kept).unwrap();
    let err = sioux(isolated.to_str().unwrap(), &[]);
    assert!(err.contains("trips have no path through"), "{err}");
}

/// A SUMO network of `side` × `side` junctions 200 m apart, two-way streets between
/// neighbours, and `trips` trips between edges spread over the grid, all leaving in ten
/// minutes: batches of routes big enough to be shared among threads.
fn sumo_grid(dir: &Path, side: usize, trips: usize) -> (PathBuf, PathBuf) {
    let mut edges = Vec::new();
    let mut xml = String::from("<net version=\"1.20\">\n");
    let node = |r: usize, c: usize| format!("n{r}_{c}");
    for r in 0..side {
        for c in 0..side {
            for (dr, dc) in [(0i64, 1i64), (1, 0), (0, -1), (-1, 0)] {
                let (r2, c2) = (r as i64 + dr, c as i64 + dc);
                if r2 < 0 || c2 < 0 || r2 >= side as i64 || c2 >= side as i64 {
                    continue;
                }
                let (r2, c2) = (r2 as usize, c2 as usize);
                let id = format!("{}to{}", node(r, c), node(r2, c2));
                let (x1, y1, x2, y2) = (c * 200, r * 200, c2 * 200, r2 * 200);
                xml.push_str(&format!(
                    "  <edge id=\"{id}\" from=\"{}\" to=\"{}\"><lane id=\"{id}_0\" index=\"0\" speed=\"13.89\" length=\"200.00\" shape=\"{x1},{y1} {x2},{y2}\"/></edge>\n",
                    node(r, c),
                    node(r2, c2)
                ));
                edges.push(id);
            }
            xml.push_str(&format!(
                "  <junction id=\"{}\" type=\"priority\" x=\"{}\" y=\"{}\"/>\n",
                node(r, c),
                c * 200,
                r * 200
            ));
        }
    }
    xml.push_str("</net>\n");
    let net = dir.join("grid.net.xml");
    std::fs::write(&net, xml).unwrap();
    let rows: String = (0..trips)
        .map(|i| {
            let (from, to) = (
                edges[i * 7 % edges.len()].clone(),
                edges[i * 13 % edges.len()].clone(),
            );
            format!(
                r#"<trip id="t{i}" depart="{}" from="{from}" to="{to}"/>"#,
                i * 600 / trips
            )
        })
        .collect();
    let trips_file = dir.join("grid.trips.xml");
    std::fs::write(&trips_file, format!("<routes>{rows}</routes>")).unwrap();
    (net, trips_file)
}

#[test]
fn outputs_are_the_same_whatever_the_number_of_threads() {
    let dir = scratch("threads");
    let scene = demo_scene(&dir);
    let (net, trips) = sumo_grid(&dir, 12, 3000);
    let day = |threads: &str, network: &str| -> PathBuf {
        let out = dir.join(format!("{network}-{threads}"));
        let mut args = vec![
            "-q",
            "--threads",
            threads,
            "run",
            "-o",
            out.to_str().unwrap(),
        ];
        match network {
            "city" => args.extend([scene.to_str().unwrap(), "--from", "07:00", "--to", "09:00"]),
            _ => args.extend([
                "--sumo-net",
                net.to_str().unwrap(),
                "--sumo-trips",
                trips.to_str().unwrap(),
            ]),
        }
        ok(&args);
        out
    };
    for network in ["city", "grid"] {
        let (one, three) = (day("1", network), day("3", network));
        // the city's shared bikes too: their wishes' ride times are found on every core
        let bikes = (network == "city").then_some("fences.csv");
        for file in ["trips.csv", "link_bins.csv"].into_iter().chain(bikes) {
            let a = std::fs::read(one.join(file)).unwrap();
            let b = std::fs::read(three.join(file)).unwrap();
            assert!(a.len() > 1000, "{network} {file}: {} bytes", a.len());
            assert!(a == b, "{network} {file} differs between 1 and 3 threads");
        }
    }
    let s = summary(&dir.join("grid-3"));
    assert_eq!(s["demand"]["trips"], 3000);
    assert!(
        s["traffic"]["trips_completed"].as_u64().unwrap() > 2900,
        "{s}"
    );
}
