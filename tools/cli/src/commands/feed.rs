//! `citytwin feed`: publish observations to the city's broker, as a sensor gateway would.

use anyhow::{Context, Result, bail};
use citytwin_city::DatastreamId;
use citytwin_city::calendar::{clock_seconds, rfc3339_seconds};
use citytwin_city::scene::Scene;
use citytwin_live::{Endpoint, Publisher};
use citytwin_ops::Observation;
use citytwin_ops::setup::OpsFile;
use citytwin_ops::wire::SimDay;
use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};
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
    let ops_path = scene.ops.as_ref().with_context(|| {
        format!(
            "{}: the scene has no ops file, so no live feeds",
            args.scene.display()
        )
    })?;
    let ops = OpsFile::load(ops_path)?;
    let day = citytwin_runs::scene_day(&scene, &args.scene, None)?;
    let text = if args.csv == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading observations from standard input")?;
        text
    } else {
        std::fs::read_to_string(&args.csv)
            .with_context(|| format!("reading {}", args.csv.display()))?
    };
    let observations = parse_observations(&text, &day)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.csv.display()))?;
    let endpoint: Endpoint = args.broker.parse::<Endpoint>()?.with_password_from_env();
    let client_id = args
        .client_id
        .unwrap_or_else(|| format!("citytwin-feed-{}", std::process::id()));
    let mut publisher = Publisher::connect(&endpoint, &client_id, Duration::from_secs(10))?;
    for obs in &observations {
        publisher.observation(&ops.mqtt_prefix, obs, &day)?;
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

/// Rows of `datastream,phenomenon_time,result`; errors name the line.
fn parse_observations(text: &str, day: &SimDay) -> Result<Vec<Observation>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == "datastream,phenomenon_time,result" => {}
        _ => return Err("line 1: expected the header datastream,phenomenon_time,result".into()),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |what: &str| format!("line {}: {what}", i + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [ds, time, result] = fields[..] else {
            return Err(at("expected 3 fields: datastream,phenomenon_time,result"));
        };
        let datastream = ds
            .parse()
            .map(DatastreamId)
            .map_err(|_| at(&format!("datastream `{ds}`: expected an id (0, 1, ...)")))?;
        let phenomenon_s = phenomenon_seconds(time, day).ok_or_else(|| {
            at(&format!(
                "phenomenon_time `{time}`: expected ISO 8601 on {} or HH:MM[:SS]",
                day.date
            ))
        })?;
        let result = result
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite())
            .ok_or_else(|| at(&format!("result `{result}`: expected a number")))?;
        out.push(Observation {
            datastream,
            phenomenon_s,
            result,
        });
    }
    Ok(out)
}

fn phenomenon_seconds(text: &str, day: &SimDay) -> Option<u32> {
    if text.contains('T') {
        return day.sim_seconds(rfc3339_seconds(text)?);
    }
    clock_seconds(text).filter(|s| *s < 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::calendar::Date;

    const DAY: SimDay = SimDay {
        date: Date {
            year: 2016,
            month: 12,
            day: 18,
        },
        utc_offset_s: 8 * 3600,
    };

    #[test]
    fn rows_parse_in_either_time_form() {
        let obs = parse_observations(
            "datastream,phenomenon_time,result\n0,08:15,41.5\n1,2016-12-18T08:15:30+08:00,7\n\n",
            &DAY,
        )
        .unwrap();
        assert_eq!(obs.len(), 2);
        assert_eq!(obs[0].phenomenon_s, 8 * 3600 + 15 * 60);
        assert_eq!(obs[1].phenomenon_s, 8 * 3600 + 15 * 60 + 30);
        assert_eq!(obs[1].datastream, DatastreamId(1));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let h = "datastream,phenomenon_time,result\n";
        for (body, expect) in [
            ("x,08:00,1", "line 2: datastream `x`"),
            ("0,25:00,1", "line 2: phenomenon_time `25:00`"),
            ("0,2016-12-19T08:00:00+08:00,1", "phenomenon_time"),
            ("0,08:00,high", "line 2: result `high`"),
            ("0,08:00", "line 2: expected 3 fields"),
        ] {
            let e = parse_observations(&format!("{h}{body}"), &DAY).unwrap_err();
            assert!(e.contains(expect), "{body}: {e}");
        }
        assert!(
            parse_observations("a,b,c\n", &DAY)
                .unwrap_err()
                .contains("header")
        );
    }
}
