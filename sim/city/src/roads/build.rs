//! Builds the road network from OSM ways with true topology.
//!
//! - A graph node exists where a way ends, where ways share an OSM node (or a way meets itself),
//!   and at `highway=traffic_signals` nodes. Ways are split at graph nodes.
//! - Bridges and tunnels: a node that lies *inside* ways of two or more levels (`layer`, else
//!   bridge = +1, tunnel = -1) is a mapping slip, not a crossing: each level gets its own graph
//!   node, and a way that ends there joins the node of its own level. A bridge that ends on a
//!   street, or a ramp that ends on a bridge, still connects.
//! - Divided roads: graph nodes joined by a car link no longer than `junction_join_m` are one
//!   controlled [`Junction`] when both ends are intersections (3+ neighbours) or signals, as
//!   SUMO's `--junctions.join` does; a junction never grows wider than `junction_max_extent_m`.
//!   Links keep their exact topology; only the control grouping changes.
//! - Cars keep the largest strongly connected component and the one-way carriageways that
//!   link it with the extract's edge (in or out); car access is removed elsewhere (links that
//!   then allow no mode are dropped) and the report says how much.

use super::tags::{NotRoutable, RoadSpec, Tags, road_spec};
use super::{Junction, Modes, RoadLink, RoadNetwork, RoadNode};
use crate::ids::{JunctionId, LinkId, NodeId};
use geo::{Coord, Euclidean, Length, LineString, Point, Rect};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

mod components;
mod junction_join;
use components::*;
use junction_join::*;

/// An OSM way as read from the file: node references and tags.
#[derive(Clone, Debug, PartialEq)]
pub struct RawWay {
    pub osm_id: i64,
    pub nodes: Vec<i64>,
    pub tags: Tags,
}

/// An OSM node's projected position and whether it carries traffic signals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawNode {
    pub coord: Coord<f64>,
    pub signals: bool,
}

/// Tunable rules of the build.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Nodes joined by a car link at most this long (m) form one controlled junction.
    pub junction_join_m: f64,
    /// No controlled junction spans more than this (bounding-box diagonal, m).
    pub junction_max_extent_m: f64,
    /// Signalise junctions of major roads that OSM leaves untagged ([`super::signals`]).
    pub infer_signals: bool,
    /// The extract's extent (its OSM bounds), where ways were cut; the ways' own extent when
    /// `None`. Dead ends of major roads at its edge lead outside ([`super::edge`]).
    pub extent: Option<Rect<f64>>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            junction_join_m: 15.0,
            junction_max_extent_m: 60.0,
            infer_signals: true,
            extent: None,
        }
    }
}

/// A way that did not make it (whole or in part) into the graph, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedWay {
    pub osm_id: i64,
    pub reason: String,
}

/// What the build did, for the import summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadBuildReport {
    /// Ways with a routable `highway` class.
    pub road_ways: usize,
    /// Of those, ways cars may use in at least one direction.
    pub drivable_ways: usize,
    pub skipped: Vec<SkippedWay>,
    /// OSM nodes inside ways of different levels that were kept apart.
    pub level_crossings_kept_apart: usize,
    /// Controlled junctions made of more than one graph node.
    pub joined_junctions: usize,
    pub car_components: usize,
    pub car_nodes_dropped: usize,
    pub car_links_dropped: usize,
    pub bike_components: usize,
    pub walk_components: usize,
    /// Junctions with a `highway=traffic_signals` node.
    pub signals_tagged: usize,
    /// Junctions signalised by the inference rule.
    pub signals_inferred: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RoadBuildError {
    #[error("no routable roads: {ways_seen} ways read, none with a usable highway=* tag")]
    NoRoads { ways_seen: usize },
}

/// A graph node before numbering: the OSM node and, for kept-apart crossings, its level.
type VertexKey = (i64, i8);

#[derive(Default)]
struct NodeUse {
    count: u32,
    endpoint: bool,
    /// Levels of the ways that pass *through* the node (it is not their end).
    interior_levels: BTreeSet<i8>,
}

struct Piece<'a> {
    way: &'a RawWay,
    spec: RoadSpec,
    nodes: Vec<i64>,
}

struct LinkDraft {
    way_id: i64,
    from: usize,
    to: usize,
    spec_index: usize,
    forward: bool,
    coords: Vec<Coord<f64>>,
    modes: Modes,
    segment: usize,
}

