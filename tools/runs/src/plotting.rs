//! What the reports' pictures share: the font (with Chinese), plotters' errors, charts of
//! labelled bars, and base64 for images inlined into one-file HTML reports.

use crate::error::{Result, RunError};
use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use std::sync::OnceLock;

/// The font the plots are labelled with (installed by scripts/setup.sh; it has Chinese).
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// Registers `FONT` as plotters' "sans-serif" (once per process).
pub fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let bytes = std::fs::read(FONT).map_err(|e| {
                format!("{FONT}: {e} (scripts/setup.sh installs fonts-wqy-microhei)")
            })?;
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{FONT}: not a font plotters can read"))
        })
        .clone()
        .map_err(RunError::Font)
}

/// Plotters' error, for [`named`] to say which picture it was drawing.
pub fn plot_err<E: std::fmt::Debug>(e: E) -> RunError {
    RunError::Drawing {
        picture: "a picture",
        reason: format!("{e:?}"),
    }
}

/// Names the picture a drawing error happened in.
pub fn named(picture: &'static str) -> impl FnOnce(RunError) -> RunError {
    move |e| match e {
        RunError::Drawing { reason, .. } => RunError::Drawing { picture, reason },
        other => other,
    }
}

/// A chart of one horizontal bar per row, labelled on the left, on an x axis from −`extreme`
/// to `extreme`: its mesh drawn, ready for the bars.
pub type RowChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordi32>>,
>;

/// Sizes of a [`row_chart`]: the label column's width, the x axis's height, the labels' size.
#[derive(Clone, Copy, Debug)]
pub struct RowLayout {
    pub label_width: u32,
    pub axis_height: u32,
    pub label_size: u32,
}

pub fn row_chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    caption: &str,
    labels: &[String],
    extreme: f64,
    x_desc: &str,
    layout: RowLayout,
) -> Result<RowChart<'a, 'b>> {
    let n = labels.len().max(1) as i32;
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(layout.axis_height)
        .y_label_area_size(layout.label_width)
        .build_cartesian_2d(-extreme..extreme, (0..n - 1).into_segmented())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n as usize)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) => labels.get(*k as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_desc(x_desc)
        .label_style(("sans-serif", layout.label_size))
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}
