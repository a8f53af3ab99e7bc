//! Per-link statistics in fixed time bins (flow, speed, density) and the day's totals.

use citytwin_city::LinkId;
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

/// Every link's bins, one column per time bin. The current bin is a dense column (every link,
/// written in place); once the clock has left a bin, only the links with traffic in it are
/// kept, in link order. On a regional day most links are quiet in most bins, and dense columns
/// were most of the model's memory (96 bins × 128,880 links × 24 bytes = 297 MB).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LinkStats {
    pub bin_s: u32,
    columns: Vec<Column>,
    link_count: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Column {
    Dense(Vec<LinkBin>),
    /// The links with any figure, by link.
    Settled(Vec<(u32, LinkBin)>),
}

impl Column {
    fn get(&self, link: usize) -> Option<&LinkBin> {
        match self {
            Column::Dense(bins) => bins.get(link),
            Column::Settled(bins) => bins
                .binary_search_by_key(&(link as u32), |(l, _)| *l)
                .ok()
                .map(|i| &bins[i].1),
        }
    }

    fn get_mut(&mut self, link: u32) -> &mut LinkBin {
        match self {
            Column::Dense(bins) => &mut bins[link as usize],
            Column::Settled(bins) => {
                // a figure booked late to a bin that had none for the link (rare: the
                // occupancy up to every bin's end is booked when the clock leaves it)
                let i = match bins.binary_search_by_key(&link, |(l, _)| *l) {
                    Ok(i) => i,
                    Err(i) => {
                        bins.insert(i, (link, LinkBin::default()));
                        i
                    }
                };
                &mut bins[i].1
            }
        }
    }

    fn settle(&mut self) {
        if let Column::Dense(bins) = self {
            let kept = bins
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != LinkBin::default())
                .map(|(l, b)| (l as u32, *b))
                .collect();
            *self = Column::Settled(kept);
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Column::Dense(bins) => bins.capacity() * std::mem::size_of::<LinkBin>(),
            Column::Settled(bins) => bins.capacity() * std::mem::size_of::<(u32, LinkBin)>(),
        }
    }
}

impl PartialEq for LinkStats {
    /// The same figures, whichever bins have settled.
    fn eq(&self, other: &Self) -> bool {
        self.bin_s == other.bin_s
            && self.link_count == other.link_count
            && self.columns.len() == other.columns.len()
            && (0..self.columns.len()).all(|b| self.links_in(b).eq(other.links_in(b)))
    }
}

impl LinkStats {
    pub fn new(bin_s: u32, link_count: usize) -> Self {
        Self {
            bin_s,
            columns: Vec::new(),
            link_count,
        }
    }

    /// Bins from midnight to the last one anything was booked in.
    pub fn bin_count(&self) -> usize {
        self.columns.len()
    }

    /// The bins the clock has left, from midnight: their flows, speeds, densities and stuck
    /// moves are final (only `entered_*`, booked when a car that got on then leaves, grow).
    pub fn settled_bins(&self) -> usize {
        self.columns
            .iter()
            .take_while(|c| matches!(c, Column::Settled(_)))
            .count()
    }

    /// Link `link`'s figures in bin `b` (all zero where it had no traffic).
    pub fn get(&self, b: usize, link: LinkId) -> LinkBin {
        self.columns
            .get(b)
            .and_then(|c| c.get(link.index()))
            .copied()
            .unwrap_or_default()
    }

