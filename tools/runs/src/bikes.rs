//! The shared bikes of a run: fences from the city's POIs, a synthetic day of riders, and
//! their reports (`bikes.` in summary.json, fences.csv, bikes.gpkg).

use crate::error::{Result, RunError, Setting};
use crate::options::BikeOptions;
use crate::table::{Column, Table};
use citytwin_bikes::blacklist::read_blacklist;
use citytwin_bikes::demand::{BikeTrip, bike_trips_from_list, synthetic_bike_day};
use citytwin_bikes::dispatch::{MAX_CREWS, split_by_shares};
use citytwin_bikes::dockless::FenceSample;
use citytwin_bikes::dockless::MAX_FLEET;
use citytwin_bikes::osm_fences::FencePlan;
use citytwin_bikes::{BikeSim, DispatchConfig, DocklessConfig, OperatorConfig};
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::model::SceneModel;
use citytwin_sim::scenario::BikeInputs;
use citytwin_traffic::demand::read_trip_list;
use geo::Geometry;
use std::path::Path;

/// The bikes' fences and settings, and the day's bike trips (when asked for): fences from
/// the city's POIs, and riders from the same fences before any scenario moves them, so that
/// a scenario changes where bikes wait, not where people want to go.
pub fn inputs(
    args: &BikeOptions,
    plan: &FencePlan,
    city: &City,
    seed: u64,
    scene: &SceneModel,
    residents: f64,
) -> Result<Option<(BikeInputs, Vec<BikeTrip>)>> {
    let params = &scene.params;
    let model = &params.bikes;
    let (city_fleet, city_wishes) = model.fleet_and_wishes(residents);
    let fleet = args.fleet.unwrap_or(city_fleet);
    if fleet == 0 {
        return Ok(None);
    }
    let wishes = args.wishes.unwrap_or(match args.fleet {
        // a fleet given by hand gets the model's turnover
        Some(f) => (f64::from(f) * model.rides_per_bike).round() as u32,
        None => city_wishes,
    });
    for (setting, value, most) in [
        (Setting::BikeFleet, fleet, MAX_FLEET),
        (Setting::Crews, args.crews.unwrap_or(0), MAX_CREWS),
        (
            Setting::CrewShift,
            args.crew_shifts.iter().map(|s| s.crews).max().unwrap_or(0),
            MAX_CREWS,
        ),
    ] {
        if value > most {
            return Err(RunError::setting(
                setting,
                value,
                format!(
                    "at most {most} (more than any city runs; the day would not fit in memory)"
                ),
            ));
        }
    }
    crate::options::check_share(Setting::BreakdownRate, args.breakdown_rate)?;
    let blacklist = args
        .blacklist
        .as_deref()
        .map(|path| read_blacklist(path, fleet))
        .transpose()?;
    let plan = plan.clone();
    let trips = match &args.trip_list {
        Some(path) => {
            let list = read_trip_list(path)?;
            let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
            let project = |lon: f64, lat: f64| to_city.point(lon, lat);
            bike_trips_from_list(city, &list, &project)?
        }
        None => synthetic_bike_day(city, &plan, &params.demand.activity, wishes, seed),
    };
    let config = DocklessConfig {
        fleet,
        fence_compliance: model.park_in_fence_share,
        park_radius_m: model.walk_to_fence_m,
        blacklist,
        breakdown_per_ride: args.breakdown_rate,
        walk_radius_m: model.walk_to_bike_m,
        dispatch: DispatchConfig {
            crews: args.crews.unwrap_or_else(|| model.crews(fleet)),
            truck_capacity: args.truck_capacity,
            rebalancing: args.rebalancing,
            shifts: args.crew_shifts.clone(),
        },
        operators: operators(scene, fleet)?,
        rules: scene.rules.clone(),
        residents,
        ..DocklessConfig::default()
    };
    Ok(Some((BikeInputs::new(plan, config), trips)))
}

/// The scene's operators with their blacklists read (each numbered within its own fleet).
fn operators(scene: &SceneModel, fleet: u32) -> Result<Vec<OperatorConfig>> {
    let shares: Vec<f64> = scene.operators.iter().map(|o| o.share).collect();
    let fleets = split_by_shares(fleet, &shares);
    scene
        .operators
        .iter()
        .zip(fleets)
        .map(|(o, n)| {
            let blacklist = o
                .blacklist
                .as_deref()
                .map(|path| read_blacklist(path, n))
                .transpose()?
                .map(|ids| ids.iter().map(|b| b.0).collect());
            Ok(OperatorConfig {
                name: o.name.clone(),
                share: o.share,
                offline_locks: o.offline_locks,
                blacklist,
            })
        })
        .collect()
}

/// Per fence and 15-minute sample: its bikes, capacity and open alarms.
pub fn fences_table(bikes: &BikeSim, day: &citytwin_city::calendar::SimDay) -> Result<Table> {
    let series = bikes.series();
    let fences: Vec<_> = bikes.plan.fences.iter().collect();
    let rows = || {
        series
            .iter()
            .flat_map(|s| (0..fences.len()).map(move |f| (s, f)))
    };
    let flag = |name: &str, open: fn(&FenceSample) -> &Vec<bool>| {
        Column::int(name, rows().map(|(s, f)| i64::from(open(s)[f])).collect())
    };
    let table = Table::new(
        "fences",
        vec![
            Column::int("fence", rows().map(|(_, f)| f as i64).collect()),
            Column::time("time", day, rows().map(|(s, _)| s.at_s)),
            Column::int(
                "bikes",
                rows().map(|(s, f)| i64::from(s.counts[f])).collect(),
            ),
            Column::int(
                "capacity",
                rows().map(|(_, f)| i64::from(fences[f].capacity)).collect(),
            ),
            flag("overflow_alarm", |s| &s.overflow_open),
            flag("empty_alarm", |s| &s.empty_open),
            flag("illegal_parking_alarm", |s| &s.illegal_parking_open),
        ],
    )?;
    Ok(table)
}

/// The fences with the day's figures, for QGIS.
pub fn fences_gpkg(path: &Path, crs_wkt: &str, bikes: &BikeSim) -> Result<()> {
    use FieldType::*;
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
        ("illegal_parking_samples", OFTInteger64),
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
                Value::Int(series.iter().filter(|s| s.illegal_parking_open[f]).count() as i64),
            ],
        )
    });
    gpkg.layer("fences_day", &fields, GeometryType::wkbPolygon, rows)?;
    Ok(gpkg.finish()?)
}
