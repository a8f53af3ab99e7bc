//! The day's totals (the traffic block of summary.json), from the trips' records and the
//! link bins.

use super::*;

impl TrafficSim {
    pub fn summary(&self) -> TrafficSummary {
        let mut s = TrafficSummary {
            reroutes: self.reroutes,
            vkt_km: self.vkt_m / 1000.0,
            ..TrafficSummary::default()
        };
        let (mut travel, mut free, mut delay) = (0.0, 0.0, 0.0);
        let mut peak = PeakTotals::default();
        for (spec, record) in self.trips.iter().zip(&self.records) {
            // trucks on the job share the road (kilometres, hours, speed) but are nobody's trip
            if spec.purpose == Purpose::Service {
                s.service_trips += 1;
                continue;
            }
            s.trips += 1;
            match record.status {
                TripStatus::Arrived => {
                    s.trips_completed += 1;
                    let t =
                        f64::from(record.arrival_s.unwrap_or(spec.departure_s) - spec.departure_s);
                    travel += t;
                    free += f64::from(record.free_flow_s);
                    if is_peak(spec.departure_s) {
                        peak.add(t, f64::from(record.free_flow_s), record.length_m);
                    }
                    delay += record.delay_s(spec).unwrap_or(0) as f64;
                }
                TripStatus::EnRoute => s.trips_en_route += 1,
                TripStatus::WaitingToEnter => s.trips_waiting += 1,
                TripStatus::NoRoute => s.trips_no_route += 1,
                TripStatus::Planned => {}
            }
        }
        let mut vehicle_s = 0.0;
        let bins = (0..self.stats.bin_count()).flat_map(|b| self.stats.links_in(b));
        for (_, bin) in bins {
            vehicle_s += f64::from(bin.vehicle_s);
            s.stuck_moves += u64::from(bin.stuck);
        }
        s.vht_h = vehicle_s / 3600.0;
        if s.vht_h > 0.0 {
            s.mean_speed_kmh = s.vkt_km / s.vht_h;
        }
        if s.trips_completed > 0 {
            let n = s.trips_completed as f64;
            s.mean_travel_time_s = travel / n;
            s.mean_delay_s = delay / n;
        }
        if free > 0.0 {
            s.congestion_index = travel / free;
        }
        if s.trips > 0 {
            s.completed_share = s.trips_completed as f64 / s.trips as f64;
            s.stuck_share = s.stuck_moves as f64 / s.trips as f64;
        }
        s.peak_trips = peak.trips;
        if peak.free_s > 0.0 {
            s.peak_tti = peak.travel_s / peak.free_s;
            s.peak_speed_kmh = peak.length_m / peak.travel_s * 3.6;
        }
        s
    }
}
