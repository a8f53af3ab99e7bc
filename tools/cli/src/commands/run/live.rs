//! `citytwin run --live`: the day runs in step with the wall clock and takes live observations
//! and planners' edits from an MQTT broker (see docs/live.md).

use citytwin_runs::live::LiveOptions;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Clone)]
pub struct LiveArgs {
    /// Run live: subscribe to the scene's sensors on this MQTT broker,
    /// mqtt://user[:password]@host[:port] (the password may come from CITYTWIN_MQTT_PASSWORD).
    /// Simulated time then follows the wall clock (see --pace) from --from, observations
    /// join the World as they arrive, and planners' scenario edits published to
    /// <prefix>/control/scenario apply from the next minute. Needs a scene with an ops file
    /// (its live sensors), so not with --no-ops or --sumo-net
    #[arg(long, value_name = "URL", conflicts_with_all = ["no_ops", "sumo_net"])]
    pub live: Option<String>,
    /// Simulated seconds per wall-clock second in a live run (1: real time)
    #[arg(long, default_value_t = 1.0, requires = "live")]
    pub pace: f64,
    /// The twin's MQTT client id: its persistent session on the broker, which keeps what
    /// arrives while the twin is away. One per running twin
    #[arg(long, default_value = "citytwin-twin", requires = "live")]
    pub client_id: String,
    /// In a live run, forecast the next hour every this many simulated minutes, from a copy
    /// of the running day on a thread of its own (0: no forecasts); the latest is written to
    /// --forecast-dir
    #[arg(long, default_value_t = 5, value_name = "MINUTES")]
    pub forecast_every: u32,
    /// Where a live run writes its latest forecast (forecast_links.csv, forecast.json), each
    /// file replaced whole; default: forecast/ in the run's output folder, which appears
    /// when the run ends
    #[arg(long, value_name = "DIR", requires = "live")]
    pub forecast_dir: Option<PathBuf>,
}

impl LiveArgs {
    /// The library's options for a live run to `url`.
    pub fn options(&self, url: &str) -> LiveOptions {
        LiveOptions {
            url: url.to_string(),
            pace: self.pace,
            client_id: self.client_id.clone(),
            forecast_every_min: self.forecast_every,
            forecast_dir: self.forecast_dir.clone(),
        }
    }
}
