//! Import of the real Chengdu demo, checked against an independent reading of the OSM file.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use citytwin_city::layer::names;
use citytwin_city::{City, CityBundle, Mode, Modes};
use common::*;
use geo::{Coord, Distance, Euclidean, Intersects, Length, Point};
use quick_xml::events::Event;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// What the OSM file holds, counted without any citytwin code.
#[derive(Default)]
struct Truth {
    drivable_ways: usize,
    buildings: usize,
    poi_nodes: usize,
    /// node id → (ways using it, times it ends a way), over routable highways
    road_node_uses: HashMap<i64, (usize, usize)>,
    signals: HashSet<i64>,
}

fn read_truth(path: &Path) -> Truth {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut truth = Truth::default();
    let (mut kind, mut tags, mut refs) = (
        String::new(),
        BTreeMap::<String, String>::new(),
        Vec::<i64>::new(),
    );
    let mut id = 0i64;
    let car = [
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "road",
        "residential",
        "living_street",
        "service",
        "track",
    ];
    let routable_other = [
        "pedestrian",
        "footway",
        "bridleway",
        "corridor",
        "cycleway",
        "path",
        "steps",
    ];
    loop {
        let event = reader.read_event().unwrap();
        let (e, end) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => (None, true),
            Event::Eof => break,
            _ => continue,
        };
        if let Some(e) = &e {
            let attr = |k: &str| {
                e.try_get_attribute(k)
                    .unwrap()
                    .map(|a| a.unescape_value().unwrap().into_owned())
            };
            match e.name().as_ref() {
                b"node" | b"way" | b"relation" => {
                    kind = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    id = attr("id").unwrap().parse().unwrap();
                    tags.clear();
                    refs.clear();
                }
                b"tag" => drop(tags.insert(attr("k").unwrap(), attr("v").unwrap())),
                b"nd" => refs.push(attr("ref").unwrap().parse().unwrap()),
                _ => {}
            }
            if !end || !matches!(e.name().as_ref(), b"node" | b"way" | b"relation") {
                continue;
            }
        }
        let t = |k: &str| tags.get(k).map(String::as_str);
        match kind.as_str() {
            "node" => {
                if t("highway") == Some("traffic_signals") {
                    truth.signals.insert(id);
                }
                let poi = matches!(t("highway"), Some("bus_stop"))
                    || matches!(
                        t("railway"),
                        Some("subway_entrance" | "station" | "halt" | "tram_stop")
                    )
                    || t("public_transport") == Some("station")
                    || ["amenity", "shop", "tourism", "leisure", "healthcare"]
                        .iter()
                        .any(|k| tags.contains_key(*k));
                if poi {
                    truth.poi_nodes += 1;
                }
            }
            "way" => {
                let usable = t("area") != Some("yes");
                let hw = t("highway").unwrap_or("");
                // OSM access: later, more specific keys override `access`
                let mut cars = !matches!(t("access"), Some("no" | "private"));
                for k in ["vehicle", "motor_vehicle", "motorcar"] {
                    match t(k) {
                        Some("no" | "private") => cars = false,
                        Some("yes" | "designated" | "permissive" | "destination") => cars = true,
                        _ => {}
                    }
                }
                if usable && car.contains(&hw) && cars {
                    truth.drivable_ways += 1;
                }
                if usable && (car.contains(&hw) || routable_other.contains(&hw)) {
                    for (i, n) in refs.iter().enumerate() {
                        let u = truth.road_node_uses.entry(*n).or_default();
                        u.0 += 1;
                        if i == 0 || i == refs.len() - 1 {
                            u.1 += 1;
                        }
                    }
                }
                if t("building").is_some_and(|b| b != "no")
                    && refs.len() > 3
                    && refs.first() == refs.last()
                {
                    truth.buildings += 1;
                }
            }
            "relation"
                if t("type") == Some("multipolygon")
                    && t("building").is_some_and(|b| b != "no") =>
            {
                truth.buildings += 1;
            }
            _ => {}
        }
        kind.clear();
    }
    truth
}

