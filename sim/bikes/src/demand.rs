//! A documented synthetic day of shared-bike trips for a city with generated fences:
//! - 40% metro last mile: between a subway-entrance fence and a point 300 m–2.5 km away
//!   (towards the metro in the morning, away from it in the afternoon and evening);
//! - 20% bus feeder: the same with bus-stop fences, 300 m–1.5 km;
//! - 15% school and hospital trips: to them before noon, from them after;
//! - 25% shopping: between a shopping fence and a point 300 m–2 km away, either way.
//!
//! A kind's fences take at most [`TURNOVERS_PER_DAY`] × their stalls of its trips a day; what
//! they cannot take goes to the other kinds by their shares. An extract whose OSM maps few bus
//! stops (Nanjing's centre: 13, against Chengdu's 112) would otherwise send a fifth of the day's
//! riders to a dozen kerbside strips, which fill by mid-morning.
//!
//! Departure times follow the typical weekday profile (AM and PM peaks). The far end is a
//! random point of the city's homes (the car demand's estimate of residents) in the distance band,
//! or, where no home lies in the band, a point in a random direction at a random distance in it.

use crate::osm_fences::{FencePlan, FenceSite};
use citytwin_city::City;
use citytwin_city::rng::SimRng;
use citytwin_city::roads::Mode;
use citytwin_traffic::demand::activity::ActivityParams;
use citytwin_traffic::demand::sites::Sites;
use citytwin_traffic::demand::trip_list::{MAX_SNAP_M, Place, TripList};
use citytwin_traffic::demand::{DemandError, DepartureProfile};
use geo::{Centroid, Point};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One rider's wish.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BikeTrip {
    pub depart_s: u32,
    pub from: Point<f64>,
    pub to: Point<f64>,
}

/// A kind of bike trip: its share, the fences at one end, the distance band of the other end
/// (metres), and whether riders head to the fence before noon (else either way at random).
struct TripKind {
    share: f64,
    sites: &'static [FenceSite],
    band_m: (f64, f64),
    to_fence_before_noon: bool,
}

const fn kind(
    share: f64,
    sites: &'static [FenceSite],
    band_m: (f64, f64),
    to_fence_before_noon: bool,
) -> TripKind {
    TripKind {
        share,
        sites,
        band_m,
        to_fence_before_noon,
    }
}

const KINDS: [TripKind; 4] = [
    kind(0.40, &[FenceSite::SubwayEntrance], (300.0, 2500.0), true),
    kind(0.20, &[FenceSite::BusStop], (300.0, 1500.0), true),
    kind(
        0.15,
        &[FenceSite::School, FenceSite::Hospital],
        (300.0, 2500.0),
        true,
    ),
    kind(0.25, &[FenceSite::Shopping], (300.0, 2000.0), false),
];

/// The most trips a day a fence's stalls take as one end (a busy kerbside fence, emptied by
/// crews at the peaks, turns its stalls over about this often; a model assumption, docs/bikes.md).
pub const TURNOVERS_PER_DAY: f64 = 4.0;

/// Each kind's share of `trips` once every kind's fences take at most [`TURNOVERS_PER_DAY`] ×
/// their stalls: the surplus of full kinds goes to the others by their shares, until every
/// kind is full (then the rest keeps the documented shares).
fn shares_within_capacity(stalls: &[f64], trips: f64) -> Vec<f64> {
    let wanted: Vec<f64> = KINDS.iter().map(|k| k.share * trips).collect();
    let limit: Vec<f64> = stalls.iter().map(|s| s * TURNOVERS_PER_DAY).collect();
    let mut taken = vec![0.0; KINDS.len()];
    let mut left = trips;
    let mut open: Vec<usize> = (0..KINDS.len()).filter(|&k| limit[k] > 0.0).collect();
    while left > 0.5 && !open.is_empty() {
        let weight: f64 = open.iter().map(|&k| wanted[k]).sum();
        let mut next = Vec::new();
        let mut given = 0.0;
        for &k in &open {
            let offer = left * wanted[k] / weight;
            let take = offer.min(limit[k] - taken[k]);
            taken[k] += take;
            given += take;
            if taken[k] < limit[k] - 1e-9 {
                next.push(k);
            }
        }
        left -= given;
        if next.len() == open.len() {
            break;
        }
        open = next;
    }
    if left > 0.5 {
        // every kind full: the rest as documented
        for k in 0..KINDS.len() {
            taken[k] += left * KINDS[k].share;
        }
    }
    let total: f64 = taken.iter().sum();
    taken.iter().map(|t| t / total.max(1e-9)).collect()
}

