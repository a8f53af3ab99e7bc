//! R-tree queries equal brute force, on thousands of random queries.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

use citytwin_city::roads::build::{BuildOptions, RawNode, RawWay, build_road_network};
use citytwin_city::spatial::{LayerIndex, LinkIndex};
use citytwin_city::{Feature, FeatureId, Layer, Mode};
use geo::{Coord, Distance, Euclidean, Geometry, Intersects, LineString, Point, Polygon, Rect};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

fn shape() -> impl Strategy<Value = Geometry<f64>> {
    prop_oneof![
        (0.0..1000.0f64, 0.0..1000.0f64).prop_map(|(x, y)| Geometry::Point(Point::new(x, y))),
        (0.0..1000.0f64, 0.0..1000.0f64, 1.0..80.0f64, 1.0..80.0f64).prop_map(|(x, y, w, h)| {
            // a triangle-ish polygon, not just a box, so envelope ≠ shape
            Geometry::Polygon(Polygon::new(
                LineString::from(vec![(x, y), (x + w, y), (x, y + h), (x, y)]),
                vec![],
            ))
        }),
        proptest::collection::vec((0.0..1000.0f64, 0.0..1000.0f64), 2..5)
            .prop_map(|pts| Geometry::LineString(LineString::from(pts))),
    ]
}

fn layer(shapes: Vec<Geometry<f64>>) -> Layer {
    let mut layer = Layer::new("test", vec![]);
    layer.features = shapes
        .into_iter()
        .enumerate()
        .map(|(i, geometry)| Feature {
            source_id: i.to_string(),
            geometry,
            attrs: BTreeMap::new(),
        })
        .collect();
    layer
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn layer_queries_equal_brute_force(
        shapes in proptest::collection::vec(shape(), 1..120),
        queries in proptest::collection::vec((0.0..1000.0f64, 0.0..1000.0f64, 0.0..150.0f64), 50),
    ) {
        let layer = layer(shapes);
        let index = LayerIndex::new(&layer);
        for (x, y, size) in queries {
            let p = Point::new(x, y);
            let rect = Rect::new(Coord { x, y }, Coord { x: x + size, y: y + size });
            let brute_box: Vec<FeatureId> = layer.ids().filter(|id| layer.features[id.index()].geometry.intersects(&rect)).collect();
            prop_assert_eq!(index.in_box(rect), brute_box);
            let brute_contains: Vec<FeatureId> = layer.ids().filter(|id| layer.features[id.index()].geometry.intersects(&p)).collect();
            prop_assert_eq!(index.containing(p), brute_contains);
            let (best, d) = index.nearest(p).unwrap();
            let brute_d = layer.features.iter().map(|f| Euclidean.distance(&p, &f.geometry)).fold(f64::INFINITY, f64::min);
            prop_assert!((d - brute_d).abs() < 1e-9, "nearest {d} vs brute {brute_d}");
            prop_assert!((Euclidean.distance(&p, &layer.features[best.index()].geometry) - brute_d).abs() < 1e-9);
        }
    }

    #[test]
    fn nearest_link_equals_brute_force(
        queries in proptest::collection::vec((-50.0..450.0f64, -50.0..450.0f64), 200),
    ) {
        // a 5×5 street grid with a footway diagonal
        let mut nodes = HashMap::new();
        for r in 0..5 { for c in 0..5 {
            nodes.insert(r * 5 + c, RawNode { coord: Coord { x: c as f64 * 100.0, y: r as f64 * 100.0 + (c % 2) as f64 * 7.0 }, signals: false });
        }}
        let mut ways = Vec::new();
        for k in 0..5 {
            let tags = BTreeMap::from([("highway".to_string(), "residential".to_string())]);
            ways.push(RawWay { osm_id: k, nodes: (0..5).map(|c| k * 5 + c).collect(), tags: tags.clone() });
            ways.push(RawWay { osm_id: 10 + k, nodes: (0..5).map(|r| r * 5 + k).collect(), tags });
        }
        ways.push(RawWay { osm_id: 99, nodes: vec![0, 6, 12, 18, 24], tags: BTreeMap::from([("highway".to_string(), "footway".to_string())]) });
        let (net, _) = build_road_network(&ways, &nodes, &BuildOptions::default()).unwrap();
        let index = LinkIndex::new(&net, &citytwin_city::roads::graph::RoadGraph::new(&net).car_core(&net));
        for (x, y) in queries {
            let p = Point::new(x, y);
            for mode in [Mode::Car, Mode::Walk] {
                let m = index.nearest(p, mode).unwrap();
                let brute = net.links.iter().filter(|l| l.modes.allows(mode)).map(|l| Euclidean.distance(&p, &l.geometry)).fold(f64::INFINITY, f64::min);
                prop_assert!((m.distance_m - brute).abs() < 1e-9, "{mode:?}: {} vs {brute}", m.distance_m);
                prop_assert!(net.link(m.link).modes.allows(mode));
                prop_assert!((Euclidean.distance(&m.point, &p) - m.distance_m).abs() < 1e-6);
                prop_assert!(m.offset_m >= 0.0 && m.offset_m <= net.link(m.link).length_m + 1e-9);
            }
        }
    }

    #[test]
    fn nearest_through_traffic_road_is_the_filtered_nearest_car_link(
        queries in proptest::collection::vec((-150.0..550.0f64, -150.0..550.0f64, 20.0..400.0f64), 200),
    ) {
        // a 5×5 grid: rows 0 and 3 primary, column 2 tertiary, the rest residential
        let mut nodes = HashMap::new();
        for r in 0..5 { for c in 0..5 {
            nodes.insert(r * 5 + c, RawNode { coord: Coord { x: c as f64 * 100.0, y: r as f64 * 100.0 }, signals: false });
        }}
        let tags = |class: &str| BTreeMap::from([("highway".to_string(), class.to_string())]);
        let mut ways = Vec::new();
        for k in 0..5 {
            let row = if k == 0 || k == 3 { "primary" } else { "residential" };
            let column = if k == 2 { "tertiary" } else { "residential" };
            ways.push(RawWay { osm_id: k, nodes: (0..5).map(|c| k * 5 + c).collect(), tags: tags(row) });
            ways.push(RawWay { osm_id: 10 + k, nodes: (0..5).map(|r| r * 5 + k).collect(), tags: tags(column) });
        }
        let (net, _) = build_road_network(&ways, &nodes, &BuildOptions::default()).unwrap();
        let index = LinkIndex::new(&net, &citytwin_city::roads::graph::RoadGraph::new(&net).car_core(&net));
        let mut found = 0;
        for (x, y, radius) in queries {
            let p = Point::new(x, y);
            let through = index.nearest_through(p, radius);
            let filtered = index.nearest_where(p, Mode::Car, radius, |l| net.link(l).class.carries_through_traffic());
            prop_assert_eq!(through.map(|m| (m.link, m.distance_m)), filtered.map(|m| (m.link, m.distance_m)));
            found += usize::from(through.is_some());
        }
        prop_assert!(found > 0, "no query reached a through road");
    }
}
