//! Customization: every shortcut's cost from its lower triangles, on the rayon pool's threads.
//!
//! A shortcut's lower triangles all lie below it in the elimination tree, so disjoint subtrees
//! settle in parallel (the top separator's chain settles one node after another, each node's
//! triangles split among the threads). A node settles its own upward edges by pulling the
//! triangles of its lower neighbours in rank order, which hands every edge the same candidates
//! in the same order as one sweep over the nodes in rank order, keeping the first of equal
//! costs: costs and shortcuts are bit-identical whatever the number of threads.

use super::{Cch, DOWNWARD, MIDDLE, NONE};
use crate::dynamic::tie_break::tie_break;
use rayon::prelude::*;

/// When a subtree or a node is worth handing to other threads, in triangles; below, the
/// hand-over costs more than the work.
#[derive(Clone, Copy, Debug)]
pub(super) struct Split {
    pub subtree: u64,
    pub node: u64,
    /// Whole subtrees go to other threads (else the nodes settle in rank order, each node's
    /// triangles still split: what happens where the trees' ranks are not intervals).
    pub by_subtree: bool,
}

pub(super) const SPLIT: Split = Split {
    subtree: 200_000,
    node: 4_000,
    by_subtree: true,
};

/// The elimination tree as customization walks it; derived from the hierarchy's shape.
#[derive(Clone, Debug, Default)]
pub(super) struct Tree {
    /// Edges whose higher end is each node, by rising lower end: `lower_first[u]..[u + 1]`.
    lower_first: Vec<u32>,
    lower: Vec<u32>,
    children_first: Vec<u32>,
    children: Vec<u32>,
    /// The lowest rank in each node's subtree, `NONE` where its ranks are not one interval.
    subtree_low: Vec<u32>,
    /// Triangles of each node, and of its whole subtree.
    node_work: Vec<u64>,
    subtree_work: Vec<u64>,
}

impl Tree {
    pub(super) fn new(cch: &Cch) -> Tree {
        let (n, head) = (cch.rank.len(), &cch.head);
        // edges are stored by rising lower end, so each bucket comes out by rising lower end
        let (lower_first, lower) = buckets(n, (0..head.len()).map(|e| (head[e], e as u32)));
        let parents = (0..n as u32).map(|v| (cch.parent(v), v));
        let (children_first, children) = buckets(n, parents.filter(|&(p, _)| p != NONE));
        let mut tree = Tree {
            lower_first,
            lower,
            children_first,
            children,
            subtree_low: vec![NONE; n],
            node_work: vec![0; n],
            subtree_work: vec![0; n],
        };
        let (mut size, mut lowest) = (vec![1u32; n], vec![0u32; n]);
        // children rank below their parent: one rising sweep sees every subtree whole
        for u in 0..n {
            let work: u64 = tree
                .lower_of(u as u32)
                .iter()
                .map(|&i| (cch.edges_of(cch.tail[i as usize]).end - i as usize - 1) as u64)
                .sum();
            tree.node_work[u] = work;
            let (mut low, mut total) = (u as u32, work);
            for &c in tree.children_of(u as u32) {
                let c = c as usize;
                size[u] += size[c];
                total += tree.subtree_work[c];
                low = low.min(lowest[c]);
            }
            lowest[u] = low;
            tree.subtree_work[u] = total;
            // one interval only if the subtree's size is its span
            tree.subtree_low[u] = if u as u32 - low + 1 == size[u] {
                low
            } else {
                NONE
            };
        }
        tree
    }

    fn lower_of(&self, u: u32) -> &[u32] {
        &self.lower
            [self.lower_first[u as usize] as usize..self.lower_first[u as usize + 1] as usize]
    }

    fn children_of(&self, u: u32) -> &[u32] {
        let u = u as usize;
        &self.children[self.children_first[u] as usize..self.children_first[u + 1] as usize]
    }
}

/// `items` (key, value) grouped by key in compressed rows, in the order given.
fn buckets(n: usize, items: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut first = vec![0u32; n + 1];
    for (key, _) in items.clone() {
        first[key as usize + 1] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let mut fill = first.clone();
    let mut values = vec![0u32; first[n] as usize];
    for (key, value) in items {
        values[fill[key as usize] as usize] = value;
        fill[key as usize] += 1;
    }
    (first, values)
}

/// The up and down costs of a range of edges, with what each comes from; indices are the
/// hierarchy's.
struct EdgeCosts<'a> {
    first: usize,
    up: &'a mut [f64],
    down: &'a mut [f64],
    up_via: &'a mut [u32],
    down_via: &'a mut [u32],
}

