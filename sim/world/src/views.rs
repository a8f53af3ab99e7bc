//! What dashboards and the viewer read from the World: city-wide traffic figures now, their
//! recent history, and the worst hotspots. Plain structs, computed from the model's views.

use citytwin_ops::vitals::TtiSums;
/// The traffic model's per-car and per-link views, as the viewer reads them.
pub use citytwin_traffic::dynamic::{CarPosition, LinkLoad};
use citytwin_traffic::dynamic::{QueueNetwork, TrafficSim};
use serde::{Deserialize, Serialize};

/// City-wide traffic figures at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrafficKpis {
    pub at_s: u32,
    /// Cars on links plus cars waiting to enter their first link.
    pub vehicles: u64,
    /// Space-mean speed of the cars on links now: the mean of their links' speeds (km/h); 0
    /// with none.
    pub mean_speed_kmh: f64,
    /// The travel time index of the cars on the road now (1 = free flow): the vital signs'
    /// city-wide value, computed the same way ([`TtiSums`]).
    pub travel_time_index: f64,
    pub trips_done: u64,
    pub trips: u64,
}

/// A link where cars lose the most time now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hotspot {
    pub link: citytwin_city::LinkId,
    pub vehicles: u32,
    pub speed_kmh: f64,
    /// Cars × (current − free-flow travel time): the time lost per second on this link.
    pub delay_s: f64,
}

/// A link counts as a hotspot below this share of its free-flow speed...
const HOTSPOT_SPEED_RATIO: f32 = 0.5;
/// ...with at least this many cars on it.
const HOTSPOT_MIN_VEHICLES: u32 = 5;

pub fn traffic_kpis(traffic: &TrafficSim, loads: &[LinkLoad]) -> TrafficKpis {
    // Σ cars × speed is the rate at which vehicle-km grow, so these are the instantaneous
    // forms of the day's VKT / VHT and of the VKT-weighted travel time index (FHWA): a few
    // jammed links weigh by the cars on them, not by the hours a crossing would take
    let (mut cars, mut tti) = (0.0, TtiSums::default());
    for_each_loaded(&traffic.net, loads, |_link, load, length_m, travel_s| {
        let n = f64::from(load.vehicles);
        cars += n;
        tti.add(n, length_m / travel_s * 3.6, f64::from(load.speed_ratio));
    });
    let counts = traffic.counts();
    TrafficKpis {
        at_s: traffic.now(),
        vehicles: counts.on_links + counts.waiting,
        mean_speed_kmh: if cars > 0.0 {
            tti.speed_sum / cars
        } else {
            0.0
        },
        travel_time_index: tti.index(),
        trips_done: counts.arrived,
        trips: traffic.trips().len() as u64,
    }
}

/// The `n` links losing the most time now, worst first (ties by link id).
pub fn hotspots(traffic: &TrafficSim, loads: &[LinkLoad], n: usize) -> Vec<Hotspot> {
    let mut found = Vec::new();
    for_each_loaded(&traffic.net, loads, |link, load, length_m, travel_s| {
        if load.vehicles < HOTSPOT_MIN_VEHICLES || load.speed_ratio >= HOTSPOT_SPEED_RATIO {
            return;
        }
        let free_s = travel_s * f64::from(load.speed_ratio);
        found.push(Hotspot {
            link: citytwin_city::LinkId(link),
            vehicles: load.vehicles,
            speed_kmh: length_m / travel_s * 3.6,
            delay_s: f64::from(load.vehicles) * (travel_s - free_s),
        });
    });
    found.sort_by(|a, b| b.delay_s.total_cmp(&a.delay_s).then(a.link.cmp(&b.link)));
    found.truncate(n);
    found
}

/// Calls `f(link, load, length_m, current travel time s)` for each open link with cars.
fn for_each_loaded(
    net: &QueueNetwork,
    loads: &[LinkLoad],
    mut f: impl FnMut(u32, &LinkLoad, f64, f64),
) {
    for (l, load) in loads.iter().enumerate() {
        let Some(spec) = net.links.get(l).and_then(Option::as_ref) else {
            continue;
        };
        if load.vehicles == 0 || load.closed || load.speed_ratio <= 0.0 {
            continue;
        }
        let free_s = f64::from(spec.free_flow_s.max(1));
        f(
            l as u32,
            load,
            spec.length_m,
            free_s / f64::from(load.speed_ratio),
        );
    }
}

/// The last samples of the city-wide figures, one per simulated minute.
pub type KpiHistory = citytwin_ops::ring::Ring<TrafficKpis>;
