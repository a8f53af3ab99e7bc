//! A dockless shared-bike day on a city's fences, stepped one second at a time with the World.
//!
//! A rider looks for the nearest parked bike within `walk_radius_m` of where the trip starts
//! (none ⇒ unmet demand), walks to it at 1.3 m/s and rides the bike-permitted graph (free-flow
//! bike times, precomputed per trip; straight line × 1.3 at 15 km/h where no route exists).
//! At the destination, with probability `fence_compliance` the rider parks in the nearest
//! fence with room within `park_radius_m`; otherwise, or with no such fence, the bike is left
//! within [`DROP_SCATTER_M`] of where the trip ends — illegal parking unless that spot is
//! inside a fence. Every minute the
//! monitoring points count each fence (the counts are kept exact as bikes park and leave:
//! each parking spot is classified by point-in-polygon) and the alarms are updated. A
//! blacklisted bike parked within `watch_radius_m` of a monitored fence raises a blacklist
//! alarm. Alarms become rebalancing tasks for crews whose trucks drive on the traffic model's
//! current travel times ([`crate::dispatch`]). Deterministic for a seed.

use crate::alarms::{AlarmEvent, AlarmKind, FenceAlarms};
use crate::demand::BikeTrip;
use crate::dispatch::{
    COLLECT_RADIUS_M, Dispatcher, EMPTY_TARGET, OVERFLOW_TARGET, PLAN_EVERY_S, Rebalancing,
    TruckTrip,
};
use crate::forecast::FenceForecast;
use crate::governance::{GovernanceReport, Ledger, OperatorConfig, OperatorDay};
use crate::osm_fences::{FencePlan, FenceSite};
use citytwin_city::rng::SimRng;
use citytwin_city::roads::Mode;
use citytwin_city::{BikeId, City, CrewId, FenceId, LinkId, OperatorId, TaskId};
use citytwin_traffic::demand::sites::random_point_in;
use geo::{Distance, Euclidean, Geometry, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod config;
mod crews;
mod governed;
mod start;
mod views;

pub use config::{BikeState, BikeSummary, DocklessConfig, FenceSample, FleetStates};

/// The largest fleet a day may have: China's largest cities license a few hundred thousand
/// bikes; far more would not fit in memory.
pub const MAX_FLEET: u32 = 5_000_000;

/// Fence counts are sampled for the time series this often.
pub const SAMPLE_EVERY_S: u32 = 900;
const WALK_MPS: f64 = 1.3;
/// A rider who does not park in a fence leaves the bike within this many metres of where
/// the trip ends.
pub const DROP_SCATTER_M: f64 = 20.0;
const RIDE_FALLBACK_MPS: f64 = 15.0 / 3.6;
/// A crew at a fence takes its operator's broken bikes this close to the workshop.
pub const REPAIR_RADIUS_M: f64 = COLLECT_RADIUS_M;

type Parked = GeomWithData<[f64; 2], u32>;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BikeSim {
    pub plan: FencePlan,
    pub config: DocklessConfig,
    trips: Vec<BikeTrip>,
    ride_s: Vec<u32>,
    next_trip: usize,
    /// Where each bike is parked (`None` while ridden).
    positions: Vec<Option<Point<f64>>>,
    fence_of: Vec<Option<FenceId>>,
    blacklisted: Vec<bool>,
    /// Each bike's operator (bikes are numbered operator by operator), and the operators.
    operator: Vec<u16>,
    operators: Vec<OperatorConfig>,
    fleet_of: Vec<u32>,
    /// Bikes whose lock does not report.
    offline: Vec<bool>,
    /// When each broken bike broke.
    broken_since: Vec<u32>,
    /// Rides and rides ended in a fence, per operator.
    rides_of: Vec<u64>,
    in_fence_of: Vec<u64>,
    /// Empty-fence tasks handed to each operator (they are shared by fleet).
    empty_tasks_of: Vec<u64>,
    ledger: Ledger,
    state: Vec<BikeState>,
    /// Rides each bike has made today (GBFS ids rotate after every ride).
    rides: Vec<u32>,
    id_salt: u64,
    wear: SimRng,
    /// Broken bikes crews took to the workshop, and blacklisted bikes they impounded.
    workshop: Vec<u32>,
    impounded: Vec<u32>,
    /// Alarm events already turned into tasks.
    dispatched: usize,
    counts: Vec<u32>,
    parked: RTree<Parked>,
    /// (arrival time, trip, bike)
    riding: BinaryHeap<Reverse<(u32, u32, u32)>>,
    alarms: FenceAlarms,
    pub events: Vec<AlarmEvent>,
    pub dispatcher: Dispatcher,
    /// Expected demand per fence and hour, for proactive rebalancing.
    forecast: Option<FenceForecast>,
    /// The car link each fence's trucks stop on.
    fence_link: Vec<LinkId>,
    /// (arrival time, task)
    truck_arrivals: BinaryHeap<Reverse<(u32, usize)>>,
    summary: BikeSummary,
    series: Vec<FenceSample>,
    rng: SimRng,
    now: u32,
}

impl BikeSim {
    /// Places the fleet (each fence half full by capacity, the rest of the fleet spread in
    /// proportion) and routes every trip on the bike graph once.
    pub fn new(
        city: &City,
        plan: FencePlan,
        trips: Vec<BikeTrip>,
        config: DocklessConfig,
        seed: u64,
    ) -> BikeSim {
        let ride_s = start::ride_times(city, &trips);
        let n = plan.fences.len();
        let (depot_link, fence_link) = start::fence_links(city, &plan);
        let forecast = (config.dispatch.rebalancing == Rebalancing::Proactive).then(|| {
            FenceForecast::from_trips(
                &plan.fences,
                &trips,
                config.walk_radius_m,
                config.park_radius_m,
            )
        });
        let operators = config.operators();
        let shares: Vec<f64> = operators.iter().map(|o| o.share).collect();
        let fleet_of = crate::dispatch::split_by_shares(config.fleet, &shares);
        let operator: Vec<u16> = fleet_of
            .iter()
            .enumerate()
            .flat_map(|(op, &n)| std::iter::repeat_n(op as u16, n as usize))
            .collect();
        let mut locks = SimRng::fork(seed, "bikes.locks");
        let offline = operator
            .iter()
            .map(|&op| locks.unit() < operators[op as usize].offline_locks)
            .collect();
        let mut sim = BikeSim {
            forecast,
            dispatcher: Dispatcher::for_operators(&config.dispatch, depot_link, &shares),
            ledger: Ledger::new(config.rules.clone(), operators.len(), n, config.residents),
            blacklisted: blacklisted(&config, &operators, &fleet_of),
            rides_of: vec![0; operators.len()],
            in_fence_of: vec![0; operators.len()],
            empty_tasks_of: vec![0; operators.len()],
            broken_since: vec![0; config.fleet as usize],
            offline,
            operator,
            operators,
            fleet_of,
            fence_link,
            truck_arrivals: BinaryHeap::new(),
            alarms: FenceAlarms::new(config.alarms.clone(), n),
            summary: BikeSummary {
                fleet: config.fleet,
                fences: n as u32,
                ..BikeSummary::default()
            },
            positions: Vec::new(),
            fence_of: Vec::new(),
            state: vec![BikeState::InFence; config.fleet as usize],
            rides: vec![0; config.fleet as usize],
            id_salt: SimRng::fork(seed, "bikes.public_ids").next_u64(),
            wear: SimRng::fork(seed, "bikes.wear"),
            workshop: Vec::new(),
            impounded: Vec::new(),
            dispatched: 0,
            counts: vec![0; n],
            parked: RTree::new(),
            riding: BinaryHeap::new(),
            events: Vec::new(),
            series: Vec::new(),
            trips,
            ride_s,
            next_trip: 0,
            plan,
            config,
            rng: SimRng::fork(seed, "bikes.riders"),
            now: 0,
        };
        sim.place_fleet(seed);
        sim
    }

    pub fn start_at(&mut self, t: u32) {
        self.now = t;
        self.next_trip = self.trips.partition_point(|x| x.depart_s < t);
    }

    pub fn now(&self) -> u32 {
        self.now
    }

    /// Parks a bike (counted by the fence it stands in); rentable unless broken.
    pub(super) fn park(&mut self, bike: u32, at: Point<f64>) {
        let b = bike as usize;
        let fence = self.plan.fences.fence_at(at);
        if let Some(f) = fence {
            self.counts[f.index()] += 1;
        }
        self.positions[b] = Some(at);
        self.fence_of[b] = fence;
        if self.state[b] != BikeState::Broken {
            self.state[b] = if fence.is_some() {
                BikeState::InFence
            } else {
                BikeState::Outside
            };
            self.parked.insert(Parked::new([at.x(), at.y()], bike));
        }
    }

    /// Lifts a parked bike off the street; the caller sets where it goes.
    pub(super) fn take(&mut self, bike: u32) {
        let b = bike as usize;
        if let Some(at) = self.positions[b].take()
            && self.state[b] != BikeState::Broken
        {
            self.parked.remove(&Parked::new([at.x(), at.y()], bike));
        }
        if let Some(f) = self.fence_of[b].take() {
            self.counts[f.index()] -= 1;
        }
    }

    /// Advances one second; `travel(from_link, to_link)` gives trucks' (seconds, metres) on
    /// the roads now.
    pub fn step(&mut self, travel: &mut dyn FnMut(LinkId, LinkId) -> Option<(f64, f64)>) {
        let now = self.now;
        while let Some(&Reverse((at, task))) = self.truck_arrivals.peek() {
            if at > now {
                break;
            }
            self.truck_arrivals.pop();
            self.serve(task);
        }
        while let Some(&Reverse((at, trip, bike))) = self.riding.peek() {
            if at > now {
                break;
            }
            self.riding.pop();
            self.arrive(trip as usize, bike);
        }
        while self.next_trip < self.trips.len() && self.trips[self.next_trip].depart_s <= now {
            self.depart(self.next_trip);
            self.next_trip += 1;
        }
        if now.is_multiple_of(60) {
            let before = self.events.len();
            self.govern(now / 60);
            self.ledger_pile_ups(before);
            let tasks_before = self.dispatcher.tasks.len();
            let fresh = &self.events[self.dispatched..];
            match self.config.dispatch.rebalancing {
                Rebalancing::Reactive => self.dispatcher.open_tasks(now, fresh),
                Rebalancing::Proactive => {
                    // bikes are placed by the forecast; compliance alarms are answered anyway
                    let compliance: Vec<AlarmEvent> = fresh
                        .iter()
                        .filter(|e| {
                            matches!(
                                e.kind,
                                AlarmKind::IllegalParking
                                    | AlarmKind::Blacklist
                                    | AlarmKind::Broken
                            )
                        })
                        .cloned()
                        .collect();
                    self.dispatcher.open_tasks(now, &compliance);
                    if now.is_multiple_of(PLAN_EVERY_S)
                        && let Some(forecast) = &self.forecast
                    {
                        let capacities: Vec<u32> =
                            self.plan.fences.iter().map(|f| f.capacity).collect();
                        self.dispatcher
                            .plan_proactive(now, &self.counts, &capacities, forecast);
                    }
                }
                Rebalancing::Off => {}
            }
            self.dispatched = self.events.len();
            self.charge_tasks(tasks_before);
            let sent = self.dispatcher.assign(now, &self.fence_link, travel);
            for (task, arrive) in sent {
                self.truck_arrivals.push(Reverse((arrive, task)));
            }
        }
        if now.is_multiple_of(SAMPLE_EVERY_S) {
            let open = self.alarms.open();
            let flag = |kind: AlarmKind| {
                let mut v = vec![false; self.counts.len()];
                for (f, k) in &open {
                    if *k == kind {
                        v[f.index()] = true;
                    }
                }
                v
            };
            self.series.push(FenceSample {
                at_s: now,
                counts: self.counts.clone(),
                overflow_open: flag(AlarmKind::Overflow),
                empty_open: flag(AlarmKind::Empty),
                illegal_parking_open: flag(AlarmKind::IllegalParking),
            });
            self.sample_locks();
        }
        self.now += 1;
    }

    pub(super) fn depart(&mut self, trip: usize) {
        let from = self.trips[trip].from;
        let nearest = self
            .parked
            .nearest_neighbor(&[from.x(), from.y()])
            .map(|p| (p.data, Point::new(p.geom()[0], p.geom()[1])));
        let Some((bike, at)) =
            nearest.filter(|(_, at)| Euclidean.distance(*at, from) <= self.config.walk_radius_m)
        else {
            self.summary.unmet_demand += 1;
            return;
        };
        self.take(bike);
        self.state[bike as usize] = BikeState::Riding;
        self.rides[bike as usize] += 1;
        self.summary.trips += 1;
        let walk = (Euclidean.distance(at, from) / WALK_MPS).round() as u32;
        let arrive = self.now + walk + self.ride_s[trip].max(60);
        self.riding.push(Reverse((arrive, trip as u32, bike)));
    }

    pub(super) fn arrive(&mut self, trip: usize, bike: u32) {
        let to = self.trips[trip].to;
        // a bike of a docked system is locked into a dock: near one, every rider looks
        let near_dock = self
            .plan
            .fences
            .nearest_within(to, self.config.park_radius_m, |f| f.dock)
            .is_some();
        // near a metro entrance the operators' apps charge for a ride ended outside a fence
        // (as Chinese cities require there), so most riders there look for one
        let key_area = self.in_key_area(to);
        let compliance = if key_area {
            let c = self.config.fence_compliance;
            c + (1.0 - c) * self.config.key_area_enforcement
        } else {
            self.config.fence_compliance
        };
        let fence = if near_dock || self.rng.unit() < compliance {
            self.fence_with_room(to)
        } else {
            None
        };
        let spot = match fence.and_then(|f| self.plan.fences.get(f)).cloned() {
            Some(f) => self.spot_in(&f),
            None => self.drop_spot(to),
        };
        let broke = self.wear.unit() < self.config.breakdown_per_ride;
        if broke {
            self.state[bike as usize] = BikeState::Broken;
            self.broken_since[bike as usize] = self.now;
            self.summary.breakdowns += 1;
        }
        self.park(bike, spot);
        if broke && let Some(fence) = self.plan.fences.nearest_within(spot, f64::MAX, |_| true) {
            // the lock reports the fault; a crew comes to the nearest fence's kerb
            self.events.push(AlarmEvent {
                minute: self.now / 60,
                fence,
                kind: AlarmKind::Broken,
                opened: true,
            });
        }
        self.summary.rides_ended += 1;
        let op = usize::from(self.operator[bike as usize]);
        let in_fence = self.fence_of[bike as usize].is_some();
        self.rides_of[op] += 1;
        self.in_fence_of[op] += u64::from(in_fence);
        if !in_fence {
            self.summary.illegal_parking += 1;
        }
        if key_area {
            self.ledger.key_area_ride(op, in_fence);
        }
        if self.blacklisted[bike as usize]
            && let Some(fence) = self.watching(spot)
        {
            self.summary.blacklist_alarms += 1;
            self.events.push(AlarmEvent {
                minute: self.now / 60,
                fence,
                kind: AlarmKind::Blacklist,
                opened: true,
            });
        }
    }
}

/// The blacklisted bikes: the listed ids (fleet-wide), else each operator's list (its own
/// numbering) or every n-th of its bikes.
fn blacklisted(
    config: &DocklessConfig,
    operators: &[OperatorConfig],
    fleet_of: &[u32],
) -> Vec<bool> {
    let mut out = vec![false; config.fleet as usize];
    if let Some(ids) = &config.blacklist {
        for id in ids {
            if let Some(b) = out.get_mut(id.index()) {
                *b = true;
            }
        }
        return out;
    }
    let mut first = 0u32;
    for (op, &n) in operators.iter().zip(fleet_of) {
        let own: Vec<u32> = match &op.blacklist {
            Some(list) => list.iter().copied().filter(|&b| b < n).collect(),
            None if config.blacklist_every > 0 => (config.blacklist_every - 1..n)
                .step_by(config.blacklist_every as usize)
                .collect(),
            None => Vec::new(),
        };
        for b in own {
            out[(first + b) as usize] = true;
        }
        first += n;
    }
    out
}
