//! Fastest routes on a metric that changes every few minutes: a customizable contraction
//! hierarchy (Dibbelt, Strasser & Wagner 2016).
//!
//! The hierarchy's shape depends on the network alone and is built once ([`Cch::new`]):
//! nodes are ranked by nested dissection (`order`) and the graph is closed under
//! contraction (every two higher neighbours of a node are joined). Link costs go in by
//! [`Cch::customize`], which settles every shortcut's cost from its lower triangles, bottom
//! up, disjoint subtrees on different threads (`customize`); our queue model refreshes
//! travel times every few minutes, and a customization costs a handful of queries. A query climbs the elimination tree from both ends, with no
//! priority queue, and unpacks the shortcuts it took into links. Routes are exact fastest
//! routes for the customized costs, ties settled by rank, so the same costs always give the
//! same route.

mod customize;
mod order;

use super::net::QueueNetwork;
use citytwin_city::LinkId;
use order::{Undirected, nested_dissection};
use serde::{Deserialize, Serialize};

const NONE: u32 = u32::MAX;
/// In a shortcut's `via`: not a link but the edge from the middle node up to the shortcut's
/// lower end (so unpacking finds both halves without searching for the first).
const MIDDLE: u32 = 1 << 31;
/// In `link_edge`: the link runs from the edge's higher end down to its lower.
const DOWNWARD: u32 = 1 << 31;

#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
enum Direction {
    /// From the edge's lower-ranked end to its higher.
    Up,
    Down,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cch {
    /// rank[node]
    rank: Vec<u32>,
    /// Edges by their lower end (a rank): `first_up[v]..first_up[v + 1]`, sorted by head.
    first_up: Vec<u32>,
    head: Vec<u32>,
    tail: Vec<u32>,
    /// Each link's edge (with `DOWNWARD`), `NONE` for links no car may use and loops.
    link_edge: Vec<u32>,
    /// The customized costs, per link, and per edge up and down, with what each comes from.
    metric: Vec<f64>,
    up: Vec<f64>,
    down: Vec<f64>,
    up_via: Vec<u32>,
    down_via: Vec<u32>,
    /// Scratch of [`Cch::route`]; parallel queries bring their own ([`Cch::new_query`]).
    query: CchQuery,
    /// Made from the shape above when first customized.
    #[serde(skip)]
    tree: std::sync::OnceLock<customize::Tree>,
}

/// A query's scratch, by rank; back to ∞ / NONE after every query. One per thread that routes
/// on a shared hierarchy ([`Cch::route_in`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CchQuery {
    from_start: Vec<f64>,
    to_target: Vec<f64>,
    start_pred: Vec<u32>,
    target_pred: Vec<u32>,
    unpack: Vec<(u32, Direction)>,
    /// The start's edges up to the meeting point, as climbed.
    #[serde(skip)]
    climb: Vec<u32>,
    /// A route being unpacked, before it is copied out at its length ([`Cch::route_owned`]).
    #[serde(skip)]
    links: Vec<u32>,
}

