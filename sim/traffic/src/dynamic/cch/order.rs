//! The contraction order: nested dissection by breadth-first level and flow separators.
//!
//! A node's rank says how late it is contracted. Separators rank above the parts they split,
//! so a query climbs from either end through few, small separators (what keeps a
//! customizable contraction hierarchy small and its queries short). Our networks carry no
//! coordinates here (SUMO nets, synthetic grids), so the separators come from the graph
//! alone: breadth-first sweeps from peripheral nodes, each cut at its thinnest level near the
//! middle (George's level-structure dissection, as sparse Cholesky solvers order grids), and
//! the last sweep also by the fewest nodes between its first and last quarter (a max-flow, as
//! inertial flow cuts between the ends of a projection on the map); the cut with the fewest
//! nodes for the balance it keeps wins.

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
    let mut local = vec![u32::MAX; n];
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
        let (separator, low, high) = bisect(graph, &nodes, &part, id, &mut level, &mut local);
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

/// Splits a connected part into (separator, one side, other side): the best of the level
/// cuts seen from a few peripheral nodes and the flow cut from the last of them.
fn bisect(
    graph: &Undirected,
    nodes: &[u32],
    part: &[u32],
    id: u32,
    level: &mut [u32],
    local: &mut [u32],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut best: Option<(Vec<u32>, Vec<u32>, Vec<u32>)> = None;
    // fewest separator nodes per node on the smaller side: a small cut that only trims an
    // edge off the part leaves most of it to be cut again
    let cost = |cut: &(Vec<u32>, Vec<u32>, Vec<u32>)| {
        cut.0.len() as f64 / cut.1.len().min(cut.2.len()) as f64
    };
    let mut consider = |cut: (Vec<u32>, Vec<u32>, Vec<u32>)| {
        if best.as_ref().is_none_or(|b| cost(&cut) < cost(b)) {
            best = Some(cut);
        }
    };
    let mut source = nodes[0];
    for sweep in 1..=SWEEPS {
        let order = breadth_first(graph, source, part, id, level);
        consider(level_cut(graph, &order, part, id, level));
        // from the most peripheral node, whose sweep's ends lie farthest apart (a flow cut
        // after every sweep took twice the time for 3% fewer query instructions)
        if sweep == SWEEPS
            && let Some(cut) = flow_cut(graph, &order, part, id, level, local)
        {
            consider(cut);
        }
        // the last node reached is peripheral: the next sweep starts there
        source = *order.last().unwrap_or(&source);
        clear(level, nodes);
    }
    best.unwrap_or_default()
}

/// Breadth-first sweeps per bisection: each from the node the previous one reached last.
const SWEEPS: usize = 3;

/// The cut at a breadth-first sweep's level with the fewest nodes touching the next level,
/// leaving at least `MIN_SIDE` of the part on either side (the median level if none does;
/// never the last level, which would separate nothing).
fn level_cut(
    graph: &Undirected,
    order: &[u32],
    part: &[u32],
    id: u32,
    level: &[u32],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let Some(&last) = order.last() else {
        return Default::default();
    };
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
    for &v in order {
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
    for &v in order {
        let l = level[v as usize];
        if l < at || (l == at && !touches_next(v)) {
            low.push(v);
        } else if l == at {
            separator.push(v);
        } else {
            high.push(v);
        }
    }
    (separator, low, high)
}

/// The least share of a part each side of a separator keeps.
const MIN_SIDE: f64 = 0.3;

/// Share of a part in each of the node sets a flow cut separates: the first and the last
/// nodes of a breadth-first sweep, as inertial flow takes the first and last of a
/// projection (Schild & Sommer 2015).
const FLOW_ENDS: f64 = 0.25;

/// The fewest nodes that separate the first [`FLOW_ENDS`] of `order` (a breadth-first sweep
/// of one part, `level` set) from its last, by unit-capacity max-flow on the nodes; `None`
/// where the two ends touch. Each side keeps at least its end.
fn flow_cut(
    graph: &Undirected,
    order: &[u32],
    part: &[u32],
    id: u32,
    level: &[u32],
    local: &mut [u32],
) -> Option<(Vec<u32>, Vec<u32>, Vec<u32>)> {
    let n = order.len();
    let ends = ((n as f64 * FLOW_ENDS).ceil() as usize).max(1);
    if 2 * ends >= n || level[order[ends - 1] as usize] + 1 >= level[order[n - ends] as usize] {
        return None;
    }
    for (i, &v) in order.iter().enumerate() {
        local[v as usize] = i as u32;
    }
    let net = FlowNet::new(graph, order, part, id, local);
    for &v in order {
        local[v as usize] = u32::MAX;
    }
    let reached = net.max_flow(ends, n - ends);
    let (mut separator, mut low, mut high) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &v) in order.iter().enumerate() {
        match (reached[2 * i], reached[2 * i + 1]) {
            _ if i < ends => low.push(v),
            (true, true) => low.push(v),
            (true, false) => separator.push(v),
            _ => high.push(v),
        }
    }
    Some((separator, low, high))
}

