//! The calibration's validation report: report.html (self-contained), fit.png, runs.csv and
//! counts.csv, and the comment header of the fitted model file.

use crate::error::{Result, RunError};
use crate::plotting::{RowLayout, named, plot_err, register_font, row_chart};
use crate::reports::{csv_text, write};
use citytwin_sim::calibrate::counts::{CountSite, geh};
use citytwin_sim::calibrate::targets::Targets;
use citytwin_sim::calibrate::{Outcome, fit::Stop};
use plotters::prelude::*;
use std::path::Path;

/// What the report is about.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub scene: &'a str,
    pub command: &'a str,
    pub targets: &'a Targets,
    pub sites: &'a [CountSite],
    pub outcome: &'a Outcome,
    /// The fitted parameters' names, in the targets' order.
    pub names: &'a [String],
}

pub fn stop_reason(s: Stop) -> &'static str {
    match s {
        Stop::Converged => "converged (no parameter moved more than 1%)",
        Stop::NoImprovement => "no step lowered the misses further",
        Stop::MaxEvaluations => "used the most candidates allowed (max_runs)",
        Stop::Interrupted => "interrupted (Ctrl-C): the best fit so far",
    }
}

/// Comment lines for the top of the fitted model file.
pub fn model_header(
    command: &str,
    targets: &Targets,
    o: &Outcome,
    names: &[String],
) -> Vec<String> {
    let mut h = vec![
        "Fitted by citytwin calibrate (docs/validation.md):".to_string(),
        format!("  {command}"),
    ];
    for ((_, from, to), n) in o.fitted.iter().zip(names) {
        h.push(format!("  {n}: {from:.4} → {to:.4}"));
    }
    for i in &targets.indicators {
        h.push(format!(
            "  {} target {} ± {} ({}): simulated {:.3}",
            i.kind.as_str(),
            i.value,
            i.tolerance,
            i.source,
            o.observed.indicator(i.kind)
        ));
    }
    if o.counts.link_bins > 0 {
        h.push(format!(
            "  counts: {:.1}% of {} link-bins with GEH < 5, R² {:.3}, RMSE {:.1}%",
            o.counts.geh_below_5_share * 100.0,
            o.counts.link_bins,
            o.counts.r2,
            o.counts.rmse_pct
        ));
    }
    h.push(format!(
        "  {}; {}",
        simulated(targets, o),
        stop_reason(o.stopped)
    ));
    h
}

/// How many days the fit simulated: one per candidate, or several each.
pub fn simulated(targets: &Targets, o: &Outcome) -> String {
    match o.observed.days.len() {
        1 => format!("{} simulated days", o.runs.len()),
        days => format!(
            "{} candidates of {days} simulated days each (seeds {}–{}), judged by the days' means",
            o.runs.len(),
            targets.seed,
            targets.seed + days as u64 - 1
        ),
    }
}

/// Where the report of a fit written to `model` goes unless asked: beside it,
/// `<name>_report/`.
pub fn default_dir(model: &Path) -> std::path::PathBuf {
    let stem = model
        .file_stem()
        .map_or("calibrated".into(), |s| s.to_string_lossy().into_owned());
    model.with_file_name(format!("{stem}_report"))
}

pub fn write_report(dir: &Path, i: &Inputs) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
    write(&dir.join("runs.csv"), &runs_csv(i))?;
    write(&dir.join("counts.csv"), &counts_csv(i))?;
    register_font()?;
    let png = dir.join("fit.png");
    if i.sites.iter().any(|s| s.count.is_some()) {
        scatter(&png, i).map_err(named("fit.png"))?;
    } else {
        indicator_bars(&png, i).map_err(named("fit.png"))?;
    }
    let image = std::fs::read(&png).map_err(RunError::io("reading", &png))?;
    write(&dir.join("report.html"), &super::page::html(i, &image))
}

fn runs_csv(i: &Inputs) -> String {
    let header = ["run"]
        .into_iter()
        .map(String::from)
        .chain(i.names.iter().cloned())
        .chain(["cost", "peak_tti", "peak_speed_kmh"].map(String::from))
        .collect();
    let rows = i.outcome.runs.iter().map(|r| {
        std::iter::once(r.run.to_string())
            .chain(r.values.iter().map(|v| format!("{v:.5}")))
            .chain([
                format!("{:.5}", r.cost),
                format!("{:.4}", r.peak_tti),
                format!("{:.3}", r.peak_speed_kmh),
            ])
            .collect()
    });
    csv_text(header, rows)
}

