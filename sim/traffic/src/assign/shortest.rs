//! One-to-all shortest paths on an [`AssignNetwork`] (Dijkstra with a binary heap).

use super::network::AssignNetwork;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const NO_LINK: u32 = u32::MAX;

/// A shortest-path tree from one origin; reused between calls to avoid allocation.
#[derive(Debug)]
pub struct ShortestPathTree {
    pub dist: Vec<f64>,
    pub pred_link: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// The nodes [`ShortestPathTree::compute_to`] still waits for, marked with its call's stamp.
    wanted: Vec<u32>,
    stamp: u32,
}

impl ShortestPathTree {
    pub fn new(node_count: usize) -> Self {
        Self {
            dist: vec![f64::INFINITY; node_count],
            pred_link: vec![NO_LINK; node_count],
            heap: BinaryHeap::new(),
            wanted: vec![0; node_count],
            stamp: 0,
        }
    }

    /// Computes the tree from `origin` with link costs `cost`. Centroids other than the
    /// origin are reached but not passed through.
    pub fn compute(&mut self, net: &AssignNetwork, cost: &[f64], origin: u32) {
        self.grow(net, cost, origin, None);
    }

    /// As [`ShortestPathTree::compute`], stopping once every node of `targets` is settled: their
    /// distances, and the paths to them, are final then and the same as the whole tree's (the
    /// other nodes' may not be).
    pub fn compute_to(
        &mut self,
        net: &AssignNetwork,
        cost: &[f64],
        origin: u32,
        targets: impl Iterator<Item = u32>,
    ) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.wanted.fill(0);
            self.stamp = 1;
        }
        let mut count = 0;
        for t in targets {
            if self.wanted[t as usize] != self.stamp {
                self.wanted[t as usize] = self.stamp;
                count += 1;
            }
        }
        self.grow(net, cost, origin, Some(count));
    }

    /// Dijkstra from `origin`; with `waiting`, until that many marked nodes are settled.
    fn grow(&mut self, net: &AssignNetwork, cost: &[f64], origin: u32, mut waiting: Option<u32>) {
        self.dist.fill(f64::INFINITY);
        self.pred_link.fill(NO_LINK);
        self.heap.clear();
        self.dist[origin as usize] = 0.0;
        // non-negative f64s order like their bit patterns: an exact, total heap key
        self.heap.push(Reverse((0f64.to_bits(), origin)));
        while let Some(Reverse((key, node))) = self.heap.pop() {
            let d = f64::from_bits(key);
            let u = node as usize;
            if d > self.dist[u] {
                continue;
            }
            if let Some(left) = &mut waiting
                && self.wanted[u] == self.stamp
            {
                *left -= 1;
                if *left == 0 {
                    break;
                }
            }
            if u != origin as usize && u < net.first_thru {
                continue;
            }
            let (s, e) = (net.out_start[u] as usize, net.out_start[u + 1] as usize);
            for &a in &net.out_links[s..e] {
                let v = net.to[a as usize] as usize;
                let nd = d + cost[a as usize];
                if nd < self.dist[v] {
                    self.dist[v] = nd;
                    self.pred_link[v] = a;
                    self.heap.push(Reverse((nd.to_bits(), v as u32)));
                }
            }
        }
    }

    /// The links of the path to `dest`, origin first; `None` if unreachable.
    pub fn path_to(&self, net: &AssignNetwork, dest: u32, out: &mut Vec<u32>) -> Option<()> {
        out.clear();
        if !self.dist[dest as usize].is_finite() {
            return None;
        }
        let mut n = dest as usize;
        while self.pred_link[n] != NO_LINK {
            let a = self.pred_link[n];
            out.push(a);
            n = net.from[a as usize] as usize;
        }
        out.reverse();
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A random network of `n` nodes, the first `zones` of them centroids, costs in whole
    /// units so that equal-cost paths (ties) are common.
    fn network(n: usize, zones: usize, links: &[(usize, usize, u8)]) -> (AssignNetwork, Vec<f64>) {
        let (from, to): (Vec<u32>, Vec<u32>) = links
            .iter()
            .map(|&(a, b, _)| ((a % n) as u32, (b % n) as u32))
            .unzip();
        let count = from.len();
        let mut net = AssignNetwork {
            node_count: n,
            first_thru: zones,
            from,
            to,
            free_flow_time: vec![1.0; count],
            capacity: vec![1.0; count],
            b: vec![0.0; count],
            power: vec![4.0; count],
            fixed_cost: vec![0.0; count],
            out_start: vec![],
            out_links: vec![],
        };
        net.index_adjacency();
        let cost = links.iter().map(|&(_, _, c)| f64::from(c % 4)).collect();
        (net, cost)
    }

    proptest! {
        /// Stopped once its targets are settled, a tree gives them the whole tree's distances
        /// and paths, ties included, whatever else was asked of it before.
        #[test]
        fn a_tree_stopped_at_its_targets_gives_them_the_whole_trees_paths(
            links in prop::collection::vec((0usize..30, 0usize..30, any::<u8>()), 1..120),
            asks in prop::collection::vec((0u32..30, prop::collection::vec(0u32..30, 0..6)), 1..6),
        ) {
            let (net, cost) = network(30, 5, &links);
            let (mut whole, mut stopped) = (ShortestPathTree::new(30), ShortestPathTree::new(30));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for (origin, targets) in asks {
                whole.compute(&net, &cost, origin);
                stopped.compute_to(&net, &cost, origin, targets.iter().copied());
                for &t in &targets {
                    prop_assert_eq!(whole.dist[t as usize].to_bits(), stopped.dist[t as usize].to_bits());
                    prop_assert_eq!(whole.path_to(&net, t, &mut a), stopped.path_to(&net, t, &mut b));
                    prop_assert_eq!(&a, &b);
                }
            }
        }
    }
}
