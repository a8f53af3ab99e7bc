//! The mesoscopic queue model (the family of MATSim's QSim): every link is a FIFO queue.
//! A car may leave a link once its free-flow time has passed, the link's flow capacity allows
//! and the next link has storage left; so queues form, and a full link blocks the one upstream.
//! Each junction serves its incoming links in turn, one car per link per round, starting from
//! a rotating link, until none can move: a fair, deterministic share of the outflow.
//!
//! Gridlock rule (SUMO's time-to-teleport, MATSim's stuck time): a car that has waited
//! [`TrafficConfig::stuck_time_s`] at the head of its link jumps along its route to the first
//! link with room, after the free-flow time of the links it skipped (or arrives, if none has
//! room). Each such jump is counted (`stuck_moves`).

use super::cch::Cch;
use super::net::QueueNetwork;
use super::signals::Signals;
use super::stats::{LinkStats, PeakTotals, TrafficSummary, is_peak};
use super::trips::{Purpose, TripRecord, TripSpec, TripStatus};
use busy::BusySet;
use citytwin_city::LinkId;
use citytwin_city::rng::SimRng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;

mod busy;
mod incidents;
mod junctions;
mod memory;
mod prefetch;
mod rescale;
mod routing;
mod shared;
mod summary;
mod views;
mod wakeups;

pub use views::{CarPosition, LinkLoad};

/// No link: a head car with no next link arrives.
const NO_LINK: u32 = u32::MAX;

/// Drivers who follow live navigation and are re-routed around queues: in Chinese cities most
/// drivers run Amap or Baidu Maps; 0.3 is a conservative share. At 0.1 the demo city sat on the
/// edge of gridlock — a few hundred more vehicles moved its peak travel time index from 1.32 to
/// 1.66 between seeds — which no real city's day-to-day variation shows (docs/traffic.md).
pub const DEFAULT_REROUTE_SHARE: f64 = 0.3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrafficConfig {
    pub stuck_time_s: u32,
    /// How often link travel times for routing are refreshed from what cars experience.
    pub travel_time_update_s: u32,
    /// Share of cars that re-route en route every `reroute_interval_s` ([`DEFAULT_REROUTE_SHARE`]).
    pub reroute_share: f64,
    pub reroute_interval_s: u32,
    pub bin_s: u32,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            stuck_time_s: 300,
            travel_time_update_s: 300,
            reroute_share: DEFAULT_REROUTE_SHARE,
            reroute_interval_s: 600,
            bin_s: 900,
        }
    }
}

