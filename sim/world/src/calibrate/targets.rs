//! What a calibration fits to, and which parameters it may move: a targets file (RON).
//!
//! ```ron
//! (
//!     indicators: [
//!         (kind: PeakTti, value: 1.7, tolerance: 0.1, source: "Amap, China major cities 2019"),
//!         (kind: PeakSpeedKmh, value: 26.17, tolerance: 2.0, source: "Amap: Chengdu"),
//!     ],
//!     counts: Some("counts.csv"),
//!     fit: [DemandScale, Speed(All)],
//!     max_runs: 16,
//! )
//! ```

use citytwin_city::ron_file::{self, RonFileError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A city-wide figure of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum IndicatorKind {
    /// Travel time index of the trips leaving 07:00–09:00 and 17:00–19:00.
    PeakTti,
    /// Their mean speed (km/h).
    PeakSpeedKmh,
    /// Vehicle-km driven in the window.
    DailyVktKm,
    /// Stuck moves per trip: how often the network locks (a head car waits 300 s for room).
    StuckShare,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::PeakTti => "peak_tti",
            IndicatorKind::PeakSpeedKmh => "peak_speed_kmh",
            IndicatorKind::DailyVktKm => "daily_vkt_km",
            IndicatorKind::StuckShare => "stuck_share",
        }
    }
}

/// A published figure to fit: the fit weighs each miss by `(simulated − value) / tolerance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub kind: IndicatorKind,
    pub value: f64,
    /// How far off still counts as a fit (same unit as `value`).
    pub tolerance: f64,
    /// Where the figure comes from (shown in the report).
    #[serde(default)]
    pub source: String,
}

/// Road classes that move together (`citytwin_sim::model::CLASS_GROUPS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ClassGroup {
    Major,
    Minor,
    Local,
    All,
}

impl ClassGroup {
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            ClassGroup::Major => &["major"],
            ClassGroup::Minor => &["minor"],
            ClassGroup::Local => &["local"],
            ClassGroup::All => &["major", "minor", "local"],
        }
    }
}

/// A parameter calibration may move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Param {
    /// `demand.scale`
    DemandScale,
    /// `demand.car_share`
    CarShare,
    /// `demand.external_share`
    ExternalShare,
    /// `roads.capacity` of a group of classes
    Capacity(ClassGroup),
    /// `roads.speed` of a group of classes
    Speed(ClassGroup),
}

