//! Dynamic user equilibrium by iterating the day (the day-to-day learning of MATSim's
//! re-planning, with DTA's relative gap as the convergence measure).
//!
//! After each simulated day, every link's experienced travel time per bin becomes a
//! time-dependent cost. Each trip's best route from the moment it got onto the network
//! (waiting at the origin for room is no route's doing) is found by time-dependent A*
//! ([`Router::route_by`]). The relative gap `Σ (driven − best) / Σ driven` over arrived trips,
//! the route driven and the best one both timed on those costs, says how far the day is from
//! equilibrium (0 = nobody could have arrived earlier by another route). For the next day a
//! decreasing share of the trips switches to its best route; the others drive the route they
//! took.

use super::net::QueueNetwork;
use super::router::Router;
use super::sim::TrafficSim;
use super::trips::{TripSpec, TripStatus};
use citytwin_city::LinkId;
use citytwin_city::rng::SimRng;
use serde::{Deserialize, Serialize};

/// Experienced link travel times by the time a car gets on: per bin, the mean time of the
/// cars that got on the link in it (those still on it when the day ends count the time they
/// have spent so far). A bin no car got on in costs free flow if the link was empty then, and
/// the bin before's time if it held cars (a full link lets nobody on). Between bin middles
/// times are linear, kept first-in first-out (getting on later never gets off earlier).
#[derive(Clone, Debug)]
pub struct TimeDependentTimes {
    bin_s: u32,
    /// times[k][link]: seconds for a car getting on at the middle of bin `k`.
    times: Vec<Vec<f64>>,
    free: Vec<f64>,
}

impl TimeDependentTimes {
    pub fn from_day(day: &TrafficSim, free_flow: &[f64]) -> Self {
        let stats = &day.stats;
        let bin_s = stats.bin_s.max(1);
        let mut spent: Vec<Vec<(f64, u32)>> = (0..stats.bin_count())
            .map(|b| {
                let mut per_link = vec![(0.0, 0); free_flow.len()];
                for (link, bin) in stats.links_in(b) {
                    per_link[link.index()] = (f64::from(bin.entered_travel_s), bin.entered_exits);
                }
                per_link
            })
            .collect();
        for (link, entered_at) in day.cars_on_links() {
            if let Some(bin) = spent.get_mut((entered_at / bin_s) as usize) {
                let (s, n) = &mut bin[link as usize];
                *s += f64::from(day.now() - entered_at);
                *n += 1;
            }
        }
        let mut times = vec![free_flow.to_vec(); spent.len()];
        for (k, bin) in spent.iter().enumerate() {
            for (link, &(s, n)) in bin.iter().enumerate() {
                let free = free_flow[link];
                times[k][link] = if n > 0 {
                    (s / f64::from(n)).max(free)
                } else if k > 0 && stats.get(k, LinkId::from_index(link)).vehicle_s > 0 {
                    times[k - 1][link]
                } else {
                    free
                };
            }
        }
        // first in, first out: getting on a bin earlier never gets off later
        for k in (1..times.len()).rev() {
            let (earlier, later) = times.split_at_mut(k);
            for (time, &next) in earlier[k - 1].iter_mut().zip(&later[0]) {
                *time = time.min(next + f64::from(bin_s));
            }
        }
        Self {
            bin_s,
            times,
            free: free_flow.to_vec(),
        }
    }

    /// Seconds to cross `link` entering at time `t` (seconds after midnight).
    pub fn cost(&self, link: u32, t: f64) -> f64 {
        // bin middles are the knots
        let at = (t.max(0.0) / f64::from(self.bin_s) - 0.5).max(0.0);
        let k = at as usize;
        match (self.times.get(k), self.times.get(k + 1)) {
            (Some(a), Some(b)) => {
                let share = at - k as f64;
                a[link as usize] * (1.0 - share) + b[link as usize] * share
            }
            (Some(a), None) => a[link as usize],
            _ => self.free[link as usize],
        }
    }

    /// Seconds to drive `route` entering its first link at `start_s`.
    pub fn route_time(&self, route: &[u32], start_s: u32) -> f64 {
        let start = f64::from(start_s);
        route.iter().fold(start, |t, &l| t + self.cost(l, t)) - start
    }

