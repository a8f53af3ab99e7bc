//! `citytwin feed`: publish observations to the city's broker, as a sensor gateway would.

use anyhow::{Result, bail};
use citytwin_city::scene::Scene;
use citytwin_live::{Endpoint, Publisher};
use citytwin_runs::observations::read_observations;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Publish observations to the scene's live feeds over MQTT (QoS 1), and wait until the broker
/// has acknowledged every one.
///
/// Input: CSV with the header `datastream,phenomenon_time,result`; `datastream` is the id in
/// sensors.csv (a live sensor's id is its position in the ops file's `live:` list, from 0),
/// `phenomenon_time` ISO 8601 with an offset (2016-12-14T08:15:00+08:00) or HH:MM[:SS] on the
/// scene's day, `result` a number in the datastream's unit.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Scene file; its ops file gives the topic prefix and the day
    scene: PathBuf,
    /// Broker: mqtt://user[:password]@host[:port] (the password may come from
    /// CITYTWIN_MQTT_PASSWORD); the user needs the operator or admin role
    #[arg(long, value_name = "URL")]
    broker: String,
    /// Observations CSV, or - for standard input
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// MQTT client id (default: citytwin-feed-<process id>)
    #[arg(long)]
    client_id: Option<String>,
}

pub fn run(args: FeedArgs, quiet: bool) -> Result<()> {
    let scene = Scene::load(&args.scene)?;
    let prefix = citytwin_runs::live_prefix(&scene, &args.scene)?;
    let day = citytwin_runs::scene_day(&scene, &args.scene, None)?;
    let observations = read_observations(&args.csv, &day)?;
    let endpoint: Endpoint = args.broker.parse::<Endpoint>()?.with_password_from_env();
    let client_id = args
        .client_id
        .unwrap_or_else(|| format!("citytwin-feed-{}", std::process::id()));
    let mut publisher = Publisher::connect(&endpoint, &client_id, Duration::from_secs(10))?;
    for obs in &observations {
        publisher.observation(&prefix, obs, &day)?;
    }
    let done = publisher.finish(Duration::from_secs(60));
    if !quiet {
        eprintln!(
            "published {} observations to {endpoint}: {} acknowledged by the broker",
            done.published, done.acknowledged
        );
    }
    if done.acknowledged < done.published {
        bail!(
            "{endpoint}: only {} of {} observations acknowledged within 60 s",
            done.acknowledged,
            done.published
        );
    }
    Ok(())
}
