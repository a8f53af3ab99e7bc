//! The shared bikes of a run: fences from the city's POIs, a synthetic day of riders, and
//! their reports (`bikes.` in summary.json, fences.csv, bikes.gpkg).

use anyhow::Result;
use citytwin_bikes::demand::synthetic_bike_day;
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_bikes::{BikeSim, DocklessConfig};
use citytwin_city::City;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::World;
use clap::Args;
use geo::Geometry;
use std::fmt::Write as _;
use std::path::Path;

/// Shared bikes on the scene's generated fences (docs/bikes.md).
#[derive(Debug, Args)]
pub struct BikeArgs {
    /// Bikes in the dockless fleet (0: no shared bikes)
    #[arg(long, default_value_t = 3000)]
    pub bike_fleet: u32,
    /// Shared-bike trips wished for in the day (metro last mile, bus feeder, schools, shops)
    #[arg(long, default_value_t = 15_000)]
    pub bike_trips: u32,
}

/// Adds the bikes to the World (when asked for, on a city network).
pub fn attach(
    args: &BikeArgs,
    city: &City,
    seed: u64,
    window: (u32, u32),
    world: &mut World,
) -> Result<()> {
    if args.bike_fleet == 0 {
        return Ok(());
    }
    let plan = fences_from_osm(city)?;
    let trips: Vec<_> = synthetic_bike_day(city, &plan, args.bike_trips, seed)
        .into_iter()
        .filter(|t| (window.0..window.1).contains(&t.depart_s))
        .collect();
    let config = DocklessConfig {
        fleet: args.bike_fleet,
        ..DocklessConfig::default()
    };
    world.attach_bikes(BikeSim::new(city, plan, trips, config, seed));
    Ok(())
}

/// Per fence and 15-minute sample: its bikes, capacity and open alarms.
pub fn fences_csv(bikes: &BikeSim) -> String {
    let mut out = String::from("fence,time_s,bikes,capacity,overflow_alarm,empty_alarm\n");
    for s in bikes.series() {
        for (f, fence) in bikes.plan.fences.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                f,
                s.at_s,
                s.counts[f],
                fence.capacity,
                u8::from(s.overflow_open[f]),
                u8::from(s.empty_open[f])
            );
        }
    }
    out
}

/// The fences with the day's figures, for QGIS.
pub fn fences_gpkg(path: &Path, crs_wkt: &str, bikes: &BikeSim) -> Result<()> {
    use FieldType::*;
    let _ = std::fs::remove_file(path);
    let mut gpkg = GpkgWriter::create(path, crs_wkt)?;
    let fields = [
        ("fence", OFTInteger64),
        ("name", OFTString),
        ("site", OFTString),
        ("capacity", OFTInteger64),
        ("monitored", OFTInteger),
        ("mean_bikes", OFTReal),
        ("max_bikes", OFTInteger64),
        ("overflow_samples", OFTInteger64),
        ("empty_samples", OFTInteger64),
    ];
    let series = bikes.series();
    let plan = &bikes.plan;
    let rows = plan.fences.iter().enumerate().map(|(f, fence)| {
        let counts = series.iter().map(|s| s.counts[f]);
        let mean = counts.clone().map(f64::from).sum::<f64>() / series.len().max(1) as f64;
        (
            Geometry::Polygon(fence.area.clone()),
            vec![
                Value::Int(f as i64),
                Value::Text(fence.name.as_str()),
                Value::Text(plan.sites[f].as_str()),
                Value::Int(i64::from(fence.capacity)),
                Value::Int(i64::from(plan.monitored.contains(&fence.id))),
                Value::Real(mean),
                Value::Int(i64::from(counts.max().unwrap_or(0))),
                Value::Int(series.iter().filter(|s| s.overflow_open[f]).count() as i64),
                Value::Int(series.iter().filter(|s| s.empty_open[f]).count() as i64),
            ],
        )
    });
    gpkg.layer("fences_day", &fields, GeometryType::wkbPolygon, rows)?;
    Ok(gpkg.finish()?)
}
