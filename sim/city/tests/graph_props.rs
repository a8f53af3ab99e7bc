//! Property tests of the road graph builder and routing on random street grids.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

use citytwin_city::roads::build::{BuildOptions, RawNode, RawWay, build_road_network};
use citytwin_city::roads::graph::RoadGraph;
use citytwin_city::{Mode, Modes, NodeId, RoadNetwork};
use geo::{Coord, Euclidean, Length};
use petgraph::algo::dijkstra;
use petgraph::graph::{DiGraph, NodeIndex};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A random city: a grid of OSM nodes; ways run along rows and columns between random
/// stops, with random classes, one-way tags and bridges.
fn city() -> impl Strategy<Value = (Vec<RawWay>, HashMap<i64, RawNode>)> {
    let way = (
        any::<bool>(), // along a row (else a column)
        0usize..6,     // which row/column
        0usize..5,     // start
        2usize..6,     // length in nodes
        0usize..4,     // class
        0usize..4,     // oneway: none, yes, -1, roundabout-like yes
        any::<bool>(), // bridge
    );
    (
        proptest::collection::vec(way, 1..14),
        proptest::collection::vec(any::<bool>(), 36),
    )
        .prop_map(|(ways, signals)| {
            let id = |r: usize, c: usize| (r * 6 + c) as i64 + 1;
            let mut nodes = HashMap::new();
            for r in 0..6 {
                for c in 0..6 {
                    nodes.insert(
                        id(r, c),
                        RawNode {
                            coord: Coord {
                                x: c as f64 * 40.0,
                                y: r as f64 * 40.0,
                            },
                            signals: signals[r * 6 + c] && (r + c) % 5 == 0,
                        },
                    );
                }
            }
            let classes = ["primary", "residential", "footway", "service"];
            let raw = ways
                .into_iter()
                .enumerate()
                .map(|(i, (row, line, start, len, class, oneway, bridge))| {
                    let end = (start + len).min(6);
                    let start = start.min(end - 2);
                    let refs: Vec<i64> = (start..end)
                        .map(|k| if row { id(line, k) } else { id(k, line) })
                        .collect();
                    let mut tags =
                        BTreeMap::from([("highway".to_string(), classes[class].to_string())]);
                    match oneway {
                        1 => drop(tags.insert("oneway".into(), "yes".into())),
                        2 => drop(tags.insert("oneway".into(), "-1".into())),
                        _ => {}
                    }
                    if bridge {
                        tags.insert("bridge".into(), "yes".into());
                    }
                    RawWay {
                        osm_id: 100 + i as i64,
                        nodes: refs,
                        tags,
                    }
                })
                .collect();
            (raw, nodes)
        })
}

