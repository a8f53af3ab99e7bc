//! `citytwin route`.

use anyhow::{Context, Result, bail};
use citytwin_city::{City, Mode};
use citytwin_gis::crs::Reprojector;
use clap::Args;
use geo::{Coord, Point};
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

fn lonlat(value: &str, what: &str) -> Result<Coord<f64>> {
    let parse = || -> Option<Coord<f64>> {
        let (x, y) = value.split_once(',')?;
        Some(Coord {
            x: x.trim().parse().ok()?,
            y: y.trim().parse().ok()?,
        })
    };
    match parse() {
        Some(c) if (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y) => Ok(c),
        _ => bail!("--{what} {value}: expected LON,LAT in degrees, e.g. 104.0657,30.6574"),
    }
}

pub fn run(args: RouteArgs) -> Result<()> {
    let city = City::load(&args.bundle)?;
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
    let project = |c: Coord<f64>, what: &str| -> Result<Point<f64>> {
        let p = to_city
            .coord(c)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("--{what}"))?;
        let p = Point::from(p);
        city.check_near(&format!("--{what}"), p)
            .map_err(anyhow::Error::msg)?;
        Ok(p)
    };
    let from = project(lonlat(&args.from, "from")?, "from")?;
    let to = project(lonlat(&args.to, "to")?, "to")?;
    let Some(found) = city.fastest_path_between(from, to, args.mode) else {
        bail!(
            "no {:?} route between {} and {}",
            args.mode,
            args.from,
            args.to
        );
    };
    let roads = city.roads();
    if args.json {
        let json = serde_json::json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "time_s": found.route.time_s,
            "length_m": found.route.length_m,
            "links": found.route.links.iter().map(|l| l.0).collect::<Vec<_>>(),
            "origin_snap_m": found.origin.distance_m,
            "destination_snap_m": found.destination.distance_m,
        });
        println!("{json}");
    } else {
        println!(
            "{:?}: {:.0} m in {:.1} min over {} links (origin {:.0} m from the road, destination {:.0} m)",
            args.mode,
            found.route.length_m,
            found.route.time_s / 60.0,
            found.route.links.len(),
            found.origin.distance_m,
            found.destination.distance_m
        );
        let mut last_name: Option<&str> = None;
        for l in &found.route.links {
            let name = roads.link(*l).name.as_deref();
            if name.is_some() && name != last_name {
                println!("  {}", name.unwrap_or_default());
                last_name = name;
            }
        }
    }
    Ok(())
}
