//! Generated cities for tests and benches: a square grid of streets, some of them arterials
//! that run past the extent's edge (so the city has external stations), on residential land
//! use with a commercial centre. Real cities come from `citytwin import`; these exist so that
//! model code can be tested on a city whose every number is known.

use crate::bundle::{CityBundle, CityMeta, Crs, ImportReport};
use crate::city::City;
use crate::grid::Grid;
use crate::layer::{AttrValue, Feature, Layer, names};
use crate::roads::build::{BuildOptions, RawNode, RawWay, build_road_network};
use geo::{Coord, Geometry, Rect, polygon};
use std::collections::{BTreeMap, HashMap};

/// The shape of a generated grid city.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCity {
    /// Streets per direction.
    pub side: usize,
    pub spacing_m: f64,
    /// Every this many streets is a primary arterial that leaves the extent (0: none).
    pub arterial_every: usize,
    /// The OSM class of the other streets.
    pub street_class: &'static str,
    /// Residential land use over the whole grid and a commercial block in its centre.
    pub land_use: bool,
    /// Every street's name (`None`: its class and number).
    pub street_name: Option<&'static str>,
}

impl Default for GridCity {
    fn default() -> Self {
        Self {
            side: 9,
            spacing_m: 250.0,
            arterial_every: 4,
            street_class: "residential",
            land_use: true,
            street_name: None,
        }
    }
}

/// A UTM-like origin far from zero, as real cities have.
const ORIGIN: Coord<f64> = Coord {
    x: 400_000.0,
    y: 3_390_000.0,
};

/// How far arterials run past the extent (m).
const OVERHANG_M: f64 = 150.0;

impl GridCity {
    pub fn build(&self) -> City {
        let (ways, nodes) = self.streets();
        let (roads, report) =
            build_road_network(&ways, &nodes, &BuildOptions::default()).expect("a valid grid");
        let span = (self.side - 1) as f64 * self.spacing_m;
        let extent = Rect::new(
            ORIGIN,
            Coord {
                x: ORIGIN.x + span,
                y: ORIGIN.y + span,
            },
        );
        City::new(CityBundle {
            meta: CityMeta {
                name: "grid".into(),
                crs: Crs {
                    id: "EPSG:32648".into(),
                    wkt: String::new(),
                },
                extent,
                extent_lonlat: extent,
                sources: Vec::new(),
                attribution: vec!["generated".into()],
                written_by: "citytwin_city::synthetic".into(),
            },
            layers: self.layers(span),
            roads,
            grid: Grid::covering(extent, 100.0, "510100"),
            report: ImportReport {
                roads: report,
                ..ImportReport::default()
            },
        })
    }

    /// The streets as OSM ways and nodes: a row and a column of the grid each, arterials
    /// running on past its edges.
    fn streets(&self) -> (Vec<RawWay>, HashMap<i64, RawNode>) {
        let n = self.side as i64;
        let at = |r: i64, c: i64| Coord {
            x: ORIGIN.x + c as f64 * self.spacing_m,
            y: ORIGIN.y + r as f64 * self.spacing_m,
        };
        let mut nodes = HashMap::new();
        for r in 0..n {
            for c in 0..n {
                nodes.insert(
                    r * n + c,
                    RawNode {
                        coord: at(r, c),
                        signals: false,
                    },
                );
            }
        }
        let mut ways = Vec::new();
        for i in 0..n {
            let arterial = self.arterial_every > 0
                && i > 0
                && i < n - 1
                && (i as usize).is_multiple_of(self.arterial_every);
            let mut row: Vec<i64> = (0..n).map(|c| i * n + c).collect();
            let mut col: Vec<i64> = (0..n).map(|r| r * n + i).collect();
            if arterial {
                // past the west, east, south and north edges: (shift, the grid's end it leaves)
                let ends = [
                    ((-OVERHANG_M, 0.0), at(i, 0)),
                    ((OVERHANG_M, 0.0), at(i, n - 1)),
                    ((0.0, -OVERHANG_M), at(0, i)),
                    ((0.0, OVERHANG_M), at(n - 1, i)),
                ];
                for (k, ((dx, dy), base)) in ends.into_iter().enumerate() {
                    let id = 1_000_000 + i * 10 + k as i64 + 1;
                    let coord = Coord {
                        x: base.x + dx,
                        y: base.y + dy,
                    };
                    nodes.insert(
                        id,
                        RawNode {
                            coord,
                            signals: false,
                        },
                    );
                    match k {
                        0 => row.insert(0, id),
                        1 => row.push(id),
                        2 => col.insert(0, id),
                        _ => col.push(id),
                    }
                }
            }
            let class = if arterial {
                "primary"
            } else {
                self.street_class
            };
            for refs in [row, col] {
                let mut tags: BTreeMap<String, String> = BTreeMap::new();
                tags.insert("highway".into(), class.into());
                let name = match self.street_name {
                    Some(name) => name.to_string(),
                    None => format!("{} {}", class, ways.len()),
                };
                tags.insert("name".into(), name);
                ways.push(RawWay {
                    osm_id: 1000 + ways.len() as i64,
                    nodes: refs,
                    tags,
                });
            }
        }
        (ways, nodes)
    }

    /// The OSM layers: empty, or with land use (all residential, a commercial centre).
    fn layers(&self, span: f64) -> Vec<Layer> {
        let mut layers: Vec<Layer> = names::OSM_LAYERS
            .iter()
            .map(|n| Layer::new(*n, Vec::new()))
            .collect();
        if self.land_use {
            let (x0, y0, x1, y1) = (ORIGIN.x, ORIGIN.y, ORIGIN.x + span, ORIGIN.y + span);
            let (cx, cy, r) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0, span / 6.0);
            let area = |id: &str, class: &str, g: geo::Polygon<f64>| Feature {
                source_id: id.into(),
                geometry: Geometry::Polygon(g),
                attrs: BTreeMap::from([("class".to_string(), AttrValue::Text(class.into()))]),
            };
            let landuse = layers
                .iter_mut()
                .find(|l| l.name == names::LANDUSE)
                .expect("an OSM layer");
            landuse.features.push(area(
                "w1",
                "residential",
                polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
            ));
            landuse.features.push(area(
                "w2",
                "commercial",
                polygon![(x: cx - r, y: cy - r), (x: cx + r, y: cy - r), (x: cx + r, y: cy + r), (x: cx - r, y: cy + r)],
            ));
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roads::edge_stations;

    #[test]
    fn arterials_leave_the_extent_at_stations() {
        let city = GridCity::default().build();
        let stations = edge_stations(city.roads(), city.bundle.meta.extent);
        // the one arterial each way (i = 4 of 0..9) leaves at both ends
        assert_eq!(stations.len(), 4, "{stations:?}");
        assert!(
            stations
                .iter()
                .all(|s| s.inbound.is_some() && s.outbound.is_some())
        );
    }
}
