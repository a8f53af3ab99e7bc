//! Plain views of the model for drawing and dashboards (A/B Street's render structs): what is
//! on each link and where each car is, without exposing the queues themselves.

use super::TrafficSim;
use crate::dynamic::Purpose;
use crate::dynamic::net::JAM_SPACING_M;
use citytwin_city::LinkId;
use serde::{Deserialize, Serialize};

/// Where a car is, for drawing: its link and how far along it (0 = start, 1 = end).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarPosition {
    pub link: LinkId,
    pub along: f32,
    /// A service vehicle (a bike crew's truck), drawn apart from private cars.
    pub service: bool,
}

/// A link's state now.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkLoad {
    /// Cars on the link (moving or queued).
    pub vehicles: u32,
    /// Free-flow time over the current travel time: 1 at free flow, towards 0 when jammed.
    pub speed_ratio: f32,
    /// Cars over the link's storage (0..=1).
    pub fill: f32,
    pub closed: bool,
}

impl TrafficSim {
    /// Each car's position at time `at_s` (between `now - 1` and `now`, for smooth drawing): a
    /// car moves along its link at free-flow speed until it reaches the back of the queue.
    /// In link order, then queue order, so the order is stable from one call to the next.
    pub fn car_positions(&self, at_s: f64, out: &mut Vec<CarPosition>) {
        out.clear();
        for (link, state) in self.links.iter().enumerate() {
            let Some(spec) = self.net.links[link].as_ref() else {
                continue;
            };
            // queue slots as a share of the link: lanes share the length
            let slot =
                (JAM_SPACING_M / (spec.length_m * f64::from(spec.lanes.max(1)))).clamp(1e-6, 1.0);
            for (place, &v) in state.queue.iter().enumerate() {
                let Some(car) = self.vehicles[v as usize].as_ref() else {
                    continue;
                };
                let span = f64::from(car.ready_at.saturating_sub(car.entered_at)).max(1.0);
                let free = (at_s - f64::from(car.entered_at)) / span;
                let behind_queue = 1.0 - place as f64 * slot;
                out.push(CarPosition {
                    link: LinkId::from_index(link),
                    along: free.min(behind_queue).clamp(0.0, 1.0) as f32,
                    service: self.trips[car.trip as usize].purpose == Purpose::Service,
                });
            }
        }
    }

    /// Every link's load, indexed by link. The speed is the worse of what the last cars out
    /// experienced and what the queue now promises (free-flow time plus the time for the cars
    /// ready to leave to discharge at capacity): a jam shows at once, not when its cars
    /// finally get out.
    pub fn link_loads(&self, out: &mut Vec<LinkLoad>) {
        out.clear();
        out.extend((0..self.links.len()).map(|l| self.load_of(l)));
    }

    /// Link `l`'s load (see [`TrafficSim::link_loads`]); `None` for no such link.
    pub fn link_load(&self, l: LinkId) -> Option<LinkLoad> {
        (l.index() < self.links.len()).then(|| self.load_of(l.index()))
    }

    fn load_of(&self, l: usize) -> LinkLoad {
        let state = &self.links[l];
        let vehicles = state.queue.len() as u32;
        let free = self.free_flow[l];
        let now = self.travel_time[l].max(self.discharge_time(l, self.now));
        LinkLoad {
            vehicles,
            speed_ratio: if now.is_finite() && now > 0.0 {
                (free / now).clamp(0.0, 1.0) as f32
            } else {
                0.0
            },
            fill: (f64::from(vehicles) / f64::from(state.storage.max(1))).min(1.0) as f32,
            closed: self.net.links[l].is_some() && state.lanes_open == 0,
        }
    }
}
