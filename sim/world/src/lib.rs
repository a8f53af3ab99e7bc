//! The World: the city, its models and the clock, stepped together. Headless runs, the
//! viewer and scenarios all drive it through the same calls.

use citytwin_city::City;
use citytwin_traffic::demand::{DemandError, synthetic_day};
use citytwin_traffic::dynamic::router::Router;
use citytwin_traffic::dynamic::signals::Signals;
use citytwin_traffic::dynamic::{LinkEvent, QueueNetwork, TrafficConfig, TrafficSim, TripSpec};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorldOptions {
    pub seed: u64,
    /// Size of the synthetic day (car trips).
    pub trips: u32,
    /// Simulated window, seconds after midnight: trips departing in it are simulated.
    pub from_s: u32,
    pub to_s: u32,
    pub traffic: TrafficConfig,
    pub events: Vec<LinkEvent>,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            trips: 100_000,
            from_s: 0,
            to_s: 86_400,
            traffic: TrafficConfig::default(),
            events: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("demand: {0}")]
    Demand(#[from] DemandError),
    #[error("--from {from_s} s is not before --to {to_s} s")]
    Window { from_s: u32, to_s: u32 },
}

#[derive(Debug)]
pub struct World {
    pub traffic: TrafficSim,
    pub options: WorldOptions,
}

/// One trip in this many is routed at free flow to estimate the demand signals are timed for.
const SIGNAL_SAMPLE: usize = 10;

impl World {
    pub fn new(city: &City, options: WorldOptions) -> Result<World, WorldError> {
        if options.from_s >= options.to_s {
            return Err(WorldError::Window {
                from_s: options.from_s,
                to_s: options.to_s,
            });
        }
        let net = QueueNetwork::new(city.roads());
        let trips: Vec<TripSpec> = synthetic_day(city, options.trips, options.seed)?
            .into_iter()
            .filter(|t| (options.from_s..options.to_s).contains(&t.departure_s))
            .collect();
        let signals = Signals::webster(city.roads(), &net, &peak_hour_demand(&net, &trips));
        let mut traffic = TrafficSim::new(
            net,
            signals,
            trips,
            options.events.clone(),
            options.traffic.clone(),
            options.seed,
        );
        traffic.start_at(options.from_s);
        Ok(World { traffic, options })
    }

    pub fn now_s(&self) -> u32 {
        self.traffic.now()
    }

    pub fn step(&mut self) {
        self.traffic.step();
    }

    /// Runs to the end of the window (or until all trips are done); `keep_going` is asked
    /// every simulated minute.
    pub fn run(&mut self, keep_going: &mut dyn FnMut(&World) -> bool) {
        while self.now_s() < self.options.to_s && !self.traffic.is_done() {
            self.step();
            if self.now_s().is_multiple_of(60) && !keep_going(self) {
                break;
            }
        }
        self.traffic.flush_stats();
    }
}

/// Each link's busiest hour of demand, from free-flow routes of a sample of the trips.
fn peak_hour_demand(net: &QueueNetwork, trips: &[TripSpec]) -> Vec<f64> {
    let free = net.free_flow_times();
    let mut router = Router::new(net, &free);
    let mut per_hour = vec![[0u32; 24]; net.links.len()];
    let mut route = Vec::new();
    for t in trips.iter().step_by(SIGNAL_SAMPLE) {
        if router
            .route(net, &free, t.origin_link, t.dest_link, &mut route)
            .is_some()
        {
            let hour = (t.departure_s / 3600).min(23) as usize;
            for &l in &route {
                per_hour[l as usize][hour] += 1;
            }
        }
    }
    per_hour
        .iter()
        .map(|h| f64::from(*h.iter().max().unwrap_or(&0)) * SIGNAL_SAMPLE as f64)
        .collect()
}
