//! A docked bike-share replayed from demand: riders take a bike where one is docked (else the
//! departure is unmet), ride to their destination, and dock there if it has room, else at the
//! nearest dock with room (a diverted arrival). Operator truck moves are replayed as given.
//! Event-driven, deterministic: ties in time are broken by kind, then by input order.

use crate::fence::Fences;
use crate::series::{HourlyFlow, MAX_GAP_S, OccupancySeries, REBALANCING_JUMP};
use citytwin_city::FenceId;
use citytwin_city::rng::SimRng;
use geo::{Distance, Euclidean, Point};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// A rider's wish: leave `from` at `depart_s` for `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ride {
    pub depart_s: i64,
    pub from: FenceId,
    pub to: FenceId,
}

/// An operator's truck adding (or with a negative delta, taking) bikes at a dock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TruckMove {
    pub at_s: i64,
    pub fence: FenceId,
    pub delta: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplayOptions {
    /// Riding speed along the road (m/s): 15 km/h.
    pub ride_speed_mps: f64,
    /// Road distance over straight-line distance, where no bike graph is used.
    pub detour: f64,
    /// Destinations drawn with weight `arrivals × exp(−distance / this)`: 2 km, about the
    /// mean trip of a city bike share (Oslo Bysykkel reports 2–2.5 km).
    pub trip_length_m: f64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            ride_speed_mps: 15.0 / 3.6,
            detour: 1.3,
            trip_length_m: 2000.0,
        }
    }
}

/// What a replay did, and the docks' bikes at each sample time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayOutcome {
    pub trips: u64,
    pub unmet_departures: u64,
    pub diverted_arrivals: u64,
    /// `occupancy[k][fence]` at `sample_times[k]`.
    pub occupancy: Vec<Vec<u32>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Truck,
    Departure,
    Sample,
}

/// Runs the rides and truck moves from `start` bikes per dock; samples at the given times.
pub fn replay(
    fences: &Fences,
    start: &[u32],
    rides: &[Ride],
    trucks: &[TruckMove],
    sample_times: &[i64],
    opts: &ReplayOptions,
) -> ReplayOutcome {
    let centres = centres(fences);
    let capacity: Vec<u32> = fences.iter().map(|f| f.capacity).collect();
    let mut bikes: Vec<u32> = start
        .iter()
        .zip(&capacity)
        .map(|(b, c)| *b.min(c))
        .collect();
    // (time, kind, seq, fence) — seq keeps input order among equal times
    let mut queue: BinaryHeap<Reverse<(i64, Kind, usize, u32)>> = BinaryHeap::new();
    for (i, r) in rides.iter().enumerate() {
        queue.push(Reverse((r.depart_s, Kind::Departure, i, r.from.0)));
    }
    for (i, t) in trucks.iter().enumerate() {
        queue.push(Reverse((t.at_s, Kind::Truck, i, t.fence.0)));
    }
    for (i, &t) in sample_times.iter().enumerate() {
        queue.push(Reverse((t, Kind::Sample, i, 0)));
    }
    let mut out = ReplayOutcome {
        occupancy: vec![Vec::new(); sample_times.len()],
        ..ReplayOutcome::default()
    };
    let mut arrivals = 0usize;
    while let Some(Reverse((t, kind, seq, fence))) = queue.pop() {
        let f = fence as usize;
        match kind {
            Kind::Departure => {
                if bikes[f] == 0 {
                    out.unmet_departures += 1;
                    continue;
                }
                bikes[f] -= 1;
                out.trips += 1;
                let to = rides[seq].to.index();
                let metres = Euclidean.distance(centres[f], centres[to]) * opts.detour;
                let ride_s = (metres / opts.ride_speed_mps).round().max(60.0) as i64;
                arrivals += 1;
                queue.push(Reverse((t + ride_s, Kind::Arrival, arrivals, to as u32)));
            }
            Kind::Arrival => {
                let dock = if bikes[f] < capacity[f] {
                    f
                } else {
                    out.diverted_arrivals += 1;
                    nearest_with_room(&centres, &bikes, &capacity, f).unwrap_or(f)
                };
                bikes[dock] += 1;
            }
            Kind::Truck => {
                let delta = trucks[seq].delta;
                bikes[f] = (i64::from(bikes[f]) + i64::from(delta)).clamp(0, i64::from(capacity[f]))
                    as u32;
            }
            Kind::Sample => out.occupancy[seq] = bikes.clone(),
        }
    }
    out
}

fn centres(fences: &Fences) -> Vec<Point<f64>> {
    fences
        .iter()
        .map(|f| fences.centre(f.id).unwrap_or(Point::new(0.0, 0.0)))
        .collect()
}

fn nearest_with_room(
    centres: &[Point<f64>],
    bikes: &[u32],
    capacity: &[u32],
    from: usize,
) -> Option<usize> {
    (0..centres.len())
        .filter(|&j| bikes[j] < capacity[j])
        .min_by(|&a, &b| {
            let d = |j: usize| Euclidean.distance(centres[from], centres[j]);
            d(a).total_cmp(&d(b)).then(a.cmp(&b))
        })
}

