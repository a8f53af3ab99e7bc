//! What the day looks like from outside: its summary, the fence series, counts, states and
//! places of the bikes, for reports and the wall.

use super::*;
impl BikeSim {
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
