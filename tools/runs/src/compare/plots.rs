//! The comparison's pictures (PNG, drawn with plotters) and the one-page HTML report that
//! carries them inline, so that it reads offline and travels as one file.

use super::report::Comparison;
use crate::error::Result;
use crate::options::clock;
use crate::plotting::{RowLayout, named, plot_err, register_font, row_chart};
use citytwin_city::City;
use citytwin_sim::ramp::SPEED_CHANGE;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Vehicles a link must carry in the baseline (mean over seeds) to be marked as having lost
/// its traffic in the variant.
const LOST_TRAFFIC_MIN: f64 = 10.0;
const BASE_COLOUR: RGBColor = RGBColor(90, 110, 140);
const VARIANT_COLOUR: RGBColor = RGBColor(230, 120, 30);

/// The figures shown in the bar chart, when the runs have them.
const HEADLINE: [&str; 16] = [
    "traffic.mean_speed_kmh",
    "traffic.mean_delay_s",
    "traffic.mean_travel_time_s",
    "traffic.congestion_index",
    "traffic.vht_h",
    "traffic.vkt_km",
    "traffic.trips_completed",
    "traffic.reroutes",
    "bikes.trips",
    "bikes.unmet_demand",
    "bikes.illegal_parking",
    "bikes.empty_minutes",
    "bikes.overflow_minutes",
    "bikes.tasks_done",
    "bikes.mean_response_s",
    "bikes.truck_km",
];

/// An image of the report: its file name and what it shows.
#[derive(Debug)]
pub struct Image {
    pub file: &'static str,
    pub title: &'static str,
}

pub fn draw_all(out: &Path, city: &City, c: &Comparison) -> Result<Vec<Image>> {
    register_font()?;
    let mut images = Vec::new();
    kpi_bars(&out.join("kpis.png"), c).map_err(named("kpis.png"))?;
    images.push(Image {
        file: "kpis.png",
        title: "Change of the main figures (% of baseline, 95% interval)",
    });
    time_series(&out.join("timeseries.png"), c).map_err(named("timeseries.png"))?;
    images.push(Image {
        file: "timeseries.png",
        title: "City-wide figures over the window (mean of the seeds)",
    });
    speed_map(&out.join("speed_map.png"), city, c).map_err(named("speed_map.png"))?;
    images.push(Image {
        file: "speed_map.png",
        title: "Link speed change over the window (variant − baseline)",
    });
    Ok(images)
}

/// A bar of the chart: figure, change in %, its interval in %, significant.
type Bar<'a> = (&'a str, f64, Option<(f64, f64)>, bool);

fn kpi_bars(path: &Path, c: &Comparison) -> Result<()> {
    let rows: Vec<Bar> = HEADLINE
        .iter()
        .filter_map(|name| {
            let d = c.kpis.get(*name)?;
            let base = d.baseline_mean;
            (base != 0.0).then(|| {
                let pct = |v: f64| v / base.abs() * 100.0;
                (
                    *name,
                    pct(d.difference),
                    d.ci95.map(|(lo, hi)| (pct(lo), pct(hi))),
                    d.significant,
                )
            })
        })
        .collect();
    let n = rows.len().max(1) as i32;
    let extreme = rows
        .iter()
        .flat_map(|(_, v, ci, _)| [Some(*v), ci.map(|c| c.0), ci.map(|c| c.1)])
        .flatten()
        .fold(1.0f64, |m, v| m.max(v.abs()))
        * 1.15;
    let root = BitMapBackend::new(path, (1400, 120 + 44 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let labels: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    let mut chart = row_chart(
        &root,
        &format!("{} — change from baseline", c.scenario.scenario.name),
        &labels,
        extreme,
        "change, % of the baseline mean (whiskers: 95% interval over seeds)",
        RowLayout {
            label_width: 300,
            axis_height: 44,
            label_size: 17,
        },
    )?;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, (_, v, _, significant))| {
            let colour = if *significant {
                VARIANT_COLOUR.filled()
            } else {
                RGBColor(190, 190, 190).filled()
            };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i as i32)),
                    (*v, SegmentValue::Exact(i as i32 + 1)),
                ],
                colour,
            );
            bar.set_margin(8, 8, 0, 0);
            bar
        }))
        .map_err(plot_err)?;
    chart
        .draw_series(rows.iter().enumerate().filter_map(|(i, (_, v, ci, _))| {
            let (lo, hi) = (*ci)?;
            Some(ErrorBar::new_horizontal(
                SegmentValue::CenterOf(i as i32),
                lo,
                *v,
                hi,
                BLACK.stroke_width(2),
                12,
            ))
        }))
        .map_err(plot_err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
            BLACK.stroke_width(1),
        )))
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

