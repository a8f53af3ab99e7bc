//! The contraction order: nested dissection by breadth-first level separators.
//!
//! A node's rank says how late it is contracted. Separators rank above the parts they split,
//! so a query climbs from either end through few, small separators (what keeps a
//! customizable contraction hierarchy small and its queries short). Our networks carry no
//! coordinates here (SUMO nets, synthetic grids), so the separators come from the graph
//! alone: breadth-first levels from a peripheral node, cut at the thinnest level near the
//! middle — George's level-structure dissection, as sparse Cholesky solvers order grids.

/// Parts this small are ranked as they come: splitting them saves nothing.
const LEAF: usize = 8;

/// Undirected adjacency without self-loops or duplicates, by node.
pub(super) struct Undirected {
    start: Vec<u32>,
    next: Vec<u32>,
}

impl Undirected {
    pub(super) fn new(node_count: usize, edges: impl Iterator<Item = (u32, u32)>) -> Self {
        let mut pairs: Vec<(u32, u32)> = edges
            .filter(|(a, b)| a != b)
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut start = vec![0u32; node_count + 1];
        for &(a, _) in &pairs {
            start[a as usize + 1] += 1;
        }
        for n in 0..node_count {
            start[n + 1] += start[n];
        }
        Self {
            start,
            next: pairs.into_iter().map(|(_, b)| b).collect(),
        }
    }

    pub(super) fn neighbours(&self, v: u32) -> &[u32] {
        &self.next[self.start[v as usize] as usize..self.start[v as usize + 1] as usize]
    }

    fn node_count(&self) -> usize {
        self.start.len() - 1
    }
}

/// `rank[node]`: 0 is contracted first; every rank is used once.
pub(super) fn nested_dissection(graph: &Undirected) -> Vec<u32> {
    let n = graph.node_count();
    // `part[v]` names the part v still belongs to; separators and ranked nodes leave it
    let mut part = vec![0u32; n];
    let mut parts = 1u32;
    let mut rank = vec![u32::MAX; n];
    // ranks are handed out from the top: a part's separator before the part's halves
    let mut next_rank = n as u32;
    let mut level = vec![u32::MAX; n];
    let mut stack: Vec<Vec<u32>> = vec![(0..n as u32).collect()];
    while let Some(nodes) = stack.pop() {
        if nodes.len() <= LEAF {
            for &v in nodes.iter().rev() {
                next_rank -= 1;
                rank[v as usize] = next_rank;
            }
            continue;
        }
        let id = part[nodes[0] as usize];
        let components = components(graph, &nodes, &part, id, &mut level);
        if components.len() > 1 {
            for component in components {
                parts += 1;
                for &v in &component {
                    part[v as usize] = parts;
                }
                stack.push(component);
            }
            continue;
        }
        let (separator, low, high) = bisect(graph, &nodes, &part, id, &mut level);
        for &v in separator.iter().rev() {
            next_rank -= 1;
            rank[v as usize] = next_rank;
            part[v as usize] = u32::MAX;
        }
        for half in [low, high] {
            if half.is_empty() {
                continue;
            }
            parts += 1;
            for &v in &half {
                part[v as usize] = parts;
            }
            stack.push(half);
        }
    }
    rank
}

/// Breadth-first order from `source` within part `id`; sets `level` of the nodes reached.
fn breadth_first(
    graph: &Undirected,
    source: u32,
    part: &[u32],
    id: u32,
    level: &mut [u32],
) -> Vec<u32> {
    let mut order = vec![source];
    level[source as usize] = 0;
    let mut head = 0;
    while let Some(&v) = order.get(head) {
        head += 1;
        for &w in graph.neighbours(v) {
            if part[w as usize] == id && level[w as usize] == u32::MAX {
                level[w as usize] = level[v as usize] + 1;
                order.push(w);
            }
        }
    }
    order
}

fn clear(level: &mut [u32], nodes: &[u32]) {
    for &v in nodes {
        level[v as usize] = u32::MAX;
    }
}

fn components(
    graph: &Undirected,
    nodes: &[u32],
    part: &[u32],
    id: u32,
    level: &mut [u32],
) -> Vec<Vec<u32>> {
    let mut found = Vec::new();
    for &v in nodes {
        if level[v as usize] == u32::MAX {
            found.push(breadth_first(graph, v, part, id, level));
        }
    }
    clear(level, nodes);
    found
}

/// Splits a connected part into (separator, one side, other side): the best level cut seen
/// from a few peripheral nodes.
fn bisect(
    graph: &Undirected,
    nodes: &[u32],
    part: &[u32],
    id: u32,
    level: &mut [u32],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut best: Option<(Vec<u32>, Vec<u32>, Vec<u32>)> = None;
    let mut source = nodes[0];
    for _ in 0..SWEEPS {
        // the last node reached is peripheral: the next sweep starts there
        let (cut, last) = level_cut(graph, nodes, part, id, level, source);
        if best.as_ref().is_none_or(|b| cut.0.len() < b.0.len()) {
            best = Some(cut);
        }
        source = last;
    }
    best.unwrap_or_default()
}