impl<'a> EdgeCosts<'a> {
    fn reborrow(&mut self) -> EdgeCosts<'_> {
        EdgeCosts {
            first: self.first,
            up: self.up,
            down: self.down,
            up_via: self.up_via,
            down_via: self.down_via,
        }
    }

    /// The edges before `edge`, and the rest.
    fn split_at(self, edge: usize) -> (EdgeCosts<'a>, EdgeCosts<'a>) {
        let at = edge - self.first;
        let (up, up_rest) = self.up.split_at_mut(at);
        let (down, down_rest) = self.down.split_at_mut(at);
        let (up_via, up_via_rest) = self.up_via.split_at_mut(at);
        let (down_via, down_via_rest) = self.down_via.split_at_mut(at);
        let before = EdgeCosts {
            first: self.first,
            up,
            down,
            up_via,
            down_via,
        };
        let rest = EdgeCosts {
            first: edge,
            up: up_rest,
            down: down_rest,
            up_via: up_via_rest,
            down_via: down_via_rest,
        };
        (before, rest)
    }
}

impl Triangles for EdgeCosts<'_> {
    fn up(&self, e: usize) -> f64 {
        self.up[e - self.first]
    }

    fn down(&self, e: usize) -> f64 {
        self.down[e - self.first]
    }

    fn offer(&mut self, e: usize, candidate: Best) {
        let at = e - self.first;
        if candidate.up < self.up[at] {
            (self.up[at], self.up_via[at]) = (candidate.up, candidate.up_via);
        }
        if candidate.down < self.down[at] {
            (self.down[at], self.down_via[at]) = (candidate.down, candidate.down_via);
        }
    }
}

/// The cheapest candidates for one edge from some of its lower triangles, the first of equals.
#[derive(Clone, Copy)]
struct Best {
    up: f64,
    up_via: u32,
    down: f64,
    down_via: u32,
}

impl Best {
    const NONE: Best = Best {
        up: f64::INFINITY,
        up_via: NONE,
        down: f64::INFINITY,
        down_via: NONE,
    };

    fn keep_cheaper(&mut self, candidate: Best) {
        if candidate.up < self.up {
            (self.up, self.up_via) = (candidate.up, candidate.up_via);
        }
        if candidate.down < self.down {
            (self.down, self.down_via) = (candidate.down, candidate.down_via);
        }
    }
}

/// What customization reads of the hierarchy while it writes the costs.
struct Shape<'a> {
    first_up: &'a [u32],
    head: &'a [u32],
    tail: &'a [u32],
    tree: &'a Tree,
    split: Split,
    threads: usize,
}

impl Shape<'_> {
    fn edges_of(&self, v: u32) -> std::ops::Range<usize> {
        self.first_up[v as usize] as usize..self.first_up[v as usize + 1] as usize
    }

    /// Settles the subtree of `r` (one rank interval), its subtrees in parallel.
    fn settle_subtree(&self, r: u32, costs: &mut EdgeCosts) {
        let tree = self.tree;
        let low = tree.subtree_low[r as usize];
        if self.threads == 1 || tree.subtree_work[r as usize] < self.split.subtree {
            for u in low..=r {
                self.settle_node(u, costs);
            }
            return;
        }
        // down the chain of single children: the ranks just below r, one by one
        let mut b = r;
        while let [only] = tree.children_of(b) {
            b = *only;
        }
        let kids = tree.children_of(b);
        if kids.iter().all(|&c| tree.subtree_low[c as usize] != NONE) {
            // the children's intervals follow each other from `low` up to b − 1
            let (_, mut rest) = costs
                .reborrow()
                .split_at(self.first_up[low as usize] as usize);
            let mut pieces = Vec::with_capacity(kids.len());
            for &c in kids {
                let (piece, after) = rest.split_at(self.first_up[c as usize + 1] as usize);
                pieces.push((c, piece));
                rest = after;
            }
            pieces
                .into_par_iter()
                .for_each(|(c, mut piece)| self.settle_subtree(c, &mut piece));
        } else {
            for u in low..b {
                self.settle_node(u, costs);
            }
        }
        for u in b..=r {
            self.settle_node(u, costs);
        }
    }

    /// Settles `u`'s upward edges from the triangles of its lower neighbours, in rank order.
    fn settle_node(&self, u: u32, costs: &mut EdgeCosts) {
        let lower = self.tree.lower_of(u);
        let mine = self.edges_of(u);
        if mine.is_empty() || lower.is_empty() {
            return;
        }
        if self.threads == 1 || self.tree.node_work[u as usize] < self.split.node {
            self.pull(lower, mine.start, costs);
            return;
        }
        // parts of some thousands of triangles each: enough to be worth a hand-over
        let node_work = self.tree.node_work[u as usize];
        let parts = (node_work / 2_000).clamp(1, self.threads as u64 * 2) as usize;
        let chunk = lower.len().div_ceil(parts).max(1);
        let shared = &*costs;
        let parts: Vec<Vec<Best>> = lower
            .par_chunks(chunk)
            .map(|part| {
                let mut partial = Partial {
                    costs: shared,
                    mine: mine.start,
                    best: vec![Best::NONE; mine.len()],
                };
                self.pull(part, mine.start, &mut partial);
                partial.best
            })
            .collect();
        // each part's first cheapest, offered in rank order: the first cheapest of all
        for best in parts {
            for (k, b) in mine.clone().zip(best) {
                costs.offer(k, b);
            }
        }
    }

    /// Offers each upward edge of the node whose edges start at `mine` its candidates through
    /// the lower edges `lower` (each from a lower neighbour, by rising rank).
    fn pull(&self, lower: &[u32], mine: usize, to: &mut impl Triangles) {
        for &i in lower {
            let i = i as usize;
            let v = self.tail[i];
            let (down_i, up_i) = (to.down(i), to.up(i));
            // v's higher neighbours above u are all u's neighbours too (chordality): walk
            // both sorted lists together
            let mut k = mine;
            for j in i + 1..self.edges_of(v).end {
                let w = self.head[j];
                while self.head[k] < w {
                    k += 1;
                }
                // through v: the triangle's lower edges are i (v to this node) and j
                let candidate = Best {
                    up: down_i + to.up(j),
                    up_via: MIDDLE | i as u32,
                    down: to.down(j) + up_i,
                    down_via: MIDDLE | i as u32,
                };
                to.offer(k, candidate);
            }
        }
    }
}

