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

use crate::alarms::{AlarmEvent, AlarmKind, AlarmRules, FenceAlarms};
use crate::demand::BikeTrip;
use crate::dispatch::{
    COLLECT_RADIUS_M, DispatchConfig, Dispatcher, EMPTY_TARGET, OVERFLOW_TARGET, PLAN_EVERY_S,
    Rebalancing, TruckTrip,
};
use crate::forecast::FenceForecast;
use crate::governance::{GovernanceReport, Ledger, OperatorConfig, OperatorDay};
use crate::osm_fences::{FencePlan, FenceSite};
use citytwin_city::governance::Rule;
use citytwin_city::rng::SimRng;
use citytwin_city::roads::Mode;
use citytwin_city::{BikeId, City, FenceId};
use citytwin_traffic::demand::sites::random_point_in;
use geo::{Distance, Euclidean, Geometry, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocklessConfig {
    pub fleet: u32,
    pub walk_radius_m: f64,
    pub park_radius_m: f64,
    /// Share of riders who look for a fence at all.
    pub fence_compliance: f64,
    /// Every n-th bike id is on the blacklist (0: none), unless `blacklist` lists them.
    pub blacklist_every: u32,
    /// The blacklisted bikes by id (from a file); when given, `blacklist_every` is unused.
    pub blacklist: Option<Vec<BikeId>>,
    /// Chance that a ride leaves its bike broken (parked where it ends, not rentable, until
    /// a crew takes it to the workshop).
    pub breakdown_per_ride: f64,
    pub watch_radius_m: f64,
    pub alarms: AlarmRules,
    pub dispatch: DispatchConfig,
    /// Near a metro entrance the operators' apps charge a fee for a ride ended outside a
    /// fence: this share of the riders who would not look for a fence look for one there.
    #[serde(default = "default_key_area_enforcement")]
    pub key_area_enforcement: f64,
    /// Per fence, a factor on its share of the fleet at the start of the day (bikes start
    /// in fences in proportion to capacity × factor); empty or missing entries are 1.
    pub start_bias: Vec<f64>,
    /// The operators sharing the fleet and its crews (none: one operator runs it all).
    #[serde(default)]
    pub operators: Vec<OperatorConfig>,
    /// What the city holds them to.
    #[serde(default = "Rule::defaults")]
    pub rules: Vec<Rule>,
    /// Residents of the city, for the fleet cap (0: the cap is not checked).
    #[serde(default)]
    pub residents: f64,
}

/// A model assumption (docs/bikes.md): the fee deters most, not all.
fn default_key_area_enforcement() -> f64 {
    0.9
}

impl DocklessConfig {
    /// The operators, or the sole one of a scene that names none.
    pub fn operators(&self) -> Vec<OperatorConfig> {
        if self.operators.is_empty() {
            vec![OperatorConfig::sole()]
        } else {
            self.operators.clone()
        }
    }
}

impl Default for DocklessConfig {
    fn default() -> Self {
        DocklessConfig {
            fleet: 3000,
            walk_radius_m: 300.0,
            park_radius_m: 150.0,
            fence_compliance: 0.85,
            blacklist_every: 100,
            blacklist: None,
            breakdown_per_ride: 0.002,
            watch_radius_m: 50.0,
            alarms: AlarmRules::default(),
            dispatch: DispatchConfig::default(),
            start_bias: Vec::new(),
            key_area_enforcement: default_key_area_enforcement(),
            operators: Vec::new(),
            rules: Rule::defaults(),
            residents: 0.0,
        }
    }
}

/// The `bikes.` block of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BikeSummary {
    pub fleet: u32,
    pub fences: u32,
    pub trips: u64,
    pub unmet_demand: u64,
    pub overflow_alarms: u64,
    pub empty_alarms: u64,
    pub illegal_parking: u64,
    pub blacklist_alarms: u64,
    pub overflow_minutes: u64,
    pub empty_minutes: u64,
    /// Rebalancing tasks opened by alarms, and those done.
    pub tasks: u64,
    pub tasks_done: u64,
    /// From an alarm to its crew's arrival, over the tasks done.
    pub mean_response_s: f64,
    pub truck_km: f64,
    pub bikes_moved: u64,
    /// Rides that left their bike broken, and broken bikes crews took to the workshop.
    pub breakdowns: u64,
    pub repairs_collected: u64,
    /// Monitoring points' illegal-parking alarms, and blacklisted bikes crews impounded.
    pub illegal_parking_alarms: u64,
    pub impounded: u64,
    /// Rides that ended (parked) in the day.
    #[serde(default)]
    pub rides_ended: u64,
    /// Wishes that found no bike within reach: unmet / (rides + unmet).
    #[serde(default)]
    pub unmet_share: f64,
    /// Share of the ended rides whose bike was left inside a fence.
    #[serde(default)]
    pub parking_compliance: f64,
}