impl CchQuery {
    fn new(n: usize) -> CchQuery {
        CchQuery {
            from_start: vec![f64::INFINITY; n],
            to_target: vec![f64::INFINITY; n],
            start_pred: vec![NONE; n],
            target_pred: vec![NONE; n],
            unpack: Vec::new(),
            climb: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// A route's first and last links, and the nodes its search starts from (the end of the
/// first) and heads for (the start of the last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteLegs {
    pub from: LinkId,
    pub to: LinkId,
    start: u32,
    target: u32,
}

impl RouteLegs {
    /// `None` where either link is not in `net`.
    pub fn new(net: &QueueNetwork, from: LinkId, to: LinkId) -> Option<RouteLegs> {
        Some(RouteLegs {
            from,
            to,
            start: net.link(from)?.to,
            target: net.link(to)?.from,
        })
    }
}

impl Cch {
    /// The hierarchy of `net`'s car links; customized with free-flow times.
    pub fn new(net: &QueueNetwork) -> Self {
        let n = net.node_count;
        let car_links = || {
            net.links
                .iter()
                .flatten()
                .map(|l| (l.from, l.to))
                .filter(|(a, b)| a != b)
        };
        let rank = nested_dissection(&Undirected::new(n, car_links()));
        // higher neighbours by rank; a node's fill goes to its lowest higher neighbour, which
        // passes it on when its turn comes (the elimination tree's symbolic factorization)
        let mut higher: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (a, b) in car_links() {
            let (a, b) = (rank[a as usize], rank[b as usize]);
            higher[a.min(b) as usize].push(a.max(b));
        }
        for v in 0..n {
            let mut list = std::mem::take(&mut higher[v]);
            list.sort_unstable();
            list.dedup();
            if let Some((&parent, rest)) = list.split_first() {
                higher[parent as usize].extend_from_slice(rest);
            }
            higher[v] = list;
        }
        let mut first_up = Vec::with_capacity(n + 1);
        let (mut head, mut tail) = (Vec::new(), Vec::new());
        for (v, list) in higher.iter().enumerate() {
            first_up.push(head.len() as u32);
            head.extend_from_slice(list);
            tail.extend(std::iter::repeat_n(v as u32, list.len()));
        }
        first_up.push(head.len() as u32);
        let edges = head.len();
        let mut cch = Self {
            rank,
            first_up,
            head,
            tail,
            link_edge: Vec::new(),
            metric: Vec::new(),
            up: vec![f64::INFINITY; edges],
            down: vec![f64::INFINITY; edges],
            up_via: vec![NONE; edges],
            down_via: vec![NONE; edges],
            query: CchQuery::new(n),
            tree: std::sync::OnceLock::new(),
        };
        cch.link_edge = net
            .links
            .iter()
            .map(|l| {
                let Some(l) = l.as_ref().filter(|l| l.from != l.to) else {
                    return NONE;
                };
                let (a, b) = (cch.rank[l.from as usize], cch.rank[l.to as usize]);
                let edge = cch.edge(a.min(b), a.max(b));
                if a < b { edge } else { edge | DOWNWARD }
            })
            .collect();
        cch.customize(&net.free_flow_times());
        cch
    }

    fn edges_of(&self, v: u32) -> std::ops::Range<usize> {
        self.first_up[v as usize] as usize..self.first_up[v as usize + 1] as usize
    }

    /// The edge between ranks `low < high` (present by construction).
    fn edge(&self, low: u32, high: u32) -> u32 {
        let range = self.edges_of(low);
        let at = self.head[range.clone()].partition_point(|&h| h < high);
        debug_assert_eq!(self.head[range.start + at], high);
        (range.start + at) as u32
    }

    /// The fastest route from the end of link `from_link` to the end of `to_link`, both
    /// included, on the customized costs. `None` if unreachable.
    pub fn route(
        &mut self,
        net: &QueueNetwork,
        from_link: LinkId,
        to_link: LinkId,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        let mut q = std::mem::take(&mut self.query);
        let found = self.route_in(&mut q, net, from_link, to_link, out);
        self.query = q;
        found
    }

    /// Scratch for [`Cch::route_in`].
    pub fn new_query(&self) -> CchQuery {
        CchQuery::new(self.rank.len())
    }

    /// [`Cch::route`] with the caller's scratch: many threads may route on one hierarchy.
    pub fn route_in(
        &self,
        q: &mut CchQuery,
        net: &QueueNetwork,
        from: LinkId,
        to: LinkId,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        let Some(legs) = RouteLegs::new(net, from, to) else {
            out.clear();
            return None;
        };
        self.route_legs(q, legs, out)
    }

    /// [`Cch::route_in`] between ends already looked up in the network, so that a thread
    /// that routes needs the hierarchy alone.
    pub fn route_legs(&self, q: &mut CchQuery, legs: RouteLegs, out: &mut Vec<u32>) -> Option<f64> {
        out.clear();
        let start = self.rank[legs.start as usize];
        let target = self.rank[legs.target as usize];
        let (from_link, to_link) = (legs.from.0, legs.to.0);
        let last = self.metric[to_link as usize];
        if !last.is_finite() {
            return None;
        }
        if from_link == to_link {
            out.push(from_link);
            return Some(0.0);
        }
        let (best, meet, joined) = self.climb_both(q, start, target);
        if meet != NONE {
            out.push(from_link);
            self.unpack_path(q, meet, out);
            out.push(to_link);
        }
        self.reset(q, start, target, joined);
        (meet != NONE).then_some(best + last)
    }

    /// [`Cch::route_legs`] into a vector of its own, allocated once at the route's length
    /// (grown link by link, a route is copied a few times and holds up to twice its room).
    pub fn route_owned(&self, q: &mut CchQuery, legs: RouteLegs) -> Option<Vec<u32>> {
        let mut links = std::mem::take(&mut q.links);
        let found = self.route_legs(q, legs, &mut links).map(|_| links.to_vec());
        q.links = links;
        found
    }

    /// Edges of the hierarchy: each pair of nodes joined by car links or a shortcut, once.
    pub fn edge_count(&self) -> usize {
        self.head.len()
    }

    /// The costs routes are made on now: those of the last customization.
    pub fn costs(&self) -> &[f64] {
        &self.metric
    }

    fn parent(&self, v: u32) -> u32 {
        let range = self.edges_of(v);
        if range.is_empty() {
            NONE
        } else {
            self.head[range.start]
        }
    }

    /// Distances from `start` up its elimination-tree path and to `target` up its own, walked
    /// together in rank order. Where the paths have joined, a node's distances are final when
    /// it is reached, so the best route through it is known; a node already farther than the
    /// best route found so far relaxes nothing (whatever it would reach is farther still and
    /// can be neither the meeting point nor on the route), which spares most of the walk above
    /// where a short trip's paths join. Routes and costs are those of the full climb.
    ///
    /// Returns the best route's cost through the meeting point, that point (the lowest-ranked
    /// of equal costs; `NONE` if the ends do not meet) and where the paths joined.
    fn climb_both(&self, q: &mut CchQuery, start: u32, target: u32) -> (f64, u32, u32) {
        q.from_start[start as usize] = 0.0;
        q.to_target[target as usize] = 0.0;
        let (mut up, mut down) = (start, target);
        let (mut best, mut meet, mut joined) = (f64::INFINITY, NONE, NONE);
        while up != NONE || down != NONE {
            let v = up.min(down);
            let range = self.edges_of(v);
            let parent = if range.is_empty() {
                NONE
            } else {
                self.head[range.start]
            };
            let (on_up, on_down) = (v == up, v == down);
            let (fv, tv) = (q.from_start[v as usize], q.to_target[v as usize]);
            if on_up && on_down {
                joined = joined.min(v);
                // at a joined node both distances are final
                if fv + tv < best {
                    (best, meet) = (fv + tv, v);
                }
            }
            if on_up && fv.is_finite() && fv <= best {
                relax(
                    &mut q.from_start,
                    &mut q.start_pred,
                    &self.up,
                    &self.head,
                    range.clone(),
                    fv,
                );
            }
            if on_down && tv.is_finite() && tv <= best {
                relax(
                    &mut q.to_target,
                    &mut q.target_pred,
                    &self.down,
                    &self.head,
                    range,
                    tv,
                );
            }
            if on_up {
                up = parent;
            }
            if on_down {
                down = parent;
            }
        }
        (best, meet, joined)
    }

    /// Clears the query's labels: a search labels only the ancestors of its end, so below where
    /// the two paths joined each path holds one search's labels, and above it both.
    fn reset(&self, q: &mut CchQuery, start: u32, target: u32, joined: u32) {
        let mut v = start;
        while v != joined && v != NONE {
            q.from_start[v as usize] = f64::INFINITY;
            q.start_pred[v as usize] = NONE;
            v = self.parent(v);
        }
        let mut v = target;
        while v != joined && v != NONE {
            q.to_target[v as usize] = f64::INFINITY;
            q.target_pred[v as usize] = NONE;
            v = self.parent(v);
        }
        let mut v = joined;
        while v != NONE {
            q.from_start[v as usize] = f64::INFINITY;
            q.to_target[v as usize] = f64::INFINITY;
            q.start_pred[v as usize] = NONE;
            q.target_pred[v as usize] = NONE;
            v = self.parent(v);
        }
    }

    /// Appends the links of start → `meet` → target.
    fn unpack_path(&self, q: &mut CchQuery, meet: u32, out: &mut Vec<u32>) {
        let mut climb = std::mem::take(&mut q.climb);
        climb.clear();
        let mut v = meet;
        while q.start_pred[v as usize] != NONE {
            let e = q.start_pred[v as usize];
            climb.push(e);
            v = self.tail[e as usize];
        }
        for &e in climb.iter().rev() {
            self.unpack_edge(q, e, Direction::Up, out);
        }
        q.climb = climb;
        let mut v = meet;
        while q.target_pred[v as usize] != NONE {
            let e = q.target_pred[v as usize];
            self.unpack_edge(q, e, Direction::Down, out);
            v = self.tail[e as usize];
        }
    }

    /// Appends the links a shortcut stands for, in driving order.
    fn unpack_edge(&self, q: &mut CchQuery, edge: u32, direction: Direction, out: &mut Vec<u32>) {
        let mut stack = std::mem::take(&mut q.unpack);
        stack.push((edge, direction));
        while let Some((e, direction)) = stack.pop() {
            let via = match direction {
                Direction::Up => self.up_via[e as usize],
                Direction::Down => self.down_via[e as usize],
            };
            if via & MIDDLE == 0 {
                out.push(via);
                continue;
            }
            let to_low = via & !MIDDLE;
            let middle = self.tail[to_low as usize];
            let high = self.head[e as usize];
            // the middle's edge up to the higher end comes after the one to the lower end
            let after = to_low as usize + 1..self.edges_of(middle).end;
            let to_high = (after.start + self.head[after].partition_point(|&h| h < high)) as u32;
            // popped last-in first: the second half goes on the stack first
            match direction {
                // low → middle → high
                Direction::Up => {
                    stack.extend([(to_high, Direction::Up), (to_low, Direction::Down)])
                }
                // high → middle → low
                Direction::Down => {
                    stack.extend([(to_low, Direction::Up), (to_high, Direction::Down)])
                }
            }
        }
        q.unpack = stack;
    }
}

/// Relaxes the upward edges `range` of a node at distance `dv`.
fn relax(
    dist: &mut [f64],
    pred: &mut [u32],
    cost: &[f64],
    head: &[u32],
    range: std::ops::Range<usize>,
    dv: f64,
) {
    // heads and costs walked together, and labels of one length: one bounds check per edge
    let pred = &mut pred[..dist.len()];
    let first = range.start;
    for (i, (&w, &c)) in head[range.clone()].iter().zip(&cost[range]).enumerate() {
        let w = w as usize;
        let dw = dv + c;
        if dw < dist[w] {
            dist[w] = dw;
            pred[w] = (first + i) as u32;
        }
    }
}
