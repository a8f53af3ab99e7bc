//! Bad input gets a one-line error naming the file and what was expected — never a panic.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::Path;

fn import_err(input: &Path, dir: &Path, extra: &[&str]) -> String {
    let out = dir.join("out.ctb");
    let mut args = vec![
        "-q",
        "import",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let err = fails(&args);
    assert!(!out.exists(), "no bundle is written on error");
    err
}

const TINY_ROADS: &str = r#"<?xml version="1.0"?>
<osm version="0.6">
  <node id="1" lat="30.66" lon="104.06"/><node id="2" lat="30.661" lon="104.06"/>
  <node id="3" lat="30.662" lon="104.061"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
</osm>"#;

#[test]
fn missing_unknown_empty_files() {
    let dir = scratch("bad-files");
    let err = import_err(&dir.join("nowhere.osm"), &dir, &[]);
    assert!(
        err.contains("nowhere.osm") && err.contains("not found"),
        "{err}"
    );

    let txt = dir.join("notes.txt");
    std::fs::write(&txt, "hello").unwrap();
    let err = import_err(&txt, &dir, &[]);
    assert!(
        err.contains("notes.txt") && err.contains("unknown format"),
        "{err}"
    );

    let empty = dir.join("empty.osm");
    std::fs::write(&empty, "").unwrap();
    let err = import_err(&empty, &dir, &[]);
    assert!(
        err.contains("empty.osm") && err.contains("empty file"),
        "{err}"
    );
}

#[test]
fn truncated_osm_xml_and_pbf() {
    let dir = scratch("bad-truncated");
    let text = std::fs::read(DEMO_OSM).unwrap();
    let cut = dir.join("cut.osm");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let err = import_err(&cut, &dir, &[]);
    assert!(
        err.contains("cut.osm") && err.contains("malformed OSM XML"),
        "{err}"
    );

    let pbf = dir.join("full.osm.pbf");
    assert!(
        std::process::Command::new("osmium")
            .args(["cat", DEMO_OSM, "-o", pbf.to_str().unwrap(), "--overwrite"])
            .status()
            .unwrap()
            .success()
    );
    let bytes = std::fs::read(&pbf).unwrap();
    let cut = dir.join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = import_err(&cut, &dir, &[]);
    assert!(
        err.contains("cut.osm.pbf") && err.contains("malformed OSM PBF"),
        "{err}"
    );

    let garbage = dir.join("bad.osm");
    std::fs::write(&garbage, "<osm><node id=\"x\" lat=\"1\" lon=\"2\"/></osm>").unwrap();
    let err = import_err(&garbage, &dir, &[]);
    assert!(
        err.contains("line 1") && err.contains("`id` = `x`"),
        "{err}"
    );
}

#[test]
fn osm_without_roads() {
    let dir = scratch("bad-noroads");
    let osm = dir.join("noroads.osm");
    std::fs::write(&osm, r#"<osm version="0.6"><node id="1" lat="30.66" lon="104.06"/>
        <node id="2" lat="30.67" lon="104.07"/><way id="5"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way></osm>"#).unwrap();
    let err = import_err(&osm, &dir, &[]);
    assert!(
        err.contains("noroads.osm") && err.contains("no roads"),
        "{err}"
    );
}

#[test]
fn layers_without_crs_wrong_crs_and_bad_specs() {
    let dir = scratch("bad-crs");
    let osm = dir.join("tiny.osm");
    std::fs::write(&osm, TINY_ROADS).unwrap();

    // a Shapefile with no .prj has no CRS
    let shp = dir.join("sites.shp");
    {
        use gdal::vector::{LayerAccess, LayerOptions, OGRwkbGeometryType};
        let driver = gdal::DriverManager::get_driver_by_name("ESRI Shapefile").unwrap();
        let mut ds = driver.create_vector_only(&shp).unwrap();
        let mut layer = ds
            .create_layer(LayerOptions {
                name: "sites",
                ty: OGRwkbGeometryType::wkbPoint,
                ..Default::default()
            })
            .unwrap();
        layer
            .create_feature(gdal::vector::Geometry::from_wkt("POINT (104.0605 30.6605)").unwrap())
            .unwrap();
    }
    let spec = format!("sites={}", shp.display());
    let err = import_err(&osm, &dir, &["--layer", &spec]);
    assert!(
        err.contains("sites.shp")
            && err.contains("no coordinate reference system")
            && err.contains("--assume-crs"),
        "{err}"
    );
    let out = dir.join("ok.ctb");
    ok(&[
        "-q",
        "import",
        osm.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--layer",
        &spec,
        "--assume-crs",
        "EPSG:4326",
    ]);
    // the wrong CRS for the file: its degrees read as Web Mercator metres land off Africa
    let err = import_err(&osm, &dir, &["--layer", &spec, "--assume-crs", "EPSG:3857"]);
    assert!(
        err.contains("sites.shp: layer `sites`, feature 0: it lies")
            && err.contains("km outside the city's extent")
            && err.contains("EPSG:3857"),
        "{err}"
    );
    // a CRS must be named exactly: PROJ matched `FOO` by name to a Dutch datum (790 m off)
    let err = import_err(&osm, &dir, &["--layer", &spec, "--assume-crs", "FOO"]);
    assert!(
        err.contains("CRS `FOO`") && err.lines().count() == 1,
        "{err}"
    );

    let err = import_err(&osm, &dir, &["--crs", "EPSG:4326"]);
    assert!(err.contains("EPSG:4326") && err.contains("metres"), "{err}");
    let err = import_err(&osm, &dir, &["--crs", "EPSG:0"]);
    assert!(err.contains("EPSG:0"), "{err}");
    let err = import_err(&osm, &dir, &["--layer", "fences"]);
    assert!(err.contains("expected NAME=FILE"), "{err}");
    let err = import_err(&osm, &dir, &["--layer", "buildings=x.gpkg"]);
    assert!(err.contains("already taken"), "{err}");
}

#[test]
fn invalid_geometries_are_repaired_or_skipped_and_reported() {
    let dir = scratch("bad-geometry");
    let osm = dir.join("tiny.osm");
    std::fs::write(&osm, TINY_ROADS).unwrap();
    // a self-intersecting "bow tie" (repairable) and an empty geometry (skipped)
    let geojson = dir.join("zones.geojson");
    std::fs::write(&geojson, r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"name":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[104.060,30.660],[104.061,30.661],[104.061,30.660],[104.060,30.661],[104.060,30.660]]]}},
      {"type":"Feature","properties":{"name":"nothing"},"geometry":null},
      {"type":"Feature","properties":{"name":"fine","capacity":40},"geometry":{"type":"Polygon","coordinates":[[[104.060,30.660],[104.061,30.660],[104.061,30.661],[104.060,30.660]]]}}]}"#).unwrap();
    let out = dir.join("zones.ctb");
    let spec = format!("fences={}", geojson.display());
    ok(&[
        "-q",
        "import",
        osm.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--layer",
        &spec,
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["info", out.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(json["layers"]["fences"], 2, "{json}");
    let repaired = json["repaired"].as_array().unwrap();
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0]["layer"], "fences");
    let skipped = json["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("no geometry") || reason.contains("empty geometry"),
        "{reason}"
    );
    let bundle = citytwin_city::CityBundle::load(&out).unwrap();
    let fences = bundle.layer("fences").unwrap();
    assert!(
        fences
            .features
            .iter()
            .any(|f| f.attr("capacity") == Some(&citytwin_city::AttrValue::Int(40)))
    );
}

