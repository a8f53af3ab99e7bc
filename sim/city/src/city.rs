//! The loaded city: the bundle plus its R-trees and road graph, and the queries users need.

use crate::bundle::{BundleError, CityBundle};
use crate::grid::CellRef;
use crate::ids::{DistrictId, FeatureId, NodeId};
use crate::layer::{Layer, names};
use crate::roads::graph::{RoadGraph, Route};
use crate::roads::{Mode, RoadNetwork};
use crate::spatial::{LayerIndex, LinkIndex, LinkMatch};
use geo::{Point, Rect};
use std::path::Path;

/// How far (m) a trip end looks for a road that carries through traffic before it takes the
/// nearest street ([`City::access_link`]).
pub const ACCESS_RADIUS_M: f64 = 300.0;

/// A city ready for queries and simulation.
#[derive(Debug)]
pub struct City {
    pub bundle: CityBundle,
    layer_indexes: Vec<LayerIndex>,
    links: LinkIndex,
    graph: RoadGraph,
}

/// Errors from queries that name a layer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("no layer named `{name}` (layers: {known})")]
    UnknownLayer { name: String, known: String },
}

/// A route between two points: how each end met the network, and the path between.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRoute {
    pub origin: LinkMatch,
    pub destination: LinkMatch,
    pub route: Route,
}

impl City {
    pub fn new(bundle: CityBundle) -> City {
        let layer_indexes = bundle.layers.iter().map(LayerIndex::new).collect();
        let graph = RoadGraph::new(&bundle.roads);
        let links = LinkIndex::new(&bundle.roads, &graph.car_core(&bundle.roads));
        City {
            bundle,
            layer_indexes,
            links,
            graph,
        }
    }

    pub fn load(path: &Path) -> Result<City, BundleError> {
        CityBundle::load(path).map(City::new)
    }

    pub fn roads(&self) -> &RoadNetwork {
        &self.bundle.roads
    }

    /// `Err` naming `what` and how far out it is when `point` lies more than [`NEAR_CITY_M`]
    /// outside the city's extent: data for another city, or a layer whose CRS is wrong.
    pub fn check_near(&self, what: &str, point: Point<f64>) -> Result<(), String> {
        check_near(self.bundle.meta.extent, what, point)
    }

    pub fn graph(&self) -> &RoadGraph {
        &self.graph
    }