/// Where a node's triangles go: straight into the costs, or into a part's own best.
trait Triangles {
    fn up(&self, e: usize) -> f64;
    fn down(&self, e: usize) -> f64;
    /// Keeps `candidate`'s up and down costs where they are cheaper than the edge's so far.
    fn offer(&mut self, e: usize, candidate: Best);
}

/// The best candidates of some of a node's triangles, by its upward edge.
struct Partial<'a> {
    costs: &'a EdgeCosts<'a>,
    mine: usize,
    best: Vec<Best>,
}

impl Triangles for Partial<'_> {
    fn up(&self, e: usize) -> f64 {
        self.costs.up(e)
    }

    fn down(&self, e: usize) -> f64 {
        self.costs.down(e)
    }

    fn offer(&mut self, e: usize, candidate: Best) {
        self.best[e - self.mine].keep_cheaper(candidate);
    }
}

impl Cch {
    /// Sets the link costs (seconds; ∞ = closed) that routes are computed on. Returns false,
    /// doing nothing, when they are those already set.
    pub fn customize(&mut self, cost: &[f64]) -> bool {
        self.customize_with(cost, SPLIT)
    }

    pub(super) fn customize_with(&mut self, cost: &[f64], split: Split) -> bool {
        if self.metric.as_slice() == cost {
            return false;
        }
        self.set_link_costs(cost);
        let tree = self.tree.get_or_init(|| Tree::new(self));
        let shape = Shape {
            first_up: &self.first_up,
            head: &self.head,
            tail: &self.tail,
            tree,
            split,
            threads: rayon::current_num_threads(),
        };
        let mut costs = EdgeCosts {
            first: 0,
            up: &mut self.up,
            down: &mut self.down,
            up_via: &mut self.up_via,
            down_via: &mut self.down_via,
        };
        let n = self.rank.len() as u32;
        let roots = (0..n).filter(|&v| shape.edges_of(v).is_empty());
        if split.by_subtree && roots.clone().all(|r| tree.subtree_low[r as usize] != NONE) {
            for r in roots {
                shape.settle_subtree(r, &mut costs);
            }
        } else {
            for u in 0..n {
                shape.settle_node(u, &mut costs);
            }
        }
        true
    }

