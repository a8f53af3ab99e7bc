//! The real Oslo Bysykkel feeds (assets/cities/oslo): GBFS docks and a week of occupancy.

#![allow(clippy::unwrap_used)]

use citytwin_bikes::gbfs::{read_station_information, read_station_status};
use citytwin_bikes::{Fences, OccupancySeries};
use geo::{Coord, Point};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/cities/oslo")
        .join(name)
}

/// Equirectangular metres around Oslo: enough for a test of docks 12 m wide.
fn local_metres(lon: f64, lat: f64) -> Option<Coord<f64>> {
    let k = 111_320.0;
    Some(Coord {
        x: (lon - 10.75) * k * 59.9f64.to_radians().cos(),
        y: (lat - 59.9) * k,
    })
}

#[test]
fn oslo_docks_become_fences_with_their_capacity() {
    let stations =
        read_station_information(&asset("gbfs_station_information_2022-10-23.json")).unwrap();
    assert_eq!(stations.len(), 260);
    let fences = Fences::from_stations(&stations, &local_metres).unwrap();
    assert_eq!(fences.len(), 260);
    let capacity: u32 = fences.iter().map(|f| f.capacity).sum();
    assert!(capacity > 3000, "{capacity} docks");
    // a bike at a station's position is in that station's fence
    for (s, f) in stations.iter().zip(fences.iter()) {
        let at = local_metres(s.lon, s.lat).unwrap();
        assert_eq!(fences.fence_at(Point::from(at)), Some(f.id), "{}", s.name);
    }
    let status = read_station_status(&asset("gbfs_station_status_2025-04-01.json")).unwrap();
    assert!(status.len() > 200);
    assert!(status.iter().all(|s| s.last_reported.is_some()));
}

#[test]
fn a_week_of_occupancy_gives_a_plausible_demand_signal() {
    let series =
        OccupancySeries::read_csv(&asset("station_status_timeseries_2024-11-23_to_29.csv"))
            .unwrap();
    assert_eq!(series.stations.len(), 264);
    let (flows, report) = series.hourly_flows();
    let departures: u64 = flows.iter().map(|f| u64::from(f.departures)).sum();
    let arrivals: u64 = flows.iter().map(|f| u64::from(f.arrivals)).sum();
    assert!(departures > 5_000, "{departures} departures");
    // what leaves must arrive somewhere (trucks aside): the two agree within 15%
    let ratio = departures as f64 / arrivals as f64;
    assert!(
        (0.85..1.15).contains(&ratio),
        "departures/arrivals {ratio:.2}"
    );
    assert!(report.rebalancing_moves > 0 && report.intervals > 100_000);
    // a weekday (Mon 2024-11-25, Oslo = UTC+1): the 07–09 peak beats 02–04 by far
    let monday = 1_732_489_200; // 2024-11-25T00:00+01:00
    let sum = |from_h: i64, to_h: i64| -> u64 {
        flows
            .iter()
            .filter(|f| (monday + from_h * 3600..monday + to_h * 3600).contains(&f.hour_start))
            .map(|f| u64::from(f.departures))
            .sum()
    };
    assert!(
        sum(7, 9) > 5 * sum(2, 4).max(1),
        "peak {} night {}",
        sum(7, 9),
        sum(2, 4)
    );
    let hours: BTreeSet<i64> = flows.iter().map(|f| f.hour_start).collect();
    assert!(hours.len() > 150, "{} hours with flows", hours.len());
}

/// The validation of issue 4: the week's departures and arrivals estimated from the real
/// occupancy series drive a replay on the real docks (with the operator's truck moves as
/// observed), and simulated occupancy is compared hour by hour with the real one.
#[test]
fn replaying_the_oslo_week_follows_the_real_occupancy() {
    use citytwin_bikes::docked::{ReplayOptions, replay, rides_from_flows, truck_moves};
    let stations =
        read_station_information(&asset("gbfs_station_information_2022-10-23.json")).unwrap();
    let series =
        OccupancySeries::read_csv(&asset("station_status_timeseries_2024-11-23_to_29.csv"))
            .unwrap();
    // docks the series and the station list share
    let known: Vec<_> = stations
        .iter()
        .filter(|s| series.stations.contains_key(&s.id))
        .cloned()
        .collect();
    let fences = Fences::from_stations(&known, &local_metres).unwrap();
    let station_fence: std::collections::BTreeMap<String, citytwin_city::FenceId> = known
        .iter()
        .zip(fences.iter())
        .map(|(s, f)| (s.id.clone(), f.id))
        .collect();
    let real = |id: &str, t: i64| -> Option<u32> {
        let samples = &series.stations[id];
        let i = samples.partition_point(|s| s.0 <= t);
        (i > 0).then(|| samples[i - 1].1)
    };
    let first = series
        .stations
        .values()
        .filter_map(|s| s.first())
        .map(|s| s.0)
        .min()
        .unwrap();
    let last = series
        .stations
        .values()
        .filter_map(|s| s.last())
        .map(|s| s.0)
        .max()
        .unwrap();
    let start: Vec<u32> = known
        .iter()
        .map(|s| real(&s.id, first).unwrap_or(0))
        .collect();
    let (flows, _) = series.hourly_flows();
    let opts = ReplayOptions::default();
    let rides = rides_from_flows(&fences, &station_fence, &flows, &opts, 1);
    let rides: Vec<_> = rides.into_iter().filter(|r| r.depart_s > first).collect();
    let trucks = truck_moves(&series, &station_fence);
    let hours: Vec<i64> = (first / 3600 + 1..=last / 3600).map(|h| h * 3600).collect();
    let out = replay(&fences, &start, &rides, &trucks, &hours, &opts);
    let (mut abs, mut within, mut n) = (0u64, 0u64, 0u64);
    for (k, &t) in hours.iter().enumerate() {
        for (i, s) in known.iter().enumerate() {
            let Some(obs) = real(&s.id, t) else { continue };
            let (sim, obs) = (
                out.occupancy[k][i],
                obs.min(fences.iter().nth(i).unwrap().capacity),
            );
            let d = u64::from(sim.abs_diff(obs));
            abs += d;
            within += u64::from(d <= 2);
            n += 1;
        }
    }
    let mae = abs as f64 / n as f64;
    let share = within as f64 / n as f64;
    println!(
        "Oslo week replay: {} docks, {} station-hours, {} rides ({} unmet, {} diverted), {} truck moves: MAE {:.2} bikes, {:.1}% within ±2",
        known.len(),
        n,
        out.trips,
        out.unmet_departures,
        out.diverted_arrivals,
        trucks.len(),
        mae,
        share * 100.0
    );
    // a replay that ignored demand (bikes frozen at the start) as the yardstick
    let (mut frozen, mut m) = (0u64, 0u64);
    for &t in &hours {
        for (i, s) in known.iter().enumerate() {
            let Some(obs) = real(&s.id, t) else { continue };
            frozen += u64::from(start[i].abs_diff(obs));
            m += 1;
        }
    }
    let frozen_mae = frozen as f64 / m as f64;
    println!("frozen-occupancy yardstick: MAE {frozen_mae:.2} bikes");
    assert!(
        mae < frozen_mae,
        "the replay ({mae:.2}) must beat doing nothing ({frozen_mae:.2})"
    );
    assert!(
        mae < 5.0 && share > 0.4,
        "MAE {mae:.2}, within ±2 {share:.2}"
    );
}
