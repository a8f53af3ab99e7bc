//! Routes in batches. Travel times change only every `travel_time_update_s` (and when an
//! incident opens or closes a link), so every trip that leaves before the next change is
//! routed on the same costs as it would be at its departure: they are routed ahead, beside
//! the simulation ([`super::prefetch`]), and the drivers who re-route every ten minutes are
//! routed together across the rayon pool's threads, each with its own scratch on the one
//! shared hierarchy. Routes are kept by trip and applied in order: the outcome is the same,
//! byte for byte, whatever the number of threads, and the same as routing each trip as it
//! leaves.

use super::{TrafficSim, Vehicle};
use crate::dynamic::cch::{Cch, CchQuery, RouteLegs};
use crate::dynamic::trips::{Purpose, TripStatus};
use citytwin_city::LinkId;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Below this many queries a batch is routed on the calling thread: handing work to other
/// threads costs more than a few queries.
const PARALLEL_FROM: usize = 4;

/// Query scratch per pool thread, and the stepping thread's, made when first needed (a copy
/// of the model starts without: forks and checkpoints do not carry scratch).
#[derive(Default)]
pub(super) struct QueryPool {
    threads: Vec<Mutex<CchQuery>>,
    main: Option<CchQuery>,
}

impl QueryPool {
    /// The stepping thread's scratch.
    pub(super) fn main(&mut self, router: &Cch) -> &mut CchQuery {
        self.main.get_or_insert_with(|| router.new_query())
    }
}

impl Clone for QueryPool {
    fn clone(&self) -> QueryPool {
        QueryPool::default()
    }
}

impl std::fmt::Debug for QueryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QueryPool({} queries)", self.threads.len())
    }
}

impl TrafficSim {
    /// Customizes the router if the travel times changed since it last was.
    pub(super) fn fresh_router(&mut self) {
        // costs that did not change since (a quiet night) keep the routes made on them
        if std::mem::take(&mut self.router_stale) && self.router.costs() != self.travel_time {
            // the workers route on the hierarchy: stopped, and their routes are stale
            self.prefetch.clear();
            Arc::make_mut(&mut self.router).customize(&self.travel_time);
            self.metric_epoch += 1;
        }
    }

    /// The fastest route for each `(from, to)` on the travel times now, in order; `None`
    /// where there is none.
    pub(super) fn fastest_routes(&mut self, pairs: &[(LinkId, LinkId)]) -> Vec<Option<Vec<u32>>> {
        self.fresh_router();
        let threads = rayon::current_num_threads();
        if pairs.len() < PARALLEL_FROM || threads == 1 {
            let query = self.queries.main(&self.router);
            return pairs
                .iter()
                .map(|&(from, to)| {
                    let legs = RouteLegs::new(&self.net, from, to)?;
                    self.router.route_owned(query, legs)
                })
                .collect();
        }
        // the pool's threads are wanted here
        self.prefetch.pause();
        while self.queries.threads.len() < threads {
            let query = self.router.new_query();
            self.queries.threads.push(Mutex::new(query));
        }
        let (router, net, queries) = (&self.router, &self.net, &self.queries.threads);
        pairs
            .par_iter()
            .map(|&(from, to)| {
                let slot = rayon::current_thread_index().unwrap_or(0) % queries.len();
                let mut query = queries[slot].lock().unwrap_or_else(|p| p.into_inner());
                router.route_owned(&mut query, RouteLegs::new(net, from, to)?)
            })
            .collect()
    }

    /// Trips whose time has come leave: onto their planned route where it is still open,
    /// else the fastest now; without any route they are marked as having none.
    pub(super) fn depart(&mut self, now: u32) {
        let first = self.order.get(self.next_departure).copied();
        if first.is_none_or(|t| self.trips[t as usize].departure_s > now) {
            return;
        }
        self.fresh_router();
        if !self.prefetch.covers(self.metric_epoch, now) {
            self.prefetch(now);
        }
        // the stepping thread takes one of the cores the pool counts
        let threads = rayon::current_num_threads();
        self.prefetch.work(threads.saturating_sub(1));
        while let Some(&t) = self.order.get(self.next_departure) {
            if self.trips[t as usize].departure_s > now {
                break;
            }
            self.next_departure += 1;
            let route = match self.plan(t) {
                Some(plan) => Some(plan.clone()),
                None => match self.prefetch.take(t, self.queries.main(&self.router)) {
                    Some(routed) => routed,
                    // a trip added since (a crew's truck): routed now
                    None => {
                        let spec = &self.trips[t as usize];
                        let pair = [(spec.origin_link, spec.dest_link)];
                        self.fastest_routes(&pair).pop().flatten()
                    }
                },
            };
            match route {
                Some(route) => self.board(t, route, now),
                None => self.records[t as usize].status = TripStatus::NoRoute,
            }
        }
    }