    /// Every edge's cost before its triangles: the cheapest link it stands for, if any.
    fn set_link_costs(&mut self, cost: &[f64]) {
        self.metric.clear();
        self.metric.extend_from_slice(cost);
        self.up.fill(f64::INFINITY);
        self.down.fill(f64::INFINITY);
        self.up_via.fill(NONE);
        self.down_via.fill(NONE);
        for (link, &slot) in self.link_edge.iter().enumerate() {
            if slot == NONE {
                continue;
            }
            let e = (slot & !DOWNWARD) as usize;
            let (best, via) = if slot & DOWNWARD == 0 {
                (&mut self.up[e], &mut self.up_via[e])
            } else {
                (&mut self.down[e], &mut self.down_via[e])
            };
            let cost = cost[link] + tie_break(link as u32);
            if cost < *best {
                (*best, *via) = (cost, link as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::dynamic::{QueueLink, QueueNetwork};
    use proptest::prelude::*;

    /// The customization as one sweep over the nodes in rank order, each pushing its lower
    /// triangles up: the reference the parallel one must match bit for bit.
    fn customize_in_one_sweep(cch: &mut Cch, cost: &[f64]) {
        cch.set_link_costs(cost);
        for v in 0..cch.rank.len() as u32 {
            let edges = cch.edges_of(v);
            for i in edges.clone() {
                let mut k = cch.first_up[cch.head[i] as usize] as usize;
                for j in i + 1..edges.end {
                    while cch.head[k] < cch.head[j] {
                        k += 1;
                    }
                    let through_v = cch.down[i] + cch.up[j];
                    if through_v < cch.up[k] {
                        (cch.up[k], cch.up_via[k]) = (through_v, MIDDLE | i as u32);
                    }
                    let through_v = cch.down[j] + cch.up[i];
                    if through_v < cch.down[k] {
                        (cch.down[k], cch.down_via[k]) = (through_v, MIDDLE | i as u32);
                    }
                }
            }
        }
    }

    /// A grid with one-way links, parallel links and loops thrown in.
    fn network(side: u32, extra: &[(u32, u32)]) -> QueueNetwork {
        let link = |from, to| QueueLink {
            from,
            to,
            length_m: 100.0,
            free_flow_s: 7,
            capacity_vps: 0.5,
            storage: 10,
            lanes: 1,
            inner: false,
        };
        let grid = QueueNetwork::grid(side, link);
        let nodes = side * side;
        let mut links = grid.links;
        links.extend(extra.iter().map(|&(a, b)| Some(link(a % nodes, b % nodes))));
        QueueNetwork::from_links(nodes as usize, links)
    }

    /// `net` with `islands` more components beside it, each a two-way pair of nodes and a
    /// node with no link: a forest of elimination trees.
    fn with_islands(net: QueueNetwork, islands: u32) -> QueueNetwork {
        let mut links = net.links;
        let first = net.node_count as u32;
        let template = links.iter().flatten().next().cloned();
        for i in 0..islands {
            let (a, b) = (first + 3 * i, first + 3 * i + 1);
            for (from, to) in [(a, b), (b, a)] {
                links.extend(template.clone().map(|l| Some(QueueLink { from, to, ..l })));
            }
        }
        QueueNetwork::from_links(net.node_count + 3 * islands as usize, links)
    }

    /// Nested dissection ranks each part as one interval below its separator, so the big
    /// subtrees are intervals and customization can hand them to other threads (in a leaf
    /// part, ranked as it comes, a subtree may not be).
    #[test]
    fn on_a_grid_the_separators_split_into_intervals() {
        let cch = Cch::new(&network(20, &[]));
        let tree = Tree::new(&cch);
        let n = cch.rank.len() as u32;
        let root = n - 1;
        assert!(cch.edges_of(root).is_empty());
        assert_eq!(tree.subtree_low[root as usize], 0);
        let splits = (0..n).filter(|&u| {
            let kids = tree.children_of(u);
            kids.len() > 1 && kids.iter().all(|&c| tree.subtree_low[c as usize] != NONE)
        });
        assert!(splits.count() >= 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the threads and however finely the work is split, costs and shortcuts
        /// are those of the one sweep; whole-second costs make many ties, closures make ∞,
        /// and islands make several trees.
        #[test]
        fn parallel_customization_is_the_sweep_bit_for_bit(
            side in 2u32..14,
            extra in prop::collection::vec((0u32..200, 0u32..200), 0..12),
            costs in prop::collection::vec(prop_oneof![9 => 1u32..6, 1 => Just(u32::MAX)], 1..40),
            threads in 1usize..5,
            islands in 0u32..3,
            by_subtree in any::<bool>(),
        ) {
            let net = with_islands(network(side, &extra), islands);
            let cost: Vec<f64> = (0..net.links.len())
                .map(|l| match costs[l % costs.len()] {
                    u32::MAX => f64::INFINITY,
                    c => f64::from(c),
                })
                .collect();
            let mut reference = Cch::new(&net);
            customize_in_one_sweep(&mut reference, &cost);
            let mut cch = Cch::new(&net);
            let finest = Split { subtree: 0, node: 0, by_subtree };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            prop_assert!(pool.install(|| cch.customize_with(&cost, finest)));
            let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&cch.up), bits(&reference.up));
            prop_assert_eq!(bits(&cch.down), bits(&reference.down));
            prop_assert_eq!(&cch.up_via, &reference.up_via);
            prop_assert_eq!(&cch.down_via, &reference.down_via);
            // the same costs again change nothing
            prop_assert!(!cch.customize(&cost));
        }
    }
}
