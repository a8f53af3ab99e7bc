//! The World: the city, its models and the clock, stepped together. Headless runs, the
//! viewer and scenarios all drive it through the same calls.

use citytwin_bikes::BikeSim;
use citytwin_bikes::demand::BikeTrip;
use citytwin_city::roads::RoadNetwork;
use citytwin_city::{City, LinkId};
use citytwin_ops::services::CrewVehicle;
use citytwin_traffic::dynamic::LinkLoad;
use citytwin_traffic::dynamic::cch::Cch;
use citytwin_traffic::dynamic::equilibrium::{EquilibriumOptions, IterationReport, next_plans};
use citytwin_traffic::dynamic::router::Router;
use citytwin_traffic::dynamic::signals::Signals;
use citytwin_traffic::dynamic::{
    LinkEvent, Purpose, QueueNetwork, TrafficConfig, TrafficSim, TripSpec, TripStatus,
};
use day_inputs::{DayInputs, shared_day};
use ops::OpsSim;
use scenario::RunInputs;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod calibrate;
pub mod checkpoint;
pub mod compare;
mod day_inputs;
pub mod forecast;
pub mod map_views;
pub mod model;
pub mod ops;
pub mod panels;
pub mod ramp;
mod running;
pub mod scenario;
pub mod views;

pub use map_views::FenceShape;
pub use views::{Hotspot, KpiHistory, TrafficKpis};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorldOptions {
    pub seed: u64,
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
            from_s: 0,
            to_s: 86_400,
            traffic: TrafficConfig::default(),
            events: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("the window's start ({from_s} s) is not before its end ({to_s} s)")]
    Window { from_s: u32, to_s: u32 },
    #[error("trip {trip}: link {} is not a car link of the network", link.0)]
    NotACarLink { trip: usize, link: LinkId },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct World {
    traffic: TrafficSim,
    bikes: Option<BikeSim>,
    /// Sensors, vital signs and cases, if the World has them.
    ops: Option<OpsSim>,
    /// Routes trucks and crews on the links' current travel times, or free-flow ones for
    /// crews on motorcycles.
    crew_router: Option<(Router, Vec<f64>)>,
    /// Crews' trucks on the roads.
    trucks: Vec<TruckOnRoad>,
    options: WorldOptions,
    /// Shared by forks: a forecast's copy of the World does not copy the day's inputs.
    #[serde(with = "shared_day")]
    day: Arc<DayInputs>,
    history: KpiHistory,
    loads: Vec<LinkLoad>,
}

/// Minutes of city-wide figures the World keeps (a day).
const HISTORY_MINUTES: usize = 24 * 60;

/// One trip in this many is routed at free flow to estimate the demand signals are timed for.
const SIGNAL_SAMPLE: usize = 10;
/// Sampled trips routed together on one thread when timing the signals.
const SIGNAL_CHUNK: usize = 64;

impl World {
    /// A World for these trips (any order) on this road network; trips departing outside
    /// the window are left out.
    pub fn new(
        roads: &RoadNetwork,
        trips: Vec<TripSpec>,
        options: WorldOptions,
    ) -> Result<World, WorldError> {
        if options.from_s >= options.to_s {
            return Err(WorldError::Window {
                from_s: options.from_s,
                to_s: options.to_s,
            });
        }
        let net = QueueNetwork::new(roads);
        for (trip, t) in trips.iter().enumerate() {
            for link in [t.origin_link, t.dest_link] {
                if net.link(link).is_none() {
                    return Err(WorldError::NotACarLink { trip, link });
                }
            }
        }
        let trips: Vec<TripSpec> = trips
            .into_iter()
            .filter(|t| (options.from_s..options.to_s).contains(&t.departure_s))
            .collect();
        // the signals' sample is routed on the hierarchy the day routes on (free flow)
        let router = Cch::new(&net);
        let peak = peak_hour_demand(&net, &router, &trips);
        let signals = Signals::webster(roads, &net, &peak);
        let mut external = (0, 0, 0);
        for t in &trips {
            match t.purpose {
                Purpose::Inbound => external.0 += 1,
                Purpose::Outbound => external.1 += 1,
                Purpose::Through => external.2 += 1,
                _ => {}
            }
        }
        let day = DayInputs {
            net,
            signals,
            trips,
            bikes: None,
            ops: None,
            external,
        };
        let traffic = Self::day_on(router, &day, &options);
        Ok(World {
            traffic,
            bikes: None,
            ops: None,
            crew_router: None,
            trucks: Vec::new(),
            options,
            day: Arc::new(day),
            history: KpiHistory::new(HISTORY_MINUTES),
            loads: Vec::new(),
        })
    }

