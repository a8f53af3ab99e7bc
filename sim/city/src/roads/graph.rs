//! The road network as a petgraph stable graph, and fastest-path routing on it.

use super::{Mode, RoadNetwork};
use crate::ids::{LinkId, NodeId};
use geo::{Distance, Euclidean};
use petgraph::algo::astar;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeFiltered;

/// A route: the links to drive in order, with its free-flow time and length.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub links: Vec<LinkId>,
    pub time_s: f64,
    pub length_m: f64,
}

/// Directed graph of the network. Node and edge indices equal the bundle's ids because the
/// graph is built in id order; they stay private so that edits can later remove elements.
#[derive(Clone, Debug)]
pub struct RoadGraph {
    graph: StableDiGraph<NodeId, LinkId>,
    max_speed_mps: [f64; 3],
}

fn mode_slot(mode: Mode) -> usize {
    match mode {
        Mode::Car => 0,
        Mode::Bike => 1,
        Mode::Walk => 2,
    }
}

impl RoadGraph {
    pub fn new(network: &RoadNetwork) -> Self {
        let mut graph = StableDiGraph::with_capacity(network.nodes.len(), network.links.len());
        for id in network.node_ids() {
            let index = graph.add_node(id);
            debug_assert_eq!(index.index(), id.index());
        }
        for id in network.link_ids() {
            let link = network.link(id);
            graph.add_edge(
                NodeIndex::new(link.from.index()),
                NodeIndex::new(link.to.index()),
                id,
            );
        }
        let max_speed_mps = Mode::ALL.map(|m| network.max_speed_mps(m));
        Self {
            graph,
            max_speed_mps,
        }
    }

    /// Per link: whether it is in the largest strongly connected component of the car links
    /// (from any such link a car can reach any other). The import keeps one-way carriageways
    /// to and from the extract's edge besides it; trips start and end in the core.
    pub fn car_core(&self, network: &RoadNetwork) -> Vec<bool> {
        let cars = EdgeFiltered::from_fn(&self.graph, |e| network.link(*e.weight()).carries_cars());
        let components = petgraph::algo::kosaraju_scc(&cars);
        let mut core = vec![false; network.links.len()];
        let Some(largest) = components.iter().max_by_key(|c| {
            let smallest = c.iter().map(|n| n.index()).min().unwrap_or(usize::MAX);
            (c.len(), std::cmp::Reverse(smallest))
        }) else {
            return core;
        };
        let mut in_largest = vec![false; network.nodes.len()];
        for n in largest {
            in_largest[n.index()] = true;
        }
        for (l, link) in network.links.iter().enumerate() {
            core[l] =
                link.carries_cars() && in_largest[link.from.index()] && in_largest[link.to.index()];
        }
        core
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Links leaving a node, in id order.
    pub fn outgoing(&self, node: NodeId) -> Vec<LinkId> {
        let mut out: Vec<LinkId> = self
            .graph
            .edges(NodeIndex::new(node.index()))
            .map(|e| *e.weight())
            .collect();
        out.sort();
        out
    }

    /// The fastest path by free-flow time between two nodes for a mode (A* with the
    /// straight-line distance at the network's top speed as its admissible estimate).
    pub fn fastest_path(
        &self,
        network: &RoadNetwork,
        from: NodeId,
        to: NodeId,
        mode: Mode,
    ) -> Option<Route> {
        if from == to {
            return Some(Route {
                links: Vec::new(),
                time_s: 0.0,
                length_m: 0.0,
            });
        }
        let allowed = EdgeFiltered::from_fn(&self.graph, |e| {
            network.link(*e.weight()).modes.allows(mode)
        });
        let target = network.node(to).point;
        let top_speed = self.max_speed_mps[mode_slot(mode)];
        if top_speed <= 0.0 {
            return None;
        }
        let (_, nodes) = astar(
            &allowed,
            NodeIndex::new(from.index()),
            |n| n.index() == to.index(),
            |e| network.link(*e.weight()).free_flow_time_s(mode),
            |n| Euclidean.distance(network.nodes[n.index()].point, target) / top_speed,
        )?;
        let mut route = Route {
            links: Vec::with_capacity(nodes.len()),
            time_s: 0.0,
            length_m: 0.0,
        };
        for pair in nodes.windows(2) {
            // parallel links: the cheapest one is the one A* used
            let link = self
                .graph
                .edges_connecting(pair[0], pair[1])
                .map(|e| *e.weight())
                .filter(|l| network.link(*l).modes.allows(mode))
                .min_by(|a, b| {
                    let (ta, tb) = (
                        network.link(*a).free_flow_time_s(mode),
                        network.link(*b).free_flow_time_s(mode),
                    );
                    ta.total_cmp(&tb).then(a.cmp(b))
                })?;
            route.time_s += network.link(link).free_flow_time_s(mode);
            route.length_m += network.link(link).length_m;
            route.links.push(link);
        }
        Some(route)
    }

    /// The link id behind a petgraph edge (for code that walks the graph itself).
    pub fn link_of(&self, edge: EdgeIndex) -> Option<LinkId> {
        self.graph.edge_weight(edge).copied()
    }
}
