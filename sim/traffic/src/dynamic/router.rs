//! Fastest routes on current link travel times: A* with landmarks (ALT; Goldberg & Harrelson
//! 2005). Landmark distances are computed once on free-flow times; congestion only makes links
//! slower, so they stay exact lower bounds and every route is a true fastest route.

use super::net::QueueNetwork;
use super::tie_break::tie_break;
use citytwin_city::LinkId;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const LANDMARKS: usize = 8;
/// Landmarks used per query: those giving the best bound between its two ends (Goldberg &
/// Harrelson's "active landmarks"); fewer to evaluate per node, nearly as tight.
const ACTIVE: usize = 4;

/// A node's free-flow seconds from each landmark, then to each: one cache line or two per
/// node instead of one per landmark.
type NodeBounds = [f64; 2 * LANDMARKS];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Router {
    /// bounds[n][k]: free-flow seconds from landmark k to n; bounds[n][LANDMARKS + k]: n → k.
    bounds: Vec<NodeBounds>,
    landmarks: usize,
    /// This query's active landmarks.
    active: Vec<usize>,
    /// Their bounds at this query's target, made when they are chosen: a node's bound then
    /// reads its own row alone.
    #[serde(skip)]
    at_target: TargetBounds,
    dist: Vec<f64>,
    pred: Vec<u32>,
    seen: Vec<u32>,
    /// The node's lower bound to this query's target (valid where `seen` is this query).
    bound: Vec<f64>,
    stamp: u32,
    heap: BinaryHeap<Reverse<u128>>,
    /// Each outgoing link's end node, beside `net.out_links`: a search reads the few bytes it
    /// needs instead of each link's whole record. Not saved: made again after a checkpoint is
    /// read.
    #[serde(skip)]
    out_heads: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl Router {
    pub fn new(net: &QueueNetwork, free_flow: &[f64]) -> Self {
        let n = net.node_count;
        let mut router = Self {
            bounds: vec![[f64::INFINITY; 2 * LANDMARKS]; n],
            landmarks: 0,
            active: Vec::new(),
            at_target: TargetBounds::default(),
            dist: vec![f64::INFINITY; n],
            pred: vec![NONE; n],
            seen: vec![0; n],
            bound: vec![0.0; n],
            stamp: 0,
            heap: BinaryHeap::new(),
            out_heads: out_heads(net),
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
        for k in 0..LANDMARKS.min(has_links.len()) {
            let forward = all_distances(net, free_flow, landmark, true);
            let backward = all_distances(net, free_flow, landmark, false);
            for &v in &has_links {
                let d = forward[v as usize].min(backward[v as usize]);
                nearest[v as usize] = nearest[v as usize].min(d);
            }
            for (v, b) in router.bounds.iter_mut().enumerate() {
                b[k] = forward[v];
                b[LANDMARKS + k] = backward[v];
            }
            router.landmarks = k + 1;
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

    /// The bound from landmark `k` alone: d(v,t) ≥ d(L,t) − d(L,v) and d(v,t) ≥ d(v,L) − d(t,L).
    fn landmark_bound(v: &NodeBounds, t: &NodeBounds, k: usize) -> f64 {
        let a = t[k] - v[k];
        let b = v[LANDMARKS + k] - t[LANDMARKS + k];
        let a = if a.is_finite() { a } else { 0.0 };
        let b = if b.is_finite() { b } else { 0.0 };
        a.max(b).max(0.0)
    }

    /// Picks the landmarks that bound `start` → `target` best.
    fn choose_active(&mut self, start: usize, target: usize) {
        let (s, t) = (&self.bounds[start], &self.bounds[target]);
        let bound = |k: usize| Self::landmark_bound(s, t, k);
        // once per query: no allocation, the landmarks are few
        self.active.clear();
        self.active.extend(0..self.landmarks);
        self.active
            .sort_by(|&a, &b| bound(b).total_cmp(&bound(a)).then(a.cmp(&b)));
        self.active.truncate(ACTIVE);
        self.at_target = TargetBounds::new(&self.active, &self.bounds[target]);
    }

    /// [`Router::landmark_bound`] of each active landmark, the greatest: the same sum and
    /// comparisons in the same order, the target's half of each read once per query.
    fn lower_bound(&self, v: usize) -> f64 {
        let (b, t) = (&self.bounds[v], &self.at_target);
        if t.count == 0 {
            return 0.0;
        }
        let mut best = 0.0f64;
        for i in 0..ACTIVE {
            let k = t.landmark[i];
            let from = t.from[i] - b[k];
            let to = b[LANDMARKS + k] - t.to[i];
            let from = if from.is_finite() { from } else { 0.0 };
            let to = if to.is_finite() { to } else { 0.0 };
            best = best.max(from.max(to).max(0.0));
        }
        best
    }

    /// The fastest route from the end of link `from_link` to the end of `to_link`, both
    /// included, by `cost` (seconds per link; infinite = closed). `None` if unreachable.
    pub fn route(
        &mut self,
        net: &QueueNetwork,
        cost: &[f64],
        from_link: LinkId,
        to_link: LinkId,
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
        from: LinkId,
        to: LinkId,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        out.clear();
        let start = net.link(from)?.to as usize;
        let target = net.link(to)?.from as usize;
        let (from_link, to_link) = (from.0, to.0);
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
        if self.out_heads.len() != net.out_links.len() {
            self.out_heads = out_heads(net);
        }
        self.choose_active(start, target);
        self.visit(start, 0.0, NONE);
        self.bound[start] = self.lower_bound(start);
        self.heap
            .push(Reverse(entry(self.bound[start], start as u32)));
        while let Some(Reverse(e)) = self.heap.pop() {
            let (key, node) = parts(e);
            let u = node as usize;
            if u == target {
                break;
            }
            let du = self.dist[u];
            if key > du + self.bound[u] + 1e-9 {
                continue; // stale entry
            }
            for i in net.out_start[u] as usize..net.out_start[u + 1] as usize {
                let a = net.out_links[i];
                let c = cost(a, du) + tie_break(a);
                if !c.is_finite() {
                    continue;
                }
                let v = self.out_heads[i];
                if v == NONE {
                    return None;
                }
                let v = v as usize;
                let dv = du + c;
                let first = self.seen[v] != self.stamp;
                if first || dv < self.dist[v] {
                    self.visit(v, dv, a);
                    if first {
                        self.bound[v] = self.lower_bound(v);
                    }
                    let h = self.bound[v];
                    self.heap.push(Reverse(entry(dv + h, v as u32)));
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

/// A query's active landmarks and the target's distances from and to each. Fewer than
/// [`ACTIVE`] are padded with the first again, which changes no maximum.
#[derive(Clone, Copy, Debug, Default)]
struct TargetBounds {
    landmark: [usize; ACTIVE],
    from: [f64; ACTIVE],
    to: [f64; ACTIVE],
    count: usize,
}

impl TargetBounds {
    fn new(active: &[usize], target: &NodeBounds) -> TargetBounds {
        let mut bounds = TargetBounds {
            count: active.len(),
            ..TargetBounds::default()
        };
        for i in 0..ACTIVE {
            let Some(&k) = active.get(i).or(active.first()) else {
                break;
            };
            bounds.landmark[i] = k;
            bounds.from[i] = target[k];
            bounds.to[i] = target[LANDMARKS + k];
        }
        bounds
    }
}

/// The end node of each of `net.out_links`.
fn out_heads(net: &QueueNetwork) -> Vec<u32> {
    net.out_links
        .iter()
        .map(|&a| net.links[a as usize].as_ref().map_or(NONE, |l| l.to))
        .collect()
}

/// A heap entry ordered as `(key, node)`: a non-negative key's bits order as the key does.
fn entry(key: f64, node: u32) -> u128 {
    (u128::from(key.to_bits()) << 32) | u128::from(node)
}

/// The key and node of an [`entry`].
fn parts(entry: u128) -> (f64, u32) {
    (f64::from_bits((entry >> 32) as u64), entry as u32)
}

/// Dijkstra from (forward) or to (backward) `source` over all nodes.
fn all_distances(net: &QueueNetwork, cost: &[f64], source: u32, forward: bool) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; net.node_count];
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0.0;
    heap.push(Reverse(entry(0.0, source)));
    while let Some(Reverse(e)) = heap.pop() {
        let (d, u) = parts(e);
        if d > dist[u as usize] {
            continue;
        }
        let links = if forward {
            net.outgoing(u)
        } else {
            net.incoming(u)
        };
        for &a in links {
            let Some(l) = net.link(LinkId(a)) else {
                continue;
            };
            let v = if forward { l.to } else { l.from };
            let nd = d + cost[a as usize];
            if nd < dist[v as usize] {
                dist[v as usize] = nd;
                heap.push(Reverse(entry(nd, v)));
            }
        }
    }
    dist
}