fn build(ways: &[RawWay], nodes: &HashMap<i64, RawNode>) -> Option<RoadNetwork> {
    build_road_network(ways, nodes, &BuildOptions::default())
        .ok()
        .map(|(n, _)| n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every graph node is an OSM node that ends a way, is shared by ways (or used twice by
    /// one), or carries signals — never a node only one way passes through.
    #[test]
    fn junctions_only_where_ways_share_a_node((ways, nodes) in city()) {
        let Some(net) = build(&ways, &nodes) else { return Ok(()) };
        let mut uses: HashMap<i64, usize> = HashMap::new();
        let mut ends: BTreeSet<i64> = BTreeSet::new();
        for w in &ways {
            for n in &w.nodes { *uses.entry(*n).or_default() += 1; }
            ends.insert(w.nodes[0]);
            ends.insert(*w.nodes.last().unwrap());
        }
        for node in &net.nodes {
            let ok = ends.contains(&node.osm_id) || uses[&node.osm_id] >= 2 || nodes[&node.osm_id].signals;
            prop_assert!(ok, "node {} is neither an end, shared, nor a signal", node.osm_id);
        }
    }

    /// A link's interior vertices are never graph nodes of its own level: ways are split at
    /// every junction, so links run from junction (or dead end) to junction.
    #[test]
    fn links_run_between_junctions((ways, nodes) in city()) {
        let Some(net) = build(&ways, &nodes) else { return Ok(()) };
        let way_level: HashMap<i64, i8> = ways.iter()
            .map(|w| (w.osm_id, if w.tags.contains_key("bridge") { 1 } else { 0 }))
            .collect();
        for link in &net.links {
            let coords = &link.geometry.0;
            prop_assert_eq!(coords[0], net.node(link.from).point.0);
            prop_assert_eq!(*coords.last().unwrap(), net.node(link.to).point.0);
            let level = way_level[&link.osm_way_id];
            for c in &coords[1..coords.len() - 1] {
                let through = net.nodes.iter().any(|n| n.point.0 == *c && n.level == level);
                prop_assert!(!through, "a link of way {} passes through a junction at {:?}", link.osm_way_id, c);
            }
        }
    }

    /// One-way links have no reverse car link along the same piece of way; every link's
    /// length equals its geometry's length; twins point at each other.
    #[test]
    fn oneway_lengths_and_twins((ways, nodes) in city()) {
        let Some(net) = build(&ways, &nodes) else { return Ok(()) };
        for (i, link) in net.links.iter().enumerate() {
            prop_assert!((link.length_m - Euclidean.length(&link.geometry)).abs() < 1e-9);
            if let Some(t) = link.twin {
                prop_assert_eq!(net.link(t).twin.map(|x| x.index()), Some(i));
                prop_assert_eq!(net.link(t).from, link.to);
            }
            if link.oneway {
                let reverse_car = net.links.iter().any(|o| o.osm_way_id == link.osm_way_id
                    && o.from == link.to && o.to == link.from
                    && o.modes.contains(Modes::CAR)
                    && o.geometry.0.iter().rev().eq(link.geometry.0.iter()));
                prop_assert!(!reverse_car, "one-way link of way {} has a car twin", link.osm_way_id);
            }
        }
    }

    /// Cars keep one strongly connected core, and besides it only the one-way carriageways
    /// that lead into it from the extract's edge or out of it to the edge: every car node
    /// reaches the core or is reached from it, and the core is what map matching uses.
    #[test]
    fn car_network_is_a_core_with_edge_appendices((ways, nodes) in city()) {
        let Some(net) = build(&ways, &nodes) else { return Ok(()) };
        let mut g = DiGraph::<(), ()>::new();
        for _ in &net.nodes { g.add_node(()); }
        let mut car_nodes = BTreeSet::new();
        for l in net.links.iter().filter(|l| l.modes.contains(Modes::CAR)) {
            g.add_edge(NodeIndex::new(l.from.index()), NodeIndex::new(l.to.index()), ());
            car_nodes.insert(l.from.index());
            car_nodes.insert(l.to.index());
        }
        let components = petgraph::algo::kosaraju_scc(&g);
        let Some(core) = components.iter().filter(|c| car_nodes.contains(&c[0].index())).max_by_key(|c| (c.len(), std::cmp::Reverse(c.iter().map(|n| n.index()).min()))) else {
            return Ok(());
        };
        let reach = |graph: &DiGraph<(), ()>| {
            let mut seen = BTreeSet::new();
            for &start in core {
                let mut dfs = petgraph::visit::Dfs::new(graph, start);
                while let Some(n) = dfs.next(graph) { seen.insert(n.index()); }
            }
            seen
        };
        let from_core = reach(&g);
        let mut reversed = g.clone();
        reversed.reverse();
        let to_core = reach(&reversed);
        for n in &car_nodes {
            prop_assert!(from_core.contains(n) || to_core.contains(n), "car node {n} is cut off from the core");
        }
        let in_core = RoadGraph::new(&net).car_core(&net);
        let core_nodes: BTreeSet<usize> = core.iter().map(|n| n.index()).collect();
        for (l, link) in net.links.iter().enumerate() {
            let both = core_nodes.contains(&link.from.index()) && core_nodes.contains(&link.to.index());
            prop_assert_eq!(in_core[l], link.carries_cars() && both);
        }
    }

    /// A* by free-flow time finds paths exactly as short as Dijkstra's.
    #[test]
    fn astar_matches_dijkstra((ways, nodes) in city(), pick in any::<(u16, u16)>()) {
        let Some(net) = build(&ways, &nodes) else { return Ok(()) };
        let graph = RoadGraph::new(&net);
        for mode in Mode::ALL {
            let mut g = DiGraph::<(), f64>::new();
            for _ in &net.nodes { g.add_node(()); }
            for l in net.links.iter().filter(|l| l.modes.allows(mode)) {
                g.add_edge(NodeIndex::new(l.from.index()), NodeIndex::new(l.to.index()), l.free_flow_time_s(mode));
            }
            let from = NodeId(u32::from(pick.0) % net.nodes.len() as u32);
            let to = NodeId(u32::from(pick.1) % net.nodes.len() as u32);
            let truth = dijkstra(&g, NodeIndex::new(from.index()), Some(NodeIndex::new(to.index())), |e| *e.weight());
            let found = graph.fastest_path(&net, from, to, mode);
            match (truth.get(&NodeIndex::new(to.index())), found) {
                (Some(t), Some(route)) => {
                    prop_assert!((t - route.time_s).abs() < 1e-6, "{mode:?}: dijkstra {t} vs A* {}", route.time_s);
                    for pair in route.links.windows(2) {
                        prop_assert_eq!(net.link(pair[0]).to, net.link(pair[1]).from);
                    }
                }
                (None, None) => {}
                (t, r) => prop_assert!(false, "{mode:?}: dijkstra {t:?} vs A* {r:?}"),
            }
        }
    }
}

/// A bridge crossing a street in the middle of both ways does not join it, even when the
/// mapper put a shared node there; a ramp that ends on the street does.
#[test]
fn bridges_do_not_join_what_they_cross() {
    let nodes: HashMap<i64, RawNode> = [
        (1, 0.0, 50.0),
        (2, 50.0, 50.0),
        (3, 100.0, 50.0),
        (4, 50.0, 0.0),
        (5, 50.0, 100.0),
        (6, 0.0, 0.0),
    ]
    .into_iter()
    .map(|(id, x, y)| {
        (
            id,
            RawNode {
                coord: Coord { x, y },
                signals: false,
            },
        )
    })
    .collect();
    let tags = |extra: &[(&str, &str)]| -> BTreeMap<String, String> {
        std::iter::once(("highway", "primary"))
            .chain(extra.iter().copied())
            .map(|(k, v)| (k.into(), v.into()))
            .collect()
    };
    let ways = vec![
        RawWay {
            osm_id: 1,
            nodes: vec![1, 2, 3],
            tags: tags(&[]),
        },
        RawWay {
            osm_id: 2,
            nodes: vec![4, 2, 5],
            tags: tags(&[("bridge", "yes")]),
        },
    ];
    let (net, report) = build_road_network(&ways, &nodes, &BuildOptions::default()).unwrap();
    assert_eq!(report.level_crossings_kept_apart, 1);
    assert!(
        net.nodes.iter().all(|n| n.osm_id != 2),
        "the crossing is not a junction"
    );
    assert_eq!(net.links.len(), 4, "two ways, unsplit, both directions");

    let mut with_ramp = ways.clone();
    with_ramp.push(RawWay {
        osm_id: 3,
        nodes: vec![6, 2],
        tags: tags(&[]),
    });
    let (net, _) = build_road_network(&with_ramp, &nodes, &BuildOptions::default()).unwrap();
    let at_crossing: Vec<_> = net.nodes.iter().filter(|n| n.osm_id == 2).collect();
    assert_eq!(
        at_crossing.len(),
        1,
        "the ramp joins the street, not the bridge"
    );
    assert_eq!(at_crossing[0].level, 0);
    assert_eq!(
        net.links.iter().filter(|l| l.osm_way_id == 2).count(),
        2,
        "the bridge stays whole"
    );
}

/// Two dual carriageways crossing make four nodes a few metres apart: one controlled junction.
#[test]
fn divided_road_crossing_is_one_junction() {
    // carriageways at y = 0 / 10 (east-west) and x = 0 / 10 (north-south)
    let mut nodes = HashMap::new();
    let mut next = 1;
    let mut node = |x: f64, y: f64| {
        nodes.insert(
            next,
            RawNode {
                coord: Coord { x, y },
                signals: false,
            },
        );
        next += 1;
        next - 1
    };
    let (w0, a, b, e0) = (
        node(-200.0, 0.0),
        node(0.0, 0.0),
        node(10.0, 0.0),
        node(200.0, 0.0),
    );
    let (w1, c, d, e1) = (
        node(-200.0, 10.0),
        node(0.0, 10.0),
        node(10.0, 10.0),
        node(200.0, 10.0),
    );
    let (s0, n0, s1, n1) = (
        node(0.0, -200.0),
        node(0.0, 200.0),
        node(10.0, -200.0),
        node(10.0, 200.0),
    );
    let oneway = || {
        BTreeMap::from([
            ("highway".to_string(), "primary".to_string()),
            ("oneway".to_string(), "yes".to_string()),
        ])
    };
    let ways = vec![
        RawWay {
            osm_id: 1,
            nodes: vec![w0, a, b, e0],
            tags: oneway(),
        },
        RawWay {
            osm_id: 2,
            nodes: vec![e1, d, c, w1],
            tags: oneway(),
        },
        RawWay {
            osm_id: 3,
            nodes: vec![s1, b, d, n1],
            tags: oneway(),
        },
        RawWay {
            osm_id: 4,
            nodes: vec![n0, c, a, s0],
            tags: oneway(),
        },
    ];
    // the carriageways meet again beyond the crossing, so cars can come back
    let mut ways = ways;
    let street = || BTreeMap::from([("highway".to_string(), "tertiary".to_string())]);
    for (i, (p, q)) in [(e0, e1), (w1, w0), (n1, n0), (s0, s1)]
        .into_iter()
        .enumerate()
    {
        ways.push(RawWay {
            osm_id: 10 + i as i64,
            nodes: vec![p, q],
            tags: street(),
        });
    }
    let (net, report) = build_road_network(&ways, &nodes, &BuildOptions::default()).unwrap();
    assert_eq!(report.joined_junctions, 1);
    let centre: BTreeSet<_> = net
        .nodes
        .iter()
        .filter(|n| n.point.x().abs() <= 10.0 && n.point.y().abs() <= 10.0)
        .map(|n| n.junction)
        .collect();
    assert_eq!(
        centre.len(),
        1,
        "the four crossing nodes share one junction"
    );
    let internal_car = net
        .links
        .iter()
        .filter(|l| l.internal && l.modes.contains(Modes::CAR))
        .count();
    assert_eq!(
        internal_car, 4,
        "the four short carriageway pieces inside the crossing"
    );
}
