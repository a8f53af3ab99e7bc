//! Per-link statistics in fixed time bins (flow, speed, density) and the day's totals.

use serde::{Deserialize, Serialize};

/// One link's traffic in one time bin. The model moves in whole seconds, so every sum here is
/// a whole number: kept as `u32` (exact, and a bin is 24 bytes — the bins are most of the
/// model's memory).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkBin {
    /// Vehicles that left the link in the bin.
    pub exits: u32,
    /// Summed seconds those vehicles spent on the link.
    pub travel_s: u32,
    /// ∫ vehicles on the link dt over the bin (vehicle-seconds).
    pub vehicle_s: u32,
    /// Vehicles the gridlock rule moved on from the head of the link in the bin.
    #[serde(default)]
    pub stuck: u32,
    /// Vehicles that got onto the link in the bin and have left it since (by the bin they
    /// got on in: what a car getting on then went through).
    #[serde(default)]
    pub entered_exits: u32,
    /// Their summed seconds on the link.
    #[serde(default)]
    pub entered_travel_s: u32,
}

impl LinkBin {
    pub fn is_empty(&self) -> bool {
        self.exits == 0 && self.vehicle_s == 0
    }

    /// Vehicles per hour that left the link.
    pub fn flow_vph(&self, bin_s: u32) -> f64 {
        f64::from(self.exits) * 3600.0 / f64::from(bin_s)
    }

    /// Space-mean speed of the cars that left (km/h); 0 when none left.
    pub fn mean_speed_kmh(&self, length_m: f64) -> f64 {
        if self.exits == 0 {
            return 0.0;
        }
        length_m / (f64::from(self.travel_s) / f64::from(self.exits)).max(1.0) * 3.6
    }

    /// Mean vehicles per km over the bin.
    pub fn density_veh_km(&self, length_m: f64, bin_s: u32) -> f64 {
        f64::from(self.vehicle_s) / f64::from(bin_s) / (length_m / 1000.0).max(1e-3)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkStats {
    pub bin_s: u32,
    /// bins[b][link]
    pub bins: Vec<Vec<LinkBin>>,
    link_count: usize,
}

impl LinkStats {
    pub fn new(bin_s: u32, link_count: usize) -> Self {
        Self {
            bin_s,
            bins: Vec::new(),
            link_count,
        }
    }

    /// The part of bin `b` that a run observing `[from_s, until_s)` saw, as (start, end) in
    /// seconds after midnight: the whole bin, or less for the first bin of a window that
    /// starts inside it and the last of a run stopped inside it. At least one second.
    pub fn observed(&self, b: usize, from_s: u32, until_s: u32) -> (u32, u32) {
        let start = (b as u32 * self.bin_s).max(from_s);
        let end = ((b as u32 + 1) * self.bin_s).min(until_s);
        (start, end.max(start + 1))
    }

    pub fn bin_mut(&mut self, t: u32, link: u32) -> &mut LinkBin {
        let b = (t / self.bin_s) as usize;
        while self.bins.len() <= b {
            self.bins.push(vec![LinkBin::default(); self.link_count]);
        }
        &mut self.bins[b][link as usize]
    }

    /// A link's bins summed over the day, and its highest bin density (veh/km).
    pub fn day_total(&self, link: usize, length_m: f64) -> (LinkBin, f64) {
        let mut total = LinkBin::default();
        let mut peak = 0.0f64;
        for bins in &self.bins {
            let b = &bins[link];
            total.entered_exits = total.entered_exits.saturating_add(b.entered_exits);
            total.entered_travel_s = total.entered_travel_s.saturating_add(b.entered_travel_s);
            total.exits += b.exits;
            total.travel_s = total.travel_s.saturating_add(b.travel_s);
            total.vehicle_s = total.vehicle_s.saturating_add(b.vehicle_s);
            total.stuck += b.stuck;
            peak = peak.max(b.density_veh_km(length_m, self.bin_s));
        }
        (total, peak)
    }

    /// Adds `vehicles × seconds` to a link from `from` to `to`, split at bin boundaries.
    pub fn add_occupancy(&mut self, link: u32, vehicles: usize, from: u32, to: u32) {
        if vehicles == 0 || to <= from {
            return;
        }
        let mut t = from;
        while t < to {
            let end = ((t / self.bin_s + 1) * self.bin_s).min(to);
            let added = u32::try_from(vehicles)
                .unwrap_or(u32::MAX)
                .saturating_mul(end - t);
            let bin = self.bin_mut(t, link);
            bin.vehicle_s = bin.vehicle_s.saturating_add(added);
            t = end;
        }
    }
}

/// The day's totals (the `traffic.` block of `summary.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrafficSummary {
    pub trips: u64,
    pub trips_completed: u64,
    pub trips_en_route: u64,
    pub trips_waiting: u64,
    pub trips_no_route: u64,
    pub vkt_km: f64,
    pub vht_h: f64,
    pub mean_speed_kmh: f64,
    pub mean_travel_time_s: f64,
    pub mean_delay_s: f64,
    /// Travel time index: Σ actual / Σ free-flow travel time of completed trips.
    pub congestion_index: f64,
    /// Vehicles moved on by the stuck rule.
    pub stuck_moves: u64,
    pub reroutes: u64,
    /// Service vehicles (bike crews' trucks) added while the day ran: counted in the
    /// kilometres, hours and mean speed, not in the trip figures.
    #[serde(default)]
    pub service_trips: u64,
    /// Share of the day's trips that arrived.
    #[serde(default)]
    pub completed_share: f64,
    /// Stuck moves per trip.
    #[serde(default)]
    pub stuck_share: f64,
    /// Arrived trips that left in a peak period (07:00–09:00, 17:00–19:00).
    #[serde(default)]
    pub peak_trips: u64,
    /// Their travel time index: Σ travel time / Σ free-flow time (Amap's congestion delay
    /// index; docs/traffic.md).
    #[serde(default)]
    pub peak_tti: f64,
    /// Their mean speed: Σ length / Σ travel time (km/h).
    #[serde(default)]
    pub peak_speed_kmh: f64,
}

/// The peak periods of China's traffic reports (Amap's: 07:00–09:00 and 17:00–19:00).
pub const PEAK_PERIODS_S: [(u32, u32); 2] = [(7 * 3600, 9 * 3600), (17 * 3600, 19 * 3600)];

/// Whether a trip leaving at `departure_s` counts in the peak figures.
pub fn is_peak(departure_s: u32) -> bool {
    PEAK_PERIODS_S
        .iter()
        .any(|(from, to)| (*from..*to).contains(&departure_s))
}

/// Sums over the arrived trips that left in a peak period.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PeakTotals {
    pub(crate) trips: u64,
    pub(crate) travel_s: f64,
    pub(crate) free_s: f64,
    pub(crate) length_m: f64,
}

impl PeakTotals {
    pub(crate) fn add(&mut self, travel_s: f64, free_s: f64, length_m: f64) {
        self.trips += 1;
        self.travel_s += travel_s;
        self.free_s += free_s;
        self.length_m += length_m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bin_cut_by_the_window_or_a_stop_is_observed_in_part() {
        let stats = LinkStats::new(900, 1);
        assert_eq!(stats.observed(4, 3600, 7200), (3600, 4500));
        // a window from 05:07, a run stopped at 08:07
        assert_eq!(stats.observed(20, 18_420, 29_220), (18_420, 18_900));
        assert_eq!(stats.observed(32, 18_420, 29_220), (28_800, 29_220));
    }
}