    fn layer_slot(&self, name: &str) -> Result<usize, QueryError> {
        self.bundle
            .layers
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| QueryError::UnknownLayer {
                name: name.to_string(),
                known: self
                    .bundle
                    .layers
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn layer(&self, name: &str) -> Result<&Layer, QueryError> {
        Ok(&self.bundle.layers[self.layer_slot(name)?])
    }

    pub fn index(&self, name: &str) -> Result<&LayerIndex, QueryError> {
        Ok(&self.layer_indexes[self.layer_slot(name)?])
    }

    /// Features of a layer that intersect a box.
    pub fn features_in_box(
        &self,
        layer: &str,
        rect: Rect<f64>,
    ) -> Result<Vec<FeatureId>, QueryError> {
        Ok(self.index(layer)?.in_box(rect))
    }

    /// The nearest feature of a layer and its distance in metres.
    pub fn nearest_feature(
        &self,
        layer: &str,
        point: Point<f64>,
    ) -> Result<Option<(FeatureId, f64)>, QueryError> {
        Ok(self.index(layer)?.nearest(point))
    }

    /// Polygons (or any features) of a layer that contain a point.
    pub fn containing(&self, layer: &str, point: Point<f64>) -> Result<Vec<FeatureId>, QueryError> {
        Ok(self.index(layer)?.containing(point))
    }

    /// The district a point lies in (the first by id if boundaries overlap).
    pub fn district_at(&self, point: Point<f64>) -> Option<DistrictId> {
        let index = self.index(names::DISTRICTS).ok()?;
        index.containing(point).first().map(|f| DistrictId(f.0))
    }

    pub fn cell_at(&self, point: Point<f64>) -> Option<CellRef> {
        self.bundle.grid.cell_at(point)
    }

    /// Map matching: the nearest link a mode may use.
    pub fn nearest_link(&self, point: Point<f64>, mode: Mode) -> Option<LinkMatch> {
        self.links.nearest(point, mode)
    }

    /// Where a trip from or to `point` joins the traffic: the nearest road that carries
    /// through traffic (trunk, primary, secondary or tertiary) within [`ACCESS_RADIUS_M`], else
    /// the nearest link cars may use. A block reaches its collector roads by many gates and
    /// lanes that maps mostly leave out; putting its trips on the one mapped side street would
    /// make that street every block's only exit (docs/demand.md).
    pub fn access_link(&self, point: Point<f64>) -> Option<LinkMatch> {
        self.links
            .nearest_through(point, ACCESS_RADIUS_M)
            .or_else(|| self.nearest_link(point, Mode::Car))
    }

    /// Fastest path by free-flow time between two nodes.
    pub fn fastest_path(&self, from: NodeId, to: NodeId, mode: Mode) -> Option<Route> {
        self.graph.fastest_path(&self.bundle.roads, from, to, mode)
    }

    /// Fastest path between two points: each is matched to its nearest usable link; the trip
    /// leaves along the origin link and arrives along the destination link.
    pub fn fastest_path_between(
        &self,
        from: Point<f64>,
        to: Point<f64>,
        mode: Mode,
    ) -> Option<PointRoute> {
        let origin = self.nearest_link(from, mode)?;
        let destination = self.nearest_link(to, mode)?;
        let roads = &self.bundle.roads;
        let (o, d) = (roads.link(origin.link), roads.link(destination.link));
        let mut route =
            if origin.link == destination.link && origin.offset_m <= destination.offset_m {
                Route {
                    links: Vec::new(),
                    time_s: 0.0,
                    length_m: 0.0,
                }
            } else {
                self.fastest_path(o.to, d.from, mode)?
            };
        route.links.insert(0, origin.link);
        if origin.link != destination.link || route.links.len() > 1 {
            route.links.push(destination.link);
        }
        route.time_s = route
            .links
            .iter()
            .map(|l| roads.link(*l).free_flow_time_s(mode))
            .sum();
        route.length_m = route.links.iter().map(|l| roads.link(*l).length_m).sum();
        Some(PointRoute {
            origin,
            destination,
            route,
        })
    }
}

/// How far outside a city's extent something may lie and still be the city's: a station or
/// detector just beyond a clipped extract, trips crossing its edge.
pub const NEAR_CITY_M: f64 = 5_000.0;

/// Metres from `point` to `extent` (0 inside it).
pub fn distance_outside(extent: Rect<f64>, point: Point<f64>) -> f64 {
    if !(point.x().is_finite() && point.y().is_finite()) {
        return f64::INFINITY;
    }
    let dx = (extent.min().x - point.x())
        .max(point.x() - extent.max().x)
        .max(0.0);
    let dy = (extent.min().y - point.y())
        .max(point.y() - extent.max().y)
        .max(0.0);
    dx.hypot(dy)
}

/// See [`City::check_near`].
pub fn check_near(extent: Rect<f64>, what: &str, point: Point<f64>) -> Result<(), String> {
    let d = distance_outside(extent, point);
    if d > NEAR_CITY_M {
        return Err(format!(
            "{what} lies {:.1} km outside the city's extent (at most {} km): another city's data, or a wrong CRS?",
            d / 1000.0,
            NEAR_CITY_M / 1000.0
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    #[test]
    fn things_far_outside_the_extent_are_named_with_their_distance() {
        let extent = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 1000.0, y: 1000.0 });
        assert_eq!(distance_outside(extent, Point::new(500.0, 500.0)), 0.0);
        assert_eq!(distance_outside(extent, Point::new(1300.0, 1400.0)), 500.0);
        assert!(check_near(extent, "x", Point::new(-4000.0, 500.0)).is_ok());
        let e = check_near(extent, "station `Oslo S`", Point::new(7.6e6, 500.0)).unwrap_err();
        assert!(
            e.starts_with("station `Oslo S` lies 7599.0 km outside the city's extent"),
            "{e}"
        );
        assert!(check_near(extent, "nowhere", Point::new(f64::NAN, 0.0)).is_err());
    }
}
