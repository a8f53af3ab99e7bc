//! The network of a static assignment: links with BPR costs in compressed adjacency form.

use crate::tntp::{CostWeights, TntpNet, TntpTrips};

/// Links with BPR cost functions `t = t0 · (1 + b · (x / c)^power) + fixed`, where `fixed` is the
/// generalised cost the network adds (toll and distance weighted as its README says).
#[derive(Clone, Debug)]
pub struct AssignNetwork {
    pub node_count: usize,
    /// Nodes with index below this are zone centroids: paths start or end there but never pass.
    pub first_thru: usize,
    pub from: Vec<u32>,
    pub to: Vec<u32>,
    pub free_flow_time: Vec<f64>,
    pub capacity: Vec<f64>,
    pub b: Vec<f64>,
    pub power: Vec<f64>,
    pub fixed_cost: Vec<f64>,
    /// Links leaving node `n`: `out_links[out_start[n]..out_start[n + 1]]`.
    pub out_start: Vec<u32>,
    pub out_links: Vec<u32>,
}

/// Demand grouped by origin: `(origin node, [(destination node, flow)])`, both 0-based.
#[derive(Clone, Debug, Default)]
pub struct OdDemand {
    pub by_origin: Vec<(u32, Vec<(u32, f64)>)>,
}

impl OdDemand {
    pub fn total(&self) -> f64 {
        self.by_origin
            .iter()
            .flat_map(|(_, ds)| ds.iter().map(|(_, f)| f))
            .sum()
    }

    /// From TNTP trips (zone `z` is node `z`, 1-based).
    pub fn from_tntp(trips: &TntpTrips) -> Self {
        let mut by_origin: Vec<(u32, Vec<(u32, f64)>)> = Vec::new();
        for &(o, d, flow) in &trips.od {
            match by_origin.last_mut() {
                Some((last, dests)) if *last == o - 1 => dests.push((d - 1, flow)),
                _ => by_origin.push((o - 1, vec![(d - 1, flow)])),
            }
        }
        // an origin may appear in several blocks of a hand-made file: merge them
        by_origin.sort_by_key(|(o, _)| *o);
        by_origin.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1.append(&mut later.1);
                true
            } else {
                false
            }
        });
        Self { by_origin }
    }
}

impl AssignNetwork {
    pub fn from_tntp(net: &TntpNet, weights: CostWeights) -> Self {
        let links = &net.links;
        let mut network = Self {
            node_count: net.nodes as usize,
            first_thru: net.first_thru_node.saturating_sub(1) as usize,
            from: links.iter().map(|l| l.from - 1).collect(),
            to: links.iter().map(|l| l.to - 1).collect(),
            free_flow_time: links.iter().map(|l| l.free_flow_time).collect(),
            capacity: links.iter().map(|l| l.capacity).collect(),
            b: links.iter().map(|l| l.b).collect(),
            power: links.iter().map(|l| l.power).collect(),
            fixed_cost: links
                .iter()
                .map(|l| weights.toll * l.toll + weights.distance * l.length)
                .collect(),
            out_start: Vec::new(),
            out_links: Vec::new(),
        };
        network.index_adjacency();
        network
    }

    /// Closes link `a` (road works, a what-if): it keeps its index, so flows stay comparable
    /// link by link, but no path uses it any more.
    pub fn close_link(&mut self, a: usize) {
        let Some(&from) = self.from.get(a) else {
            return;
        };
        let (lo, hi) = (
            self.out_start[from as usize] as usize,
            self.out_start[from as usize + 1] as usize,
        );
        if let Some(i) = self.out_links[lo..hi].iter().position(|&l| l as usize == a) {
            self.out_links.remove(lo + i);
            for s in &mut self.out_start[from as usize + 1..] {
                *s -= 1;
            }
        }
    }

    /// Builds the compressed adjacency; links keep their order within a node (stable).
    pub fn index_adjacency(&mut self) {
        let mut start = vec![0u32; self.node_count + 1];
        for &f in &self.from {
            start[f as usize + 1] += 1;
        }
        for n in 0..self.node_count {
            start[n + 1] += start[n];
        }
        let mut next = start.clone();
        let mut out = vec![0u32; self.from.len()];
        for (a, &f) in self.from.iter().enumerate() {
            out[next[f as usize] as usize] = a as u32;
            next[f as usize] += 1;
        }
        self.out_start = start;
        self.out_links = out;
    }

    pub fn link_count(&self) -> usize {
        self.from.len()
    }

    fn ratio_pow(&self, a: usize, x: f64) -> f64 {
        if self.b[a] == 0.0 {
            return 0.0;
        }
        let (ratio, power) = (x / self.capacity[a], self.power[a]);
        // TNTP's powers are whole numbers (4 nearly everywhere): multiplied out, the general
        // power's logarithm and exponential are spared (a tenth of Chicago-Sketch's time)
        if power.fract() == 0.0 && (0.0..=32.0).contains(&power) {
            ratio.powi(power as i32)
        } else {
            ratio.powf(power)
        }
    }

    /// The generalised cost of link `a` at flow `x`.
    pub fn cost(&self, a: usize, x: f64) -> f64 {
        self.free_flow_time[a] * (1.0 + self.b[a] * self.ratio_pow(a, x)) + self.fixed_cost[a]
    }

    /// d cost / d flow.
    pub fn derivative(&self, a: usize, x: f64) -> f64 {
        if self.b[a] == 0.0 || x <= 0.0 {
            return 0.0;
        }
        self.free_flow_time[a] * self.b[a] * self.power[a] * self.ratio_pow(a, x) / x
    }

    /// ∫₀ˣ cost: the link's term of the Beckmann objective.
    pub fn integral(&self, a: usize, x: f64) -> f64 {
        let congestion =
            self.free_flow_time[a] * self.b[a] * x * self.ratio_pow(a, x) / (self.power[a] + 1.0);
        (self.free_flow_time[a] + self.fixed_cost[a]) * x + congestion
    }

    pub fn objective(&self, flows: &[f64]) -> f64 {
        flows
            .iter()
            .enumerate()
            .map(|(a, &x)| self.integral(a, x))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_link(b: f64, power: f64) -> AssignNetwork {
        let mut n = AssignNetwork {
            node_count: 2,
            first_thru: 0,
            from: vec![0],
            to: vec![1],
            free_flow_time: vec![10.0],
            capacity: vec![100.0],
            b: vec![b],
            power: vec![power],
            fixed_cost: vec![1.0],
            out_start: vec![],
            out_links: vec![],
        };
        n.index_adjacency();
        n
    }

    #[test]
    fn bpr_cost_derivative_and_integral_agree() {
        let n = one_link(0.15, 4.0);
        assert!((n.cost(0, 100.0) - (10.0 * 1.15 + 1.0)).abs() < 1e-12);
        let h = 1e-4;
        for x in [1.0, 50.0, 150.0] {
            let numeric = (n.cost(0, x + h) - n.cost(0, x - h)) / (2.0 * h);
            assert!((numeric - n.derivative(0, x)).abs() < 1e-6);
            let numeric = (n.integral(0, x + h) - n.integral(0, x - h)) / (2.0 * h);
            assert!((numeric - n.cost(0, x)).abs() < 1e-6);
        }
        assert_eq!(one_link(0.0, 4.0).derivative(0, 50.0), 0.0);
    }
}
