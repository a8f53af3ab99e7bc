//! The queue model's view of the road network: car links with their free-flow time, flow
//! capacity and storage capacity, and car adjacency in compressed form.

use citytwin_city::LinkId;
use citytwin_city::roads::{Mode, RoadNetwork};
use serde::{Deserialize, Serialize};

/// Road space one queued car takes (vehicle length + gap), as in MATSim and SUMO's defaults.
pub const JAM_SPACING_M: f64 = 7.5;

/// Links up to this long between two intersections lie inside one crossing: the carriageways
/// of divided roads meet as 2–4 graph nodes 10–60 m apart (the extent a joined junction may
/// have), and a roundabout's ring is a chain of such links.
pub const INNER_LINK_MAX_M: f64 = 60.0;

/// A car link as the queue model sees it; indices are the city's `LinkId` indices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueLink {
    pub from: u32,
    pub to: u32,
    pub length_m: f64,
    /// Whole seconds a car needs at the speed limit (at least 1: a step).
    pub free_flow_s: u32,
    /// Vehicles per second that may leave the link.
    pub capacity_vps: f64,
    /// Vehicles the link holds when jammed.
    pub storage: u32,
    pub lanes: u8,
    /// A short link between two intersections, inside a crossing ([`INNER_LINK_MAX_M`]): its
    /// cars go first at its downstream junction, as traffic already in a junction or a
    /// roundabout has the right of way over traffic entering it (PRC Road Traffic Safety Law
    /// Implementing Regulations, art. 52). Served in turn with the approaches instead, the
    /// inner links of a divided crossing fill with left-turners from every side and lock.
    pub inner: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueueNetwork {
    pub node_count: usize,
    /// `None` for links cars may not use.
    pub links: Vec<Option<QueueLink>>,
    pub out_start: Vec<u32>,
    pub out_links: Vec<u32>,
    pub in_start: Vec<u32>,
    pub in_links: Vec<u32>,
}

impl QueueNetwork {
    pub fn new(roads: &RoadNetwork) -> Self {
        let intersection = intersections(roads);
        let links: Vec<Option<QueueLink>> = roads
            .links
            .iter()
            .map(|l| {
                l.carries_cars().then(|| QueueLink {
                    from: l.from.index() as u32,
                    to: l.to.index() as u32,
                    length_m: l.length_m,
                    free_flow_s: (l.free_flow_time_s(Mode::Car).round() as u32).max(1),
                    capacity_vps: f64::from(l.capacity_vph) / 3600.0,
                    storage: ((f64::from(l.lanes.max(1)) * l.length_m / JAM_SPACING_M).floor()
                        as u32)
                        .max(1),
                    lanes: l.lanes.max(1),
                    inner: l.length_m <= INNER_LINK_MAX_M
                        && intersection[l.from.index()]
                        && intersection[l.to.index()],
                })
            })
            .collect();
        Self::from_links(roads.nodes.len(), links)
    }

    /// A network from explicit links (tests, synthetic corridors).
    pub fn from_links(node_count: usize, links: Vec<Option<QueueLink>>) -> Self {
        let (out_start, out_links) = adjacency(node_count, &links, |l| l.from);
        let (in_start, in_links) = adjacency(node_count, &links, |l| l.to);
        Self {
            node_count,
            links,
            out_start,
            out_links,
            in_start,
            in_links,
        }
    }

    /// A `side × side` grid of two-way links, node `row · side + column`, each link made by
    /// `link(from, to)` in a fixed order (row by row: east and back, then north and back):
    /// the synthetic city of tests and benchmarks.
    pub fn grid(side: u32, mut link: impl FnMut(u32, u32) -> QueueLink) -> Self {
        let node = |r: u32, c: u32| r * side + c;
        let mut links = Vec::new();
        for r in 0..side {
            for c in 0..side {
                let mut join = |a: u32, b: u32| {
                    links.push(Some(link(a, b)));
                    links.push(Some(link(b, a)));
                };
                if c + 1 < side {
                    join(node(r, c), node(r, c + 1));
                }
                if r + 1 < side {
                    join(node(r, c), node(r + 1, c));
                }
            }
        }
        Self::from_links((side * side) as usize, links)
    }

    pub fn link(&self, l: LinkId) -> Option<&QueueLink> {
        self.links.get(l.index())?.as_ref()
    }

    /// Free-flow seconds per link; infinite for links cars may not use (routing weights).
    pub fn free_flow_times(&self) -> Vec<f64> {
        self.links
            .iter()
            .map(|l| {
                l.as_ref()
                    .map_or(f64::INFINITY, |l| f64::from(l.free_flow_s))
            })
            .collect()
    }

    pub fn outgoing(&self, node: u32) -> &[u32] {
        let n = node as usize;
        &self.out_links[self.out_start[n] as usize..self.out_start[n + 1] as usize]
    }

    pub fn incoming(&self, node: u32) -> &[u32] {
        let n = node as usize;
        &self.in_links[self.in_start[n] as usize..self.in_start[n + 1] as usize]
    }
}

/// Per node: is it an intersection of car roads (three or more car neighbours, or signals)?
fn intersections(roads: &RoadNetwork) -> Vec<bool> {
    roads
        .car_neighbour_counts()
        .into_iter()
        .zip(&roads.nodes)
        .map(|(n, node)| {
            n >= 3
                || node.signals
                || roads
                    .junctions
                    .get(node.junction.index())
                    .is_some_and(|j| j.signals)
        })
        .collect()
}

fn adjacency(
    node_count: usize,
    links: &[Option<QueueLink>],
    end: impl Fn(&QueueLink) -> u32,
) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; node_count + 1];
    for l in links.iter().flatten() {
        start[end(l) as usize + 1] += 1;
    }
    for n in 0..node_count {
        start[n + 1] += start[n];
    }
    let mut next = start.clone();
    let mut out = vec![0u32; start[node_count] as usize];
    for (i, l) in links.iter().enumerate() {
        if let Some(l) = l {
            let slot = &mut next[end(l) as usize];
            out[*slot as usize] = i as u32;
            *slot += 1;
        }
    }
    (start, out)
}
