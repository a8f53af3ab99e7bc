//! Fastest routes on current link travel times: A* with landmarks (ALT; Goldberg & Harrelson
//! 2005). Landmark distances are computed once on free-flow times; congestion only makes links
//! slower, so they stay exact lower bounds and every route is a true fastest route.

use super::net::QueueNetwork;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const LANDMARKS: usize = 8;

#[derive(Debug)]
pub struct Router {
    /// from_landmark[k][n]: free-flow seconds from landmark k to node n; to_landmark: n → k.
    from_landmark: Vec<Vec<f64>>,
    to_landmark: Vec<Vec<f64>>,
    dist: Vec<f64>,
    pred: Vec<u32>,
    seen: Vec<u32>,
    stamp: u32,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

const NONE: u32 = u32::MAX;

impl Router {
    pub fn new(net: &QueueNetwork, free_flow: &[f64]) -> Self {
        let n = net.node_count;
        let mut router = Self {
            from_landmark: Vec::new(),
            to_landmark: Vec::new(),
            dist: vec![f64::INFINITY; n],
            pred: vec![NONE; n],
            seen: vec![0; n],
            stamp: 0,
            heap: BinaryHeap::new(),
        };
        let has_links: Vec<u32> = (0..n as u32)
            .filter(|&v| !net.outgoing(v).is_empty() || !net.incoming(v).is_empty())
            .collect();
        if has_links.is_empty() {
            return router;
        }
        // farthest-point landmarks: each new one is the node farthest from those chosen
        let mut nearest = vec![f64::INFINITY; n];
        let mut landmark = has_links[0];
        for _ in 0..LANDMARKS.min(has_links.len()) {
            let forward = all_distances(net, free_flow, landmark, true);
            let backward = all_distances(net, free_flow, landmark, false);
            for &v in &has_links {
                let d = forward[v as usize].min(backward[v as usize]);
                nearest[v as usize] = nearest[v as usize].min(d);
            }
            router.from_landmark.push(forward);
            router.to_landmark.push(backward);
            landmark = *has_links
                .iter()
                .filter(|v| nearest[**v as usize].is_finite())
                .max_by(|a, b| {
                    nearest[**a as usize]
                        .total_cmp(&nearest[**b as usize])
                        .then(b.cmp(a))
                })
                .unwrap_or(&has_links[0]);
        }
        router
    }

    fn lower_bound(&self, v: usize, target: usize) -> f64 {
        let mut best: f64 = 0.0;
        for k in 0..self.from_landmark.len() {
            // d(v,t) ≥ d(L,t) − d(L,v)  and  d(v,t) ≥ d(v,L) − d(t,L)
            let (lf, lt) = (&self.from_landmark[k], &self.to_landmark[k]);
            let a = lf[target] - lf[v];
            let b = lt[v] - lt[target];
            if a.is_finite() {
                best = best.max(a);
            }
            if b.is_finite() {
                best = best.max(b);
            }
        }
        best
    }

    /// The fastest route from the end of link `from_link` to the end of `to_link`, both
    /// included, by `cost` (seconds per link; infinite = closed). `None` if unreachable.
    pub fn route(
        &mut self,
        net: &QueueNetwork,
        cost: &[f64],
        from_link: u32,
        to_link: u32,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        self.route_by(net, |a, _| cost[a as usize], from_link, to_link, out)
    }

    /// As [`Router::route`] with time-dependent costs: `cost(link, t)` is the seconds to
    /// cross `link` when entering it `t` seconds after leaving the end of `from_link`. Costs
    /// must be FIFO (entering later never arrives earlier) and at least free-flow times.
    pub fn route_by(
        &mut self,
        net: &QueueNetwork,
        cost: impl Fn(u32, f64) -> f64,
        from_link: u32,
        to_link: u32,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        out.clear();
        let start = net.link(from_link)?.to as usize;
        let dest = net.link(to_link)?;
        let target = dest.from as usize;
        if !cost(to_link, 0.0).is_finite() {
            return None;
        }
        if from_link == to_link {
            out.push(from_link);
            return Some(0.0);
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        self.heap.clear();
        self.visit(start, 0.0, NONE);
        self.heap.push(Reverse((
            self.lower_bound(start, target).to_bits(),
            start as u32,
        )));
        while let Some(Reverse((key, node))) = self.heap.pop() {
            let u = node as usize;
            if u == target {
                break;
            }
            let du = self.dist[u];
            if f64::from_bits(key) > du + self.lower_bound(u, target) + 1e-9 {
                continue; // stale entry
            }
            for &a in net.outgoing(node) {
                let c = cost(a, du);
                if !c.is_finite() {
                    continue;
                }
                let v = net.links[a as usize].as_ref().map(|l| l.to as usize)?;
                let dv = du + c;
                if self.seen[v] != self.stamp || dv < self.dist[v] {
                    self.visit(v, dv, a);
                    let h = self.lower_bound(v, target);
                    self.heap.push(Reverse(((dv + h).to_bits(), v as u32)));
                }
            }
        }
        if self.seen[target] != self.stamp {
            return None;
        }
        out.push(to_link);
        let mut n = target;
        while self.pred[n] != NONE {
            let a = self.pred[n];
            out.push(a);
            n = net.links[a as usize].as_ref().map(|l| l.from as usize)?;
        }
        out.push(from_link);
        out.reverse();
        Some(self.dist[target] + cost(to_link, self.dist[target]))
    }

    fn visit(&mut self, v: usize, d: f64, pred: u32) {
        self.seen[v] = self.stamp;
        self.dist[v] = d;
        self.pred[v] = pred;
    }
}

/// Dijkstra from (forward) or to (backward) `source` over all nodes.
fn all_distances(net: &QueueNetwork, cost: &[f64], source: u32, forward: bool) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; net.node_count];
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0.0;
    heap.push(Reverse((0f64.to_bits(), source)));
    while let Some(Reverse((key, u))) = heap.pop() {
        let d = f64::from_bits(key);
        if d > dist[u as usize] {
            continue;
        }
        let links = if forward {
            net.outgoing(u)
        } else {
            net.incoming(u)
        };
        for &a in links {
            let Some(l) = net.link(a) else { continue };
            let v = if forward { l.to } else { l.from };
            let nd = d + cost[a as usize];
            if nd < dist[v as usize] {
                dist[v as usize] = nd;
                heap.push(Reverse((nd.to_bits(), v)));
            }
        }
    }
    dist
}