    /// The best route for a trip entering its origin link at `start_s`, and its travel time
    /// (the origin link included).
    pub fn best_route(
        &self,
        router: &mut Router,
        net: &QueueNetwork,
        trip: &TripSpec,
        start_s: u32,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        let start = f64::from(start_s);
        let first = self.cost(trip.origin_link.0, start);
        let rest = router.route_by(
            net,
            |a, elapsed| self.cost(a, start + first + elapsed),
            trip.origin_link,
            trip.dest_link,
            out,
        )?;
        Some(first + rest)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EquilibriumOptions {
    /// Days simulated at most (the first routes every trip on the travel times of the moment).
    pub iterations: u32,
    /// Share of trips that switch to their best route after the first day (then `/ day`).
    pub replan_share: f64,
    /// Stop after the first day whose relative gap is at most this.
    #[serde(default)]
    pub target_gap: Option<f64>,
}

impl EquilibriumOptions {
    /// Whether `day` is close enough to equilibrium to stop.
    pub fn reached(&self, day: &IterationReport) -> bool {
        self.target_gap.is_some_and(|g| day.relative_gap <= g)
    }
}

impl Default for EquilibriumOptions {
    fn default() -> Self {
        Self {
            iterations: 10,
            replan_share: 0.3,
            target_gap: None,
        }
    }
}

/// One simulated day of the iteration, as printed and written to `iterations.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationReport {
    pub iteration: u32,
    pub trips_completed: u64,
    pub mean_travel_time_s: f64,
    pub relative_gap: f64,
    /// Trips given their best route for the next day.
    pub replanned: u64,
}

/// Measures the day's gap and makes the next day's route plans.
///
/// Who switches: a random `replan_share / day` of the trips that arrived (the method of
/// successive averages' step, so the days settle: with `/ √day` a few thousand switchers
/// still jammed a junction every few days, and sending the trips with the most to gain first
/// made every day overshoot), and every trip that did not.
pub fn next_plans(
    day: &TrafficSim,
    router: &mut Router,
    options: &EquilibriumOptions,
    seed: u64,
    iteration: u32,
) -> (IterationReport, Vec<Vec<u32>>) {
    let net = &day.net;
    let times = TimeDependentTimes::from_day(day, &net.free_flow_times());
    let (trips, records, taken) = (day.trips(), &day.records, &day.taken);
    let mut rng = SimRng::fork(seed ^ u64::from(iteration), "traffic.replan");
    let (mut experienced, mut excess, mut driven_s) = (0.0, 0.0, 0.0);
    let mut completed = 0u64;
    let share = options.replan_share / f64::from(iteration.max(1));
    let mut replanned = 0u64;
    let mut plans = Vec::with_capacity(trips.len());
    let mut best = Vec::new();
    for (i, trip) in trips.iter().enumerate() {
        let record = &records[i];
        // one draw per trip whatever became of it, so one trip's fate does not shift the
        // draws of all those after it
        let draw = rng.unit();
        // waiting at the origin for room on the first link is no route's doing: both the
        // driven and the best time start when the car got on
        let entered = trip.departure_s + record.waited_s;
        let best_time = times.best_route(router, net, trip, entered, &mut best);
        let driven = taken.get(i).filter(|r| !r.is_empty());
        let arrived_on = match (record.status, record.arrival_s, best_time, driven) {
            (TripStatus::Arrived, Some(arrival), Some(b), Some(route)) => {
                completed += 1;
                driven_s += f64::from(arrival - trip.departure_s);
                // the route driven and the best one, both timed on the day's link times: a
                // car's place in a queue (ahead of or behind the bin's mean) is no gap
                let t = times.route_time(route, entered);
                experienced += t;
                excess += (t - b).max(0.0);
                Some(route)
            }
            _ => None,
        };
        match arrived_on {
            Some(route) if draw >= share => plans.push(route.clone()),
            _ if best_time.is_some() => {
                replanned += 1;
                plans.push(best.clone());
            }
            _ => plans.push(Vec::new()),
        }
    }
    let report = IterationReport {
        iteration,
        trips_completed: completed,
        mean_travel_time_s: if completed > 0 {
            driven_s / completed as f64
        } else {
            0.0
        },
        relative_gap: if experienced > 0.0 {
            excess / experienced
        } else {
            0.0
        },
        replanned,
    };
    (report, plans)
}
