//! Which links each mode can use to get anywhere: the network's connected parts, the stubs at
//! its edge, and car links pruned to the part most of the city is in.

use super::*;

pub(super) fn mode_graph(
    drafts: &[LinkDraft],
    vertex_count: usize,
    mode: Modes,
) -> DiGraph<(), ()> {
    let mut g = DiGraph::with_capacity(vertex_count, drafts.len());
    for _ in 0..vertex_count {
        g.add_node(());
    }
    for d in drafts.iter().filter(|d| d.modes.contains(mode)) {
        g.add_edge(NodeIndex::new(d.from), NodeIndex::new(d.to), ());
    }
    g
}

pub(super) fn touched_by(drafts: &[LinkDraft], vertex_count: usize, mode: Modes) -> Vec<bool> {
    let mut touched = vec![false; vertex_count];
    for d in drafts.iter().filter(|d| d.modes.contains(mode)) {
        touched[d.from] = true;
        touched[d.to] = true;
    }
    touched
}

/// Strongly connected components among the nodes a mode's links touch.
pub(super) fn count_components(drafts: &[LinkDraft], vertex_count: usize, mode: Modes) -> usize {
    let touched = touched_by(drafts, vertex_count, mode);
    kosaraju_scc(&mode_graph(drafts, vertex_count, mode))
        .iter()
        .filter(|c| touched[c[0].index()])
        .count()
}

/// Vertices where a major road's car links dead-end at the extract's edge: the road goes on
/// outside, so for connectivity they all meet there.
pub(super) fn edge_stubs(
    drafts: &[LinkDraft],
    specs: &[&RoadSpec],
    vertex_count: usize,
    extent: Option<Rect<f64>>,
) -> Vec<usize> {
    let mut neighbours: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); vertex_count];
    let mut point: Vec<Option<Coord<f64>>> = vec![None; vertex_count];
    let mut major = vec![false; vertex_count];
    let mut bbox: Option<Rect<f64>> = None;
    for d in drafts.iter().filter(|d| d.modes.contains(Modes::CAR)) {
        if d.from == d.to {
            continue;
        }
        neighbours[d.from].insert(d.to);
        neighbours[d.to].insert(d.from);
        let (a, b) = (d.coords[0], d.coords[d.coords.len() - 1]);
        point[d.from] = Some(a);
        point[d.to] = Some(b);
        let class = specs[d.spec_index].class;
        for v in [d.from, d.to] {
            major[v] |= super::super::edge::leads_outside(class);
        }
        for c in [a, b] {
            let r = Rect::new(c, c);
            bbox = Some(bbox.map_or(r, |e| {
                Rect::new(
                    Coord {
                        x: e.min().x.min(c.x),
                        y: e.min().y.min(c.y),
                    },
                    Coord {
                        x: e.max().x.max(c.x),
                        y: e.max().y.max(c.y),
                    },
                )
            }));
        }
    }
    let Some(extent) = extent.or(bbox) else {
        return Vec::new();
    };
    (0..vertex_count)
        .filter(|&v| {
            neighbours[v].len() == 1
                && major[v]
                && point[v].is_some_and(|p| super::super::edge::at_edge(extent, p.into()))
        })
        .collect()
}

/// Keeps the links cars can use from the largest strongly connected component (the core):
/// the core itself, and the one-way appendices that link it with the extract's edge — a
/// carriageway in from an edge stub, or out to one — so traffic can enter and leave along
/// divided roads that the extract cut. Everything else loses car access.
pub(super) fn prune_car_components(
    drafts: &mut Vec<LinkDraft>,
    vertex_count: usize,
    edge_stubs: &[usize],
    report: &mut RoadBuildReport,
) {
    let touched = touched_by(drafts, vertex_count, Modes::CAR);
    let components: Vec<Vec<NodeIndex>> =
        kosaraju_scc(&mode_graph(drafts, vertex_count, Modes::CAR))
            .into_iter()
            .filter(|c| touched[c[0].index()])
            .collect();
    report.car_components = components.len();
    let Some(largest) = components.iter().max_by_key(|c| {
        let smallest = c.iter().map(|n| n.index()).min().unwrap_or(usize::MAX);
        (c.len(), std::cmp::Reverse(smallest))
    }) else {
        return;
    };
    let mut core = vec![false; vertex_count];
    for n in largest {
        core[n.index()] = true;
    }
    let mut forward: Vec<Vec<usize>> = vec![Vec::new(); vertex_count];
    let mut backward: Vec<Vec<usize>> = vec![Vec::new(); vertex_count];
    for d in drafts.iter().filter(|d| d.modes.contains(Modes::CAR)) {
        forward[d.from].push(d.to);
        backward[d.to].push(d.from);
    }
    let all = vec![true; vertex_count];
    let core_vertices: Vec<usize> = (0..vertex_count).filter(|v| core[*v]).collect();
    let reaches_core = closure(&core_vertices, &backward, &all);
    let from_core = closure(&core_vertices, &forward, &all);
    let inbound = closure(edge_stubs, &forward, &reaches_core);
    let outbound = closure(edge_stubs, &backward, &from_core);
    let keep = |a: usize, b: usize| {
        (core[a] && core[b]) || (inbound[a] && inbound[b]) || (outbound[a] && outbound[b])
    };
    let mut kept = vec![false; vertex_count];
    for d in drafts.iter_mut() {
        if !d.modes.contains(Modes::CAR) {
            continue;
        }
        if keep(d.from, d.to) {
            kept[d.from] = true;
            kept[d.to] = true;
        } else {
            d.modes = d.modes.with(Modes::CAR, false);
            report.car_links_dropped += 1;
        }
    }
    report.car_nodes_dropped = (0..vertex_count)
        .filter(|v| touched[*v] && !kept[*v])
        .count();
    drafts.retain(|d| !d.modes.is_empty());
}

/// The vertices reachable from `start` along `next`, through vertices `allowed` only
/// (`start` included where allowed).
pub(super) fn closure(start: &[usize], next: &[Vec<usize>], allowed: &[bool]) -> Vec<bool> {
    let mut seen = vec![false; next.len()];
    let mut stack: Vec<usize> = start.iter().copied().filter(|v| allowed[*v]).collect();
    for &v in &stack {
        seen[v] = true;
    }
    while let Some(v) = stack.pop() {
        for &w in &next[v] {
            if allowed[w] && !seen[w] {
                seen[w] = true;
                stack.push(w);
            }
        }
    }
    seen
}