/// One part as a flow network in which each node but the ends carries one unit: node `i`
/// (its place in the sweep) enters at state `2i` and leaves at `2i + 1`, and every link
/// carries as much as its ends let through.
struct FlowNet {
    start: Vec<u32>,
    next: Vec<u32>,
    /// The arc back: `next[reverse[a]]` is the tail of arc `a`.
    reverse: Vec<u32>,
    /// A unit flows along the arc.
    flow: Vec<bool>,
    /// A unit flows through the node.
    through: Vec<bool>,
}

impl FlowNet {
    fn new(graph: &Undirected, order: &[u32], part: &[u32], id: u32, local: &[u32]) -> FlowNet {
        let mut start = Vec::with_capacity(order.len() + 1);
        let mut next = Vec::new();
        for &v in order {
            start.push(next.len() as u32);
            next.extend(
                graph
                    .neighbours(v)
                    .iter()
                    .filter(|&&w| part[w as usize] == id)
                    .map(|&w| local[w as usize]),
            );
        }
        start.push(next.len() as u32);
        // each link is named from both ends: the way back is where w's list names u
        let mut reverse = vec![0u32; next.len()];
        for u in 0..order.len() {
            for a in start[u] as usize..start[u + 1] as usize {
                let w = next[a] as usize;
                let back = &next[start[w] as usize..start[w + 1] as usize];
                let k = back.iter().position(|&x| x as usize == u).unwrap_or(0);
                reverse[a] = start[w] + k as u32;
            }
        }
        let arcs = next.len();
        FlowNet {
            start,
            next,
            reverse,
            flow: vec![false; arcs],
            through: vec![false; order.len()],
        }
    }

    fn arcs(&self, u: usize) -> std::ops::Range<usize> {
        self.start[u] as usize..self.start[u + 1] as usize
    }