fn counts_csv(i: &Inputs) -> String {
    let header = [
        "line",
        "links",
        "from_s",
        "to_s",
        "observed_vph",
        "simulated_vph",
        "geh",
        "observed_speed_kmh",
        "simulated_speed_kmh",
    ];
    let rows = i
        .sites
        .iter()
        .zip(&i.outcome.observed.counts)
        .map(|(s, &(flow, speed))| {
            let links: Vec<String> = s.links.iter().map(u32::to_string).collect();
            let obs = s.observed_vph();
            vec![
                s.line.to_string(),
                links.join(" "),
                s.from_s.to_string(),
                s.to_s.to_string(),
                obs.map_or(String::new(), |o| format!("{o:.1}")),
                format!("{flow:.1}"),
                obs.map_or(String::new(), |o| format!("{:.3}", geh(flow, o))),
                s.speed_kmh.map_or(String::new(), |v| format!("{v:.2}")),
                format!("{speed:.2}"),
            ]
        });
    csv_text(header.map(String::from).to_vec(), rows)
}

/// Observed against simulated hourly flows, with the line of equality.
fn scatter(path: &Path, i: &Inputs) -> Result<()> {
    let points: Vec<(f64, f64, bool)> = i
        .sites
        .iter()
        .zip(&i.outcome.observed.counts)
        .filter_map(|(s, &(flow, _))| s.observed_vph().map(|o| (o, flow, geh(flow, o) < 5.0)))
        .collect();
    let top = points.iter().map(|p| p.0.max(p.1)).fold(10.0f64, f64::max) * 1.05;
    let root = BitMapBackend::new(path, (1000, 1000)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let c = &i.outcome.counts;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: {:.0}% GEH < 5, R² {:.2}, RMSE {:.0}%",
                i.scene,
                c.geh_below_5_share * 100.0,
                c.r2,
                c.rmse_pct
            ),
            ("sans-serif", 26),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("observed flow (veh/h)")
        .y_desc("simulated flow (veh/h)")
        .label_style(("sans-serif", 18))
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (top, top)],
            BLACK.stroke_width(1),
        )))
        .map_err(plot_err)?;
    chart
        .draw_series(points.iter().map(|&(o, s, ok)| {
            let colour = if ok {
                RGBColor(40, 110, 200)
            } else {
                RGBColor(220, 70, 40)
            };
            Circle::new((o, s), 4, colour.filled())
        }))
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Each indicator as simulated over its target band (target ± tolerance), in % of target.
fn indicator_bars(path: &Path, i: &Inputs) -> Result<()> {
    let rows: Vec<(String, f64, f64)> = i
        .targets
        .indicators
        .iter()
        .map(|t| {
            let sim = i.outcome.observed.indicator(t.kind);
            (
                t.kind.as_str().to_string(),
                (sim / t.value - 1.0) * 100.0,
                t.tolerance / t.value * 100.0,
            )
        })
        .collect();
    let n = rows.len().max(1) as i32;
    let extreme = rows
        .iter()
        .map(|r| r.1.abs().max(r.2))
        .fold(5.0f64, f64::max)
        * 1.2;
    let root = BitMapBackend::new(path, (1200, 160 + 70 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut chart = row_chart(
        &root,
        &format!("{}: simulated against published figures", i.scene),
        &labels,
        extreme,
        "simulated − target, % of target (grey: the tolerance)",
        RowLayout {
            label_width: 200,
            axis_height: 50,
            label_size: 18,
        },
    )?;
    chart
        .draw_series(rows.iter().enumerate().map(|(k, r)| {
            let mut band = Rectangle::new(
                [
                    (-r.2, SegmentValue::Exact(k as i32)),
                    (r.2, SegmentValue::Exact(k as i32 + 1)),
                ],
                RGBColor(220, 220, 220).filled(),
            );
            band.set_margin(4, 4, 0, 0);
            band
        }))
        .map_err(plot_err)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(k, r)| {
            let colour = if r.1.abs() <= r.2 {
                RGBColor(40, 110, 200)
            } else {
                RGBColor(220, 70, 40)
            };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(k as i32)),
                    (r.1, SegmentValue::Exact(k as i32 + 1)),
                ],
                colour.filled(),
            );
            bar.set_margin(16, 16, 0, 0);
            bar
        }))
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}
