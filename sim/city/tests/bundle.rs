//! Bundle files: round trip, and clear errors for what is not a bundle of this version.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

use citytwin_city::bundle::{BundleError, CityMeta, Crs, ImportReport};
use citytwin_city::grid::Grid;
use citytwin_city::roads::build::{BuildOptions, RawNode, RawWay, build_road_network};
use citytwin_city::{BUNDLE_VERSION, City, CityBundle, Layer, Mode};
use geo::{Coord, Point, Rect};
use std::collections::{BTreeMap, HashMap};

fn small_city() -> CityBundle {
    let nodes: HashMap<i64, RawNode> = (0..4)
        .map(|i| {
            (
                i,
                RawNode {
                    coord: Coord {
                        x: i as f64 * 100.0,
                        y: 0.0,
                    },
                    signals: false,
                },
            )
        })
        .collect();
    let ways = vec![RawWay {
        osm_id: 7,
        nodes: vec![0, 1, 2, 3],
        tags: BTreeMap::from([("highway".into(), "tertiary".into())]),
    }];
    let (roads, report) = build_road_network(&ways, &nodes, &BuildOptions::default()).unwrap();
    let extent = Rect::new((0.0, -50.0), (300.0, 50.0));
    CityBundle {
        meta: CityMeta {
            name: "tiny".into(),
            crs: Crs {
                id: "EPSG:32648".into(),
                wkt: String::new(),
            },
            extent,
            extent_lonlat: extent,
            sources: vec![],
            attribution: vec!["test".into()],
            written_by: "test".into(),
        },
        layers: vec![Layer::new("districts", vec![])],
        roads,
        grid: Grid::covering(extent, 100.0, "510100"),
        report: ImportReport {
            roads: report,
            ..Default::default()
        },
    }
}

#[test]
fn round_trip_through_a_file() {
    let bundle = small_city();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("tiny.ctb");
    bundle.save(&path).unwrap();
    let loaded = CityBundle::load(&path).unwrap();
    assert_eq!(loaded, bundle);
    let city = City::new(loaded);
    let route = city
        .fastest_path_between(Point::new(10.0, 5.0), Point::new(290.0, -5.0), Mode::Car)
        .unwrap();
    assert!(
        (route.route.length_m - 300.0).abs() < 1e-9,
        "{:?}",
        route.route
    );
}

#[test]
fn other_versions_and_garbage_are_refused() {
    let path = std::path::Path::new("x.ctb");
    let mut bytes = small_city().to_bytes();
    bytes[8..12].copy_from_slice(&(BUNDLE_VERSION + 1).to_le_bytes());
    let err = CityBundle::from_bytes(&bytes, path).unwrap_err();
    assert!(matches!(err, BundleError::Version { found, .. } if found == BUNDLE_VERSION + 1));
    assert!(err.to_string().contains("re-run `citytwin import`"));

    assert!(matches!(
        CityBundle::from_bytes(b"<osm></osm>", path),
        Err(BundleError::NotABundle { .. })
    ));
    let bytes = small_city().to_bytes();
    let cut = &bytes[..bytes.len() / 2];
    assert!(matches!(
        CityBundle::from_bytes(cut, path),
        Err(BundleError::Corrupt { .. })
    ));
    // every single-byte change after the header is caught (postcard alone took most of them
    // as other valid values: capacities, coordinates)
    for i in (16..bytes.len()).step_by(7) {
        let mut changed = bytes.clone();
        changed[i] ^= 0x5a;
        let err = CityBundle::from_bytes(&changed, path).unwrap_err();
        assert!(err.to_string().contains("checksum"), "byte {i}: {err}");
    }
}