/// Builds the network. Ways may come in any order; the result depends only on their content.
pub fn build_road_network(
    ways: &[RawWay],
    nodes: &HashMap<i64, RawNode>,
    options: &BuildOptions,
) -> Result<(RoadNetwork, RoadBuildReport), RoadBuildError> {
    let mut report = RoadBuildReport::default();
    let mut sorted: Vec<&RawWay> = ways.iter().collect();
    sorted.sort_by_key(|w| w.osm_id);
    let pieces = read_pieces(&sorted, nodes, &mut report);
    let rule = VertexRule::of(&pieces);
    report.level_crossings_kept_apart = rule.level_crossings();
    let (mut drafts, vertices) = split_pieces(&pieces, nodes, &rule);
    if drafts.is_empty() {
        return Err(RoadBuildError::NoRoads {
            ways_seen: ways.len(),
        });
    }
    let specs: Vec<&RoadSpec> = pieces.iter().map(|p| &p.spec).collect();
    let stubs = edge_stubs(&drafts, &specs, vertices.len(), options.extent);
    prune_car_components(&mut drafts, vertices.len(), &stubs, &mut report);
    report.bike_components = count_components(&drafts, vertices.len(), Modes::BIKE);
    report.walk_components = count_components(&drafts, vertices.len(), Modes::WALK);
    let (node_id, road_nodes) = number_nodes(&drafts, &vertices, nodes);
    let mut network = RoadNetwork {
        nodes: road_nodes,
        links: links_of(&drafts, &specs, &node_id),
        junctions: Vec::new(),
    };
    join_junctions(&mut network, options, &mut report);
    report.signals_tagged = network.junctions.iter().filter(|j| j.signals).count();
    if options.infer_signals {
        report.signals_inferred = super::signals::infer_signals(&mut network);
    }
    Ok((network, report))
}

/// Which OSM nodes become graph vertices, and as which vertex.
struct VertexRule {
    usage: HashMap<i64, NodeUse>,
    key_count: HashMap<VertexKey, u32>,
}

impl VertexRule {
    fn of(pieces: &[Piece]) -> VertexRule {
        let mut usage: HashMap<i64, NodeUse> = HashMap::new();
        for piece in pieces {
            let last = piece.nodes.len() - 1;
            for (i, n) in piece.nodes.iter().enumerate() {
                let u = usage.entry(*n).or_default();
                u.count += 1;
                if i == 0 || i == last {
                    u.endpoint = true;
                } else {
                    u.interior_levels.insert(piece.spec.level);
                }
            }
        }
        let mut rule = VertexRule {
            usage,
            key_count: HashMap::new(),
        };
        let mut key_count: HashMap<VertexKey, u32> = HashMap::new();
        for piece in pieces {
            for n in &piece.nodes {
                *key_count
                    .entry(rule.key_of(*n, piece.spec.level))
                    .or_default() += 1;
            }
        }
        rule.key_count = key_count;
        rule
    }

    /// Ways of two levels passing through one node: a crossing mapped with a shared node by
    /// mistake. Each level gets its own graph node; a way ending there joins its own level.
    fn split_levels(&self, n: i64) -> bool {
        self.usage[&n].interior_levels.len() > 1
    }

    fn level_crossings(&self) -> usize {
        self.usage.keys().filter(|n| self.split_levels(**n)).count()
    }

    fn key_of(&self, n: i64, level: i8) -> VertexKey {
        if self.split_levels(n) {
            (n, level)
        } else {
            (n, 0)
        }
    }

    fn is_vertex(&self, n: i64, key: VertexKey, nodes: &HashMap<i64, RawNode>) -> bool {
        self.key_count[&key] >= 2
            || nodes[&n].signals
            || (self.usage[&n].endpoint && !self.split_levels(n))
    }
}

/// The pieces split at graph vertices into a draft link per direction allowed; vertices
/// numbered in first-seen order (with their level).
fn split_pieces(
    pieces: &[Piece],
    nodes: &HashMap<i64, RawNode>,
    rule: &VertexRule,
) -> (Vec<LinkDraft>, Vec<(VertexKey, i8)>) {
    let mut vertex_index: HashMap<VertexKey, usize> = HashMap::new();
    let mut vertices: Vec<(VertexKey, i8)> = Vec::new();
    let mut vertex_of = |key: VertexKey, level: i8| -> usize {
        *vertex_index.entry(key).or_insert_with(|| {
            vertices.push((key, level));
            vertices.len() - 1
        })
    };
    let mut drafts: Vec<LinkDraft> = Vec::new();
    let mut segment = 0;
    for (spec_index, piece) in pieces.iter().enumerate() {
        let level = piece.spec.level;
        let mut start = vertex_of(rule.key_of(piece.nodes[0], level), level);
        let mut coords = vec![nodes[&piece.nodes[0]].coord];
        for &n in &piece.nodes[1..] {
            coords.push(nodes[&n].coord);
            let key = rule.key_of(n, level);
            if !rule.is_vertex(n, key, nodes) {
                continue;
            }
            let end = vertex_of(key, level);
            for forward in [true, false] {
                let dir = if forward {
                    piece.spec.forward
                } else {
                    piece.spec.backward
                };
                if dir.modes.is_empty() {
                    continue;
                }
                let mut c = coords.clone();
                let (from, to) = if forward { (start, end) } else { (end, start) };
                if !forward {
                    c.reverse();
                }
                drafts.push(LinkDraft {
                    way_id: piece.way.osm_id,
                    from,
                    to,
                    spec_index,
                    forward,
                    coords: c,
                    modes: dir.modes,
                    segment,
                });
            }
            segment += 1;
            start = end;
            coords = vec![nodes[&n].coord];
        }
    }
    (drafts, vertices)
}