/// Where a bike is: each bike is in exactly one of these at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BikeState {
    /// Parked inside a fence, rentable.
    InFence,
    /// Parked outside every fence, rentable.
    Outside,
    Riding,
    /// On a crew's truck, to be unloaded at a fence.
    InTruck,
    /// Broken: left where its last ride ended, or taken to the workshop; not rentable.
    Broken,
    /// Blacklisted and taken off the street by a crew.
    Impounded,
}

/// How many bikes are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetStates {
    pub in_fence: u32,
    pub outside: u32,
    pub riding: u32,
    pub in_truck: u32,
    pub broken: u32,
    pub impounded: u32,
}

impl FleetStates {
    pub fn total(&self) -> u32 {
        self.in_fence + self.outside + self.riding + self.in_truck + self.broken + self.impounded
    }
}

/// Each fence's bikes and open alarms at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FenceSample {
    pub at_s: u32,
    pub counts: Vec<u32>,
    pub overflow_open: Vec<bool>,
    pub empty_open: Vec<bool>,
    pub illegal_parking_open: Vec<bool>,
}

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
    fence_link: Vec<u32>,
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
        let mut rng = SimRng::fork(seed, "bikes.fleet");
        let ride_s = trips
            .iter()
            .map(
                |t| match city.fastest_path_between(t.from, t.to, Mode::Bike) {
                    Some(r) => r.route.time_s.round() as u32,
                    None => {
                        (Euclidean.distance(t.from, t.to) * 1.3 / RIDE_FALLBACK_MPS).round() as u32
                    }
                },
            )
            .collect();
        let cumulative: Vec<f64> = plan
            .fences
            .iter()
            .enumerate()
            .scan(0.0, |acc, (i, f)| {
                let bias = config.start_bias.get(i).copied().unwrap_or(1.0).max(0.0);
                *acc += f64::from(f.capacity) * bias;
                Some(*acc)
            })
            .collect();
        let n = plan.fences.len();
        let extent = city.bundle.meta.extent;
        let car_link = |p: Point<f64>| city.nearest_link(p, Mode::Car).map(|m| m.link.0);
        let depot_link = car_link(extent.center().into()).unwrap_or(0);
        let fence_link = plan
            .fences
            .iter()
            .map(|f| {
                plan.fences
                    .centre(f.id)
                    .and_then(car_link)
                    .unwrap_or(depot_link)
            })
            .collect();
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
        for b in 0..sim.config.fleet {
            let mut at = None;
            // a full dock takes no more bikes: draw again (a fleet larger than the docks
            // leaves the rest where the last draw fell)
            for _ in 0..20 {
                let Some(f) = rng.pick_cumulative(&cumulative) else {
                    break;
                };
                let Some(fence) = sim.plan.fences.get(FenceId::from_index(f)) else {
                    break;
                };
                at = random_point_in(&Geometry::Polygon(fence.area.clone()), &mut rng);
                if !(fence.dock && sim.counts[f] >= fence.capacity) {
                    break;
                }
            }
            let at = at.unwrap_or_else(|| Point::new(0.0, 0.0));
            sim.positions.push(None);
            sim.fence_of.push(None);
            sim.park(b, at);
        }
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
    fn park(&mut self, bike: u32, at: Point<f64>) {
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
    fn take(&mut self, bike: u32) {
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
    pub fn step(&mut self, travel: &mut dyn FnMut(u32, u32) -> Option<(f64, f64)>) {
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

    fn depart(&mut self, trip: usize) {
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

    fn arrive(&mut self, trip: usize, bike: u32) {
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

    /// A crew at its task's fence: takes the broken bikes there to the workshop, then loads
    /// a surplus away, or fills a fence short of bikes (first collecting bikes left outside
    /// fences nearby if its truck is empty).
    fn serve(&mut self, task: usize) {
        let (fence, kind, crew, target, op) = {
            let t = &self.dispatcher.tasks[task];
            (
                t.fence.index(),
                t.kind,
                t.crew.unwrap_or(0),
                t.target,
                t.operator as u16,
            )
        };
        let own = |sim: &BikeSim, b: &u32| sim.operator[*b as usize] == op;
        let Some(f) = self.plan.fences.get(FenceId(fence as u32)).cloned() else {
            return;
        };
        let broken: Vec<u32> = self
            .broken_near(f.id)
            .into_iter()
            .filter(|b| own(self, b))
            .collect();
        for b in broken {
            self.send_to_workshop(b);
        }
        // blacklisted bikes the crew finds at the stop are impounded, whatever the task
        let blacklisted: Vec<u32> = self
            .outside_in_view(f.id)
            .into_iter()
            .chain(self.bikes_in(f.id, BikeState::InFence))
            .filter(|&b| self.blacklisted[b as usize] && own(self, &b))
            .collect();
        for b in blacklisted {
            self.take(b);
            self.state[b as usize] = BikeState::Impounded;
            self.impounded.push(b);
        }
        let capacity = self.dispatcher.config.truck_capacity as usize;
        let mut moved = 0;
        match kind {
            AlarmKind::Overflow => {
                let target =
                    target.unwrap_or((f64::from(f.capacity) * OVERFLOW_TARGET).floor() as u32);
                let excess = self.counts[fence].saturating_sub(target) as usize;
                let room = capacity.saturating_sub(self.dispatcher.crews[crew].load.len());
                let here: Vec<u32> = self
                    .bikes_in(f.id, BikeState::InFence)
                    .filter(|b| own(self, b))
                    .take(excess.min(room))
                    .collect();
                for b in here {
                    self.load(b, crew);
                    moved += 1;
                }
            }
            AlarmKind::IllegalParking => {
                // bikes left outside in the camera's view go into the fence while it has
                // room, the rest onto the truck
                let room = f.capacity.saturating_sub(self.counts[fence]) as usize;
                let theirs: Vec<u32> = self
                    .outside_in_view(f.id)
                    .into_iter()
                    .filter(|b| own(self, b))
                    .collect();
                for (i, b) in theirs.into_iter().enumerate() {
                    if i < room {
                        self.take(b);
                        let spot = self.spot_in(&f);
                        self.park(b, spot);
                    } else if self.dispatcher.crews[crew].load.len() < capacity {
                        self.load(b, crew);
                    } else {
                        break;
                    }
                    moved += 1;
                }
            }
            // the impounding or the repairs above were the job
            AlarmKind::Blacklist | AlarmKind::Broken => {}
            AlarmKind::Empty => {
                if self.dispatcher.crews[crew].load.is_empty() {
                    self.collect_outside(&f, crew, capacity);
                }
                let target = target.unwrap_or((f64::from(f.capacity) * EMPTY_TARGET).ceil() as u32);
                let want = target.saturating_sub(self.counts[fence]) as usize;
                let n = want.min(self.dispatcher.crews[crew].load.len());
                for _ in 0..n {
                    let Some(b) = self.dispatcher.crews[crew].load.pop() else {
                        break;
                    };
                    let spot = self.spot_in(&f);
                    self.park(b, spot);
                    moved += 1;
                }
            }
        }
        let t = &mut self.dispatcher.tasks[task];
        t.bikes_moved = moved;
        t.done = true;
    }

    /// Where a rider who does not park in a fence leaves the bike: at the kerb, a shop front
    /// or the metro exit, somewhere near the destination — but never in a full dock (a dock's
    /// capacity is hard: a bike cannot be locked where there is no dock).
    fn drop_spot(&mut self, to: Point<f64>) -> Point<f64> {
        let mut spot = to;
        for attempt in 0..8 {
            // each try a little further out: a dock is a few metres across
            let (r, a) = (
                DROP_SCATTER_M * f64::from(1 + attempt) * self.rng.unit().sqrt(),
                self.rng.unit() * std::f64::consts::TAU,
            );
            spot = Point::new(to.x() + r * a.cos(), to.y() + r * a.sin());
            let full_dock = self.plan.fences.fence_at(spot).and_then(|f| {
                let fence = self.plan.fences.get(f)?;
                Some(fence.dock && self.counts[f.index()] >= fence.capacity)
            });
            if full_dock != Some(true) {
                break;
            }
        }
        spot
    }

    /// Where a crew leaves a bike in a fence: a random point of it.
    fn spot_in(&mut self, f: &crate::fence::Fence) -> Point<f64> {
        random_point_in(&Geometry::Polygon(f.area.clone()), &mut self.rng)
            .or_else(|| self.plan.fences.centre(f.id))
            .unwrap_or(Point::new(0.0, 0.0))
    }

    /// The bikes of one state parked in a fence, by id.
    fn bikes_in(&self, fence: FenceId, state: BikeState) -> impl Iterator<Item = u32> + '_ {
        (0..self.fence_of.len() as u32).filter(move |&b| {
            self.fence_of[b as usize] == Some(fence) && self.state[b as usize] == state
        })
    }

    fn load(&mut self, bike: u32, crew: usize) {
        self.take(bike);
        self.state[bike as usize] = BikeState::InTruck;
        self.dispatcher.crews[crew].load.push(bike);
    }

    /// Broken bikes ride on the truck's rack to the workshop and are out for the day.
    fn send_to_workshop(&mut self, bike: u32) {
        self.take(bike);
        let op = usize::from(self.operator[bike as usize]);
        self.ledger
            .broken_handled(op, self.broken_since[bike as usize], self.now);
        self.workshop.push(bike);
        self.summary.repairs_collected += 1;
    }

    /// Loads the bikes left outside fences nearest to a fence (within the collection radius),
    /// up to half a truck; broken ones among them go to the workshop.
    fn collect_outside(&mut self, f: &crate::fence::Fence, crew: usize, capacity: usize) {
        let Some(centre) = self.plan.fences.centre(f.id) else {
            return;
        };
        let op = self.dispatcher.crews[crew].operator as u16;
        let mut near: Vec<(f64, u32)> = self
            .positions
            .iter()
            .enumerate()
            .filter(|(b, _)| self.fence_of[*b].is_none() && self.operator[*b] == op)
            .filter_map(|(b, p)| p.map(|p| (Euclidean.distance(p, centre), b as u32)))
            .filter(|(d, _)| *d <= COLLECT_RADIUS_M)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut loaded = 0;
        for (_, b) in near {
            if self.state[b as usize] == BikeState::Broken {
                self.send_to_workshop(b);
            } else if loaded < capacity / 2 {
                self.load(b, crew);
                loaded += 1;
            }
        }
    }

    /// Trucks are driven by the traffic model from now on (the World does it).
    pub fn drive_trucks_in_traffic(&mut self) {
        self.dispatcher.drive_in_traffic();
    }

    /// Trucks sent since the last call, to be put on the roads.
    pub fn take_truck_trips(&mut self) -> Vec<TruckTrip> {
        self.dispatcher.take_truck_trips()
    }

    /// A truck driven in traffic reached its task's fence at `at_s` after `metres`; its crew
    /// handles the task at the next step.
    pub fn truck_arrived(&mut self, task: usize, at_s: u32, metres: f64) {
        self.dispatcher.arrived(task, at_s, metres);
        self.truck_arrivals.push(Reverse((at_s, task)));
    }

    /// Bikes on trucks now.
    pub fn in_trucks(&self) -> usize {
        self.dispatcher.crews.iter().map(|c| c.load.len()).sum()
    }

    /// The fence with room nearest to `p` within the parking radius.
    fn fence_with_room(&self, p: Point<f64>) -> Option<FenceId> {
        let counts = &self.counts;
        self.plan
            .fences
            .nearest_within(p, self.config.park_radius_m, |f| {
                counts[f.id.index()] < f.capacity
            })
    }

    /// The monitored fence (the nearest) whose monitoring point sees `p`.
    fn watching(&self, p: Point<f64>) -> Option<FenceId> {
        let fences = &self.plan.fences;
        self.plan
            .monitored
            .iter()
            .filter_map(|&f| fences.centre(f).map(|c| (Euclidean.distance(c, p), f)))
            .filter(|(d, _)| *d <= self.config.watch_radius_m)
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, f)| f)
    }

    /// Rentable bikes parked outside every fence within a monitoring point's view of `fence`.
    fn outside_in_view(&self, fence: FenceId) -> Vec<u32> {
        let Some(c) = self.plan.fences.centre(fence) else {
            return Vec::new();
        };
        let r = self.config.watch_radius_m;
        let mut bikes: Vec<u32> = self
            .parked
            .locate_within_distance([c.x(), c.y()], r * r)
            .map(|p| p.data)
            .filter(|&b| self.fence_of[b as usize].is_none())
            .collect();
        bikes.sort_unstable();
        bikes
    }

    /// Whether a ride ending at `p` ends in a key area (near a metro entrance's fence).
    fn in_key_area(&self, p: Point<f64>) -> bool {
        let Some(radius) = self.ledger.key_area_radius() else {
            return false;
        };
        let sites = &self.plan.sites;
        self.plan
            .fences
            .nearest_within(p, radius, |f| {
                sites.get(f.id.index()) == Some(&FenceSite::SubwayEntrance)
            })
            .is_some()
    }

    /// The broken bikes on the street within [`REPAIR_RADIUS_M`] of a fence.
    fn broken_near(&self, fence: FenceId) -> Vec<u32> {
        let Some(c) = self.plan.fences.centre(fence) else {
            return Vec::new();
        };
        (0..self.state.len())
            .filter(|&b| self.state[b] == BikeState::Broken)
            .filter(|&b| {
                self.positions[b].is_some_and(|p| Euclidean.distance(p, c) <= REPAIR_RADIUS_M)
            })
            .map(|b| b as u32)
            .collect()
    }

    /// Pile-ups that opened or cleared in this minute's alarm events, into the ledger; a
    /// pile-up is charged to the operator with most bikes in the fence.
    fn ledger_pile_ups(&mut self, from_event: usize) {
        for i in from_event..self.events.len() {
            let e = &self.events[i];
            if e.kind != AlarmKind::Overflow {
                continue;
            }
            let (fence, at_s, opened) = (e.fence, e.minute * 60, e.opened);
            if opened {
                let op = self.busiest_operator(self.bikes_in(fence, BikeState::InFence));
                self.ledger.pile_up_opened(fence.index(), at_s, op);
            } else {
                self.ledger.pile_up_cleared(fence.index(), at_s);
            }
        }
    }

    /// The operator owning most of `bikes` (ties to the first; none: by fleet).
    fn busiest_operator(&self, bikes: impl Iterator<Item = u32>) -> usize {
        let mut n = vec![0u32; self.operators.len()];
        for b in bikes {
            n[usize::from(self.operator[b as usize])] += 1;
        }
        (0..n.len())
            .max_by_key(|&i| (n[i], self.fleet_of[i], Reverse(i)))
            .unwrap_or(0)
    }

    /// Hands each task opened since `from_task` to an operator: a surplus or an illegal-
    /// parking or blacklist alarm to the operator whose bikes are there, an empty fence to the
    /// operators in turn by fleet (the platform shares them out).
    fn charge_tasks(&mut self, from_task: usize) {
        for t in from_task..self.dispatcher.tasks.len() {
            let (fence, kind) = {
                let task = &self.dispatcher.tasks[t];
                (task.fence, task.kind)
            };
            let op = match kind {
                AlarmKind::Overflow => {
                    self.busiest_operator(self.bikes_in(fence, BikeState::InFence))
                }
                AlarmKind::IllegalParking | AlarmKind::Blacklist => {
                    self.busiest_operator(self.outside_in_view(fence).into_iter())
                }
                AlarmKind::Broken => self.busiest_operator(self.broken_near(fence).into_iter()),
                AlarmKind::Empty => {
                    let turn = |i: usize| {
                        (self.empty_tasks_of[i] + 1) as f64 / f64::from(self.fleet_of[i].max(1))
                    };
                    let op = (0..self.operators.len())
                        .filter(|&i| self.fleet_of[i] > 0)
                        .min_by(|&a, &b| turn(a).total_cmp(&turn(b)).then(a.cmp(&b)))
                        .unwrap_or(0);
                    self.empty_tasks_of[op] += 1;
                    op
                }
            };
            self.dispatcher.tasks[t].operator = op;
        }
    }

    /// Each operator's locks on the street: those that report, of those out there.
    fn sample_locks(&mut self) {
        let mut street = vec![0u32; self.operators.len()];
        let mut online = vec![0u32; self.operators.len()];
        for (b, state) in self.state.iter().enumerate() {
            let out = self.positions[b].is_some() || *state == BikeState::Riding;
            if out {
                let op = usize::from(self.operator[b]);
                street[op] += 1;
                online[op] += u32::from(!self.offline[b]);
            }
        }
        for op in 0..street.len() {
            self.ledger.locks_sampled(op, online[op], street[op]);
        }
    }

    /// The rules' figures and each operator's assessment so far.
    pub fn governance(&self) -> GovernanceReport {
        let mut days: Vec<OperatorDay> = (0..self.operators.len())
            .map(|op| OperatorDay {
                fleet: self.fleet_of[op],
                crews: self.dispatcher.crews_of(op),
                rides: self.rides_of[op],
                rides_in_fence: self.in_fence_of[op],
                broken_waiting_since: Vec::new(),
            })
            .collect();
        // broken bikes still on the street (those in the workshop have no position)
        for b in 0..self.state.len() {
            if self.state[b] == BikeState::Broken && self.positions[b].is_some() {
                days[usize::from(self.operator[b])]
                    .broken_waiting_since
                    .push(self.broken_since[b]);
            }
        }
        let names: Vec<String> = self.operators.iter().map(|o| o.name.clone()).collect();
        self.ledger.report(self.now, &names, &days)
    }

    /// The operators, in bike-numbering order, and each one's bikes.
    pub fn operators(&self) -> impl Iterator<Item = (&OperatorConfig, std::ops::Range<u32>)> {
        let mut first = 0;
        self.operators
            .iter()
            .zip(&self.fleet_of)
            .map(move |(o, &n)| {
                let range = first..first + n;
                first += n;
                (o, range)
            })
    }

    /// The operator of a bike, by index into [`BikeSim::operators`].
    pub fn operator_of(&self, bike: BikeId) -> usize {
        self.operator
            .get(bike.index())
            .map_or(0, |&o| usize::from(o))
    }

    fn govern(&mut self, minute: u32) {
        let counts = std::mem::take(&mut self.counts);
        let mut outside = vec![0; counts.len()];
        for &f in &self.plan.monitored {
            if let Some(n) = outside.get_mut(f.index()) {
                *n = self.outside_in_view(f).len() as u32;
            }
        }
        self.alarms.observe(
            minute,
            &counts,
            &outside,
            &self.plan.fences,
            &mut self.events,
        );
        self.counts = counts;
    }

    pub fn summary(&self) -> BikeSummary {
        let d = self.dispatcher.summary();
        let s = &self.summary;
        let wishes = s.trips + s.unmet_demand;
        BikeSummary {
            unmet_share: if wishes > 0 {
                s.unmet_demand as f64 / wishes as f64
            } else {
                0.0
            },
            parking_compliance: if s.rides_ended > 0 {
                1.0 - s.illegal_parking as f64 / s.rides_ended as f64
            } else {
                1.0
            },
            tasks: d.tasks,
            tasks_done: d.tasks_done,
            mean_response_s: d.mean_response_s,
            truck_km: d.truck_km,
            bikes_moved: d.bikes_moved,
            overflow_alarms: self.alarms.overflow_alarms,
            empty_alarms: self.alarms.empty_alarms,
            overflow_minutes: self.alarms.overflow_minutes,
            empty_minutes: self.alarms.empty_minutes,
            illegal_parking_alarms: self.alarms.illegal_parking_alarms,
            impounded: self.impounded.len() as u64,
            ..self.summary.clone()
        }
    }

    /// Fence counts and open alarms every [`SAMPLE_EVERY_S`].
    pub fn series(&self) -> &[FenceSample] {
        &self.series
    }

    /// Bikes in each fence now, and parked outside every fence.
    pub fn counts(&self) -> (&[u32], usize) {
        let outside = self
            .fence_of
            .iter()
            .zip(&self.positions)
            .filter(|(f, p)| f.is_none() && p.is_some())
            .count();
        (&self.counts, outside)
    }

    /// Where every parked bike is, with its id (for drawing and recounts).
    pub fn parked_bikes(&self) -> impl Iterator<Item = (BikeId, Point<f64>)> + '_ {
        self.positions
            .iter()
            .enumerate()
            .filter_map(|(b, p)| p.map(|p| (BikeId::from_index(b), p)))
    }

    /// Every alarm that opened or closed so far, in time order.
    pub fn alarm_events(&self) -> &[AlarmEvent] {
        &self.events
    }

    /// Overflow and empty alarms open now.
    pub fn open_alarms(&self) -> (usize, usize) {
        let open = self.alarms.open();
        let overflow = open
            .iter()
            .filter(|(_, k)| *k == AlarmKind::Overflow)
            .count();
        (overflow, open.len() - overflow)
    }

    pub fn riding(&self) -> usize {
        self.riding.len()
    }

    /// How many bikes are in each state now.
    pub fn fleet_states(&self) -> FleetStates {
        let mut n = FleetStates::default();
        for s in &self.state {
            *match s {
                BikeState::InFence => &mut n.in_fence,
                BikeState::Outside => &mut n.outside,
                BikeState::Riding => &mut n.riding,
                BikeState::InTruck => &mut n.in_truck,
                BikeState::Broken => &mut n.broken,
                BikeState::Impounded => &mut n.impounded,
            } += 1;
        }
        n
    }

    /// Each bike's state.
    pub fn states(&self) -> &[BikeState] {
        &self.state
    }

    /// Where each bike really is, found by walking the places a bike can be (rentable on the
    /// street, broken on the street, riding, on a truck, in the workshop, impounded), each bike listed
    /// once per place it was found: the invariant is that every bike appears exactly once.
    pub fn places(&self) -> Vec<(BikeId, BikeState)> {
        let mut out: Vec<(BikeId, BikeState)> = self
            .parked
            .iter()
            .map(|p| {
                let state = if self.fence_of[p.data as usize].is_some() {
                    BikeState::InFence
                } else {
                    BikeState::Outside
                };
                (BikeId(p.data), state)
            })
            .collect();
        out.extend(
            (0..self.positions.len())
                .filter(|&b| self.positions[b].is_some() && self.state[b] == BikeState::Broken)
                .map(|b| (BikeId::from_index(b), BikeState::Broken)),
        );
        out.extend(
            self.workshop
                .iter()
                .map(|&b| (BikeId(b), BikeState::Broken)),
        );
        out.extend(
            self.riding
                .iter()
                .map(|Reverse((_, _, b))| (BikeId(*b), BikeState::Riding)),
        );
        out.extend(
            self.impounded
                .iter()
                .map(|&b| (BikeId(b), BikeState::Impounded)),
        );
        for c in &self.dispatcher.crews {
            out.extend(c.load.iter().map(|&b| (BikeId(b), BikeState::InTruck)));
        }
        out.sort();
        out
    }

    /// The bike's public id in GBFS: rotated after every ride, as GBFS asks for riders'
    /// privacy (a stable id would let anyone follow a bike, and so its riders, all day).
    pub fn public_id(&self, bike: BikeId) -> String {
        let rides = self.rides.get(bike.index()).copied().unwrap_or(0);
        let mut z = self.id_salt ^ (u64::from(bike.0) << 32) ^ u64::from(rides);
        // splitmix64's finaliser: distinct inputs give unrelated-looking outputs
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        format!("{:016x}", z ^ (z >> 31))
    }

    /// The fence a parked bike stands in.
    pub fn fence_of(&self, bike: BikeId) -> Option<FenceId> {
        self.fence_of.get(bike.index()).copied().flatten()
    }

    /// Whether a bike is broken (parked or in the workshop).
    pub fn is_broken(&self, bike: BikeId) -> bool {
        self.state.get(bike.index()) == Some(&BikeState::Broken)
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
