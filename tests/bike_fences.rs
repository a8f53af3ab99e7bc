//! `citytwin fences` on the demo city: fences generated from OSM POIs, written for QGIS.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use gdal::vector::LayerAccess;
use geo::{Centroid, Distance, Euclidean, Geometry, Point};
use std::collections::BTreeMap;

/// (site, capacity, monitored, centroid) of every fence in a written GeoPackage.
fn read(path: &std::path::Path) -> Vec<(String, i64, bool, Point<f64>)> {
    let gpkg = gdal::Dataset::open(path).unwrap();
    let mut layer = gpkg.layer_by_name("fences").unwrap();
    layer
        .features()
        .map(|f| {
            let text = |name: &str| {
                f.field_as_string(f.field_index(name).unwrap())
                    .unwrap()
                    .unwrap()
            };
            let int = |name: &str| {
                f.field_as_integer64(f.field_index(name).unwrap())
                    .unwrap()
                    .unwrap()
            };
            let g: Geometry<f64> = f.geometry().unwrap().to_geo().unwrap();
            (
                text("site"),
                int("capacity"),
                int("monitored") == 1,
                g.centroid().unwrap(),
            )
        })
        .collect()
}

#[test]
fn fences_come_from_pois_with_capacities_and_twelve_monitoring_points() {
    let dir = scratch("fences");
    let scene = demo_scene(&dir);
    let out = dir.join("fences.gpkg");
    ok(&[
        "-q",
        "fences",
        scene.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let fences = read(&out);
    assert!(fences.len() > 100, "{} fences", fences.len());
    let mut by_site: BTreeMap<&str, usize> = BTreeMap::new();
    for (site, capacity, _, _) in &fences {
        *by_site.entry(site.as_str()).or_default() += 1;
        assert!(*capacity >= 1);
    }
    // the extract has 16 subway entrances; a few share a fence with a neighbour
    assert!(by_site["subway_entrance"] >= 10, "{by_site:?}");
    for site in ["bus_stop", "school", "hospital", "shopping"] {
        assert!(
            by_site.get(site).copied().unwrap_or(0) > 5,
            "{site}: {by_site:?}"
        );
    }
    // a 30 × 5 m strip at a metro exit holds 100 bikes
    assert!(
        fences
            .iter()
            .any(|f| f.0 == "subway_entrance" && f.1 == 100)
    );
    assert_eq!(fences.iter().filter(|f| f.2).count(), 12);
    // sites closer than 30 m share one fence
    for (i, a) in fences.iter().enumerate() {
        for b in &fences[i + 1..] {
            assert!(
                Euclidean.distance(a.3, b.3) >= 29.0,
                "fences {:?} and {:?}",
                a.3,
                b.3
            );
        }
    }
    // the same city gives the same fences
    let again = dir.join("again.gpkg");
    ok(&[
        "-q",
        "fences",
        scene.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert_eq!(read(&again), fences);
}

/// A scene of the demo city whose fences come from `fences` (relative to the scene file).
fn scene_with_fences(dir: &std::path::Path, fences: &str) -> std::path::PathBuf {
    scene_with(dir, &format!("fences: Some({fences:?})"))
}

fn morning(scene: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "06:00",
        "--to",
        "07:00",
        "--trips",
        "300",
        "--bike-fleet",
        "300",
        "--bike-trips",
        "600",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    citytwin(&args)
}

/// Capacity per fence in a run's fences.csv (first sample).
fn capacities(run: &std::path::Path) -> Vec<u32> {
    let csv = std::fs::read_to_string(run.join("fences.csv")).unwrap();
    let mut rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let first = rows[0][1].clone();
    rows.retain(|r| r[1] == first);
    rows.iter().map(|r| r[3].parse().unwrap()).collect()
}

#[test]
fn a_scene_brings_its_own_fences_as_a_layer_or_as_gbfs() {
    let dir = scratch("own-fences");
    // three painted areas around Tianfu Square, one with its capacity, as GeoJSON in lon/lat
    let square = |lon: f64, lat: f64| {
        let d = 0.0002;
        format!(
            "[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]",
            lon + d,
            lon + d,
            lat + d,
            lat + d
        )
    };
    let feature = |name: &str, capacity: &str, coords: String| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"{name}","capacity":{capacity}}},"geometry":{{"type":"Polygon","coordinates":{coords}}}}}"#
        )
    };
    let layer = |features: Vec<String>| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    };
    let good = vec![
        feature("Tianfu Square east", "40", square(104.0665, 30.6574)),
        feature("Tianfu Square west", "null", square(104.0645, 30.6574)),
        feature("Renmin Park gate", "25", square(104.0560, 30.6590)),
    ];
    std::fs::write(dir.join("fences.geojson"), layer(good.clone())).unwrap();
    let scene = scene_with_fences(&dir, "fences.geojson");
    let out = morning(&scene, &dir.join("layer"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir.join("layer"));
    assert_eq!(s["bikes"]["fences"], 3);
    let caps = capacities(&dir.join("layer"));
    assert_eq!((caps[0], caps[2]), (40, 25));
    // about 21 × 22 m: its capacity comes from its area, 1.5 m² a bike
    assert!((250..=350).contains(&caps[1]), "{caps:?}");
    // a point is not a fence
    let mut bad = good.clone();
    bad.push(
        r#"{"type":"Feature","properties":{"name":"a bollard"},"geometry":{"type":"Point","coordinates":[104.06,30.66]}}"#
            .to_string(),
    );
    std::fs::write(dir.join("fences.geojson"), layer(bad)).unwrap();
    let out = morning(&scene, &dir.join("bad"), &[]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        e.contains("fences.geojson: feature 3: a Point, expected a Polygon or MultiPolygon fence"),
        "{e}"
    );
    // a fence 8,000 km away (Oslo, in lon/lat like the rest): another city's data
    let mut far = good.clone();
    far.push(feature("Oslo S", "20", square(10.75, 59.91)));
    std::fs::write(dir.join("fences.geojson"), layer(far)).unwrap();
    let out = morning(&scene, &dir.join("far"), &[]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        e.contains("fences.geojson: `Oslo S` lies") && e.contains("km outside the city's extent"),
        "{e}"
    );
    // GBFS round trip: the generated fences published as GBFS 3.0 come back as the same
    // virtual stations, with the same capacities
    for sub in ["osm", "gbfs"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let osm_scene = demo_scene(&dir.join("osm"));
    let published = dir.join("published");
    let out = morning(&osm_scene, &published, &["--gbfs-at", "06:30"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let feeds = published.join("gbfs/0630/3.0");
    let scene = scene_with_fences(&dir.join("gbfs"), feeds.to_str().unwrap());
    let out = morning(&scene, &dir.join("from_gbfs"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(capacities(&dir.join("from_gbfs")), capacities(&published));
}

#[test]
fn docks_from_gbfs_never_hold_more_bikes_than_they_have_docks() {
    let dir = scratch("docks");
    // twenty docks of ten in a 5 × 4 grid, 400 m apart, around Tianfu Square
    let stations: Vec<String> = (0..20)
        .map(|i| {
            let (lon, lat) = (
                104.058 + f64::from(i % 5) * 0.004,
                30.650 + f64::from(i / 5) * 0.0036,
            );
            format!(
                r#"{{"station_id":"d{i}","name":"Dock {i}","lat":{lat},"lon":{lon},"capacity":10}}"#
            )
        })
        .collect();
    let feeds = dir.join("gbfs");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(
        feeds.join("station_information.json"),
        format!(
            r#"{{"last_updated":1736121600,"ttl":60,"version":"2.3","data":{{"stations":[{}]}}}}"#,
            stations.join(",")
        ),
    )
    .unwrap();
    let scene = scene_with_fences(&dir, "gbfs");
    let out = citytwin(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "06:00",
        "--to",
        "10:00",
        "--trips",
        "300",
        "--bike-fleet",
        "150",
        "--bike-trips",
        "3000",
        "-o",
        dir.join("run").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir.join("run"));
    assert_eq!(s["bikes"]["fences"], 20);
    assert!(s["bikes"]["trips"].as_u64().unwrap() > 50, "{}", s["bikes"]);
    let csv = std::fs::read_to_string(dir.join("run/fences.csv")).unwrap();
    let mut full = 0;
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').take(4).collect();
        let (bikes, docks): (u32, u32) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        assert!(
            bikes <= docks,
            "fence {} at {}: {} bikes in {} docks",
            f[0],
            f[1],
            f[2],
            f[3]
        );
        full += usize::from(bikes == docks);
    }
    assert!(full > 0, "no dock ever filled: the test shows nothing");
}