    /// Augments along shortest paths from nodes `..sources` to nodes `sinks..` until none is
    /// left; returns which states the last search reached (the cut's source side).
    fn max_flow(mut self, sources: usize, sinks: usize) -> Vec<bool> {
        let n = self.through.len();
        // each state's way in (the state and arc it was reached from), set when it is reached,
        // so read only where this search reached; the sources' stays none
        let mut came = vec![(u32::MAX, u32::MAX); 2 * n];
        let mut reached = vec![false; 2 * n];
        let mut queue = Vec::new();
        loop {
            reached.fill(false);
            queue.clear();
            queue.extend((0..sources as u32).map(|i| 2 * i + 1));
            for i in 0..sources {
                reached[2 * i] = true;
                reached[2 * i + 1] = true;
            }
            let mut head = 0;
            let mut sink = None;
            'search: while let Some(&s) = queue.get(head) {
                head += 1;
                let (u, out) = ((s / 2) as usize, s % 2 == 1);
                let mut visit = |t: u32, arc: u32, queue: &mut Vec<u32>| {
                    if !reached[t as usize] {
                        reached[t as usize] = true;
                        came[t as usize] = (s, arc);
                        queue.push(t);
                    }
                };
                if out {
                    for a in self.arcs(u) {
                        let w = self.next[a] as usize;
                        if w >= sources {
                            visit(2 * w as u32, a as u32, &mut queue);
                            if w >= sinks {
                                sink = Some(2 * w as u32);
                                break 'search;
                            }
                        }
                    }
                    if u >= sources && self.through[u] {
                        visit(2 * u as u32, u32::MAX, &mut queue);
                    }
                } else {
                    if !self.through[u] {
                        visit(2 * u as u32 + 1, u32::MAX, &mut queue);
                    }
                    // back along a unit that entered u
                    for a in self.arcs(u) {
                        let into_u = self.reverse[a] as usize;
                        let w = self.next[a] as usize;
                        if self.flow[into_u] && w >= sources {
                            visit(2 * w as u32 + 1, into_u as u32, &mut queue);
                        }
                    }
                }
            }
            let Some(mut t) = sink else {
                return reached;
            };
            // back from the sink: a unit through each node entered and along each arc taken
            // forward (from a leaving state), none through each node or arc taken backward
            loop {
                let (s, arc) = came[t as usize];
                if s == u32::MAX {
                    break;
                }
                if arc == u32::MAX {
                    self.through[(s / 2) as usize] = t % 2 == 1;
                } else {
                    self.flow[arc as usize] = s % 2 == 1;
                }
                t = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// The fewest of `middle` whose removal leaves no path from `from` to `to`, by trying
    /// every subset.
    fn fewest_separating(graph: &Undirected, from: &[u32], to: &[u32], middle: &[u32]) -> usize {
        let n = graph.node_count();
        (0u32..1 << middle.len())
            .filter(|mask| {
                let mut blocked = vec![false; n];
                for (i, &v) in middle.iter().enumerate() {
                    blocked[v as usize] = mask & (1 << i) != 0;
                }
                let mut seen = blocked.clone();
                let mut stack: Vec<u32> = from.to_vec();
                for &v in from {
                    seen[v as usize] = true;
                }
                while let Some(v) = stack.pop() {
                    for &w in graph.neighbours(v) {
                        if !seen[w as usize] {
                            seen[w as usize] = true;
                            stack.push(w);
                        }
                    }
                }
                to.iter().all(|&t| !seen[t as usize] || blocked[t as usize])
            })
            .map(|mask| mask.count_ones() as usize)
            .min()
            .unwrap_or(usize::MAX)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// A flow cut splits the part into three, keeps the sweep's first quarter on one side
        /// and its last on the other with no link between the sides, and is as small as any
        /// set of nodes that separates the two quarters.
        #[test]
        fn a_flow_cut_is_a_smallest_separator(
            n in 6u32..29,
            extra in prop::collection::vec((0u32..29, 0u32..29), 0..40),
        ) {
            // a path through every node keeps the part connected
            let edges = (1..n).map(|v| (v - 1, v))
                .chain(extra.iter().map(|&(a, b)| (a % n, b % n)));
            let graph = Undirected::new(n as usize, edges);
            let part = vec![0u32; n as usize];
            let mut level = vec![u32::MAX; n as usize];
            let mut local = vec![u32::MAX; n as usize];
            let order = breadth_first(&graph, 0, &part, 0, &mut level);
            let Some((separator, low, high)) =
                flow_cut(&graph, &order, &part, 0, &level, &mut local)
            else {
                return Ok(());
            };
            prop_assert!(local.iter().all(|&l| l == u32::MAX));
            let mut all: Vec<u32> = separator.iter().chain(&low).chain(&high).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
            let ends = (f64::from(n) * FLOW_ENDS).ceil() as usize;
            let (first, last) = (&order[..ends], &order[order.len() - ends..]);
            prop_assert!(first.iter().all(|v| low.contains(v)));
            prop_assert!(last.iter().all(|v| high.contains(v)));
            for &v in &low {
                prop_assert!(graph.neighbours(v).iter().all(|w| !high.contains(w)));
            }
            let middle = &order[ends..order.len() - ends];
            prop_assert_eq!(separator.len(), fewest_separating(&graph, first, last, middle));
        }
    }
}