    /// Starts routing every trip without a plan that leaves from `now` until the travel
    /// times are next updated, on the costs now.
    fn prefetch(&mut self, now: u32) {
        let every = self.config.travel_time_update_s.max(1);
        let until_s = (now / every + 1) * every;
        let trips: Vec<(u32, Option<RouteLegs>)> = self.order[self.next_departure..]
            .iter()
            .copied()
            .take_while(|&t| self.trips[t as usize].departure_s < until_s)
            .filter(|&t| self.plan(t).is_none())
            .map(|t| {
                let spec = &self.trips[t as usize];
                (
                    t,
                    RouteLegs::new(&self.net, spec.origin_link, spec.dest_link),
                )
            })
            .collect();
        self.prefetch
            .start(&self.router, self.metric_epoch, until_s, trips);
    }

    /// Trip `t`'s planned route, if it has one that is open now.
    fn plan(&self, t: u32) -> Option<&Vec<u32>> {
        let spec = &self.trips[t as usize];
        // trucks are sent anew each day: a plan at their index belongs to another truck
        self.plans
            .get(t as usize)
            .filter(|_| spec.purpose != Purpose::Service)
            .filter(|p| {
                !p.is_empty() && p.iter().all(|&l| self.travel_time[l as usize].is_finite())
            })
    }

    /// Trip `t`'s car waits to enter its first link.
    fn board(&mut self, t: u32, route: Vec<u32>, now: u32) {
        let from = route[0];
        let vehicle = Vehicle {
            trip: t,
            route,
            at: 0,
            entered_at: now,
            ready_at: now,
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.vehicles[slot as usize] = Some(vehicle);
                slot
            }
            None => {
                self.vehicles.push(Some(vehicle));
                (self.vehicles.len() - 1) as u32
            }
        };
        self.records[t as usize].status = TripStatus::WaitingToEnter;
        self.links[from as usize].waiting.push_back(slot);
        self.waiting_links.insert(from);
        self.counts.departed += 1;
        self.counts.waiting += 1;
    }

    /// Drivers who follow live navigation take the fastest route from where they are.
    pub(super) fn reroute_adaptive(&mut self) {
        let cars: Vec<(u32, u32, u32)> = (0..self.vehicles.len())
            .filter_map(|v| {
                let veh = self.vehicles[v].as_ref()?;
                if !self.adaptive[veh.trip as usize] {
                    return None;
                }
                let current = veh.route[veh.at as usize];
                let dest = *veh.route.last().unwrap_or(&current);
                Some((v as u32, current, dest))
            })
            .collect();
        let pairs: Vec<(LinkId, LinkId)> = cars
            .iter()
            .map(|&(_, from, to)| (LinkId(from), LinkId(to)))
            .collect();
        let routes = self.fastest_routes(&pairs);
        for (&(v, current, _), route) in cars.iter().zip(routes) {
            if let Some(route) = route {
                self.take_route(v, current, &route);
            }
        }
    }

    /// Car `v`, on link `current`, drives `route` from there on (counted as a re-route when
    /// it differs from the one it had).
    pub(super) fn take_route(&mut self, v: u32, current: u32, route: &[u32]) {
        let Some(veh) = self.vehicles[v as usize].as_mut() else {
            return;
        };
        if *route != veh.route[veh.at as usize..] {
            veh.route.truncate(veh.at as usize);
            veh.route.extend_from_slice(route);
            self.records[veh.trip as usize].reroutes += 1;
            self.reroutes += 1;
            if self.links[current as usize].queue.front() == Some(&v) {
                self.refresh_head(current);
            }
        }
    }
}
