//! A dockless shared-bike day on a city's fences, stepped one second at a time with the World.
//!
//! A rider looks for the nearest parked bike within `walk_radius_m` of where the trip starts
//! (none ⇒ unmet demand), walks to it at 1.3 m/s and rides the bike-permitted graph (free-flow
//! bike times, precomputed per trip; straight line × 1.3 at 15 km/h where no route exists).
//! At the destination, with probability `fence_compliance` the rider parks in the nearest
//! fence with room within `park_radius_m`; otherwise, or with no such fence, the bike is left
//! where the trip ends — illegal parking unless that spot is inside a fence. Every minute the
//! monitoring points count each fence (the counts are kept exact as bikes park and leave:
//! each parking spot is classified by point-in-polygon) and the alarms are updated. A
//! blacklisted bike parked within `watch_radius_m` of a monitored fence raises a blacklist
//! alarm. Alarms become rebalancing tasks for crews whose trucks drive on the traffic model's
//! current travel times ([`crate::dispatch`]). Deterministic for a seed.

use crate::alarms::{AlarmEvent, AlarmKind, AlarmRules, FenceAlarms};
use crate::demand::BikeTrip;
use crate::dispatch::{
    COLLECT_RADIUS_M, DispatchConfig, Dispatcher, EMPTY_TARGET, OVERFLOW_TARGET, Rebalancing,
};
use crate::osm_fences::FencePlan;
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
    /// Every n-th bike id is on the blacklist (0: none).
    pub blacklist_every: u32,
    pub watch_radius_m: f64,
    pub alarms: AlarmRules,
    pub dispatch: DispatchConfig,
    /// Per fence, a factor on its share of the fleet at the start of the day (bikes start
    /// in fences in proportion to capacity × factor); empty or missing entries are 1.
    pub start_bias: Vec<f64>,
}

impl Default for DocklessConfig {
    fn default() -> Self {
        DocklessConfig {
            fleet: 3000,
            walk_radius_m: 300.0,
            park_radius_m: 150.0,
            fence_compliance: 0.85,
            blacklist_every: 100,
            watch_radius_m: 50.0,
            alarms: AlarmRules::default(),
            dispatch: DispatchConfig::default(),
            start_bias: Vec::new(),
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
}

/// Each fence's bikes and open alarms at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct FenceSample {
    pub at_s: u32,
    pub counts: Vec<u32>,
    pub overflow_open: Vec<bool>,
    pub empty_open: Vec<bool>,
}

/// Fence counts are sampled for the time series this often.
pub const SAMPLE_EVERY_S: u32 = 900;
const WALK_MPS: f64 = 1.3;
const RIDE_FALLBACK_MPS: f64 = 15.0 / 3.6;

type Parked = GeomWithData<[f64; 2], u32>;

#[derive(Clone, Debug)]
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
    counts: Vec<u32>,
    parked: RTree<Parked>,
    /// (arrival time, trip, bike)
    riding: BinaryHeap<Reverse<(u32, u32, u32)>>,
    alarms: FenceAlarms,
    pub events: Vec<AlarmEvent>,
    pub dispatcher: Dispatcher,
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
        let mut sim = BikeSim {
            dispatcher: Dispatcher::new(&config.dispatch, depot_link),
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
            blacklisted: (0..config.fleet)
                .map(|b| {
                    config.blacklist_every > 0
                        && b % config.blacklist_every == config.blacklist_every - 1
                })
                .collect(),
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
            let at = rng
                .pick_cumulative(&cumulative)
                .and_then(|f| {
                    let area = &sim.plan.fences.get(FenceId::from_index(f))?.area;
                    random_point_in(&Geometry::Polygon(area.clone()), &mut rng)
                })
                .unwrap_or_else(|| Point::new(0.0, 0.0));
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

    fn park(&mut self, bike: u32, at: Point<f64>) {
        let b = bike as usize;
        let fence = self.plan.fences.fence_at(at);
        if let Some(f) = fence {
            self.counts[f.index()] += 1;
        }
        self.positions[b] = Some(at);
        self.fence_of[b] = fence;
        self.parked.insert(Parked::new([at.x(), at.y()], bike));
    }

    fn take(&mut self, bike: u32) {
        let b = bike as usize;
        if let Some(at) = self.positions[b].take() {
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
            if self.config.dispatch.rebalancing == Rebalancing::Reactive {
                self.dispatcher.open_tasks(now, &self.events[before..]);
            }
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
            });
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
        self.summary.trips += 1;
        let walk = (Euclidean.distance(at, from) / WALK_MPS).round() as u32;
        let arrive = self.now + walk + self.ride_s[trip].max(60);
        self.riding.push(Reverse((arrive, trip as u32, bike)));
    }

