//! A small city for the plugins' unit tests: a 4 × 4 grid of two-way streets, 200 m apart,
//! with a morning of trips across it. No window, no GPU.

use crate::twin::Twin;
use citytwin_city::City;
use citytwin_city::bundle::{CityBundle, CityMeta, Crs, ImportReport};
use citytwin_city::grid::Grid;
use citytwin_city::layer::{Layer, names};
use citytwin_city::roads::build::{BuildOptions, RawNode, RawWay, build_road_network};
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::{Purpose, TripSpec};
use geo::{Coord, Rect};
use std::collections::HashMap;

const SIDE: i64 = 4;
const SPACING_M: f64 = 200.0;
/// A UTM-like origin far from zero, as real cities have.
const ORIGIN: Coord<f64> = Coord {
    x: 400_000.0,
    y: 3_390_000.0,
};

pub fn grid_twin(trips: u32) -> Twin {
    let mut nodes = HashMap::new();
    for r in 0..SIDE {
        for c in 0..SIDE {
            let coord = Coord {
                x: ORIGIN.x + c as f64 * SPACING_M,
                y: ORIGIN.y + r as f64 * SPACING_M,
            };
            nodes.insert(
                r * SIDE + c,
                RawNode {
                    coord,
                    signals: false,
                },
            );
        }
    }
    let mut ways = Vec::new();
    for i in 0..SIDE {
        let row: Vec<i64> = (0..SIDE).map(|c| i * SIDE + c).collect();
        let col: Vec<i64> = (0..SIDE).map(|r| r * SIDE + i).collect();
        for refs in [row, col] {
            let tags = [("highway", "residential"), ("name", "测试路")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            ways.push(RawWay {
                osm_id: 1000 + ways.len() as i64,
                nodes: refs,
                tags,
            });
        }
    }
    let (roads, report) =
        build_road_network(&ways, &nodes, &BuildOptions::default()).expect("a valid grid");
    let span = (SIDE - 1) as f64 * SPACING_M;
    let extent = Rect::new(
        ORIGIN,
        Coord {
            x: ORIGIN.x + span,
            y: ORIGIN.y + span,
        },
    );
    let bundle = CityBundle {
        meta: CityMeta {
            name: "grid".into(),
            crs: Crs {
                id: "EPSG:32648".into(),
                wkt: String::new(),
            },
            extent,
            extent_lonlat: extent,
            sources: Vec::new(),
            attribution: vec!["test data".into()],
            written_by: "engine tests".into(),
        },
        layers: names::OSM_LAYERS
            .iter()
            .map(|n| Layer::new(*n, Vec::new()))
            .collect(),
        roads,
        grid: Grid::covering(extent, 100.0, "510100"),
        report: ImportReport {
            roads: report,
            ..ImportReport::default()
        },
    };
    let city = City::new(bundle);
    let links = city.roads().links.len() as u32;
    let trips = (0..trips)
        .map(|i| TripSpec {
            origin_link: i % links,
            dest_link: (i * 7 + 3) % links,
            departure_s: 7 * 3600 + i * 3,
            purpose: Purpose::Work,
        })
        .collect();
    let world = World::new(city.roads(), trips, WorldOptions::default()).expect("car links");
    Twin {
        city,
        world,
        scene_name: "grid".into(),
    }
}