/// A change to a link at a time: closed (lanes 0), reopened, or lanes changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkEvent {
    pub at_s: u32,
    pub link: citytwin_city::LinkId,
    /// Lanes open from `at_s`; 0 closes the link. `None` restores the original lanes.
    pub lanes: Option<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Vehicle {
    trip: u32,
    route: Vec<u32>,
    /// Index in `route` of the link the car is on (or waiting to enter).
    at: u32,
    entered_at: u32,
    ready_at: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct LinkState {
    queue: VecDeque<u32>,
    /// When the car at the head of `queue` may leave (`u32::MAX` when empty), and the link it
    /// goes on to (`NO_LINK` when it arrives): what a junction asks of a head every second,
    /// answered without touching the car (see [`TrafficSim::refresh_head`]).
    head_ready_at: u32,
    head_next: u32,
    waiting: VecDeque<u32>,
    budget: f64,
    budget_at: u32,
    lanes_open: u8,
    capacity_vps: f64,
    storage: u32,
    occupancy_since: u32,
    /// When a car last left the link by driving on (or arriving), or the link last became
    /// non-empty: the gridlock clock. Jumps do not reset it, so a locked link, once its time is
    /// up, drains at its flow capacity — every car in the jam has waited that long, as in
    /// SUMO — instead of one car per stuck time.
    moved_at: u32,
    /// Travel times of cars that left since the last refresh.
    recent_s: f64,
    recent_n: u32,
}

impl LinkState {
    /// Open, with storage left for one more car.
    fn has_room(&self) -> bool {
        self.lanes_open > 0 && self.queue.len() < self.storage as usize
    }
}

/// Counts that must balance at every step: departed = arrived + on links + waiting to enter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleCounts {
    pub departed: u64,
    pub arrived: u64,
    pub on_links: u64,
    pub waiting: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrafficSim {
    pub net: QueueNetwork,
    config: TrafficConfig,
    signals: Signals,
    /// Routes on `travel_time`, customized again before the first route after it changed.
    #[serde(with = "shared")]
    router: Arc<Cch>,
    router_stale: bool,
    /// Scratch for routing batches across threads.
    #[serde(skip)]
    queries: routing::QueryPool,
    /// Counts customizations: routes made on other costs are not reused.
    #[serde(skip)]
    metric_epoch: u64,
    #[serde(skip)]
    prefetch: prefetch::Prefetch,
    now: u32,
    trips: Vec<TripSpec>,
    /// Trip indices by departure time (stable for equal times).
    order: Vec<u32>,
    next_departure: usize,
    pub records: Vec<TripRecord>,
    vehicles: Vec<Option<Vehicle>>,
    free_slots: Vec<u32>,
    links: Vec<LinkState>,
    /// Junctions with a head car ready, or when they will have one.
    #[serde(skip)]
    wakeups: wakeups::Wakeups,
    waiting_links: BusySet,
    /// Scratch: the busy nodes or links of this second, walked while they change.
    #[serde(skip)]
    busy_now: Vec<u32>,
    events: Vec<LinkEvent>,
    next_event: usize,
    /// Seconds per link for routing (∞ = closed or not for cars).
    travel_time: Vec<f64>,
    free_flow: Vec<f64>,
    pub stats: LinkStats,
    counts: VehicleCounts,
    vkt_m: f64,
    reroutes: u64,
    scratch: Vec<u32>,
    /// Trips whose drivers re-route en route.
    adaptive: Vec<bool>,
    /// Routes fixed in advance (day-to-day equilibrium); empty = route at departure.
    plans: Vec<Vec<u32>>,
    /// Routes driven by arrived trips, kept when `keep_routes` was asked for.
    pub taken: Vec<Vec<u32>>,
}

impl TrafficSim {
    pub fn new(
        net: QueueNetwork,
        signals: Signals,
        trips: Vec<TripSpec>,
        events: Vec<LinkEvent>,
        config: TrafficConfig,
        seed: u64,
    ) -> Self {
        let router = Cch::new(&net);
        Self::on_router(router, net, signals, trips, events, config, seed)
    }

    /// As [`TrafficSim::new`], with `router` = `Cch::new(&net)` made beforehand (a World
    /// makes it while it times the signals).
    pub fn on_router(
        router: Cch,
        net: QueueNetwork,
        signals: Signals,
        trips: Vec<TripSpec>,
        mut events: Vec<LinkEvent>,
        config: TrafficConfig,
        seed: u64,
    ) -> Self {
        let free_flow = net.free_flow_times();
        let router = Arc::new(router);
        let links = net
            .links
            .iter()
            .map(|l| {
                let mut s = LinkState {
                    head_ready_at: u32::MAX,
                    head_next: NO_LINK,
                    ..LinkState::default()
                };
                if let Some(l) = l {
                    s.lanes_open = l.lanes;
                    s.capacity_vps = l.capacity_vps;
                    s.storage = l.storage;
                    s.budget = 1.0;
                }
                s
            })
            .collect();
        let mut order: Vec<u32> = (0..trips.len() as u32).collect();
        order.sort_by_key(|&t| trips[t as usize].departure_s);
        events.sort_by_key(|e| e.at_s);
        let mut rng = SimRng::fork(seed, "traffic.reroute");
        let adaptive: Vec<bool> = (0..trips.len())
            .map(|_| rng.unit() < config.reroute_share)
            .collect();
        let link_count = net.links.len();
        Self {
            stats: LinkStats::new(config.bin_s.max(1), link_count),
            config,
            signals,
            router,
            router_stale: false,
            queries: routing::QueryPool::default(),
            metric_epoch: 0,
            prefetch: prefetch::Prefetch::default(),
            now: 0,
            records: vec![TripRecord::planned(); trips.len()],
            trips,
            order,
            next_departure: 0,
            vehicles: Vec::new(),
            free_slots: Vec::new(),
            links,
            wakeups: wakeups::Wakeups::new(),
            waiting_links: BusySet::default(),
            busy_now: Vec::new(),
            events,
            next_event: 0,
            travel_time: free_flow.clone(),
            free_flow,
            counts: VehicleCounts::default(),
            vkt_m: 0.0,
            reroutes: 0,
            scratch: Vec::new(),
            adaptive,
            plans: Vec::new(),
            taken: Vec::new(),
            net,
        }
    }

    /// Drive these routes (per trip; an empty one routes at departure). A planned route over
    /// a link closed at departure is replaced by a fresh one.
    pub fn set_plans(&mut self, plans: Vec<Vec<u32>>) {
        self.plans = plans;
        // routes made for trips that now have a plan (or lost theirs) are not reused
        self.prefetch.clear();
    }

    /// Adds a trip while the day runs (a crew's truck sent somewhere): it departs at
    /// `spec.departure_s` (now at the earliest), is routed on the current travel times like
    /// any trip, and its record says when it arrived. Returns its trip index.
    pub fn add_trip(&mut self, mut spec: TripSpec) -> u32 {
        spec.departure_s = spec.departure_s.max(self.now);
        let t = self.trips.len() as u32;
        // after every not yet departed trip leaving at the same second or earlier
        let pending = &self.order[self.next_departure..];
        let at =
            pending.partition_point(|&o| self.trips[o as usize].departure_s <= spec.departure_s);
        self.order.insert(self.next_departure + at, t);
        self.trips.push(spec);
        self.records.push(TripRecord::planned());
        // drivers on a job keep the route they chose at departure unless a closure forces them
        self.adaptive.push(false);
        if !self.taken.is_empty() {
            self.taken.push(Vec::new());
        }
        t
    }

    /// Keep the route each arrived trip drove, in `taken`.
    pub fn keep_routes(&mut self) {
        self.taken = vec![Vec::new(); self.trips.len()];
    }

    pub fn now(&self) -> u32 {
        self.now
    }

    /// Starts the clock at `t` (a run of a time window); trips before it depart at once.
    pub fn start_at(&mut self, t: u32) {
        self.now = t;
        for state in &mut self.links {
            state.budget_at = t;
            state.occupancy_since = t;
        }
    }

    pub fn trips(&self) -> &[TripSpec] {
        &self.trips
    }

    pub fn counts(&self) -> VehicleCounts {
        self.counts
    }

    /// All trips have departed and none is left on the network.
    pub fn is_done(&self) -> bool {
        self.next_departure == self.order.len()
            && self.counts.on_links == 0
            && self.counts.waiting == 0
            && self.next_event == self.events.len()
    }

    /// Seconds per link that routes are chosen on now (∞ = closed or not for cars).
    pub fn travel_times(&self) -> &[f64] {
        &self.travel_time
    }

    /// Every car on a link now, as (link, when it got on).
    pub fn cars_on_links(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.links.iter().enumerate().flat_map(move |(l, state)| {
            let entered = state
                .queue
                .iter()
                .filter_map(|&v| self.vehicles[v as usize].as_ref());
            entered.map(move |veh| (l as u32, veh.entered_at))
        })
    }

    /// Cars on each link now.
    pub fn vehicles_on(&self, link: citytwin_city::LinkId) -> usize {
        self.links[link.index()].queue.len()
    }

    /// Advances the model by one second.
    pub fn step(&mut self) {
        let now = self.now;
        if now > 0 && now.is_multiple_of(self.stats.bin_s) {
            // the bins the clock has left keep only their busy links
            self.flush_stats();
            self.stats.settle_before(now);
        }
        self.apply_events(now);
        if now > 0 && now.is_multiple_of(self.config.travel_time_update_s.max(1)) {
            self.refresh_travel_times();
        }
        if now > 0 && now.is_multiple_of(self.config.reroute_interval_s.max(1)) {
            self.reroute_adaptive();
        }
        // the junctions due as the second starts: a car that gets on a link now is not ready
        // before the next second
        if !self.wakeups.built {
            self.rebuild_wakeups();
        }
        let mut nodes = std::mem::take(&mut self.busy_now);
        self.wakeups.due(now, &mut nodes);
        for &node in &nodes {
            if !self.serve_node(node) {
                self.wakeups.rest(node);
            }
        }
        self.busy_now = nodes;
        self.depart(now);
        self.enter_waiting(now);
        self.now += 1;
    }

    /// Runs until `until_s` (exclusive) or until everything has arrived; `keep_going` is asked
    /// every simulated minute and may stop the run (Ctrl-C).
    pub fn run_until(&mut self, until_s: u32, keep_going: &mut dyn FnMut(&TrafficSim) -> bool) {
        while self.now < until_s && !self.is_done() {
            self.step();
            if self.now.is_multiple_of(60) && !keep_going(self) {
                break;
            }
        }
    }

    /// Departing cars join their first link when it has room.
    fn enter_waiting(&mut self, now: u32) {
        let mut links = std::mem::take(&mut self.busy_now);
        self.waiting_links.members_into(&mut links);
        for &l in &links {
            loop {
                let state = &self.links[l as usize];
                let Some(&v) = state.waiting.front() else {
                    self.waiting_links.remove(l);
                    break;
                };
                if state.queue.len() >= state.storage as usize {
                    break;
                }
                self.links[l as usize].waiting.pop_front();
                self.counts.waiting -= 1;
                self.enter_link(v, l, now, 0);
                if let Some(veh) = self.vehicles[v as usize].as_ref() {
                    let trip = veh.trip as usize;
                    let record = &mut self.records[trip];
                    record.status = TripStatus::EnRoute;
                    record.waited_s = now.saturating_sub(self.trips[trip].departure_s);
                }
            }
        }
        self.busy_now = links;
    }

    /// The car `v` gets on link `l` now and may leave it after its free-flow time and `delay`.
    fn enter_link(&mut self, v: u32, l: u32, now: u32, delay: u32) {
        let ready_at = now + self.net.link(LinkId(l)).map_or(1, |q| q.free_flow_s) + delay;
        if let Some(veh) = self.vehicles[v as usize].as_mut() {
            veh.entered_at = now;
            veh.ready_at = ready_at;
        }
        self.note_occupancy(l, now);
        let state = &mut self.links[l as usize];
        state.queue.push_back(v);
        self.counts.on_links += 1;
        if state.queue.len() == 1 {
            self.refresh_head(l);
            self.links[l as usize].moved_at = now;
        }
    }

    /// Books the link's vehicle-seconds up to `now` before its count changes.
    fn note_occupancy(&mut self, l: u32, now: u32) {
        let state = &mut self.links[l as usize];
        let (n, since) = (state.queue.len(), state.occupancy_since);
        state.occupancy_since = now;
        self.stats.add_occupancy(l, n, since, now);
    }

    /// Notes when the car now at the head of link `l` may leave and where it goes next; after
    /// every change of head, or of the head's route.
    pub(super) fn refresh_head(&mut self, l: u32) {
        let (ready_at, next) = self.head_of(l);
        let state = &mut self.links[l as usize];
        state.head_ready_at = ready_at;
        state.head_next = next;
        self.wake_for_head(l as usize);
    }

    /// Wakes link `l`'s downstream junction when its head car may leave (if it has one).
    fn wake_for_head(&mut self, l: usize) {
        let ready_at = self.links[l].head_ready_at;
        if ready_at != u32::MAX {
            let to = self.net.links[l].as_ref().map_or(0, |q| q.to);
            self.wakeups.schedule(to, ready_at, self.now);
        }
    }

    /// After a checkpoint is read: every junction woken when its heads may leave.
    fn rebuild_wakeups(&mut self) {
        self.wakeups = wakeups::Wakeups::new();
        for l in 0..self.links.len() {
            self.wake_for_head(l);
        }
    }

    fn head_of(&self, l: u32) -> (u32, u32) {
        let head = self.links[l as usize].queue.front();
        let head = head.and_then(|&h| self.vehicles[h as usize].as_ref());
        let next = head.and_then(|h| h.route.get(h.at as usize + 1).copied());
        (
            head.map_or(u32::MAX, |h| h.ready_at),
            next.unwrap_or(NO_LINK),
        )
    }

    /// Books occupancy up to now on every link (call before reading `stats` at the end).
    pub fn flush_stats(&mut self) {
        let now = self.now;
        for l in 0..self.links.len() as u32 {
            self.note_occupancy(l, now);
        }
    }
}
