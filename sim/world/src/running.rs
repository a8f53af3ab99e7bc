//! Running the World: to a time, to the end of its window, and day after day to a dynamic
//! user equilibrium.

use super::*;

impl World {
    /// Runs until `t` (or the end of the window), without reports: a jump forward in time.
    pub fn advance_to(&mut self, t: u32) {
        while self.now_s() < t.min(self.options.to_s) {
            self.step();
        }
    }

    /// Runs to the end of the window (or until all trips are done); `keep_going` is asked
    /// every simulated minute.
    pub fn run(&mut self, keep_going: &mut dyn FnMut(&World) -> bool) {
        // bikes and sensors are watched to the end of the window; traffic alone may stop
        // when all arrived
        let watched = self.bikes.is_some() || self.ops.is_some();
        while self.now_s() < self.options.to_s && (watched || !self.traffic.is_done()) {
            self.step();
            if self.now_s().is_multiple_of(60) && !keep_going(self) {
                break;
            }
        }
        self.traffic.flush_stats();
    }

    /// Simulates the window day after day until routes settle (dynamic user equilibrium):
    /// `eq.iterations` days, or fewer once a day's gap reaches `eq.target_gap`; reports each
    /// day; `traffic` ends as the last day simulated. Drivers learn between days instead of en
    /// route, so en-route re-routing is off (closures still re-route). Stops early, keeping the
    /// day it was in, when `keep_going` says so.
    pub fn run_equilibrium(
        &mut self,
        eq: &EquilibriumOptions,
        keep_going: &mut dyn FnMut(&World) -> bool,
        on_day: &mut dyn FnMut(&IterationReport),
    ) -> Vec<IterationReport> {
        self.options.traffic.reroute_share = 0.0;
        let free = self.day.net.free_flow_times();
        let mut router = Router::new(&self.day.net, &free);
        let mut reports = Vec::new();
        let mut plans: Vec<Vec<u32>> = Vec::new();
        for iteration in 1..=eq.iterations.max(1) {
            self.restart();
            self.traffic.set_plans(std::mem::take(&mut plans));
            self.traffic.keep_routes();
            let mut stopped = false;
            self.run(&mut |w| {
                stopped = !keep_going(w);
                !stopped
            });
            if stopped {
                break;
            }
            let (report, next) =
                next_plans(&self.traffic, &mut router, eq, self.options.seed, iteration);
            on_day(&report);
            let reached = eq.reached(&report);
            reports.push(report);
            plans = next;
            if reached {
                break;
            }
        }
        reports
    }
}
