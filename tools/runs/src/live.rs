//! A live run: the day in step with the wall clock, taking live observations and planners'
//! edits from an MQTT broker, with the next hour forecast in the background and the latest
//! forecast written as files (docs/live.md).

use crate::error::{Result, RunError};
use crate::forecast::write_latest;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_live::twin::{self, EditContext, LiveFacts};
use citytwin_live::{Endpoint, LiveFeed};
use citytwin_sim::World;
use citytwin_sim::forecast::{BackgroundForecaster, Forecast, ForecastFailed};
use citytwin_sim::scenario::{LiveEditor, RunInputs};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct LiveOptions {
    /// `mqtt://user[:password]@host[:port]`; the password may come from CITYTWIN_MQTT_PASSWORD.
    pub url: String,
    /// Simulated seconds per wall-clock second.
    pub pace: f64,
    /// The twin's MQTT client id (its persistent session on the broker).
    pub client_id: String,
    /// Forecast the next hour every this many simulated minutes (0: none).
    pub forecast_every_min: u32,
    /// Where the latest forecast is written; `None`: no forecasts, except in a
    /// [`DayJob`](crate::DayJob), which writes them to forecast/ in its output folder.
    pub forecast_dir: Option<PathBuf>,
}

/// Subscribes, then runs `world` live, forecasting the next hour in the background and writing
/// the latest forecast to `args.forecast_dir` (the caller resolves its default, the output
/// folder's `forecast/`; unset, none is made); returns what came from the broker.
/// `say` hears the lines a user should see (subscribed, forecasts written).
pub fn run(
    args: &LiveOptions,
    city: &City,
    inputs: Option<RunInputs>,
    world: &mut World,
    say: &dyn Fn(String),
    keep_going: &mut dyn FnMut(&World) -> bool,
) -> Result<LiveFacts> {
    let endpoint: Endpoint = args.url.parse::<Endpoint>()?.with_password_from_env();
    let Some(ops) = world.ops() else {
        return Err(RunError::NoLiveSensors);
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
    say(line);
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
    let project = |lon: f64, lat: f64| to_city.point(lon, lat);
    let edits = inputs.map(|inputs| EditContext {
        editor: LiveEditor::new(inputs),
        city,
    });
    let day = ops.day;
    let forecast_dir = args.forecast_dir.clone().unwrap_or_default();
    let mut forecaster = (args.forecast_every_min > 0 && args.forecast_dir.is_some())
        .then(|| BackgroundForecaster::new(args.forecast_every_min.saturating_mul(60), 3600));
    let mut forecasts = 0u32;
    let mut publish = |made: Result<Option<Forecast>, ForecastFailed>| match made {
        Ok(Some(f)) => match write_latest(&forecast_dir, &f, city.roads(), day) {
            Ok(()) => forecasts += 1,
            Err(e) => tracing::warn!("forecast not written: {e}"),
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
        say(line);
    }
    Ok(facts)
}