    /// The links with any figure in bin `b`, in link order.
    pub fn links_in(&self, b: usize) -> impl Iterator<Item = (LinkId, &LinkBin)> + '_ {
        let (dense, settled) = match self.columns.get(b) {
            Some(Column::Dense(bins)) => (Some(bins), None),
            Some(Column::Settled(bins)) => (None, Some(bins)),
            None => (None, None),
        };
        let dense = dense
            .into_iter()
            .flat_map(|bins| bins.iter().enumerate())
            .filter(|(_, bin)| **bin != LinkBin::default())
            .map(|(l, bin)| (LinkId::from_index(l), bin));
        let settled = settled
            .into_iter()
            .flat_map(|bins| bins.iter().map(|(l, bin)| (LinkId(*l), bin)));
        dense.chain(settled)
    }

    /// The part of bin `b` that a run observing `[from_s, until_s)` saw, as (start, end) in
    /// seconds after midnight: the whole bin, or less for the first bin of a window that
    /// starts inside it and the last of a run stopped inside it. At least one second.
    pub fn observed(&self, b: usize, from_s: u32, until_s: u32) -> (u32, u32) {
        let start = (b as u32 * self.bin_s).max(from_s);
        let end = ((b as u32 + 1) * self.bin_s).min(until_s);
        (start, end.max(start + 1))
    }

    pub(crate) fn bin_mut(&mut self, t: u32, link: u32) -> &mut LinkBin {
        let b = (t / self.bin_s) as usize;
        while self.columns.len() <= b {
            self.columns
                .push(Column::Dense(vec![LinkBin::default(); self.link_count]));
        }
        self.columns[b].get_mut(link)
    }

    /// Keeps only the links with traffic in every bin before the one `t` falls in (call once
    /// the occupancy up to `t` is booked).
    pub fn settle_before(&mut self, t: u32) {
        let current = (t / self.bin_s) as usize;
        for column in self.columns.iter_mut().take(current) {
            column.settle();
        }
    }

    /// Every link's bins summed over the day, and its highest bin density (veh/km);
    /// `length_m` gives a link's length.
    pub fn day_totals(&self, length_m: impl Fn(LinkId) -> f64) -> Vec<(LinkBin, f64)> {
        let mut totals = vec![(LinkBin::default(), 0.0f64); self.link_count];
        for b in 0..self.columns.len() {
            for (link, bin) in self.links_in(b) {
                let (total, peak) = &mut totals[link.index()];
                total.entered_exits = total.entered_exits.saturating_add(bin.entered_exits);
                total.entered_travel_s =
                    total.entered_travel_s.saturating_add(bin.entered_travel_s);
                total.exits += bin.exits;
                total.travel_s = total.travel_s.saturating_add(bin.travel_s);
                total.vehicle_s = total.vehicle_s.saturating_add(bin.vehicle_s);
                total.stuck += bin.stuck;
                *peak = peak.max(bin.density_veh_km(length_m(link), self.bin_s));
            }
        }
        totals
    }

    /// Heap bytes of the bins.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum()
    }

    /// Adds `vehicles × seconds` to a link from `from` to `to`, split at bin boundaries.
    pub(crate) fn add_occupancy(&mut self, link: u32, vehicles: usize, from: u32, to: u32) {
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

    fn booked(stats: &mut LinkStats) {
        stats.bin_mut(10, 3).exits += 2;
        stats.add_occupancy(1, 2, 50, 1000);
        stats.bin_mut(950, 0).stuck += 1;
    }

    #[test]
    fn settled_bins_keep_every_figure_and_only_busy_links() {
        let mut dense = LinkStats::new(900, 5);
        booked(&mut dense);
        let mut settled = dense.clone();
        assert_eq!(settled.settled_bins(), 0);
        settled.settle_before(1000);
        assert_eq!((settled.settled_bins(), settled.bin_count()), (1, 2));
        assert_eq!(settled, dense);
        assert_eq!(settled.get(0, LinkId(3)).exits, 2);
        assert_eq!(settled.get(0, LinkId(1)).vehicle_s, 2 * 850);
        assert_eq!(settled.get(1, LinkId(1)).vehicle_s, 2 * 100);
        assert_eq!(settled.get(0, LinkId(4)), LinkBin::default());
        let busy: Vec<usize> = settled.links_in(0).map(|(l, _)| l.index()).collect();
        assert_eq!(busy, vec![1, 3]);
        assert!(settled.heap_bytes() < dense.heap_bytes());
        // a figure booked late to a settled bin lands in place, in link order
        settled.bin_mut(20, 2).entered_exits += 1;
        settled.bin_mut(30, 3).entered_exits += 1;
        let busy: Vec<(usize, u32)> = settled
            .links_in(0)
            .map(|(l, b)| (l.index(), b.entered_exits))
            .collect();
        assert_eq!(busy, vec![(1, 0), (2, 1), (3, 1)]);
        assert_ne!(settled, dense);
    }

    #[test]
    fn day_totals_add_the_bins_of_each_link() {
        let mut stats = LinkStats::new(900, 5);
        booked(&mut stats);
        stats.settle_before(900);
        let totals = stats.day_totals(|_| 500.0);
        assert_eq!(totals[1].0.vehicle_s, 2 * 950);
        assert_eq!(totals[0].0.stuck, 1);
        assert_eq!(totals[4], (LinkBin::default(), 0.0));
        // 1,700 vehicle-seconds over a 900 s bin on half a kilometre
        assert!((totals[1].1 - 1700.0 / 900.0 / 0.5).abs() < 1e-12);
        assert_eq!(stats.get(1, LinkId(0)).stuck, 1);
    }

    #[test]
    fn a_bin_cut_by_the_window_or_a_stop_is_observed_in_part() {
        let stats = LinkStats::new(900, 1);
        assert_eq!(stats.observed(4, 3600, 7200), (3600, 4500));
        // a window from 05:07, a run stopped at 08:07
        assert_eq!(stats.observed(20, 18_420, 29_220), (18_420, 18_900));
        assert_eq!(stats.observed(32, 18_420, 29_220), (28_800, 29_220));
    }
}
