//! What a simulated day is made of besides its scene: the window, where the trips come from,
//! the shared bikes and the drivers' behaviour. Plain data: a command line, a sweep plan or a
//! test fills it in; `run`, `compare`, `sweep`, `forecast` and the wall all share it.

use crate::error::{Result, RunError, Setting};
use citytwin_bikes::{CrewShift, Rebalancing};
use citytwin_traffic::demand::ZoneKind;
use citytwin_traffic::dynamic::{DEFAULT_REROUTE_SHARE, TrafficConfig};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub struct DayOptions {
    /// The simulated window, seconds since midnight: `[from_s, to_s)`.
    pub from_s: u32,
    pub to_s: u32,
    pub demand: DemandOptions,
    pub bikes: BikeOptions,
    /// Share of drivers who re-route en route every 10 minutes (live navigation).
    pub reroute_share: f64,
    /// Seconds a car may wait at the head of a link before it is moved on anyway.
    pub stuck_time_s: u32,
    /// Whether the scene's operations (sensors, vital signs, data quality, cases) take part.
    pub with_ops: bool,
    /// The model's parameters in place of the scene's `model` file (e.g. a calibration's).
    pub model: Option<PathBuf>,
}

impl Default for DayOptions {
    fn default() -> DayOptions {
        DayOptions {
            from_s: 0,
            to_s: 24 * 3600,
            demand: DemandOptions::default(),
            bikes: BikeOptions::default(),
            reroute_share: DEFAULT_REROUTE_SHARE,
            stuck_time_s: 300,
            with_ops: true,
            model: None,
        }
    }
}

/// Where the day's trips come from: the scene's synthetic day, an OD matrix or a trip list
/// (the trip list first, then the OD matrix).
#[derive(Clone, Debug, PartialEq)]
pub struct DemandOptions {
    /// Car trips of the synthetic day; `None`: the city's own, from the scene's model.
    pub trips: Option<u32>,
    /// An OD matrix (TNTP or CSV origin,destination,trips).
    pub od: Option<PathBuf>,
    pub zones: ZoneKind,
    pub od_scale: f64,
    /// A departure profile for the OD matrix (CSV hour,share); `None`: a typical weekday.
    pub profile: Option<PathBuf>,
    /// A trip list CSV.
    pub trip_list: Option<PathBuf>,
}

impl Default for DemandOptions {
    fn default() -> DemandOptions {
        DemandOptions {
            trips: None,
            od: None,
            zones: ZoneKind::Districts,
            od_scale: 1.0,
            profile: None,
            trip_list: None,
        }
    }
}

/// Shared bikes; every `None` takes the city's own figure from the scene's model.
#[derive(Clone, Debug, PartialEq)]
pub struct BikeOptions {
    /// Bikes in the dockless fleet (0: no shared bikes).
    pub fleet: Option<u32>,
    /// Bike trips wished for in the day.
    pub wishes: Option<u32>,
    /// Bike trips from a CSV instead of the synthetic day.
    pub trip_list: Option<PathBuf>,
    pub crews: Option<u32>,
    /// Crews on duty in windows, instead of `crews` all day.
    pub crew_shifts: Vec<CrewShift>,
    pub truck_capacity: u32,
    pub rebalancing: Rebalancing,
    /// The operator's blacklist file; `None`: every 100th bike.
    pub blacklist: Option<PathBuf>,
    /// Chance that a ride leaves its bike broken.
    pub breakdown_rate: f64,
}

impl Default for BikeOptions {
    fn default() -> BikeOptions {
        BikeOptions {
            fleet: None,
            wishes: None,
            trip_list: None,
            crews: None,
            crew_shifts: Vec::new(),
            truck_capacity: 30,
            rebalancing: Rebalancing::Proactive,
            blacklist: None,
            breakdown_rate: 0.002,
        }
    }
}

