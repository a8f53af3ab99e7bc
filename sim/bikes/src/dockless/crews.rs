//! Crews at work: serving a task at its fence (taking bikes away, dropping them where they
//! are wanted, collecting those parked outside, sending broken ones to the workshop) and
//! their trucks, driven on the traffic model.

use super::*;
impl BikeSim {
    /// A crew at its task's fence: takes the broken bikes there to the workshop, then loads
    /// a surplus away, or fills a fence short of bikes (first collecting bikes left outside
    /// fences nearby if its truck is empty).
    pub(super) fn serve(&mut self, task: usize) {
        let (fence, kind, crew, target, op) = {
            let t = &self.dispatcher.tasks[task];
            (
                t.fence.index(),
                t.kind,
                t.crew.map_or(0, CrewId::index),
                t.target,
                t.operator.0 as u16,
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
    pub(super) fn drop_spot(&mut self, to: Point<f64>) -> Point<f64> {
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
    pub(super) fn spot_in(&mut self, f: &crate::fence::Fence) -> Point<f64> {
        random_point_in(&Geometry::Polygon(f.area.clone()), &mut self.rng)
            .or_else(|| self.plan.fences.centre(f.id))
            .unwrap_or(Point::new(0.0, 0.0))
    }

    /// The bikes of one state parked in a fence, by id.
    pub(super) fn bikes_in(
        &self,
        fence: FenceId,
        state: BikeState,
    ) -> impl Iterator<Item = u32> + '_ {
        (0..self.fence_of.len() as u32).filter(move |&b| {
            self.fence_of[b as usize] == Some(fence) && self.state[b as usize] == state
        })
    }

    pub(super) fn load(&mut self, bike: u32, crew: usize) {
        self.take(bike);
        self.state[bike as usize] = BikeState::InTruck;
        self.dispatcher.crews[crew].load.push(bike);
    }

    /// Broken bikes ride on the truck's rack to the workshop and are out for the day.
    pub(super) fn send_to_workshop(&mut self, bike: u32) {
        self.take(bike);
        let op = usize::from(self.operator[bike as usize]);
        self.ledger
            .broken_handled(op, self.broken_since[bike as usize], self.now);
        self.workshop.push(bike);
        self.summary.repairs_collected += 1;
    }

    /// Loads the bikes left outside fences nearest to a fence (within the collection radius),
    /// up to half a truck; broken ones among them go to the workshop.
    pub(super) fn collect_outside(
        &mut self,
        f: &crate::fence::Fence,
        crew: usize,
        capacity: usize,
    ) {
        let Some(centre) = self.plan.fences.centre(f.id) else {
            return;
        };
        let op = self.dispatcher.crews[crew].operator.0 as u16;
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
    pub fn truck_arrived(&mut self, task: TaskId, at_s: u32, metres: f64) {
        self.dispatcher.arrived(task, at_s, metres);
        self.truck_arrivals.push(Reverse((at_s, task.index())));
    }

    /// Bikes on trucks now.
    pub fn in_trucks(&self) -> usize {
        self.dispatcher.crews.iter().map(|c| c.load.len()).sum()
    }

    /// The fence with room nearest to `p` within the parking radius.
    pub(super) fn fence_with_room(&self, p: Point<f64>) -> Option<FenceId> {
        let counts = &self.counts;
        self.plan
            .fences
            .nearest_within(p, self.config.park_radius_m, |f| {
                counts[f.id.index()] < f.capacity
            })
    }

    /// The monitored fence (the nearest) whose monitoring point sees `p`.
    pub(super) fn watching(&self, p: Point<f64>) -> Option<FenceId> {
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
    pub(super) fn outside_in_view(&self, fence: FenceId) -> Vec<u32> {
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
    pub(super) fn in_key_area(&self, p: Point<f64>) -> bool {
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
    pub(super) fn broken_near(&self, fence: FenceId) -> Vec<u32> {
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
}
