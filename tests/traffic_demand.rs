//! The other demand sources of `citytwin run` (trip lists, OD matrices, SUMO files), the
//! day-to-day equilibrium mode and the GeoPackage of link bins, through the real binary.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use gdal::vector::{LayerAccess, OGRFieldType};
use std::path::{Path, PathBuf};

/// The first node of the first primary road in the OSM file: an end of a way, so a node of
/// the road graph.
fn a_primary_road_node() -> String {
    let text = std::fs::read_to_string(DEMO_OSM).unwrap();
    let way = text
        .split("<way ")
        .skip(1)
        .find(|w| w.contains(r#"k="highway" v="primary""#) && !w.contains(r#"k="oneway""#))
        .unwrap();
    let at = way.find(r#"ref=""#).unwrap() + 5;
    way[at..at + way[at..].find('"').unwrap()].to_string()
}

fn run(scene: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "07:00",
        "--to",
        "08:00",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    citytwin(&args)
}

#[test]
fn trip_lists_od_matrices_equilibrium_and_the_geopackage() {
    let dir = scratch("demand");
    let scene = demo_scene(&dir);

    // a trip list, by lon/lat and by OSM node
    let node = a_primary_road_node();
    let list = dir.join("trips.csv");
    std::fs::write(
        &list,
        "id,depart,from_lon,from_lat,to_lon,to_lat\n\
         a1,07:05,104.0650,30.6600,104.0800,30.6700\n\
         a2,07:10:30,104.0800,30.6700,104.0650,30.6600\n",
    )
    .unwrap();
    let out = dir.join("list");
    let r = run(&scene, &out, &["--trip-list", list.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let s = summary(&out);
    assert_eq!(s["demand"]["source"], "trip_list");
    assert_eq!(s["traffic"]["trips_completed"], 2);
    let trips = std::fs::read_to_string(out.join("trips.csv")).unwrap();
    assert!(trips.lines().nth(1).unwrap().starts_with("a1,"), "{trips}");
    assert!(trips.lines().nth(2).unwrap().starts_with("a2,"), "{trips}");

    // the same list as a spreadsheet saves it: a BOM, CRLF, quoted ids with a comma and a
    // quote; trips.csv quotes them back, so each stays one row
    let excel = dir.join("excel.csv");
    std::fs::write(
        &excel,
        "\u{feff}id,depart,from_lon,from_lat,to_lon,to_lat\r\n\
         \"a,1\",07:05,104.0650,30.6600,104.0800,30.6700\r\n\
         \"\"\"q\"\"\",07:10:30,104.0800,30.6700,104.0650,30.6600\r\n",
    )
    .unwrap();
    let out_excel = dir.join("excel");
    let r = run(
        &scene,
        &out_excel,
        &["--trip-list", excel.to_str().unwrap()],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let trips = std::fs::read_to_string(out_excel.join("trips.csv")).unwrap();
    assert!(
        trips.lines().nth(1).unwrap().starts_with("\"a,1\","),
        "{trips}"
    );
    assert!(
        trips.lines().nth(2).unwrap().starts_with("\"\"\"q\"\"\","),
        "{trips}"
    );

    let by_node = dir.join("nodes.csv");
    std::fs::write(
        &by_node,
        format!("depart,from_node,to_lon,to_lat\n07:00,{node},104.0800,30.6700\n"),
    )
    .unwrap();
    let r = run(
        &scene,
        &dir.join("nodes"),
        &["--trip-list", by_node.to_str().unwrap()],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // bad rows name the file, line and field
    let bad = dir.join("bad.csv");
    let cases = [
        (
            "depart,from_lon,from_lat,to_lon,to_lat\n7h,104.07,30.66,104.08,30.67\n",
            "bad.csv:2: depart: expected a time",
        ),
        (
            "depart,from_lon,from_lat,to_lon,to_lat\n99999999999,104.07,30.66,104.08,30.67\n",
            "bad.csv:2: depart: expected a time HH:MM[:SS] or seconds from 00:00 to 48:00",
        ),
        (
            "depart,from_lon,from_lat,to_lon,to_lat\n07:00,104.07,30.66,120.0,30.67\n",
            "bad.csv:2: to: 120,30.67 is more than 1000 m from any car link",
        ),
        (
            "depart,from_node,to_node\n07:00,1,2\n",
            "bad.csv:2: from: OSM node 1 is not a node of the road graph",
        ),
        (
            "depart,to_lon,to_lat\n07:00,104.07,30.66\n",
            "expected columns from_lon,from_lat or from_node",
        ),
        (
            "depart,from_lon,from_lat,to_lon,to_lat\n07:00,104.07,30.66\n",
            "bad.csv:2: 3 fields, expected 5",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&bad, text).unwrap();
        let r = run(
            &scene,
            &dir.join("bad"),
            &["--trip-list", bad.to_str().unwrap()],
        );
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success());
        assert!(err.contains(expected), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    // an OD matrix between districts by name, and an unknown zone
    let od = dir.join("od.csv");
    std::fs::write(
        &od,
        "origin,destination,trips\n青羊区,锦江区,4000\n锦江区,Jinniu,3000.5\n",
    )
    .unwrap();
    let out = dir.join("od");
    let r = run(
        &scene,
        &out,
        &["--od", od.to_str().unwrap(), "--iterations", "2"],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let s = summary(&out);
    assert_eq!(s["demand"]["source"], "od");
    let trips = s["demand"]["trips"].as_u64().unwrap();
    // 7000 trips a day; the 07–08 hour has 7.5% of the typical weekday
    assert!((400..650).contains(&trips), "{trips} trips in the hour");
    assert_eq!(s["traffic"]["equilibrium_days"], 2);
    let days = std::fs::read_to_string(out.join("iterations.csv")).unwrap();
    assert_eq!(days.lines().count(), 3, "{days}");
    // a target gap every day meets stops after the first day; one none meets runs them all
    for (target, expected_days) in [("1", 1), ("0", 3)] {
        let out = dir.join(format!("od-target-{target}"));
        let args = ["--od", od.to_str().unwrap(), "--iterations", "3"];
        let r = run(
            &scene,
            &out,
            &[&args[..], &["--target-gap", target]].concat(),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let s = summary(&out);
        assert_eq!(s["traffic"]["equilibrium_days"], expected_days);
        assert_eq!(s["traffic"]["equilibrium_reached"], expected_days == 1);
    }
    std::fs::write(&od, "origin,destination,trips\n青羊区,Atlantis,10\n").unwrap();
    let r = run(&scene, &dir.join("od-bad"), &["--od", od.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("od.csv:2: zone \"Atlantis\": not one of the city's 5 districts"),
        "{err}"
    );

    // the GeoPackage: day aggregates, and timestamped bins for QGIS's temporal controller
    let gpkg = gdal::Dataset::open(out.join("traffic.gpkg")).unwrap();
    let day = gpkg.layer_by_name("link_day").unwrap();
    assert!(day.feature_count() > 1000);
    let mut bins = gpkg.layer_by_name("link_bins").unwrap();
    assert!(bins.feature_count() > 100);
    let defn = bins.defn();
    let kinds: Vec<(String, u32)> = defn.fields().map(|f| (f.name(), f.field_type())).collect();
    assert!(
        kinds.contains(&("bin_start".into(), OGRFieldType::OFTDateTime)),
        "{kinds:?}"
    );
    let first = bins.features().next().unwrap();
    let at = first.field_index("bin_start").unwrap();
    let start = first.field_as_datetime(at).unwrap().unwrap();
    // on the scene's day (the default, a Monday), stored in UTC as GeoPackage requires:
    // 07:xx in Chengdu is 23:xx Z
    let seven = citytwin_city::calendar::rfc3339_seconds("2025-01-06T07:00:00+08:00").unwrap();
    assert!(
        (seven..seven + 3600).contains(&start.timestamp()),
        "{start:?}"
    );
    assert_eq!(start.offset().local_minus_utc(), 0, "{start:?}");
    assert!(!dir.join("od/traffic.partial.gpkg").exists());
}

/// A SUMO network of two 500 m links in a line, and 20 trips along it, one every 10 s.
fn sumo_line(dir: &Path) -> (PathBuf, PathBuf) {
    let net = dir.join("line.net.xml");
    std::fs::write(
        &net,
        r#"<net version="1.20">
  <edge id="AB" from="A" to="B"><lane id="AB_0" index="0" speed="13.89" length="500.00" shape="0,0 500,0"/></edge>
  <edge id="BC" from="B" to="C"><lane id="BC_0" index="0" speed="13.89" length="500.00" shape="500,0 1000,0"/></edge>
  <junction id="A" type="dead_end" x="0" y="0"/>
  <junction id="B" type="priority" x="500" y="0"/>
  <junction id="C" type="dead_end" x="1000" y="0"/>
</net>"#,
    )
    .unwrap();
    let trips = dir.join("trips.xml");
    let rows: String = (0..20)
        .map(|i| format!(r#"<trip id="v{i}" depart="{}" from="AB" to="BC"/>"#, i * 10))
        .collect();
    std::fs::write(&trips, format!("<routes>{rows}</routes>")).unwrap();
    (net, trips)
}

#[test]
fn a_sumo_network_and_trips_run_as_they_are() {
    let dir = scratch("sumo");
    let (net, trips) = sumo_line(&dir);
    let out = dir.join("out");
    ok(&[
        "-q",
        "run",
        "--sumo-net",
        net.to_str().unwrap(),
        "--sumo-trips",
        trips.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(s["traffic"]["trips_completed"], 20);
    // 1000 m at 50 km/h, free road: 72 s each
    let mean = s["traffic"]["mean_travel_time_s"].as_f64().unwrap();
    assert!((70.0..=76.0).contains(&mean), "{mean}");
    let ids = std::fs::read_to_string(out.join("trips.csv")).unwrap();
    assert!(ids.lines().nth(1).unwrap().starts_with("v0,"));
    // the same files through pipes, as `<(zcat city.net.xml.gz)` gives them: read once, by
    // the run alone, to the same trips (the network led by a comment of some megabytes, as
    // netconvert's is, so that a second reader of the pipe would take some of it)
    let text = std::fs::read_to_string(&net).unwrap();
    let comment = format!("<!-- {} -->\n", "netconvert options ".repeat(200_000));
    std::fs::write(&net, comment + &text).unwrap();
    let piped = dir.join("piped");
    let command = format!(
        "{} -q run --sumo-net <(cat {}) --sumo-trips <(cat {}) -o {}",
        env!("CARGO_BIN_EXE_citytwin"),
        net.display(),
        trips.display(),
        piped.display()
    );
    let run = std::process::Command::new("bash")
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(piped.join("trips.csv")).unwrap(),
        ids
    );
}

/// GDAL and PROJ are opened by the first call into them (tools/gis/src/lazy_link.rs): a SUMO
/// day, which writes no GeoPackage, runs without loading them and the ~110 libraries they
/// bring, which cost every process ~35 ms at start.
#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
fn a_day_that_writes_no_geopackage_never_loads_gdal() {
    if option_env!("CITYTWIN_EAGER_LINK").is_some() {
        return;
    }
    let dir = scratch("sumo-no-gdal");
    let (net, trips) = sumo_line(&dir);
    let out = dir.join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args(["-q", "run", "--sumo-net", net.to_str().unwrap()])
        .args(["--sumo-trips", trips.to_str().unwrap(), "-o"])
        .arg(&out)
        // the dynamic loader lists every library it opens, at start or later
        .env("LD_DEBUG", "files")
        .output()
        .unwrap();
    let loaded = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{loaded}");
    assert!(loaded.contains("libc.so.6"), "the loader listed nothing");
    assert!(
        !loaded.contains("libgdal") && !loaded.contains("libproj"),
        "{loaded}"
    );
    assert!(out.join("trips.csv").exists());
}