/// Rides from estimated hourly departures: each departs at a random time in its hour, to a
/// destination drawn among the docks with arrivals in that hour or the next, weighted by
/// those arrivals and by distance decay (`ReplayOptions::trip_length_m`).
pub fn rides_from_flows(
    fences: &Fences,
    station_fence: &BTreeMap<String, FenceId>,
    flows: &[HourlyFlow],
    opts: &ReplayOptions,
    seed: u64,
) -> Vec<Ride> {
    let mut rng = SimRng::fork(seed, "bikes.replay");
    let centres = centres(fences);
    let mut arrivals_by_hour: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for f in flows {
        if let Some(id) = station_fence.get(&f.station) {
            arrivals_by_hour
                .entry(f.hour_start)
                .or_insert_with(|| vec![0.0; fences.len()])[id.index()] += f64::from(f.arrivals);
        }
    }
    let mut rides = Vec::new();
    let mut cumulative = Vec::with_capacity(fences.len());
    for f in flows {
        let Some(&from) = station_fence.get(&f.station) else {
            continue;
        };
        let mut pull = vec![0.0; fences.len()];
        for hour in [f.hour_start, f.hour_start + 3600] {
            if let Some(a) = arrivals_by_hour.get(&hour) {
                pull.iter_mut().zip(a).for_each(|(p, v)| *p += v);
            }
        }
        cumulative.clear();
        let mut total = 0.0;
        for (j, p) in pull.iter().enumerate() {
            let d = Euclidean.distance(centres[from.index()], centres[j]);
            if j != from.index() {
                total += p * (-d / opts.trip_length_m).exp();
            }
            cumulative.push(total);
        }
        for _ in 0..f.departures {
            let depart_s = f.hour_start + (rng.unit() * 3600.0) as i64;
            if let Some(to) = rng.pick_cumulative(&cumulative) {
                rides.push(Ride {
                    depart_s,
                    from,
                    to: FenceId::from_index(to),
                });
            }
        }
    }
    rides.sort_by_key(|r| r.depart_s);
    rides
}

/// The operator moves seen in a series (jumps of [`REBALANCING_JUMP`] bikes or more).
pub fn truck_moves(
    series: &OccupancySeries,
    station_fence: &BTreeMap<String, FenceId>,
) -> Vec<TruckMove> {
    let mut moves = Vec::new();
    for (station, samples) in &series.stations {
        let Some(&fence) = station_fence.get(station) else {
            continue;
        };
        for pair in samples.windows(2) {
            let ((t0, b0), (t1, b1)) = (pair[0], pair[1]);
            if t1 - t0 <= MAX_GAP_S && b1.abs_diff(b0) >= REBALANCING_JUMP {
                moves.push(TruckMove {
                    at_s: t1,
                    fence,
                    delta: b1 as i32 - b0 as i32,
                });
            }
        }
    }
    moves.sort_by_key(|m| (m.at_s, m.fence));
    moves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fence::{Fence, circle};
    use geo::Coord;

    fn two_docks(capacity: u32) -> Fences {
        Fences::new(
            [0.0, 3000.0]
                .iter()
                .map(|&x| Fence {
                    id: FenceId(0),
                    name: format!("dock at {x}"),
                    area: circle(Coord { x, y: 0.0 }, 12.0),
                    capacity,
                    dock: true,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn rides_move_bikes_unmet_when_empty_diverted_when_full() {
        let fences = two_docks(2);
        let ride = |t, from, to| Ride {
            depart_s: t,
            from: FenceId(from),
            to: FenceId(to),
        };
        // dock 0 has 1 bike, dock 1 is full (2 of 2)
        let rides = [ride(0, 0, 1), ride(10, 0, 1)];
        let samples = [5, 10_000];
        let out = replay(
            &fences,
            &[1, 2],
            &rides,
            &[],
            &samples,
            &ReplayOptions::default(),
        );
        assert_eq!((out.trips, out.unmet_departures), (1, 1));
        assert_eq!(out.occupancy[0], vec![0, 2]);
        // the rider found dock 1 full and docked at the nearest with room: dock 0
        assert_eq!(out.diverted_arrivals, 1);
        assert_eq!(out.occupancy[1], vec![1, 2]);
    }

    #[test]
    fn trucks_are_replayed_within_capacity() {
        let fences = two_docks(10);
        let trucks = [
            TruckMove {
                at_s: 100,
                fence: FenceId(0),
                delta: 20,
            },
            TruckMove {
                at_s: 200,
                fence: FenceId(1),
                delta: -3,
            },
        ];
        let out = replay(
            &fences,
            &[0, 2],
            &[],
            &trucks,
            &[300],
            &ReplayOptions::default(),
        );
        assert_eq!(out.occupancy[0], vec![10, 0]);
    }
}
