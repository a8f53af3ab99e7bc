//! What changes a car's way: link events (closures, lane changes), refreshed travel times,
//! en-route re-routing, and the gridlock rule's teleport.

use super::{LinkEvent, TrafficSim};
use citytwin_city::LinkId;

impl TrafficSim {
    /// Adds a link event to a running simulation (a closure decided now); one dated in the
    /// past takes effect at the next step.
    pub fn schedule(&mut self, mut event: LinkEvent) {
        event.at_s = event.at_s.max(self.now);
        let pending = &self.events[self.next_event..];
        let at = self.next_event + pending.partition_point(|e| e.at_s <= event.at_s);
        self.events.insert(at, event);
    }

    pub(super) fn apply_events(&mut self, now: u32) {
        while let Some(e) = self.events.get(self.next_event).filter(|e| e.at_s <= now) {
            let e = e.clone();
            self.next_event += 1;
            let Some(link) = self.net.link(e.link).cloned() else {
                continue;
            };
            let lanes = e.lanes.unwrap_or(link.lanes);
            let state = &mut self.links[e.link.index()];
            state.lanes_open = lanes;
            let share = f64::from(lanes) / f64::from(link.lanes);
            state.capacity_vps = link.capacity_vps * share;
            state.storage =
                ((f64::from(link.storage) * share).floor() as u32).max(u32::from(lanes > 0));
            let closed = lanes == 0;
            self.travel_time[e.link.index()] = if closed {
                f64::INFINITY
            } else {
                self.free_flow[e.link.index()]
            };
            self.router_stale = true;
            if closed {
                self.reroute_around(e.link.0);
            }
        }
    }

    pub(super) fn refresh_travel_times(&mut self) {
        let now = self.now;
        for l in 0..self.links.len() {
            let free = self.free_flow[l];
            if !free.is_finite() || self.links[l].lanes_open == 0 {
                continue;
            }
            let discharge = self.discharge_time(l, now);
            let state = &mut self.links[l];
            let observed = if state.recent_n > 0 {
                state.recent_s / f64::from(state.recent_n)
            } else {
                free
            };
            self.travel_time[l] = free.max(observed).max(discharge);
            state.recent_s = 0.0;
            state.recent_n = 0;
        }
        self.router_stale = true;
    }

    /// The fastest route by the travel times now (see [`crate::dynamic::cch::Cch::route`]).
    pub(super) fn fastest_route(
        &mut self,
        from: LinkId,
        to: LinkId,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        self.fresh_router();
        let query = self.queries.main(&self.router);
        self.router.route_in(query, &self.net, from, to, out)
    }

    /// Free-flow time of link `l` plus the time for the cars already queued at its head to
    /// discharge at its capacity now, plus how long its ready head has stood still: a link
    /// locked by the full link ahead lets nobody out, so the few exits it had say nothing of
    /// its wait (as SUMO's re-routing reads a stopped queue's speed, near zero, as a long time).
    pub(super) fn discharge_time(&self, l: usize, now: u32) -> f64 {
        let state = &self.links[l];
        let capacity = state.capacity_vps;
        if capacity > 0.0 {
            let stalled_s = if state.head_ready_at <= now {
                now - state.head_ready_at.max(state.moved_at)
            } else {
                0
            };
            self.free_flow[l]
                + self.vehicles_ready(l as u32, now) as f64 / capacity
                + f64::from(stalled_s)
        } else {
            f64::INFINITY
        }
    }

    /// Cars at the head of link `l` whose free-flow time has passed (FIFO: a prefix).
    pub(super) fn vehicles_ready(&self, l: u32, now: u32) -> usize {
        self.links[l as usize]
            .queue
            .iter()
            .take_while(|&&v| {
                self.vehicles[v as usize]
                    .as_ref()
                    .is_some_and(|v| v.ready_at <= now)
            })
            .count()
    }

    /// Re-routes every car whose remaining route uses `closed`.
    pub(super) fn reroute_around(&mut self, closed: u32) {
        for v in 0..self.vehicles.len() {
            let uses = self.vehicles[v]
                .as_ref()
                .is_some_and(|veh| veh.route[veh.at as usize + 1..].contains(&closed));
            if uses {
                self.reroute(v as u32);
            }
        }
    }

    /// New route from the car's current link to its destination; keeps the old one if none.
    pub(super) fn reroute(&mut self, v: u32) {
        let Some(veh) = self.vehicles[v as usize].as_ref() else {
            return;
        };
        let current = veh.route[veh.at as usize];
        let dest = *veh.route.last().unwrap_or(&current);
        let mut route = std::mem::take(&mut self.scratch);
        if self
            .fastest_route(LinkId(current), LinkId(dest), &mut route)
            .is_some()
        {
            self.take_route(v, current, &route);
        }
        self.scratch = route;
    }

    /// The gridlock rule: a stuck car leaves its link and lands on the first link further
    /// along its route with room (or arrives, if none has), after the free-flow time of the
    /// links it skipped — SUMO's teleport. Moving it into the full next link instead (MATSim)
    /// only feeds a jammed cycle of links.
    pub(super) fn teleport(&mut self, v: u32, l: u32, now: u32) {
        self.leave_link(v, l, now, true);
        let Some(veh) = self.vehicles[v as usize].as_ref() else {
            return;
        };
        let (trip, from) = (veh.trip as usize, veh.at as usize + 1);
        let landing = veh.route[from..]
            .iter()
            .position(|&m| self.links[m as usize].has_room());
        let skipped_to = landing.map_or(veh.route.len(), |k| from + k);
        let mut skipped_s = 0;
        for &m in &veh.route[from..skipped_to] {
            if let Some(q) = self.net.link(LinkId(m)) {
                let record = &mut self.records[trip];
                record.length_m += q.length_m;
                record.free_flow_s += q.free_flow_s;
                self.vkt_m += q.length_m;
                skipped_s += q.free_flow_s;
            }
        }
        match landing {
            Some(_) => {
                let m = veh.route[skipped_to];
                if let Some(veh) = self.vehicles[v as usize].as_mut() {
                    veh.at = skipped_to as u32;
                }
                self.enter_link(v, m, now, skipped_s);
            }
            None => self.arrive(v, now + skipped_s),
        }
    }
}