/// The vertices that still have links, numbered in vertex order, as road nodes.
fn number_nodes(
    drafts: &[LinkDraft],
    vertices: &[(VertexKey, i8)],
    nodes: &HashMap<i64, RawNode>,
) -> (Vec<Option<NodeId>>, Vec<RoadNode>) {
    let mut used = vec![false; vertices.len()];
    for d in drafts {
        used[d.from] = true;
        used[d.to] = true;
    }
    let mut node_id = vec![None; vertices.len()];
    let mut road_nodes = Vec::new();
    for (v, ((osm_id, _), level)) in vertices.iter().enumerate() {
        if used[v] {
            node_id[v] = Some(NodeId::from_index(road_nodes.len()));
            let raw = nodes[osm_id];
            road_nodes.push(RoadNode {
                osm_id: *osm_id,
                point: Point::from(raw.coord),
                level: *level,
                signals: raw.signals,
                junction: JunctionId(0),
            });
        }
    }
    (node_id, road_nodes)
}

/// The road links of the drafts, with their twins (the other direction of one segment) and
/// whether a car may only go one way.
fn links_of(
    drafts: &[LinkDraft],
    specs: &[&RoadSpec],
    node_id: &[Option<NodeId>],
) -> Vec<RoadLink> {
    let nid = |v: usize| node_id[v].expect("node of a kept link is numbered");
    let mut links: Vec<RoadLink> = drafts
        .iter()
        .map(|d| {
            let spec = specs[d.spec_index];
            let dir = if d.forward {
                spec.forward
            } else {
                spec.backward
            };
            let geometry = LineString::from(d.coords.clone());
            let car = d.modes.contains(Modes::CAR);
            RoadLink {
                osm_way_id: d.way_id,
                from: nid(d.from),
                to: nid(d.to),
                class: spec.class,
                name: spec.name.clone(),
                lanes: dir.lanes,
                speed_kmh: dir.speed_kmh,
                capacity_vph: if car {
                    f32::from(dir.lanes) * spec.capacity_per_lane_vph
                } else {
                    0.0
                },
                modes: d.modes,
                oneway: false,
                twin: None,
                internal: false,
                forward: d.forward,
                length_m: Euclidean.length(&geometry),
                geometry,
            }
        })
        .collect();
    // Twins are consecutive drafts of the same segment.
    for i in 1..drafts.len() {
        if drafts[i].segment == drafts[i - 1].segment {
            links[i].twin = Some(LinkId::from_index(i - 1));
            links[i - 1].twin = Some(LinkId::from_index(i));
        }
    }
    for i in 0..links.len() {
        let twin_allows_car = links[i]
            .twin
            .is_some_and(|t| links[t.index()].modes.contains(Modes::CAR));
        links[i].oneway = links[i].modes.contains(Modes::CAR) && !twin_allows_car;
    }
    links
}

fn read_pieces<'a>(
    sorted: &[&'a RawWay],
    nodes: &HashMap<i64, RawNode>,
    report: &mut RoadBuildReport,
) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    for way in sorted {
        let spec = match road_spec(&way.tags) {
            Ok(spec) => spec,
            Err(NotRoutable::NotARoad) => continue,
            Err(NotRoutable::Unusable(reason)) => {
                report.skipped.push(SkippedWay {
                    osm_id: way.osm_id,
                    reason,
                });
                continue;
            }
        };
        report.road_ways += 1;
        if (spec.forward.modes | spec.backward.modes).contains(Modes::CAR) {
            report.drivable_ways += 1;
        }
        // Runs of nodes present in the file; consecutive repeats removed.
        let mut runs: Vec<Vec<i64>> = vec![Vec::new()];
        let mut missing = 0;
        for n in &way.nodes {
            let run = runs.last_mut().expect("runs is never empty");
            if !nodes.contains_key(n) {
                missing += 1;
                if !run.is_empty() {
                    runs.push(Vec::new());
                }
            } else if run.last() != Some(n) {
                run.push(*n);
            }
        }
        runs.retain(|r| r.len() >= 2);
        if missing > 0 {
            report.skipped.push(SkippedWay {
                osm_id: way.osm_id,
                reason: format!(
                    "{missing} node(s) missing from the file; kept {} piece(s) between them",
                    runs.len()
                ),
            });
        } else if runs.is_empty() {
            report.skipped.push(SkippedWay {
                osm_id: way.osm_id,
                reason: "fewer than 2 distinct nodes".into(),
            });
        }
        for run in runs {
            pieces.push(Piece {
                way,
                spec: spec.clone(),
                nodes: run,
            });
        }
    }
    pieces
}