#[test]
fn chengdu_counts_match_the_osm_file() {
    let dir = scratch("counts");
    let bundle = CityBundle::load(&import(Path::new(DEMO_OSM), &dir, "city")).unwrap();
    let truth = read_truth(Path::new(DEMO_OSM));
    assert_eq!(bundle.report.roads.drivable_ways, truth.drivable_ways);
    let buildings = bundle.layer(names::BUILDINGS).unwrap().len();
    let skipped = bundle
        .report
        .skipped
        .iter()
        .filter(|s| s.layer == "areas")
        .count();
    assert!(
        buildings <= truth.buildings && buildings + skipped >= truth.buildings,
        "{buildings} buildings (+{skipped} skipped areas) vs {} in the file",
        truth.buildings
    );
    assert_eq!(bundle.layer(names::POIS).unwrap().len(), truth.poi_nodes);
    assert_eq!(bundle.layer(names::DISTRICTS).unwrap().len(), 5);
    assert_eq!(bundle.meta.crs.id, "EPSG:32648");
    assert!(
        bundle
            .meta
            .attribution
            .iter()
            .any(|a| a.contains("OpenStreetMap contributors"))
    );
}

#[test]
fn chengdu_graph_invariants() {
    let dir = scratch("graph");
    let bundle = CityBundle::load(&import(Path::new(DEMO_OSM), &dir, "city")).unwrap();
    let truth = read_truth(Path::new(DEMO_OSM));
    let roads = &bundle.roads;
    assert!(roads.links.len() > 5000, "{} links", roads.links.len());
    // no junction where ways do not share a node: every node ends a way, is used twice, or is a signal
    for node in &roads.nodes {
        let (uses, ends) = truth.road_node_uses[&node.osm_id];
        assert!(
            ends > 0 || uses >= 2 || truth.signals.contains(&node.osm_id),
            "node {} is no junction",
            node.osm_id
        );
    }
    for (i, link) in roads.links.iter().enumerate() {
        assert_eq!(link.geometry.0[0], roads.node(link.from).point.0);
        assert_eq!(
            *link.geometry.0.last().unwrap(),
            roads.node(link.to).point.0
        );
        assert!((link.length_m - Euclidean.length(&link.geometry)).abs() < 1e-6);
        if link.oneway {
            let twin_car = link
                .twin
                .is_some_and(|t| roads.link(t).modes.contains(Modes::CAR));
            assert!(!twin_car, "one-way link {i} has a car twin");
        }
        if link.modes.contains(Modes::CAR) {
            assert!(link.capacity_vph > 0.0 && link.lanes > 0 && link.speed_kmh > 0.0);
        }
    }
    assert!(bundle.report.roads.car_components > 0);
}

#[test]
fn pbf_imports_to_the_same_city() {
    let dir = scratch("pbf");
    let pbf = dir.join("chengdu.osm.pbf");
    let status = std::process::Command::new("osmium")
        .args(["cat", DEMO_OSM, "-o", pbf.to_str().unwrap(), "--overwrite"])
        .status()
        .expect("osmium-tool is installed (scripts/setup.sh)");
    assert!(status.success());
    let from_xml = CityBundle::load(&import(Path::new(DEMO_OSM), &dir, "xml")).unwrap();
    let from_pbf = CityBundle::load(&import(&pbf, &dir, "pbf")).unwrap();
    assert!(from_xml.roads == from_pbf.roads, "the road networks differ");
    assert_eq!(from_xml.grid, from_pbf.grid);
    for (a, b) in from_xml.layers.iter().zip(&from_pbf.layers) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.len(), b.len(), "layer {}", a.name);
    }
}

#[test]
fn import_is_deterministic() {
    let dir = scratch("determinism");
    let a = std::fs::read(import(Path::new(DEMO_OSM), &dir, "a")).unwrap();
    let b = std::fs::read(import(Path::new(DEMO_OSM), &dir, "b")).unwrap();
    assert!(a == b, "two imports of the same file differ");
}

