//! The demand forecast behind proactive rebalancing: expected departures and arrivals per
//! fence and hour of the day. Riders are matched to the fence nearest to where their trip
//! starts (within the walking radius) and ends (within the parking radius).
//!
//! The forecast is taken from the day's own wished-for trips, hour by hour: a perfect hourly
//! forecast. An operator's real forecast (last weeks' same weekday, weather) is worse, so the
//! proactive figures are the best this strategy can do; the reactive one needs no forecast.

use crate::demand::BikeTrip;
use crate::fence::Fences;
use serde::{Deserialize, Serialize};

/// Expected departures and arrivals per fence and hour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FenceForecast {
    departures: Vec<[u32; 24]>,
    arrivals: Vec<[u32; 24]>,
}

impl FenceForecast {
    pub fn from_trips(
        fences: &Fences,
        trips: &[BikeTrip],
        walk_radius_m: f64,
        park_radius_m: f64,
    ) -> FenceForecast {
        let n = fences.len();
        let mut f = FenceForecast {
            departures: vec![[0; 24]; n],
            arrivals: vec![[0; 24]; n],
        };
        for t in trips {
            let hour = (t.depart_s / 3600).min(23) as usize;
            if let Some(at) = fences.nearest_within(t.from, walk_radius_m, |_| true) {
                f.departures[at.index()][hour] += 1;
            }
            if let Some(at) = fences.nearest_within(t.to, park_radius_m, |_| true) {
                f.arrivals[at.index()][hour] += 1;
            }
        }
        f
    }

    /// Expected (departures, arrivals) at a fence in `[from_s, from_s + horizon_s)`, hours
    /// counted in proportion to the part of them inside the window.
    pub fn within(&self, fence: usize, from_s: u32, horizon_s: u32) -> (f64, f64) {
        let (Some(dep), Some(arr)) = (self.departures.get(fence), self.arrivals.get(fence)) else {
            return (0.0, 0.0);
        };
        let end = from_s.saturating_add(horizon_s).min(86_400);
        let (mut d, mut a) = (0.0, 0.0);
        for hour in (from_s / 3600).min(24)..end.div_ceil(3600).min(24) {
            let (h0, h1) = (hour * 3600, hour * 3600 + 3600);
            let share = f64::from(h1.min(end).saturating_sub(h0.max(from_s))) / 3600.0;
            d += f64::from(dep[hour as usize]) * share;
            a += f64::from(arr[hour as usize]) * share;
        }
        (d, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_take_the_share_of_each_hour_they_cover() {
        let f = FenceForecast {
            departures: vec![{
                let mut h = [0; 24];
                h[7] = 60;
                h[8] = 120;
                h
            }],
            arrivals: vec![[6; 24]],
        };
        // 07:30–09:00: half of hour 7, all of hour 8
        let (d, a) = f.within(0, 7 * 3600 + 1800, 5400);
        assert!((d - 150.0).abs() < 1e-9, "{d}");
        assert!((a - 9.0).abs() < 1e-9, "{a}");
        assert_eq!(f.within(0, 23 * 3600, 7200), (0.0, 6.0));
        assert_eq!(f.within(3, 0, 3600), (0.0, 0.0));
    }
}
