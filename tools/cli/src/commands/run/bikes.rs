//! The shared bikes of a run: fences from the city's POIs, a synthetic day of riders, and
//! their reports (`bikes.` in summary.json, fences.csv, bikes.gpkg).

use anyhow::Result;
use citytwin_bikes::demand::{BikeTrip, synthetic_bike_day};
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_bikes::{BikeSim, DispatchConfig, DocklessConfig, Rebalancing};
use citytwin_city::City;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::scenario::BikeInputs;
use clap::{Args, ValueEnum};
use geo::Geometry;
use std::fmt::Write as _;
use std::path::Path;

/// Shared bikes on the scene's generated fences (docs/bikes.md).
#[derive(Debug, Clone, Args)]
pub struct BikeArgs {
    /// Bikes in the dockless fleet (0: no shared bikes)
    #[arg(long, default_value_t = 3000)]
    pub bike_fleet: u32,
    /// Shared-bike trips wished for in the day (metro last mile, bus feeder, schools, shops)
    #[arg(long, default_value_t = 15_000)]
    pub bike_trips: u32,
    /// Operator crews, each with a truck, that alarms are dispatched to
    #[arg(long, default_value_t = 4)]
    pub crews: u32,
    /// Bikes a truck carries
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub truck_capacity: u32,
    /// How trucks are sent: on alarms (reactive), or not at all (off: the do-nothing baseline)
    #[arg(long, value_enum, default_value_t = Strategy::Reactive)]
    pub rebalancing: Strategy,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Strategy {
    Reactive,
    Off,
}

impl From<Strategy> for Rebalancing {
    fn from(s: Strategy) -> Rebalancing {
        match s {
            Strategy::Reactive => Rebalancing::Reactive,
            Strategy::Off => Rebalancing::Off,
        }
    }
}

/// The bikes' fences and settings, and the day's bike trips (when asked for): fences from
/// the city's POIs, and riders from the same fences before any scenario moves them, so that
/// a scenario changes where bikes wait, not where people want to go.
pub fn inputs(
    args: &BikeArgs,
    city: &City,
    seed: u64,
) -> Result<Option<(BikeInputs, Vec<BikeTrip>)>> {
    if args.bike_fleet == 0 {
        return Ok(None);
    }
    let plan = fences_from_osm(city)?;
    let trips = synthetic_bike_day(city, &plan, args.bike_trips, seed);
    let config = DocklessConfig {
        fleet: args.bike_fleet,
        dispatch: DispatchConfig {
            crews: args.crews,
            truck_capacity: args.truck_capacity,
            rebalancing: args.rebalancing.into(),
        },
        ..DocklessConfig::default()
    };
    Ok(Some((BikeInputs::new(plan, config), trips)))
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
