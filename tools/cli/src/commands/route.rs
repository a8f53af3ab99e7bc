//! `citytwin route`.

use anyhow::{Result, bail};
use citytwin_city::{City, Mode};
use citytwin_runs::route::{End, RouteError, RouteJson, parse_lonlat, route_lonlat, street_names};
use clap::Args;
use geo::Coord;
use std::path::PathBuf;

/// Fastest path by free-flow time between two lon/lat points
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The city bundle written by `citytwin import`
    bundle: PathBuf,
    /// Origin as LON,LAT (WGS84), e.g. 104.0657,30.6574
    #[arg(long, value_name = "LON,LAT")]
    from: String,
    /// Destination as LON,LAT (WGS84)
    #[arg(long, value_name = "LON,LAT")]
    to: String,
    /// car, bike or walk
    #[arg(long, default_value = "car")]
    mode: Mode,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn lonlat(value: &str, flag: &str) -> Result<Coord<f64>> {
    match parse_lonlat(value) {
        Some(c) => Ok(c),
        None => bail!("{flag} {value}: expected LON,LAT in degrees, e.g. 104.0657,30.6574"),
    }
}

pub fn run(args: RouteArgs) -> Result<()> {
    let (from, to) = (lonlat(&args.from, "--from")?, lonlat(&args.to, "--to")?);
    let city = City::load(&args.bundle)?;
    let found = route_lonlat(&city, from, to, args.mode).map_err(|e| match e {
        RouteError::Outside { end, reason } => {
            let flag = if end == End::From { "--from" } else { "--to" };
            anyhow::anyhow!("{flag}: {reason}")
        }
        RouteError::NoRoute { mode } => {
            anyhow::anyhow!("no {mode:?} route between {} and {}", args.from, args.to)
        }
        e => e.into(),
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&RouteJson::of(&found, args.mode))?
        );
        return Ok(());
    }
    println!(
        "{:?}: {:.0} m in {:.1} min over {} links (origin {:.0} m from the road, destination {:.0} m)",
        args.mode,
        found.route.length_m,
        found.route.time_s / 60.0,
        found.route.links.len(),
        found.origin.distance_m,
        found.destination.distance_m
    );
    for name in street_names(&city, &found) {
        println!("  {name}");
    }
    Ok(())
}
