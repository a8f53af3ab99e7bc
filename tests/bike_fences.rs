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
    std::fs::remove_dir_all(dir).unwrap();
}