/// `trips` riders' wishes between `plan`'s fences and the homes the demand model estimates
/// with `activity` (see the module docs).
pub fn synthetic_bike_day(
    city: &City,
    plan: &FencePlan,
    activity: &ActivityParams,
    trips: u32,
    seed: u64,
) -> Vec<BikeTrip> {
    let mut rng = SimRng::fork(seed, "bikes.demand");
    let profile = DepartureProfile::default();
    let homes = citytwin_traffic::demand::activity::estimate(city, activity).homes;
    let extent = city.bundle.meta.extent;
    // each kind's fences: their centres, and their stalls in all
    let (by_kind, stalls): (Vec<Vec<Point<f64>>>, Vec<f64>) = KINDS
        .iter()
        .map(|kind| {
            let fences: Vec<_> = plan
                .fences
                .iter()
                .zip(&plan.sites)
                .filter(|(_, s)| kind.sites.contains(s))
                .map(|(f, _)| f)
                .collect();
            (
                fences.iter().filter_map(|f| f.area.centroid()).collect(),
                fences.iter().map(|f| f64::from(f.capacity)).sum::<f64>(),
            )
        })
        .unzip();
    let shares = shares_within_capacity(&stalls, f64::from(trips));
    let mut out = Vec::with_capacity(trips as usize);
    for _ in 0..trips {
        let depart_s = profile.draw(&mut rng);
        let mut u = rng.unit();
        let kind = shares
            .iter()
            .position(|share| {
                u -= share;
                u < 0.0
            })
            .unwrap_or(KINDS.len() - 1);
        let fences = if by_kind[kind].is_empty() {
            // a city without that kind of site: any fence serves
            by_kind.iter().find(|v| !v.is_empty())
        } else {
            Some(&by_kind[kind])
        };
        let Some(fences) = fences else {
            break;
        };
        let fence = fences[rng.below(fences.len() as u64) as usize];
        let (lo, hi) = KINDS[kind].band_m;
        let far = far_end(&homes, fence, lo, hi, &mut rng);
        let far = Point::new(
            far.x().clamp(extent.min().x, extent.max().x),
            far.y().clamp(extent.min().y, extent.max().y),
        );
        let toward = if KINDS[kind].to_fence_before_noon {
            depart_s < 12 * 3600
        } else {
            rng.unit() < 0.5
        };
        let (from, to) = if toward { (far, fence) } else { (fence, far) };
        out.push(BikeTrip { depart_s, from, to });
    }
    out.sort_by_key(|t| t.depart_s);
    out
}

/// Bike trips from a trip list in the car trip list's format (`citytwin_traffic::demand::
/// trip_list`: `depart`, `from_lon,from_lat` or `from_node`, `to_lon,to_lat` or `to_node`):
/// lon/lat places are projected with `to_city`, OSM nodes stand where the node is. A place
/// farther than [`MAX_SNAP_M`] from the bike-permitted graph is an error naming the line.
pub fn bike_trips_from_list(
    city: &City,
    list: &TripList,
    to_city: &dyn Fn(f64, f64) -> Option<Point<f64>>,
) -> Result<Vec<BikeTrip>, DemandError> {
    let roads = city.roads();
    let node_at: BTreeMap<i64, Point<f64>> =
        roads.nodes.iter().map(|n| (n.osm_id, n.point)).collect();
    let place = |p: Place, line: usize, end: &str| -> Result<Point<f64>, DemandError> {
        let fail = |message: String| DemandError::Parse {
            path: list.path.clone(),
            line,
            message: format!("{end}: {message}"),
        };
        let point = match p {
            Place::LonLat(lon, lat) => to_city(lon, lat)
                .ok_or_else(|| fail(format!("{lon},{lat} cannot be projected to the city CRS")))?,
            Place::Node(id) => *node_at
                .get(&id)
                .ok_or_else(|| fail(format!("OSM node {id} is not a node of the road graph")))?,
        };
        city.nearest_link(point, Mode::Bike)
            .filter(|m| m.distance_m <= MAX_SNAP_M)
            .map(|_| point)
            .ok_or_else(|| {
                fail(format!(
                    "more than {MAX_SNAP_M} m from any road bikes may use in the city"
                ))
            })
    };
    let mut trips = Vec::with_capacity(list.requests.len());
    for r in &list.requests {
        trips.push(BikeTrip {
            depart_s: r.departure_s,
            from: place(r.from, r.line, "from")?,
            to: place(r.to, r.line, "to")?,
        });
    }
    // stable: riders wishing at the same second keep the file's order
    trips.sort_by_key(|t| t.depart_s);
    Ok(trips)
}

fn far_end(homes: &Sites, fence: Point<f64>, lo: f64, hi: f64, rng: &mut SimRng) -> Point<f64> {
    if let Some(p) = homes.draw_point_between(fence, lo, hi, rng) {
        return p;
    }
    // nobody lives in the band (a fence by a lake or at the extract's edge)
    let angle = rng.unit() * std::f64::consts::TAU;
    let d = lo + rng.unit() * (hi - lo);
    Point::new(fence.x() + d * angle.cos(), fence.y() + d * angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_with_room_keep_their_shares_and_full_kinds_pass_on_their_surplus() {
        // metro, bus, school+hospital, shopping: plenty of stalls everywhere
        let roomy = shares_within_capacity(&[1e6; 4], 10_000.0);
        for (share, kind) in roomy.iter().zip(&KINDS) {
            assert!((share - kind.share).abs() < 1e-9, "{roomy:?}");
        }
        // a dozen bus stops take 4 × 300 = 1,200 of the 2,000 bus trips wanted; the 800 go to
        // the others by their shares (40 : 15 : 25)
        let few_stops = shares_within_capacity(&[1e6, 300.0, 1e6, 1e6], 10_000.0);
        assert!((few_stops[1] - 0.12).abs() < 1e-9, "{few_stops:?}");
        assert!((few_stops[0] - (0.40 + 0.08 * 40.0 / 80.0)).abs() < 1e-9);
        assert!((few_stops.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // no kind has fences: the documented shares
        let none = shares_within_capacity(&[0.0; 4], 100.0);
        assert!((none[0] - 0.40).abs() < 1e-9, "{none:?}");
    }
}
