//! A calibration's validation report and the header of the fitted model file it writes.

mod page;
mod report;

pub use report::{Inputs, model_header, stop_reason, write_report};
