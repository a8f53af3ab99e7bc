//! The used paths of every OD pair, and the gradient-projection flow shift between them.

use super::LinkState;
use super::network::{AssignNetwork, OdDemand};
use super::shortest::ShortestPathTree;

/// Flow shifts over an origin's known paths per shortest-path tree.
const INNER_PASSES: usize = 2;

#[derive(Debug)]
struct Path {
    links: Box<[u32]>,
    flow: f64,
}

#[derive(Debug)]
struct OdPaths {
    dest: u32,
    paths: Vec<Path>,
}

#[derive(Debug)]
pub(crate) struct PathSets {
    by_origin: Vec<(u32, Vec<OdPaths>)>,
    /// marks[a] == stamp: link a is on the current basic path
    marks: Vec<u32>,
    stamp: u32,
}

impl PathSets {
    /// Loads every OD pair's demand on its free-flow shortest path. Returns the sets and the
    /// demand that has no path.
    pub fn all_or_nothing(
        net: &AssignNetwork,
        demand: &OdDemand,
        state: &mut LinkState,
        tree: &mut ShortestPathTree,
    ) -> (Self, f64) {
        let free_cost = state.cost.clone();
        let mut unreachable = 0.0;
        let mut links = Vec::new();
        let mut by_origin = Vec::with_capacity(demand.by_origin.len());
        for (origin, dests) in &demand.by_origin {
            tree.compute_to(net, &free_cost, *origin, dests.iter().map(|d| d.0));
            let mut ods = Vec::with_capacity(dests.len());
            for &(dest, flow) in dests {
                if tree.path_to(net, dest, &mut links).is_none() {
                    unreachable += flow;
                    continue;
                }
                for &a in &links {
                    state.add(net, a, flow);
                }
                ods.push(OdPaths {
                    dest,
                    paths: vec![Path {
                        links: links.as_slice().into(),
                        flow,
                    }],
                });
            }
            by_origin.push((*origin, ods));
        }
        let sets = Self {
            by_origin,
            marks: vec![0; net.link_count()],
            stamp: 0,
        };
        (sets, unreachable)
    }

    /// One sweep over all origins: add each OD's current shortest path, then move flow onto it
    /// from every costlier path by a projected Newton step. Link costs follow every shift
    /// (Gauss–Seidel), so later OD pairs see the effect of earlier ones.
    /// One iteration over every origin; `false` when `keep_going` stopped it part way.
    pub fn equilibrate(
        &mut self,
        net: &AssignNetwork,
        state: &mut LinkState,
        tree: &mut ShortestPathTree,
        keep_going: &dyn Fn() -> bool,
    ) -> bool {
        let mut shortest = Vec::new();
        for (origin, ods) in &mut self.by_origin {
            if !keep_going() {
                return false;
            }
            tree.compute_to(net, &state.cost, *origin, ods.iter().map(|od| od.dest));
            for od in ods.iter_mut() {
                if tree.path_to(net, od.dest, &mut shortest).is_none() {
                    continue;
                }
                if !od.paths.iter().any(|p| *p.links == *shortest) {
                    od.paths.push(Path {
                        links: shortest.as_slice().into(),
                        flow: 0.0,
                    });
                }
            }
            // Re-balancing the known paths is cheap next to a shortest-path tree: do it a few
            // times per tree (Jayakrishnan et al.'s inner iterations).
            for _ in 0..INNER_PASSES {
                for od in ods.iter_mut().filter(|od| od.paths.len() > 1) {
                    self.stamp = self.stamp.wrapping_add(1);
                    shift_to_cheapest(net, state, &mut od.paths, &mut self.marks, self.stamp);
                }
            }
        }
        true
    }
}

fn path_cost(state: &LinkState, links: &[u32]) -> f64 {
    links.iter().map(|&a| state.cost[a as usize]).sum()
}

fn shift_to_cheapest(
    net: &AssignNetwork,
    state: &mut LinkState,
    paths: &mut Vec<Path>,
    marks: &mut [u32],
    stamp: u32,
) {
    let costs: Vec<f64> = paths.iter().map(|p| path_cost(state, &p.links)).collect();
    let basic = (0..paths.len())
        .min_by(|&i, &j| costs[i].total_cmp(&costs[j]).then(i.cmp(&j)))
        .unwrap_or(0);
    for &a in paths[basic].links.iter() {
        marks[a as usize] = stamp;
    }
    for p in 0..paths.len() {
        if p == basic || paths[p].flow <= 0.0 {
            continue;
        }
        // costs moved since they were computed: use fresh ones for this pair
        let (cp, cb) = (
            path_cost(state, &paths[p].links),
            path_cost(state, &paths[basic].links),
        );
        if cp <= cb {
            continue;
        }
        let on_p: Vec<u32> = paths[p]
            .links
            .iter()
            .copied()
            .filter(|&a| marks[a as usize] != stamp)
            .collect();
        // links of the basic path that p does not use
        let mut only_basic: Vec<u32> = paths[basic].links.to_vec();
        for &a in paths[p].links.iter() {
            if let Some(i) = only_basic.iter().position(|&b| b == a) {
                only_basic.swap_remove(i);
            }
        }
        let slope: f64 = on_p
            .iter()
            .chain(&only_basic)
            .map(|&a| state.derivative[a as usize])
            .sum();
        let flow = paths[p].flow;
        let dx = if slope > 0.0 {
            ((cp - cb) / slope).min(flow)
        } else {
            flow
        };
        paths[p].flow -= dx;
        paths[basic].flow += dx;
        for &a in &on_p {
            state.add(net, a, -dx);
        }
        for &a in &only_basic {
            state.add(net, a, dx);
        }
    }
    paths.retain(|p| p.flow > 0.0);
}