/// Breadth-first sweeps per bisection: each from the node the previous one reached last.
const SWEEPS: usize = 3;

/// The cut at the breadth-first level from `source` with the fewest nodes touching the next
/// level, leaving at least `MIN_SIDE` of the part on either side (the median level if none
/// does; never the last level, which would separate nothing); and the last node the sweep
/// reached.
#[allow(clippy::type_complexity)]
fn level_cut(
    graph: &Undirected,
    nodes: &[u32],
    part: &[u32],
    id: u32,
    level: &mut [u32],
    source: u32,
) -> ((Vec<u32>, Vec<u32>, Vec<u32>), u32) {
    let order = breadth_first(graph, source, part, id, level);
    let last = *order.last().unwrap_or(&source);
    let depth = level[last as usize] as usize;
    // only a level's nodes that touch the next level need to go into its separator
    let touches_next = |v: u32| {
        let next = level[v as usize] + 1;
        graph
            .neighbours(v)
            .iter()
            .any(|&w| part[w as usize] == id && level[w as usize] == next)
    };
    let (mut per_level, mut separating) = (vec![0usize; depth + 1], vec![0usize; depth + 1]);
    for &v in &order {
        per_level[level[v as usize] as usize] += 1;
        separating[level[v as usize] as usize] += usize::from(touches_next(v));
    }
    let total = order.len() as f64;
    let (mut before, mut cut, mut median) = (0usize, None::<(usize, usize)>, None);
    for l in 0..=depth {
        let after = order.len() - before - per_level[l];
        if median.is_none() && 2 * (before + per_level[l]) >= order.len() {
            median = Some(l);
        }
        let low = before + per_level[l] - separating[l];
        let balanced = low as f64 >= MIN_SIDE * total && after as f64 >= MIN_SIDE * total;
        if balanced && cut.is_none_or(|(_, c)| separating[l] < c) {
            cut = Some((l, separating[l]));
        }
        before += per_level[l];
    }
    // a cut below the last level always separates something (every node of the next level
    // touches this one), so each bisection makes progress
    let fallback = median.unwrap_or(0).min(depth.saturating_sub(1));
    let at = cut.map_or(fallback, |(l, _)| l) as u32;
    let (mut separator, mut low, mut high) = (Vec::new(), Vec::new(), Vec::new());
    for &v in &order {
        let l = level[v as usize];
        if l < at || (l == at && !touches_next(v)) {
            low.push(v);
        } else if l == at {
            separator.push(v);
        } else {
            high.push(v);
        }
    }
    clear(level, nodes);
    ((separator, low, high), last)
}

/// The least share of a part each side of a separator keeps.
const MIN_SIDE: f64 = 0.3;

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(side: u32) -> Undirected {
        let node = |x: u32, y: u32| y * side + x;
        let mut edges = Vec::new();
        for y in 0..side {
            for x in 0..side {
                if x + 1 < side {
                    edges.push((node(x, y), node(x + 1, y)));
                }
                if y + 1 < side {
                    edges.push((node(x, y), node(x, y + 1)));
                }
            }
        }
        Undirected::new((side * side) as usize, edges.into_iter())
    }

    #[test]
    fn every_node_gets_its_own_rank() {
        for graph in [
            grid(1),
            grid(7),
            grid(40),
            Undirected::new(5, std::iter::empty()),
            // a star and a path: shapes where a level cut could separate nothing
            Undirected::new(50, (1..50).map(|v| (0, v))),
            Undirected::new(50, (1..50).map(|v| (v - 1, v))),
        ] {
            let mut rank = nested_dissection(&graph);
            rank.sort_unstable();
            assert_eq!(rank, (0..rank.len() as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_grid_is_cut_by_its_top_ranked_line() {
        // the top-ranked nodes of a 40×40 grid (one grid line's worth) cut it into parts of
        // at most 70% each
        let side = 40u32;
        let graph = grid(side);
        let rank = nested_dissection(&graph);
        let n = side * side;
        let mut cut = vec![0u32; n as usize];
        for v in 0..n {
            if rank[v as usize] >= n - side {
                cut[v as usize] = 1;
            }
        }
        let rest: Vec<u32> = (0..n).filter(|&v| cut[v as usize] == 0).collect();
        let mut level = vec![u32::MAX; n as usize];
        let parts = components(&graph, &rest, &cut, 0, &mut level);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| 10 * p.len() <= 7 * n as usize));
    }
}