#[test]
fn queries_on_the_real_city_equal_brute_force() {
    let dir = scratch("queries");
    let city = City::load(&import(Path::new(DEMO_OSM), &dir, "city")).unwrap();
    let e = city.bundle.meta.extent;
    let buildings = city.layer(names::BUILDINGS).unwrap();
    let districts = city.layer(names::DISTRICTS).unwrap();
    // cars are matched to the strongly connected core, so that any two matches are routable
    let core = city.graph().car_core(city.roads());
    // a fixed low-discrepancy sequence of points over the extent
    for k in 0..1500u32 {
        let (fx, fy) = (
            (f64::from(k) * 0.618_034) % 1.0,
            (f64::from(k) * 0.754_878) % 1.0,
        );
        let p = Point::new(e.min().x + fx * e.width(), e.min().y + fy * e.height());
        let m = city.nearest_link(p, Mode::Car).unwrap();
        let brute = city
            .roads()
            .links
            .iter()
            .zip(&core)
            .filter(|(l, in_core)| **in_core && l.modes.allows(Mode::Car))
            .map(|(l, _)| Euclidean.distance(&p, &l.geometry))
            .fold(f64::INFINITY, f64::min);
        assert!((m.distance_m - brute).abs() < 1e-6);
        assert!(core[m.link.index()]);
        let (_, d) = city.nearest_feature(names::BUILDINGS, p).unwrap().unwrap();
        let brute = buildings
            .features
            .iter()
            .map(|f| Euclidean.distance(&p, &f.geometry))
            .fold(f64::INFINITY, f64::min);
        assert!((d - brute).abs() < 1e-6);
        let inside: Vec<_> = districts
            .ids()
            .filter(|id| districts.features[id.index()].geometry.intersects(&p))
            .collect();
        assert_eq!(city.containing(names::DISTRICTS, p).unwrap(), inside);
        let cell = city.cell_at(p).unwrap();
        assert!(city.bundle.grid.rect(cell).intersects(&p));
    }
    // routing between two real places (Tianfu Square → Chengdu East area) finds a car path
    let to_city = citytwin_gis::crs::Reprojector::new("EPSG:4326", "EPSG:32648").unwrap();
    let a = Point::from(
        to_city
            .coord(Coord {
                x: 104.0657,
                y: 30.6574,
            })
            .unwrap(),
    );
    let b = Point::from(
        to_city
            .coord(Coord {
                x: 104.1100,
                y: 30.7000,
            })
            .unwrap(),
    );
    let route = city.fastest_path_between(a, b, Mode::Car).unwrap();
    assert!(
        route.route.length_m > 6000.0 && route.route.length_m < 15000.0,
        "{}",
        route.route.length_m
    );
}

#[test]
fn info_and_geopackage_export() {
    let dir = scratch("export");
    let bundle_path = import(Path::new(DEMO_OSM), &dir, "city");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["info", bundle_path.to_str().unwrap(), "--json"])).unwrap();
    let bundle = CityBundle::load(&bundle_path).unwrap();
    assert_eq!(json["crs"], "EPSG:32648");
    assert_eq!(json["graph_links"], bundle.roads.links.len());
    assert_eq!(json["grid_cells"], bundle.grid.len());
    assert!(json["road_km_by_class"]["primary"].as_f64().unwrap() > 100.0);
    let text = ok(&["info", bundle_path.to_str().unwrap()]);
    assert!(text.contains("EPSG:32648") && text.contains("OpenStreetMap contributors"));

    let gpkg = dir.join("city.gpkg");
    ok(&[
        "-q",
        "export",
        bundle_path.to_str().unwrap(),
        "-o",
        gpkg.to_str().unwrap(),
    ]);
    let ds = gdal::Dataset::open(&gpkg).unwrap();
    use gdal::vector::LayerAccess;
    let count = |name: &str| ds.layer_by_name(name).unwrap().feature_count() as usize;
    assert_eq!(count("road_links"), bundle.roads.links.len());
    assert_eq!(count("road_nodes"), bundle.roads.nodes.len());
    assert_eq!(count("grid_cells"), bundle.grid.len());
    // a layer of mixed geometry kinds comes out as one GeoPackage layer per kind, all of its
    // features kept, so that no layer reads as "Unknown (any)" in QGIS (OSM `water` holds
    // rivers and lakes)
    for layer in &bundle.layers {
        let parts: usize = ["", "_points", "_lines", "_polygons", "_collections"]
            .iter()
            .map(|suffix| format!("{}{suffix}", layer.name))
            .filter(|name| ds.layer_by_name(name).is_ok())
            .map(|name| count(&name))
            .sum();
        assert_eq!(parts, layer.len(), "layer {}", layer.name);
    }
    assert!(ds.layer_by_name("water_polygons").is_ok());
    for l in ds.layers() {
        assert_ne!(
            l.defn().geometry_type(),
            gdal::vector::OGRwkbGeometryType::wkbUnknown,
            "layer {}",
            l.name()
        );
    }
    let srs = ds
        .layer_by_name("road_links")
        .unwrap()
        .spatial_ref()
        .unwrap();
    assert_eq!(srs.auth_code().unwrap(), 32648);
}