    fn arrive(&mut self, trip: usize, bike: u32) {
        let to = self.trips[trip].to;
        let fence = if self.rng.unit() < self.config.fence_compliance {
            self.fence_with_room(to)
        } else {
            None
        };
        let spot = fence
            .and_then(|f| self.plan.fences.get(f))
            .and_then(|f| random_point_in(&Geometry::Polygon(f.area.clone()), &mut self.rng))
            .unwrap_or(to);
        self.park(bike, spot);
        if self.fence_of[bike as usize].is_none() {
            self.summary.illegal_parking += 1;
        }
        if self.blacklisted[bike as usize] && self.watched(spot) {
            self.summary.blacklist_alarms += 1;
        }
    }

    /// A crew at its task's fence: loads an overflow away, or fills an empty fence (first
    /// collecting bikes left outside fences nearby if its truck is empty).
    fn serve(&mut self, task: usize) {
        let (fence, kind, crew) = {
            let t = &self.dispatcher.tasks[task];
            (t.fence as usize, t.kind, t.crew.unwrap_or(0))
        };
        let Some(f) = self.plan.fences.get(FenceId(fence as u32)).cloned() else {
            return;
        };
        let capacity = self.dispatcher.truck_capacity as usize;
        let mut moved = 0;
        match kind {
            AlarmKind::Overflow => {
                let target = (f64::from(f.capacity) * OVERFLOW_TARGET).floor() as u32;
                let excess = self.counts[fence].saturating_sub(target) as usize;
                let room = capacity.saturating_sub(self.dispatcher.crews[crew].load.len());
                let here: Vec<u32> = (0..self.fence_of.len() as u32)
                    .filter(|&b| self.fence_of[b as usize] == Some(f.id))
                    .take(excess.min(room))
                    .collect();
                for b in here {
                    self.take(b);
                    self.dispatcher.crews[crew].load.push(b);
                    moved += 1;
                }
            }
            AlarmKind::Empty => {
                if self.dispatcher.crews[crew].load.is_empty() {
                    self.collect_outside(&f, crew, capacity);
                }
                let want = (f64::from(f.capacity) * EMPTY_TARGET).ceil() as usize;
                let n = want.min(self.dispatcher.crews[crew].load.len());
                for _ in 0..n {
                    let Some(b) = self.dispatcher.crews[crew].load.pop() else {
                        break;
                    };
                    let spot = random_point_in(&Geometry::Polygon(f.area.clone()), &mut self.rng)
                        .or_else(|| self.plan.fences.centre(f.id))
                        .unwrap_or(Point::new(0.0, 0.0));
                    self.park(b, spot);
                    moved += 1;
                }
            }
        }
        let t = &mut self.dispatcher.tasks[task];
        t.bikes_moved = moved;
        t.done = true;
    }

    /// Loads the bikes left outside fences nearest to a fence (within the collection radius),
    /// up to half a truck.
    fn collect_outside(&mut self, f: &crate::fence::Fence, crew: usize, capacity: usize) {
        let Some(centre) = self.plan.fences.centre(f.id) else {
            return;
        };
        let mut near: Vec<(f64, u32)> = self
            .positions
            .iter()
            .enumerate()
            .filter(|(b, _)| self.fence_of[*b].is_none())
            .filter_map(|(b, p)| p.map(|p| (Euclidean.distance(p, centre), b as u32)))
            .filter(|(d, _)| *d <= COLLECT_RADIUS_M)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, b) in near.into_iter().take(capacity / 2) {
            self.take(b);
            self.dispatcher.crews[crew].load.push(b);
        }
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

    /// Within the watch radius of a fence with a monitoring point.
    fn watched(&self, p: Point<f64>) -> bool {
        let fences = &self.plan.fences;
        self.plan.monitored.iter().any(|f| {
            fences
                .centre(*f)
                .is_some_and(|c| Euclidean.distance(c, p) <= self.config.watch_radius_m)
        })
    }

    fn govern(&mut self, minute: u32) {
        let counts = std::mem::take(&mut self.counts);
        self.alarms
            .observe(minute, &counts, &self.plan.fences, &mut self.events);
        self.counts = counts;
    }

    pub fn summary(&self) -> BikeSummary {
        let d = self.dispatcher.summary();
        BikeSummary {
            tasks: d.tasks,
            tasks_done: d.tasks_done,
            mean_response_s: d.mean_response_s,
            truck_km: d.truck_km,
            bikes_moved: d.bikes_moved,
            overflow_alarms: self.alarms.overflow_alarms,
            empty_alarms: self.alarms.empty_alarms,
            overflow_minutes: self.alarms.overflow_minutes,
            empty_minutes: self.alarms.empty_minutes,
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
}
