//! External stations: where major roads leave the extract. An extract is a window onto a
//! larger city; traffic enters, leaves and crosses it along its major roads, and a model that
//! treats it as an island misses that traffic.
//!
//! A station is a dead end of the car network (a node with one neighbour) on a major road
//! (motorway, trunk, primary or secondary; tertiary too when the extract has none of those)
//! that lies outside the extract's extent or within [`edge_band_m`] of its boundary: the way
//! was cut there by the extract, not by the street. A divided road gives two stations, one per
//! carriageway, each with the one direction it carries.

use super::{RoadClass, RoadNetwork};
use crate::ids::{LinkId, NodeId};
use geo::{Point, Rect};
use serde::{Deserialize, Serialize};

/// A place where cars enter and/or leave the extract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeStation {
    pub node: NodeId,
    pub point: Point<f64>,
    /// The road as operators name it (see [`super::RoadLink::label`]).
    pub road: String,
    pub class: RoadClass,
    /// The car link that leads from the station into the extract, if cars may enter here.
    pub inbound: Option<LinkId>,
    /// The car link that leads out of the extract to the station, if cars may leave here.
    pub outbound: Option<LinkId>,
    pub inbound_capacity_vph: f64,
    pub outbound_capacity_vph: f64,
}

/// How close to the extent's boundary (m) a dead end must be to count as cut by the extract:
/// 2% of the extent's shorter side, at least 200 m.
pub fn edge_band_m(extent: Rect<f64>) -> f64 {
    (0.02 * extent.width().min(extent.height())).max(200.0)
}

fn major(class: RoadClass, with_tertiary: bool) -> bool {
    matches!(
        class,
        RoadClass::Motorway | RoadClass::Trunk | RoadClass::Primary | RoadClass::Secondary
    ) || (with_tertiary && class == RoadClass::Tertiary)
}

/// Whether a dead end of this class may be where the road leaves the extract (tertiary
/// included: [`edge_stations`] falls back to it).
pub fn leads_outside(class: RoadClass) -> bool {
    major(class, true)
}

/// Whether a point lies outside the extent or within [`edge_band_m`] of its boundary.
pub fn at_edge(extent: Rect<f64>, p: Point<f64>) -> bool {
    inside_depth(extent, p) <= edge_band_m(extent)
}

/// Distance (m) from a point inside the extent to its boundary; 0 outside it.
fn inside_depth(extent: Rect<f64>, p: Point<f64>) -> f64 {
    let dx = (p.x() - extent.min().x).min(extent.max().x - p.x());
    let dy = (p.y() - extent.min().y).min(extent.max().y - p.y());
    dx.min(dy).max(0.0)
}

/// The extract's external stations, in node order.
pub fn edge_stations(roads: &RoadNetwork, extent: Rect<f64>) -> Vec<EdgeStation> {
    let found = stations_of(roads, extent, false);
    if found.is_empty() {
        stations_of(roads, extent, true)
    } else {
        found
    }
}

fn stations_of(roads: &RoadNetwork, extent: Rect<f64>, with_tertiary: bool) -> Vec<EdgeStation> {
    let n = roads.nodes.len();
    let neighbours = roads.car_neighbour_counts();
    let mut inbound: Vec<Option<LinkId>> = vec![None; n];
    let mut outbound: Vec<Option<LinkId>> = vec![None; n];
    for (i, l) in roads.links.iter().enumerate() {
        if !l.carries_cars() || l.from == l.to {
            continue;
        }
        let (a, b) = (l.from.index(), l.to.index());
        inbound[a].get_or_insert(LinkId::from_index(i));
        outbound[b].get_or_insert(LinkId::from_index(i));
    }
    let mut stations = Vec::new();
    for (v, node) in roads.nodes.iter().enumerate() {
        if neighbours[v] != 1 || !at_edge(extent, node.point) {
            continue;
        }
        let (i, o) = (inbound[v], outbound[v]);
        let Some(link) = i.or(o).map(|l| roads.link(l)) else {
            continue;
        };
        if !major(link.class, with_tertiary) {
            continue;
        }
        let capacity = |l: Option<LinkId>| l.map_or(0.0, |l| f64::from(roads.link(l).capacity_vph));
        stations.push(EdgeStation {
            node: NodeId::from_index(v),
            point: node.point,
            road: link.label(),
            class: link.class,
            inbound: i,
            outbound: o,
            inbound_capacity_vph: capacity(i),
            outbound_capacity_vph: capacity(o),
        });
    }
    stations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::JunctionId;
    use crate::roads::{Modes, RoadLink, RoadNode};
    use geo::{LineString, coord};

    fn network(points: &[(f64, f64)], links: &[(usize, usize, RoadClass)]) -> RoadNetwork {
        let nodes = points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| RoadNode {
                osm_id: i as i64,
                point: Point::new(x, y),
                level: 0,
                signals: false,
                junction: JunctionId::from_index(i),
            })
            .collect();
        let links = links
            .iter()
            .map(|&(a, b, class)| {
                let (p, q) = (points[a], points[b]);
                RoadLink {
                    osm_way_id: 1,
                    from: NodeId::from_index(a),
                    to: NodeId::from_index(b),
                    class,
                    name: Some("Ring Road".into()),
                    lanes: 2,
                    speed_kmh: 50.0,
                    capacity_vph: 2000.0,
                    modes: Modes::CAR,
                    oneway: false,
                    twin: None,
                    internal: false,
                    forward: true,
                    geometry: LineString::new(vec![
                        coord! {x: p.0, y: p.1},
                        coord! {x: q.0, y: q.1},
                    ]),
                    length_m: (q.0 - p.0).hypot(q.1 - p.1),
                }
            })
            .collect();
        RoadNetwork {
            nodes,
            links,
            junctions: Vec::new(),
        }
    }

    #[test]
    fn dead_ends_of_major_roads_at_the_edge_are_stations() {
        use RoadClass::*;
        // a primary road crossing a 5 km square from x = -50 (outside) to 5050 (outside), a
        // residential spur ending at the edge, and a primary road ending in the middle
        let roads = network(
            &[
                (-50.0, 2500.0),
                (2500.0, 2500.0),
                (5050.0, 2500.0),
                (2500.0, 4990.0),
                (2500.0, 1500.0),
            ],
            &[
                (0, 1, Primary),
                (1, 0, Primary),
                (1, 2, Primary),
                (2, 1, Primary),
                (1, 3, Residential),
                (3, 1, Residential),
                (1, 4, Primary),
                (4, 1, Primary),
            ],
        );
        let extent = Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 5000.0, y: 5000.0});
        let stations = edge_stations(&roads, extent);
        let nodes: Vec<usize> = stations.iter().map(|s| s.node.index()).collect();
        assert_eq!(nodes, vec![0, 2]);
        assert_eq!(stations[0].inbound, Some(LinkId::from_index(0)));
        assert_eq!(stations[0].outbound, Some(LinkId::from_index(1)));
        assert_eq!(stations[0].inbound_capacity_vph, 2000.0);
    }

    #[test]
    fn tertiary_roads_count_only_when_there_is_nothing_bigger() {
        use RoadClass::*;
        let roads = network(
            &[(-10.0, 500.0), (500.0, 500.0)],
            &[(0, 1, Tertiary), (1, 0, Tertiary)],
        );
        let extent = Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 1000.0, y: 1000.0});
        assert_eq!(edge_stations(&roads, extent).len(), 1);
    }
}