    fn fresh_day(day: &DayInputs, options: &WorldOptions) -> TrafficSim {
        Self::day_on(Cch::new(&day.net), day, options)
    }

    /// A day from its inputs on `router`, the hierarchy of `day.net`.
    fn day_on(router: Cch, day: &DayInputs, options: &WorldOptions) -> TrafficSim {
        let mut traffic = TrafficSim::on_router(
            router,
            day.net.clone(),
            day.signals.clone(),
            day.trips.clone(),
            options.events.clone(),
            options.traffic.clone(),
            options.seed,
        );
        traffic.start_at(options.from_s);
        traffic
    }

    pub fn now_s(&self) -> u32 {
        self.traffic.now()
    }

    /// The traffic model, to read (its statistics, cars, network); it changes only by
    /// stepping the World and by scenario edits.
    pub fn traffic(&self) -> &TrafficSim {
        &self.traffic
    }

    /// The shared bikes, if the World has them.
    pub fn bikes(&self) -> Option<&BikeSim> {
        self.bikes.as_ref()
    }

    /// Sensors, vital signs and cases, if the World has them.
    pub fn ops(&self) -> Option<&OpsSim> {
        self.ops.as_ref()
    }

    pub fn options(&self) -> &WorldOptions {
        &self.options
    }

    /// A live observation that arrived at simulated time `arrival_s` (ignored without ops).
    pub fn push_live(&mut self, arrival_s: u32, observation: citytwin_ops::Observation) {
        if let Some(ops) = &mut self.ops {
            ops.push_live(arrival_s, observation);
        }
    }

    /// A feed message that could not be read, counted against the feeds' data quality.
    pub fn count_malformed(&mut self) {
        if let Some(ops) = &mut self.ops {
            ops.malformed += 1;
        }
    }

    /// Closes the statistics of the bin in progress (a run that stops mid-bin).
    pub fn flush_stats(&mut self) {
        self.traffic.flush_stats();
    }

    /// Until when the day was observed: its window's end when it ran to it or everyone had
    /// arrived (nothing moved after), else when it stopped (an interrupted run).
    pub fn observed_until_s(&self) -> u32 {
        let now = self.traffic.now();
        if self.traffic.is_done() || now >= self.options.to_s {
            now.max(self.options.to_s)
        } else {
            now
        }
    }

    /// The part of traffic bin `b` this day observed (see
    /// [`citytwin_traffic::dynamic::LinkStats::observed`]).
    pub fn observed_bin(&self, b: usize) -> (u32, u32) {
        self.traffic
            .stats
            .observed(b, self.options.from_s, self.observed_until_s())
    }

    /// Advances one second; samples the city-wide figures every simulated minute.
    pub fn step(&mut self) {
        self.traffic.step();
        let traffic = &self.traffic;
        let mut path = Vec::new();
        let mut travel = |router: &mut Router, from: LinkId, to: LinkId| {
            let seconds =
                router.route(&traffic.net, traffic.travel_times(), from, to, &mut path)?;
            let metres = path
                .iter()
                .filter_map(|&l| traffic.net.link(LinkId(l)))
                .map(|l| l.length_m)
                .sum();
            Some((seconds, metres))
        };
        if let (Some(bikes), Some((router, _))) = (&mut self.bikes, &mut self.crew_router) {
            hand_over_arrived_trucks(traffic, bikes, &mut self.trucks);
            // crews are chosen on the links' current travel times
            bikes.step(&mut |from, to| travel(router, from, to));
        }
        if self.traffic.now().is_multiple_of(60) {
            self.traffic.link_loads(&mut self.loads);
            self.history
                .push(views::traffic_kpis(&self.traffic, &self.loads));
            if let (Some(ops), Some((router, free_flow))) = (&mut self.ops, &mut self.crew_router) {
                let mut between_queues = Vec::new();
                ops.minute(
                    self.traffic.now(),
                    &self.traffic,
                    &self.loads,
                    self.bikes.as_ref(),
                    &mut |from, to, vehicle| match vehicle {
                        CrewVehicle::Car => travel(router, from, to).map(|(s, _)| s),
                        CrewVehicle::Motorcycle => {
                            router.route(&traffic.net, free_flow, from, to, &mut between_queues)
                        }
                    },
                );
            }
        }
        // trucks sent this second join the traffic: they depart at the next step
        let sent = self.bikes.as_mut().map(BikeSim::take_truck_trips);
        for truck in sent.into_iter().flatten() {
            let trip = self.traffic.add_trip(TripSpec {
                origin_link: truck.from_link,
                dest_link: truck.to_link,
                departure_s: truck.depart_s,
                purpose: Purpose::Service,
            });
            self.trucks.push(TruckOnRoad {
                trip,
                task: truck.task,
            });
        }
    }

