//! `citytwin run --live`: the day runs in step with the wall clock and takes live observations
//! and planners' edits from an MQTT broker (see docs/live.md).

use super::RunArgs;
use anyhow::{Context, Result, bail};
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_live::twin::{self, EditContext, LiveFacts};
use citytwin_live::{Endpoint, LiveFeed};
use citytwin_runs::forecast::write_latest;
use citytwin_sim::World;
use citytwin_sim::forecast::{BackgroundForecaster, Forecast, ForecastFailed};
use citytwin_sim::scenario::{LiveEditor, RunInputs};
use clap::Args;
use indicatif::ProgressBar;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Args, Clone)]
pub struct LiveArgs {
    /// Run live: subscribe to the scene's sensors on this MQTT broker,
    /// mqtt://user[:password]@host[:port] (the password may come from CITYTWIN_MQTT_PASSWORD).
    /// Simulated time then follows the wall clock (see --pace) from --from, observations
    /// join the World as they arrive, and planners' scenario edits published to
    /// <prefix>/control/scenario apply from the next minute
    #[arg(long, value_name = "URL")]
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
    pub forecast_dir: Option<std::path::PathBuf>,
}

impl LiveArgs {
    pub fn check(&self, run: &RunArgs) -> Result<()> {
        if self.live.is_none() {
            return Ok(());
        }
        if !(self.pace > 0.0 && self.pace.is_finite()) {
            bail!(
                "--pace {}: expected simulated seconds per second > 0",
                self.pace
            );
        }
        if run.scene.is_none() {
            bail!("--live needs a scene with an ops file (its live sensors)");
        }
        if run.sim.no_ops {
            bail!("--live and --no-ops: a live run feeds the scene's sensors");
        }
        if run.iterations > 1 {
            bail!("--live runs one day; --iterations needs a headless run");
        }
        Ok(())
    }
}

/// Subscribes, then runs `world` live, forecasting the next hour in the background and writing
/// the latest forecast to `args.forecast_dir` (the caller resolves its default, the output
/// folder's `forecast/`; unset, none is made); returns what came from the broker.
pub fn run(
    args: &LiveArgs,
    url: &str,
    city: &City,
    inputs: Option<RunInputs>,
    world: &mut World,
    bar: &ProgressBar,
    keep_going: &mut dyn FnMut(&World) -> bool,
) -> Result<LiveFacts> {
    let endpoint: Endpoint = url.parse::<Endpoint>()?.with_password_from_env();
    let Some(ops) = &world.ops else {
        bail!("--live: the scene has no ops file, so no live sensors to feed");
    };
    let feed = LiveFeed::subscribe(
        &endpoint,
        &args.client_id,
        &ops.mqtt_prefix,
        ops.day,
        Duration::from_secs(10),
    )?;
    let line = format!(
        "live: subscribed to {}/# on {endpoint} as {}, {}× real time",
        ops.mqtt_prefix, args.client_id, args.pace
    );
    // the line tells scripts (and tests) the twin is listening: printed even without a bar
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)
        .context("the city's CRS, for edits' positions")?;
    let project = |lon: f64, lat: f64| to_city.point(lon, lat);
    let edits = inputs.map(|inputs| EditContext {
        editor: LiveEditor::new(inputs),
        city,
    });
    let day = ops.day;
    let forecast_dir = args.forecast_dir.as_deref().unwrap_or(Path::new(""));
    let mut forecaster = (args.forecast_every > 0 && args.forecast_dir.is_some())
        .then(|| BackgroundForecaster::new(args.forecast_every.saturating_mul(60), 3600));
    let mut forecasts = 0u32;
    let mut publish = |made: Result<Option<Forecast>, ForecastFailed>| match made {
        Ok(Some(f)) => match write_latest(forecast_dir, &f, city.roads(), day) {
            Ok(()) => forecasts += 1,
            Err(e) => tracing::warn!("forecast not written: {e:#}"),
        },
        Ok(None) => {}
        Err(e) => tracing::error!("{e}"),
    };
    let mut with_forecasts = |w: &World| {
        if let Some(f) = forecaster.as_mut() {
            publish(f.poll(w));
        }
        keep_going(w)
    };
    let mut facts = twin::run_live(
        world,
        &feed,
        args.pace,
        edits,
        &project,
        &mut with_forecasts,
    );
    if let Some(f) = forecaster {
        publish(f.finish());
    }
    facts.client_id = args.client_id.clone();
    feed.close();
    if forecasts > 0 {
        let line = format!(
            "live: {forecasts} forecasts of the next hour, the latest in {}",
            forecast_dir.display()
        );
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    }
    Ok(facts)
}
