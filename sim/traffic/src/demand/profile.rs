//! When trips of an OD matrix leave: a share of the day's trips per hour.

use super::DemandError;
use super::table::{CsvRows, number};
use citytwin_city::rng::SimRng;
use std::path::Path;

/// Hourly shares (any scale; normalised when drawing).
#[derive(Clone, Debug, PartialEq)]
pub struct DepartureProfile {
    cumulative: [f64; 24],
}

/// A typical weekday urban car-traffic profile, in % of the day per hour from midnight: an
/// AM peak 07–09 and a broader PM peak 16–19, little at night. It is the common shape of
/// hourly variation curves from urban traffic counts, not a Chengdu measurement; pass your own
/// with `--profile` (CSV `hour,share`).
pub const TYPICAL_WEEKDAY: [f64; 24] = [
    0.8, 0.5, 0.4, 0.4, 0.6, 1.5, 4.0, 7.5, 8.0, 6.0, 5.2, 5.3, 5.2, 5.3, 5.5, 6.0, 7.0, 8.0, 7.0,
    5.0, 3.8, 3.0, 2.2, 1.3,
];

impl Default for DepartureProfile {
    fn default() -> Self {
        Self::from_shares(TYPICAL_WEEKDAY)
    }
}

impl DepartureProfile {
    pub fn from_shares(shares: [f64; 24]) -> Self {
        let mut cumulative = [0.0; 24];
        let mut total = 0.0;
        for (c, s) in cumulative.iter_mut().zip(shares) {
            total += s.max(0.0);
            *c = total;
        }
        Self { cumulative }
    }

    /// CSV with columns `hour` (0–23) and `share`; hours not listed get no trips.
    pub fn read(path: &Path) -> Result<Self, DemandError> {
        let mut rows = CsvRows::open(path)?;
        let hour = rows.require(&["hour"])?;
        let share = rows.require(&["share"])?;
        let mut shares = [0.0; 24];
        while let Some(row) = rows.next_row()? {
            let line = row.line;
            let h: usize = number(path, line, "hour", row.field(hour))?;
            let s: f64 = number(path, line, "share", row.field(share))?;
            if h >= 24 || !(s >= 0.0 && s.is_finite()) {
                return Err(DemandError::parse(
                    path,
                    line,
                    format!("expected an hour 0–23 and a share ≥ 0, found {h},{s}"),
                ));
            }
            shares[h] += s;
        }
        if shares.iter().sum::<f64>() <= 0.0 {
            return Err(DemandError::parse(
                path,
                1,
                "every share is 0: no trip could leave",
            ));
        }
        Ok(Self::from_shares(shares))
    }

    /// A departure time (seconds after midnight): an hour by its share, uniform within it.
    pub fn draw(&self, rng: &mut SimRng) -> u32 {
        let hour = rng.pick_cumulative(&self.cumulative).unwrap_or(8) as u32;
        hour * 3600 + rng.below(3600) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_shares() {
        let mut shares = [0.0; 24];
        shares[8] = 3.0;
        shares[17] = 1.0;
        let profile = DepartureProfile::from_shares(shares);
        let mut rng = SimRng::seed(3);
        let mut by_hour = [0u32; 24];
        for _ in 0..4000 {
            by_hour[(profile.draw(&mut rng) / 3600) as usize] += 1;
        }
        assert_eq!(by_hour[8] + by_hour[17], 4000);
        assert!((2850..3150).contains(&by_hour[8]), "{by_hour:?}");
    }
}
