//! Fixed-time signal plans for junctions tagged `highway=traffic_signals`. OSM has no timings,
//! so each plan is computed by Webster's method from the approaches' demand and capacity:
//!
//! - approaches are split into two phases by direction (within 45° of the busiest approach's
//!   axis, or across it);
//! - each phase's critical flow ratio is `y = max(q / s)` over its approaches, with `q` the
//!   approach's peak-hour demand and `s` its saturation flow (the link capacity);
//! - cycle `C = (1.5 L + 5) / (1 − Y)` with `Y = Σ y` (capped at 0.9) and `L` = 4 s lost per
//!   phase, clamped to 40..=150 s; effective green `C − L` is split in proportion to `y`, at least
//!   10 s per phase.
//!
//! An approach may discharge only in its phase's green; its link keeps accruing flow capacity
//! through red (up to one cycle's worth), so its average throughput is the link capacity.

use super::net::QueueNetwork;
use citytwin_city::roads::RoadNetwork;
use serde::{Deserialize, Serialize};

const LOST_PER_PHASE_S: f64 = 4.0;
const MIN_GREEN_S: f64 = 10.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalPlan {
    pub junction: u32,
    pub cycle_s: u32,
    /// Green of phase 0 is `[0, green[0])`, of phase 1 `[green[0] + 4, green[0] + 4 + green[1])`.
    pub green_s: [u32; 2],
}

impl SignalPlan {
    pub fn is_green(&self, phase: u8, now: u32) -> bool {
        let t = now % self.cycle_s;
        let lost = LOST_PER_PHASE_S as u32;
        match phase {
            0 => t < self.green_s[0],
            _ => {
                let start = self.green_s[0] + lost;
                t >= start && t < start + self.green_s[1]
            }
        }
    }
}

/// Every signal plan and, per link, which plan and phase control its downstream end.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Signals {
    pub plans: Vec<SignalPlan>,
    control: Vec<Option<(u32, u8)>>,
}

fn bearing(roads: &RoadNetwork, link: usize) -> f64 {
    let coords = &roads.links[link].geometry.0;
    let n = coords.len();
    let (a, b) = (coords[n.saturating_sub(2)], coords[n - 1]);
    (b.y - a.y).atan2(b.x - a.x)
}

impl Signals {
    /// Plans for every signalised junction; `peak_demand_vph[l]` is link l's peak-hour demand.
    pub fn webster(roads: &RoadNetwork, net: &QueueNetwork, peak_demand_vph: &[f64]) -> Self {
        let mut signals = Signals {
            plans: Vec::new(),
            control: vec![None; net.links.len()],
        };
        for (j, junction) in roads.junctions.iter().enumerate() {
            if !junction.signals {
                continue;
            }
            let mut approaches: Vec<usize> = junction
                .nodes
                .iter()
                .flat_map(|n| net.incoming(n.index() as u32).iter().map(|&l| l as usize))
                .filter(|&l| !roads.links[l].internal)
                .collect();
            approaches.sort_unstable();
            approaches.dedup();
            if approaches.len() < 2 {
                continue;
            }
            let ratio = |l: usize| {
                let cap = net.links[l]
                    .as_ref()
                    .map_or(1.0, |q| q.capacity_vps * 3600.0);
                peak_demand_vph.get(l).copied().unwrap_or(0.0) / cap.max(1.0)
            };
            let main = *approaches
                .iter()
                .max_by(|a, b| ratio(**a).total_cmp(&ratio(**b)).then(b.cmp(a)))
                .unwrap_or(&approaches[0]);
            let axis = bearing(roads, main);
            let phase_of = |l: usize| -> u8 {
                let d = (bearing(roads, l) - axis).rem_euclid(std::f64::consts::PI);
                u8::from(d > std::f64::consts::FRAC_PI_4 && d < 3.0 * std::f64::consts::FRAC_PI_4)
            };
            let mut y = [0.0f64; 2];
            for &l in &approaches {
                let p = phase_of(l) as usize;
                y[p] = y[p].max(ratio(l));
            }
            // every plan has two phases (one may serve no approach), so two lost times
            let lost = 2.0 * LOST_PER_PHASE_S;
            let total_y = (y[0] + y[1]).min(0.9);
            let cycle = ((1.5 * lost + 5.0) / (1.0 - total_y)).clamp(40.0, 150.0);
            let effective = cycle - lost;
            let share0 = if y[0] + y[1] > 0.0 {
                y[0] / (y[0] + y[1])
            } else {
                0.5
            };
            let g0 = (effective * share0).clamp(MIN_GREEN_S, effective - MIN_GREEN_S);
            let plan = SignalPlan {
                junction: j as u32,
                cycle_s: cycle.round() as u32,
                green_s: [g0.round() as u32, (effective - g0).round() as u32],
            };
            let index = signals.plans.len() as u32;
            for &l in &approaches {
                signals.control[l] = Some((index, phase_of(l)));
            }
            signals.plans.push(plan);
        }
        signals
    }

    /// May the head of link `l` cross its downstream junction now?
    pub fn is_green(&self, l: u32, now: u32) -> bool {
        match self.control.get(l as usize).copied().flatten() {
            Some((plan, phase)) => self.plans[plan as usize].is_green(phase, now),
            None => true,
        }
    }

    /// The longest red an approach link waits through (bounds its stored flow budget).
    pub fn cycle_of(&self, l: u32) -> Option<u32> {
        let (plan, _) = self.control.get(l as usize).copied().flatten()?;
        Some(self.plans[plan as usize].cycle_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_alternate_with_lost_time() {
        let plan = SignalPlan {
            junction: 0,
            cycle_s: 60,
            green_s: [30, 22],
        };
        assert!(plan.is_green(0, 0) && plan.is_green(0, 29) && !plan.is_green(0, 30));
        assert!(!plan.is_green(1, 33) && plan.is_green(1, 34) && plan.is_green(1, 55));
        assert!(!plan.is_green(1, 56) && plan.is_green(0, 60));
        // no moment where both are green
        assert!((0..60).all(|t| !(plan.is_green(0, t) && plan.is_green(1, t))));
    }
}