fn time_series(path: &Path, c: &Comparison) -> Result<()> {
    let (b, v) = (&c.base_series, &c.variant_series);
    let mut panels: Vec<(&str, &Vec<f64>, &Vec<f64>)> = vec![
        (
            "mean speed of cars on the road (km/h)",
            &b.mean_speed_kmh,
            &v.mean_speed_kmh,
        ),
        ("cars on the road", &b.vehicles, &v.vehicles),
    ];
    if !b.bikes_in_fences.is_empty() {
        panels.push((
            "bikes parked in fences",
            &b.bikes_in_fences,
            &v.bikes_in_fences,
        ));
        panels.push(("open bike alarms", &b.open_bike_alarms, &v.open_bike_alarms));
    }
    // the city's vital signs, where the scene has operations
    let titles: Vec<String> = b
        .vitals
        .keys()
        .map(|k| format!("vital sign: {}", k.replace('_', " ")))
        .collect();
    for (title, (key, base)) in titles.iter().zip(&b.vitals) {
        if let Some(variant) = v.vitals.get(key) {
            panels.push((title, base, variant));
        }
    }
    let root = BitMapBackend::new(path, (1400, 300 * panels.len() as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let areas = root.split_evenly((panels.len(), 1));
    for (area, (title, base, variant)) in areas.iter().zip(&panels) {
        line_panel(area, title, &b.at_s, &v.at_s, base, variant)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

fn line_panel(
    area: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    base_t: &[u32],
    variant_t: &[u32],
    base: &[f64],
    variant: &[f64],
) -> Result<()> {
    let hours = |t: &[u32]| -> Vec<f64> { t.iter().map(|s| f64::from(*s) / 3600.0).collect() };
    let (bt, vt) = (hours(base_t), hours(variant_t));
    let x0 = bt.iter().chain(&vt).copied().fold(f64::INFINITY, f64::min);
    let x1 = bt
        .iter()
        .chain(&vt)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        (x0, x1)
    } else {
        (0.0, 24.0)
    };
    let top = base
        .iter()
        .chain(variant)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0.0..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|h| clock((h * 3600.0).round() as u32)[..5].to_string())
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(plot_err)?;
    for (label, t, values, colour) in [
        ("baseline", &bt, base, BASE_COLOUR),
        ("variant", &vt, variant, VARIANT_COLOUR),
    ] {
        chart
            .draw_series(LineSeries::new(
                // a vital sign not yet computed at a time is left out, not drawn as 0
                t.iter()
                    .copied()
                    .zip(values.iter().copied())
                    .filter(|(_, v)| v.is_finite()),
                colour.stroke_width(2),
            ))
            .map_err(plot_err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

/// Slower links red, faster blue, by the change as a share of the baseline's speed: the wall's
/// difference colours (`SPEED_CHANGE`).
fn speed_colour(change_share: f64) -> RGBColor {
    let [r, g, b] = SPEED_CHANGE.rgb_u8(change_share as f32);
    RGBColor(r, g, b)
}

fn speed_map(path: &Path, city: &City, c: &Comparison) -> Result<()> {
    let extent = city.bundle.meta.extent;
    let (w, h) = (extent.width().max(1.0), extent.height().max(1.0));
    let width = 1400u32;
    let height = ((f64::from(width) - 60.0) * h / w + 90.0).round() as u32;
    let root = BitMapBackend::new(path, (width, height.clamp(300, 3000))).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Link speed change, variant − baseline, as a share of the baseline speed (red slower, blue faster)",
            ("sans-serif", 22),
        )
        .margin(20)
        .build_cartesian_2d(
            extent.min().x..extent.max().x,
            extent.min().y..extent.max().y,
        )
        .map_err(plot_err)?;
    let roads = city.roads();
    let line = |l: usize| {
        roads.links[l]
            .geometry
            .0
            .iter()
            .map(|p| (p.x, p.y))
            .collect::<Vec<_>>()
    };
    let grey = RGBColor(215, 215, 215);
    chart
        .draw_series(
            (0..c.links.len())
                .filter(|l| c.links[*l].base_vehicles > 0.0 || c.links[*l].variant_vehicles > 0.0)
                .map(|l| PathElement::new(line(l), grey.stroke_width(1))),
        )
        .map_err(plot_err)?;
    let mut changed: Vec<(usize, f64)> = c
        .links
        .iter()
        .enumerate()
        .filter_map(|(l, d)| {
            // a link that lost its traffic: only worth a mark where it had some
            let change = match (d.base_speed_kmh, d.variant_speed_kmh) {
                (Some(_), None) if d.base_vehicles >= LOST_TRAFFIC_MIN => -f64::INFINITY,
                _ => d.speed_change()? / d.base_speed_kmh?.max(1.0),
            };
            // a change of 2% or more of the baseline's speed
            (change.abs() >= 0.02).then_some((l, change))
        })
        .collect();
    // the largest changes drawn last, on top
    changed.sort_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(a.0.cmp(&b.0)));
    let mut legend = [false; 3];
    for (l, change) in changed {
        let (colour, kind) = if change == -f64::INFINITY {
            (RGBColor(60, 0, 80), 2)
        } else {
            (speed_colour(change), usize::from(change > 0.0))
        };
        let series = chart
            .draw_series(std::iter::once(PathElement::new(
                line(l),
                colour.stroke_width(3),
            )))
            .map_err(plot_err)?;
        if !legend[kind] {
            legend[kind] = true;
            let label = ["slower", "faster", "no traffic in the variant"][kind];
            let shown = [speed_colour(-0.4), speed_colour(0.4), RGBColor(60, 0, 80)][kind];
            series.label(label).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], shown.stroke_width(4))
            });
        }
    }
    if legend.iter().any(|l| *l) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(plot_err)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_colours_run_from_grey_to_saturated() {
        assert_eq!(speed_colour(-0.4), RGBColor(0xe0, 0x2a, 0x2a));
        assert_eq!(speed_colour(3.0), RGBColor(0x2a, 0x5c, 0xe0));
        assert_eq!(speed_colour(-0.0), RGBColor(0x50, 0x58, 0x66));
    }
}
