//! Cars through junctions: each busy node serves its incoming links' heads in turn, moving
//! a car on when the next link has room (and its signal is green), parking it at its
//! destination, or passing a blocked head once it has waited the stuck time.

use super::*;

impl TrafficSim {
    /// Serves junction `node` this second; true if a head car on its way in is still ready
    /// (held by a red light, a full link ahead or the capacity): it is served again next
    /// second.
    pub(super) fn serve_node(&mut self, node: u32) -> bool {
        let mut incoming = std::mem::take(&mut self.scratch);
        incoming.clear();
        // links inside the crossing first, each group in turn from a rotating start
        let busy_where = |inner: bool| {
            let (net, links) = (&self.net, &self.links);
            net.incoming(node).iter().copied().filter(move |&l| {
                !links[l as usize].queue.is_empty()
                    && net.link(LinkId(l)).is_some_and(|q| q.inner) == inner
            })
        };
        incoming.extend(busy_where(true));
        let inner = incoming.len();
        incoming.extend(busy_where(false));
        let groups = [(0, inner), (inner, incoming.len())];
        if !incoming.is_empty() {
            loop {
                let mut moved = false;
                for (from, to) in groups {
                    let k = to - from;
                    let start = if k > 0 { self.now as usize % k } else { 0 };
                    for i in 0..k {
                        moved |= self.move_head(incoming[from + (start + i) % k]);
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        let now = self.now;
        // an empty link's head time is u32::MAX
        let still_ready = incoming
            .iter()
            .any(|&l| self.links[l as usize].head_ready_at <= now);
        self.scratch = incoming;
        still_ready
    }

    /// Moves the head car of link `l` across its downstream junction, if it may.
    pub(super) fn move_head(&mut self, l: u32) -> bool {
        let now = self.now;
        let (ready_at, m) = {
            let state = &self.links[l as usize];
            (state.head_ready_at, state.head_next)
        };
        if ready_at > now {
            return false;
        }
        let Some(&v) = self.links[l as usize].queue.front() else {
            return false;
        };
        debug_assert_eq!((ready_at, m), self.head_of(l), "link {l}: stale head cache");
        if m == NO_LINK {
            self.park(v, l, now);
            return true;
        }
        if !self.signals.is_green(l, now) {
            return false;
        }
        let state = &mut self.links[l as usize];
        let burst = self
            .signals
            .cycle_of(l)
            .map_or(1.0, |c| f64::from(c) * state.capacity_vps)
            .max(state.capacity_vps)
            .max(1.0);
        state.budget =
            (state.budget + state.capacity_vps * f64::from(now - state.budget_at)).min(burst);
        state.budget_at = now;
        if state.budget < 1.0 {
            return false;
        }
        if !self.links[m as usize].has_room() {
            let waiting_since = ready_at.max(self.links[l as usize].moved_at);
            if now - waiting_since >= self.config.stuck_time_s {
                self.stats.bin_mut(now, l).stuck += 1;
                self.teleport(v, l, now);
                return true;
            }
            return self.pass_blocked_head(l, m, now);
        }
        self.cross(v, l, m, now);
        true
    }

    /// The car `v` arrives: it parks at the end of its link `l` without crossing the junction
    /// (as in MATSim): no signal, no flow capacity.
    pub(super) fn park(&mut self, v: u32, l: u32, now: u32) {
        self.leave_link(v, l, now, false);
        self.links[l as usize].moved_at = now;
        self.arrive(v, now);
    }

    /// The car `v` leaves link `l` across its junction into link `m`.
    pub(super) fn cross(&mut self, v: u32, l: u32, m: u32, now: u32) {
        self.leave_link(v, l, now, true);
        self.links[l as usize].moved_at = now;
        if let Some(veh) = self.vehicles[v as usize].as_mut() {
            veh.at += 1;
        }
        self.enter_link(v, m, now, 0);
    }

    /// On a link of several lanes, a head car held by its full next link `blocked` does not
    /// hold the cars beside it bound elsewhere (SUMO meso's queues per exit): the first ready
    /// car among the next `lanes − 1` whose own next link has room (or who arrives) goes.
    pub(super) fn pass_blocked_head(&mut self, l: u32, blocked: u32, now: u32) -> bool {
        let state = &self.links[l as usize];
        let beside = usize::from(state.lanes_open).min(state.queue.len());
        for pos in 1..beside {
            let v = self.links[l as usize].queue[pos];
            let Some(veh) = self.vehicles[v as usize].as_ref() else {
                continue;
            };
            if veh.ready_at > now {
                // cars behind entered later, so they are not ready either
                return false;
            }
            match veh.route.get(veh.at as usize + 1).copied() {
                None => {
                    self.park(v, l, now);
                    return true;
                }
                Some(m) if m != blocked && self.links[m as usize].has_room() => {
                    self.cross(v, l, m, now);
                    return true;
                }
                Some(_) => {}
            }
        }
        false
    }

    pub(super) fn leave_link(&mut self, v: u32, l: u32, now: u32, through_junction: bool) {
        self.note_occupancy(l, now);
        let link = self.net.links[l as usize].as_ref();
        let (length, free) = link.map_or((0.0, 0), |q| (q.length_m, q.free_flow_s));
        let state = &mut self.links[l as usize];
        // the head, or a car beside a blocked head (`pass_blocked_head`)
        if state.queue.front() == Some(&v) {
            state.queue.pop_front();
            self.refresh_head(l);
        } else if let Some(pos) = state.queue.iter().position(|&c| c == v) {
            state.queue.remove(pos);
        }
        let state = &mut self.links[l as usize];
        if through_junction {
            state.budget -= 1.0;
        }
        self.counts.on_links -= 1;
        let Some(veh) = self.vehicles[v as usize].as_ref() else {
            return;
        };
        let spent = now - veh.entered_at;
        let state = &mut self.links[l as usize];
        state.recent_s += f64::from(spent);
        state.recent_n += 1;
        let bin = self.stats.bin_mut(now, l);
        bin.exits += 1;
        bin.travel_s = bin.travel_s.saturating_add(spent);
        let bin = self.stats.bin_mut(veh.entered_at, l);
        bin.entered_exits += 1;
        bin.entered_travel_s = bin.entered_travel_s.saturating_add(spent);
        let record = &mut self.records[veh.trip as usize];
        record.length_m += length;
        record.free_flow_s += free;
        self.vkt_m += length;
    }

    pub(super) fn arrive(&mut self, v: u32, now: u32) {
        if let Some(veh) = self.vehicles[v as usize].take() {
            let record = &mut self.records[veh.trip as usize];
            record.status = TripStatus::Arrived;
            record.arrival_s = Some(now);
            if let Some(taken) = self.taken.get_mut(veh.trip as usize) {
                *taken = veh.route;
            }
        }
        self.free_slots.push(v);
        self.counts.arrived += 1;
    }
}
