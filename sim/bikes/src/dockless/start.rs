//! The day's start: where each bike is parked, how long each wish's ride takes, and which
//! car link serves each fence.

use super::*;

/// Each wish's riding time: its fastest bike path, or the straight line × 1.3 at the
/// fallback speed where the graph has none. The paths are independent, so they are found on
/// every core (each in its place: the same times whatever the thread count); a big city's
/// day has tens of thousands.
pub(super) fn ride_times(city: &City, trips: &[BikeTrip]) -> Vec<u32> {
    use rayon::prelude::*;
    let ride = |t: &BikeTrip| match city.fastest_path_between(t.from, t.to, Mode::Bike) {
        Some(r) => r.route.time_s.round() as u32,
        None => (Euclidean.distance(t.from, t.to) * 1.3 / RIDE_FALLBACK_MPS).round() as u32,
    };
    trips.par_iter().map(ride).collect()
}

/// The depot's car link (nearest the extent's centre) and each fence's (nearest its centre;
/// the depot's where none is), where crews' trucks start and stop.
pub(super) fn fence_links(city: &City, plan: &FencePlan) -> (LinkId, Vec<LinkId>) {
    let car_link = |p: Point<f64>| city.nearest_link(p, Mode::Car).map(|m| m.link);
    let depot_link = car_link(city.bundle.meta.extent.center().into()).unwrap_or(LinkId(0));
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
    (depot_link, fence_link)
}

impl BikeSim {
    /// The fleet parked in the fences at the start, drawn by capacity (times the start bias).
    pub(super) fn place_fleet(&mut self, seed: u64) {
        let mut rng = SimRng::fork(seed, "bikes.fleet");
        let cumulative: Vec<f64> = self
            .plan
            .fences
            .iter()
            .enumerate()
            .scan(0.0, |acc, (i, f)| {
                let bias = self
                    .config
                    .start_bias
                    .get(i)
                    .copied()
                    .unwrap_or(1.0)
                    .max(0.0);
                *acc += f64::from(f.capacity) * bias;
                Some(*acc)
            })
            .collect();
        for b in 0..self.config.fleet {
            let mut at = None;
            // a full dock takes no more bikes: draw again (a fleet larger than the docks
            // leaves the rest where the last draw fell)
            for _ in 0..20 {
                let Some(f) = rng.pick_cumulative(&cumulative) else {
                    break;
                };
                let Some(fence) = self.plan.fences.get(FenceId::from_index(f)) else {
                    break;
                };
                at = random_point_in(&Geometry::Polygon(fence.area.clone()), &mut rng);
                if !(fence.dock && self.counts[f] >= fence.capacity) {
                    break;
                }
            }
            let at = at.unwrap_or_else(|| Point::new(0.0, 0.0));
            self.positions.push(None);
            self.fence_of.push(None);
            self.park(b, at);
        }
    }
}