impl Param {
    pub fn name(self) -> String {
        match self {
            Param::DemandScale => "demand.scale".into(),
            Param::CarShare => "demand.car_share".into(),
            Param::ExternalShare => "demand.external_share".into(),
            Param::Capacity(g) => format!("roads.capacity.{}", g.groups().join("+")),
            Param::Speed(g) => format!("roads.speed.{}", g.groups().join("+")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Link counts and/or speeds (CSV; `counts.rs` gives the columns), relative to the file.
    #[serde(default)]
    pub counts: Option<PathBuf>,
    /// What may move; the default: the demand scale and all roads' free-flow speed.
    #[serde(default = "default_fit")]
    pub fit: Vec<Param>,
    /// Candidates at most (each costs `days` simulated days; two run at once on two cores).
    #[serde(default = "default_max_runs")]
    pub max_runs: u32,
    /// The simulated window, HH:MM.
    #[serde(default = "default_from")]
    pub from: String,
    #[serde(default = "default_to")]
    pub to: String,
    /// The seed of the first simulated day of each candidate.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated days per candidate, with seeds `seed`, `seed + 1`, …: the indicators and
    /// counts a candidate is judged by are the days' means, so the fit aims at an ordinary
    /// day rather than one seed's chance (on a congested network one day's peak travel time
    /// index moves by about ±0.05 with the seed).
    #[serde(default = "default_days")]
    pub days: u32,
}

fn default_days() -> u32 {
    1
}

fn default_fit() -> Vec<Param> {
    vec![Param::DemandScale, Param::Speed(ClassGroup::All)]
}

fn default_max_runs() -> u32 {
    16
}

fn default_from() -> String {
    "00:00".into()
}

fn default_to() -> String {
    "24:00".into()
}

fn default_seed() -> u64 {
    1
}

impl Targets {
    /// Reads and checks a targets file; `counts` becomes relative to the current directory.
    pub fn load(path: &Path) -> Result<Targets, RonFileError> {
        let mut t: Targets = ron_file::read(path)?;
        if let Some(c) = &mut t.counts {
            *c = path.parent().unwrap_or(Path::new("")).join(&*c);
        }
        t.check().map_err(|m| RonFileError::invalid(path, m))?;
        Ok(t)
    }

    /// The window in seconds after midnight.
    pub fn window(&self) -> Result<(u32, u32), String> {
        let parse = |field: &str, v: &str| {
            crate::scenario::Clock::parse(v)
                .map(|c| c.0)
                .ok_or_else(|| format!("{field}: expected a time HH:MM, found {v:?}"))
        };
        let (from, to) = (parse("from", &self.from)?, parse("to", &self.to)?);
        if from >= to {
            return Err(format!("from {} is not before to {}", self.from, self.to));
        }
        Ok((from, to))
    }

    pub fn check(&self) -> Result<(), String> {
        if self.indicators.is_empty() && self.counts.is_none() {
            return Err("nothing to fit: give indicators, counts or both".into());
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            if !(ind.value.is_finite() && ind.value > 0.0) {
                return Err(format!(
                    "indicators[{i}].value: expected a positive number, found {}",
                    ind.value
                ));
            }
            if !(ind.tolerance.is_finite() && ind.tolerance > 0.0) {
                return Err(format!(
                    "indicators[{i}].tolerance: expected a positive number, found {}",
                    ind.tolerance
                ));
            }
        }
        if self.fit.is_empty() {
            return Err("fit: expected at least one parameter to fit".into());
        }
        let mut seen = self.fit.clone();
        seen.sort();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("fit: {} is listed twice", w[0].name()));
        }
        if !(1..=8).contains(&self.days) {
            return Err(format!("days: expected 1 to 8, found {}", self.days));
        }
        if self.seed.checked_add(u64::from(self.days) - 1).is_none() {
            return Err(format!(
                "seed: {} leaves no room for {} days' seeds after it",
                self.seed, self.days
            ));
        }
        if self.max_runs < 2 {
            return Err(format!(
                "max_runs: expected at least 2, found {}",
                self.max_runs
            ));
        }
        self.window().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_targets_file_reads_with_defaults_and_bad_values_are_named() {
        let t: Targets = ron_file::from_str(
            "(indicators: [(kind: PeakTti, value: 1.7, tolerance: 0.1, source: \"x\")])",
        )
        .expect("valid");
        assert_eq!(t.fit, default_fit());
        assert_eq!(t.window(), Ok((0, 86_400)));
        assert!(t.check().is_ok());

        let bad: Targets = ron_file::from_str(
            "(indicators: [(kind: PeakTti, value: 1.7, tolerance: 0)], fit: [DemandScale, DemandScale])",
        )
        .expect("valid RON");
        assert!(bad.check().unwrap_err().contains("indicators[0].tolerance"));
        let twice: Targets = ron_file::from_str(
            "(indicators: [(kind: PeakTti, value: 1.7, tolerance: 0.1)], fit: [Speed(All), Speed(All)])",
        )
        .expect("valid RON");
        assert!(
            twice
                .check()
                .unwrap_err()
                .contains("roads.speed.major+minor+local is listed twice")
        );
        let empty: Targets = ron_file::from_str("()").expect("valid RON");
        assert!(empty.check().unwrap_err().contains("nothing to fit"));
        let days = |d: u32, seed: u64| {
            Targets {
                days: d,
                seed,
                ..t.clone()
            }
            .check()
        };
        assert!(days(8, 1).is_ok());
        assert!(days(0, 1).unwrap_err().contains("days: expected 1 to 8"));
        assert!(days(9, 1).unwrap_err().contains("days: expected 1 to 8"));
        assert!(days(1, u64::MAX).is_ok());
        assert!(days(2, u64::MAX).unwrap_err().contains("seed"));
    }
}
