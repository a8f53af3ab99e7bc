//! The road network: serialisable nodes, links and controlled junctions, built from OSM ways
//! with true topology ([`build`]), and the petgraph view used for routing ([`graph`]).

pub mod build;
pub mod class;
pub mod edge;
pub mod graph;
pub mod modes;
pub mod signals;
pub mod tags;

use crate::ids::{JunctionId, LinkId, NodeId};
use geo::{LineString, Point};
use serde::{Deserialize, Serialize};

pub use class::RoadClass;
pub use edge::{EdgeStation, edge_stations};
pub use modes::{Mode, Modes};

/// A graph node: where ways meet, where a way ends, or a signal on a way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadNode {
    pub osm_id: i64,
    pub point: Point<f64>,
    /// Vertical level of the ways that meet here (0 at grade).
    pub level: i8,
    /// OSM `highway=traffic_signals` on this node.
    pub signals: bool,
    pub junction: JunctionId,
}

/// A directed link between two nodes, along one piece of one OSM way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadLink {
    pub osm_way_id: i64,
    pub from: NodeId,
    pub to: NodeId,
    pub class: RoadClass,
    pub name: Option<String>,
    pub lanes: u8,
    pub speed_kmh: f32,
    /// Vehicles per hour over all lanes (0 for links cars may not use).
    pub capacity_vph: f32,
    pub modes: Modes,
    /// One-way for cars: there is no car link the other way along the same piece of way.
    pub oneway: bool,
    /// The link along the same piece of way in the other direction, if any mode has one.
    pub twin: Option<LinkId>,
    /// Both ends belong to one controlled junction (a link inside a divided-road crossing).
    pub internal: bool,
    /// Runs the way's drawing direction (OSM's "forward"), not against it.
    pub forward: bool,
    /// Geometry from `from` to `to`, in the city CRS.
    pub geometry: LineString<f64>,
    pub length_m: f64,
}

impl RoadLink {
    /// Whether cars may drive it: car access and some capacity. Everything that puts cars on
    /// links (map matching, the queue model, external stations) asks this one question.
    pub fn carries_cars(&self) -> bool {
        self.modes.contains(Modes::CAR) && self.capacity_vph > 0.0
    }

    /// Free-flow travel time for a mode, in seconds.
    pub fn free_flow_time_s(&self, mode: Mode) -> f64 {
        let speed = (f64::from(self.speed_kmh) / 3.6).min(mode.max_speed_mps());
        self.length_m / speed
    }

    /// The road as operators name it: its street name, or its class and OSM way when it has
    /// none (ramps and service roads often do not).
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("{} (way {})", self.class.as_osm(), self.osm_way_id),
        }
    }
}

/// A controlled junction: the graph nodes that traffic control treats as one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Junction {
    pub nodes: Vec<NodeId>,
    /// Signal-controlled: tagged in OSM, or inferred at import ([`signals`]).
    pub signals: bool,
    /// The signals were inferred, not tagged.
    pub signals_inferred: bool,
    pub centroid: Point<f64>,
}

/// The road network as stored in a city bundle.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadNetwork {
    pub nodes: Vec<RoadNode>,
    pub links: Vec<RoadLink>,
    pub junctions: Vec<Junction>,
}

impl RoadNetwork {
    /// Per node, how many other nodes car links join it to (either direction, counted once):
    /// 1 at a dead end, 2 along a road, 3 or more at an intersection.
    pub fn car_neighbour_counts(&self) -> Vec<usize> {
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for l in self.links.iter().filter(|l| l.carries_cars()) {
            let (a, b) = (l.from.index(), l.to.index());
            if a != b {
                neighbours[a].push(b);
                neighbours[b].push(a);
            }
        }
        neighbours
            .into_iter()
            .map(|mut n| {
                n.sort_unstable();
                n.dedup();
                n.len()
            })
            .collect()
    }

    pub fn node(&self, id: NodeId) -> &RoadNode {
        &self.nodes[id.index()]
    }

    pub fn link(&self, id: LinkId) -> &RoadLink {
        &self.links[id.index()]
    }

    pub fn link_ids(&self) -> impl Iterator<Item = LinkId> + use<> {
        (0..self.links.len()).map(LinkId::from_index)
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.nodes.len()).map(NodeId::from_index)
    }

    /// The largest speed of any car link (m/s): the bound that keeps A* exact.
    pub fn max_speed_mps(&self, mode: Mode) -> f64 {
        self.links
            .iter()
            .filter(|l| l.modes.allows(mode))
            .map(|l| (f64::from(l.speed_kmh) / 3.6).min(mode.max_speed_mps()))
            .fold(0.0, f64::max)
    }
}