impl DayOptions {
    /// Errors for values out of their range, naming the option.
    pub fn check(&self) -> Result<()> {
        check_share(Setting::RerouteShare, self.reroute_share)?;
        let scale = self.demand.od_scale;
        if !(scale >= 0.0 && scale.is_finite()) {
            return Err(RunError::setting(
                Setting::OdScale,
                scale,
                "expected a factor ≥ 0",
            ));
        }
        if self.from_s >= self.to_s {
            return Err(RunError::setting(
                Setting::Window,
                format!("{}–{}", clock(self.from_s), clock(self.to_s)),
                "expected a start before the end",
            ));
        }
        Ok(())
    }

    /// `at_s` as a time in `allowed`, a part of the window (where a run stops, forecasts or
    /// writes something), or the error naming `setting` and the window.
    pub fn check_in_window(
        &self,
        setting: Setting,
        at_s: u32,
        allowed: impl std::ops::RangeBounds<u32>,
    ) -> Result<()> {
        if allowed.contains(&at_s) {
            return Ok(());
        }
        Err(RunError::setting(
            setting,
            clock(at_s),
            format!(
                "outside the simulated window {}–{}",
                clock(self.from_s),
                clock(self.to_s)
            ),
        ))
    }

    pub fn traffic(&self) -> TrafficConfig {
        TrafficConfig {
            reroute_share: self.reroute_share,
            stuck_time_s: self.stuck_time_s.max(1),
            ..TrafficConfig::default()
        }
    }
}

pub(crate) fn check_share(setting: Setting, value: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&value) {
        return Err(RunError::setting(
            setting,
            value,
            "expected a share between 0 and 1",
        ));
    }
    Ok(())
}

/// A simulated time as HH:MM:SS (24:00:00 at the end of the day).
pub use citytwin_city::calendar::clock_text as clock;

/// Runs to do at once: as asked, else one per core, and never more than there are runs.
pub fn workers(asked: Option<u64>, runs: usize) -> usize {
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
    asked
        .map_or_else(cores, |n| usize::try_from(n).unwrap_or(usize::MAX))
        .clamp(1, runs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::DayMode;
    use crate::gbfs::GbfsOptions;
    use citytwin_traffic::dynamic::EquilibriumOptions;

    fn refused(r: Result<()>) -> Setting {
        match r {
            Err(RunError::Setting { setting, .. }) => setting,
            other => panic!("expected a refused setting, got {other:?}"),
        }
    }

    /// A run's settings are refused by the library, each by its name, before anything loads.
    #[test]
    fn a_runs_settings_are_checked_before_anything_loads() {
        let day = DayOptions {
            from_s: 6 * 3600,
            to_s: 9 * 3600,
            ..DayOptions::default()
        };
        let inside = |at| day.check_in_window(Setting::StopAt, at, day.from_s + 1..day.to_s);
        assert!(inside(7 * 3600).is_ok());
        assert_eq!(refused(inside(6 * 3600)), Setting::StopAt);
        assert_eq!(refused(inside(9 * 3600)), Setting::StopAt);
        let gbfs = |at: u32| GbfsOptions {
            at: vec![at],
            versions: Vec::new(),
            url: None,
        };
        assert!(gbfs(9 * 3600).check(&day).is_ok());
        assert_eq!(refused(gbfs(10 * 3600).check(&day)), Setting::GbfsAt);
        let days = |iterations, replan_share, target_gap| {
            DayMode::Equilibrium(EquilibriumOptions {
                iterations,
                replan_share,
                target_gap,
            })
            .check()
        };
        assert!(days(5, 0.3, Some(0.01)).is_ok());
        assert_eq!(refused(days(0, 0.3, None)), Setting::Iterations);
        assert_eq!(refused(days(5, 1.5, None)), Setting::ReplanShare);
        assert_eq!(refused(days(5, 0.3, Some(-1.0))), Setting::TargetGap);
        assert!(DayMode::Once.check().is_ok());
    }
}