#[test]
fn bundles_of_another_version_or_not_bundles() {
    let dir = scratch("bad-bundle");
    let osm = dir.join("tiny.osm");
    std::fs::write(&osm, TINY_ROADS).unwrap();
    let bundle = import(&osm, &dir, "tiny");
    let mut bytes = std::fs::read(&bundle).unwrap();
    bytes[8] = bytes[8].wrapping_add(7);
    let old = dir.join("old.ctb");
    std::fs::write(&old, &bytes).unwrap();
    let err = fails(&["info", old.to_str().unwrap()]);
    assert!(
        err.contains("old.ctb") && err.contains("version") && err.contains("re-run"),
        "{err}"
    );
    let err = fails(&["info", osm.to_str().unwrap()]);
    assert!(err.contains("not a citytwin city bundle"), "{err}");
    let err = fails(&[
        "export",
        bundle.to_str().unwrap(),
        "-o",
        dir.join("x.shp").to_str().unwrap(),
    ]);
    assert!(err.contains(".gpkg"), "{err}");
    let err = fails(&[
        "route",
        bundle.to_str().unwrap(),
        "--from",
        "104.06",
        "--to",
        "104.06,30.66",
    ]);
    assert!(err.contains("LON,LAT"), "{err}");
}

/// Issue 23's first cases: a closed stdout ends the program quietly, absurd counts are refused
/// before any work with the flag or field named, and an interrupted run says so by its exit
/// code (130) after writing what it computed.
#[test]
fn closed_pipes_absurd_counts_and_interrupted_runs() {
    let dir = scratch("bad-limits");
    let scene = demo_scene(&dir);
    // `citytwin info city.ctb | head -1`
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args(["info", dir.join("city.ctb").to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(!first.is_empty());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success()
            || std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(13),
        "{:?} {stderr}",
        out.status
    );

    let scene_s = scene.to_str().unwrap();
    let o = dir.join("o");
    let o_s = o.to_str().unwrap();
    let e = fails(&["run", scene_s, "--crews", "4294967295", "-o", o_s]);
    assert!(e.contains("--crews 4294967295: at most 100000"), "{e}");
    let e = fails(&["run", scene_s, "--trips", "4000000000", "-o", o_s]);
    assert!(
        e.contains("trips: 4000000000 trips in a day; at most 20000000"),
        "{e}"
    );
    let od = dir.join("od.csv");
    std::fs::write(&od, "origin,destination,trips\n1,2,1e15\n").unwrap();
    let e = fails(&["run", scene_s, "--od", od.to_str().unwrap(), "-o", o_s]);
    assert!(e.contains("od.csv: 1000000000000000 trips in a day"), "{e}");
    let e = fails(&[
        "run",
        scene_s,
        "--to",
        "09:00",
        "--gbfs-at",
        "10:00",
        "-o",
        o_s,
    ]);
    assert!(
        e.contains("--gbfs-at 10:00:00: outside the simulated window 00:00:00–09:00:00"),
        "{e}"
    );
    let e = fails(&[
        "run",
        scene_s,
        "--gbfs-at",
        "08:00",
        "--gbfs-url",
        "not a url",
        "-o",
        o_s,
    ]);
    assert!(
        e.contains("--gbfs-url not a url: expected an absolute URL"),
        "{e}"
    );
    // a time zone GBFS readers cannot look up
    let mars = dir.join("mars.ron");
    let text = std::fs::read_to_string(&scene).unwrap();
    std::fs::write(&mars, text.replacen("Asia/Shanghai", "Mars/Olympus", 1)).unwrap();
    let e = fails(&["run", mars.to_str().unwrap(), "-o", o_s]);
    assert!(
        e.contains("mars.ron: timezone: `Mars/Olympus` is not a time zone of the IANA database"),
        "{e}"
    );
    let out = citytwin(&["run", scene_s, "--date", "0000-01-01", "-o", o_s]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("expected a date YYYY-MM-DD from 1970 to 2200"),
        "{stderr}"
    );
    let e = fails(&["run", scene_s, "--iterations", "0", "-o", o_s]);
    assert!(e.contains("--iterations 0: expected at least 1"), "{e}");
    let e = fails(&["run", scene_s, "--bike-fleet", "100000000", "-o", o_s]);
    assert!(e.contains("--bike-fleet 100000000: at most 5000000"), "{e}");
    let scenario = dir.join("huge.ron");
    std::fs::write(
        &scenario,
        "(name: \"huge\", base: \"scene.ron\", edits: [Crews(crews: 2147483648)])",
    )
    .unwrap();
    let e = fails(&[
        "run",
        scene_s,
        "--scenario",
        scenario.to_str().unwrap(),
        "-o",
        o_s,
    ]);
    assert!(
        e.contains("huge.ron: edit 1 (Crews): `crews`: expected at most 100000"),
        "{e}"
    );

    // import options and sweep sizes out of range
    for (flag, value, expected) in [
        (
            "--grid-size",
            "inf",
            "--grid-size inf: expected 10 to 10000 metres",
        ),
        (
            "--grid-size",
            "0.5",
            "--grid-size 0.5: expected 10 to 10000 metres",
        ),
        (
            "--junction-join",
            "NaN",
            "--junction-join NaN: expected 0 to 100 metres",
        ),
        (
            "--grid-prefix",
            "51,0100",
            "--grid-prefix \"51,0100\": expected up to 12 digits",
        ),
    ] {
        let e = fails(&["import", "--scene", scene_s, flag, value]);
        assert!(e.contains(expected), "{e}");
    }
    for (sweep, expected) in [
        (
            "first_seed: 18446744073709551615, seeds: 3",
            "is past the largest seed",
        ),
        ("seeds: 100000000", "make more than 100000 runs"),
    ] {
        let path = dir.join("sweep.ron");
        std::fs::write(
            &path,
            format!("(name: \"s\", scene: \"scene.ron\", {sweep}, grid: {{\"crews\": [1, 2]}})"),
        )
        .unwrap();
        let e = fails(&["sweep", path.to_str().unwrap(), "--plan", "-o", o_s]);
        assert!(e.contains("sweep.ron: ") && e.contains(expected), "{e}");
    }

    // Ctrl-C a whole day: the outputs are written, summary.json says interrupted, exit 130
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args(["-q", "run", scene_s, "--bike-fleet", "0", "-o", o_s])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    // SAFETY: sending a signal to our own child process
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&o);
    assert_eq!(s["run"]["interrupted"], true, "{}", s["run"]);
    assert!(o.join("trips.csv").exists());
    // and the state where it stopped, to go on from with --resume
    assert!(o.join("state.ctstate").exists());
    // rates of the last bin are over the part of it the run saw, which link_bins.csv states
    let bins = std::fs::read_to_string(o.join("link_bins.csv")).unwrap();
    let rows: Vec<(&str, u32)> = bins
        .lines()
        .skip(1)
        .map(|l| (&l[..25], l.rsplit(',').next().unwrap().parse().unwrap()))
        .collect();
    let last = rows.iter().map(|r| r.0).max().unwrap();
    for (start, seconds) in rows {
        assert!((1..=900).contains(&seconds), "{start}: {seconds}");
        assert!(start == last || seconds == 900, "{start}: {seconds}");
    }
}