    /// Back to the start of the window, as freshly built (for jumping back in time).
    pub fn restart(&mut self) {
        self.traffic = Self::fresh_day(&self.day, &self.options);
        self.bikes = self.day.bikes.clone();
        self.trucks.clear();
        self.ops = self.day.ops.clone();
        self.history.clear();
    }

    /// A World built from a scenario's inputs: the edited roads, the link events, the car
    /// trips with the demand factors applied, and the bikes' fences and settings (bike trips
    /// departing outside the window are left out). Returns the World and, for each car trip
    /// it kept, the index of the trip it came from.
    pub fn from_inputs(
        city: &City,
        inputs: &RunInputs,
        trips: Vec<TripSpec>,
        bike_trips: Vec<BikeTrip>,
        mut options: WorldOptions,
    ) -> Result<(World, Vec<usize>), WorldError> {
        let window = options.from_s..options.to_s;
        let (trips, origin) = inputs.scale_trips(city, trips, options.seed);
        // copies moved out of the window are left out, as World::new would
        let (trips, origin): (Vec<TripSpec>, Vec<usize>) = trips
            .into_iter()
            .zip(origin)
            .filter(|(t, _)| window.contains(&t.departure_s))
            .unzip();
        options.events.extend(inputs.events.iter().cloned());
        let mut world = World::new(&inputs.roads, trips, options)?;
        if let Some(b) = &inputs.bikes {
            let bike_trips = bike_trips
                .into_iter()
                .filter(|t| window.contains(&t.depart_s))
                .collect();
            let seed = world.options.seed;
            world.attach_bikes(BikeSim::new(
                city,
                b.plan.clone(),
                bike_trips,
                b.config.clone(),
                seed,
            ));
        }
        Ok((world, origin))
    }

    /// Adds shared bikes to the World, from the start of its window.
    pub fn attach_bikes(&mut self, mut bikes: BikeSim) {
        bikes.start_at(self.options.from_s);
        bikes.drive_trucks_in_traffic();
        self.ensure_router();
        Arc::make_mut(&mut self.day).bikes = Some(bikes.clone());
        self.bikes = Some(bikes);
    }

    /// Adds sensors, vital signs and cases to the World (after the bikes, whose monitoring
    /// points they count).
    pub fn attach_ops(&mut self, ops: OpsSim) {
        self.ensure_router();
        Arc::make_mut(&mut self.day).ops = Some(ops.clone());
        self.ops = Some(ops);
    }

    fn ensure_router(&mut self) {
        if self.crew_router.is_none() {
            let free = self.day.net.free_flow_times();
            self.crew_router = Some((Router::new(&self.day.net, &free), free));
        }
    }

    /// A copy of the whole state (traffic, bikes, ops, random streams, clock, pending events)
    /// that runs on independently: what a forecast runs ahead on. The same steps on the
    /// copy and on the original give the same results.
    pub fn fork(&self) -> World {
        self.clone()
    }

    /// The car links with a loop detector (none without operations).
    pub fn detector_links(&self) -> Vec<citytwin_city::LinkId> {
        self.ops
            .as_ref()
            .map(OpsSim::detector_links)
            .unwrap_or_default()
    }

