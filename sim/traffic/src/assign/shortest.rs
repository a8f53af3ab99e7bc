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
}

impl ShortestPathTree {
    pub fn new(node_count: usize) -> Self {
        Self {
            dist: vec![f64::INFINITY; node_count],
            pred_link: vec![NO_LINK; node_count],
            heap: BinaryHeap::new(),
        }
    }

    /// Computes the tree from `origin` with link costs `cost`. Centroids other than the
    /// origin are reached but not passed through.
    pub fn compute(&mut self, net: &AssignNetwork, cost: &[f64], origin: u32) {
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
