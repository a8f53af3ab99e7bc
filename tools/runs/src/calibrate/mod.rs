//! A calibration's validation report and the header of the fitted model file it writes.

mod page;
mod report;

pub use report::{Inputs, default_dir, model_header, stop_reason, write_report};

use crate::error::{Result, RunError};
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_sim::calibrate::Outcome;
use citytwin_sim::calibrate::counts::{CountSite, read_counts};
use citytwin_sim::calibrate::targets::{IndicatorKind, Targets};
use citytwin_traffic::dynamic::TrafficConfig;
use std::path::Path;

/// The targets' count sites (their CSV's lon/lat placed on the city's links), if they have
/// counts.
pub fn count_sites(targets: &Targets, city: &City) -> Result<Vec<CountSite>> {
    let Some(path) = &targets.counts else {
        return Ok(Vec::new());
    };
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
    let project = |lon: f64, lat: f64| to_city.point(lon, lat);
    Ok(read_counts(
        path,
        city,
        &project,
        TrafficConfig::default().bin_s,
    )?)
}

/// The fitted model file, with `header` as its comment lines.
pub fn write_model(path: &Path, outcome: &Outcome, header: &[String]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
    }
    crate::reports::write(path, &outcome.params.to_ron(header))
}

/// What a user reads when the fit ends: the parameters it moved and how well the fitted day
/// meets the targets; `model` and `report_dir` are where they were written.
pub fn closing_lines(
    i: &Inputs,
    wall_s: f64,
    interrupted: bool,
    model: &Path,
    report_dir: &Path,
) -> [String; 2] {
    let (o, targets) = (i.outcome, i.targets);
    let mean = |k| o.observed.indicator(k);
    let moved: Vec<String> = o
        .fitted
        .iter()
        .zip(i.names)
        .map(|((_, from, to), n)| format!("{n} {from:.3} → {to:.3}"))
        .collect();
    let counts = if o.counts.link_bins > 0 {
        format!(
            ", {:.0}% of {} link-bins with GEH < 5, R² {:.2}, RMSE {:.0}%",
            o.counts.geh_below_5_share * 100.0,
            o.counts.link_bins,
            o.counts.r2,
            o.counts.rmse_pct
        )
    } else {
        String::new()
    };
    [
        format!(
            "{}calibrated {} in {wall_s:.1} s over {} ({}–{}): {} → {}",
            if interrupted { "interrupted: " } else { "" },
            i.scene,
            report::simulated(targets, o),
            crate::clock(targets.window().map_or(0, |w| w.0)),
            crate::clock(targets.window().map_or(86_400, |w| w.1)),
            moved.join(", "),
            model.display()
        ),
        format!(
            "fit{}: peak TTI {:.2}, peak speed {:.1} km/h, {:.0} veh·km{counts}; report {}",
            match o.observed.days.len() {
                1 => String::new(),
                days => format!(" (mean of {days} days)"),
            },
            mean(IndicatorKind::PeakTti),
            mean(IndicatorKind::PeakSpeedKmh),
            mean(IndicatorKind::DailyVktKm),
            report_dir.join("report.html").display()
        ),
    ]
}