    /// Scales the car trips still to leave by `until_s` by `factor` (a nowcast's correction;
    /// crews' trucks excepted): returns (trips dropped, trips added). Deterministic for a
    /// seed, a time and a factor.
    pub fn scale_departures(&mut self, factor: f64, until_s: u32) -> (u64, u64) {
        let mut rng = citytwin_city::rng::SimRng::fork(
            self.options.seed ^ u64::from(self.now_s()),
            "forecast.nowcast",
        );
        self.traffic.scale_pending(factor, until_s, &mut rng)
    }

    /// Each link's load now, indexed by link.
    pub fn link_loads(&self, out: &mut Vec<LinkLoad>) {
        self.traffic.link_loads(out);
    }

    /// The day's trips across the extract's edge: (in, out, through).
    pub fn external_trips(&self) -> (u64, u64, u64) {
        self.day.external
    }

    /// City-wide figures now.
    pub fn kpis(&self) -> TrafficKpis {
        let mut loads = Vec::new();
        self.traffic.link_loads(&mut loads);
        views::traffic_kpis(&self.traffic, &loads)
    }

    /// One sample per simulated minute of the city-wide figures, oldest first.
    pub fn history(&self) -> &KpiHistory {
        &self.history
    }

    /// The `n` links where cars lose the most time now.
    pub fn hotspots(&self, n: usize) -> Vec<Hotspot> {
        let mut loads = Vec::new();
        self.traffic.link_loads(&mut loads);
        views::hotspots(&self.traffic, &loads, n)
    }
}

/// A crew's truck driving in the traffic: its trip in the traffic model and the bike task
/// it drives to.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct TruckOnRoad {
    trip: u32,
    task: citytwin_city::TaskId,
}

/// Trucks that reached their fence (or found no way there: they are taken to arrive when
/// the estimate said) are handed back to the bikes.
fn hand_over_arrived_trucks(
    traffic: &TrafficSim,
    bikes: &mut BikeSim,
    trucks: &mut Vec<TruckOnRoad>,
) {
    trucks.retain(|&TruckOnRoad { trip, task }| {
        let record = &traffic.records[trip as usize];
        match record.status {
            TripStatus::Arrived => {
                let at = record.arrival_s.unwrap_or(traffic.now());
                bikes.truck_arrived(task, at, record.length_m);
                false
            }
            TripStatus::NoRoute => {
                let t = &bikes.dispatcher.tasks[task.index()];
                let (eta, metres) = (t.eta_s.unwrap_or(traffic.now()), t.estimated_m);
                bikes.truck_arrived(task, eta.max(traffic.now()), metres);
                false
            }
            _ => true,
        }
    });
}

/// Each link's busiest hour of demand, from free-flow routes of a sample of the trips on
/// `router` (a hierarchy as built, customized for free flow). The routes are made across the
/// rayon pool's threads, each with its own scratch, and counted in trip order: the same
/// counts whatever the threads.
fn peak_hour_demand(net: &QueueNetwork, router: &Cch, trips: &[TripSpec]) -> Vec<f64> {
    use rayon::prelude::*;
    let sample: Vec<&TripSpec> = trips.iter().step_by(SIGNAL_SAMPLE).collect();
    // each chunk's routed links, as link × 24 + hour of departure
    let chunks: Vec<Vec<u32>> = sample
        .par_chunks(SIGNAL_CHUNK)
        .map_init(
            || (router.new_query(), Vec::new()),
            |(query, route), chunk| {
                let mut keys = Vec::new();
                for t in chunk {
                    if router
                        .route_in(query, net, t.origin_link, t.dest_link, route)
                        .is_some()
                    {
                        let hour = (t.departure_s / 3600).min(23);
                        keys.extend(route.iter().map(|&l| l * 24 + hour));
                    }
                }
                keys
            },
        )
        .collect();
    let mut per_hour = vec![[0u32; 24]; net.links.len()];
    for key in chunks.iter().flatten() {
        per_hour[(key / 24) as usize][(key % 24) as usize] += 1;
    }
    per_hour
        .iter()
        .map(|h| f64::from(*h.iter().max().unwrap_or(&0)) * SIGNAL_SAMPLE as f64)
        .collect()
}
