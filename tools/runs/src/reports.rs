//! What a run writes: summary.json, link_bins.csv, trips.csv, iterations.csv, traffic.gpkg,
//! and with bikes fences.csv and bikes.gpkg.

use crate::demand::Demand;
use crate::error::{Result, RunError};
use crate::scene::LoadedScenario;
use crate::summary::{
    CityBlock, DemandBlock, RunBlock, RunSummary, ScenarioBlock, SensorsBlock, SyntheticBlock,
    TrafficBlock,
};
use crate::table::{Column, CsvFile, Table, TableWriter};
use crate::traffic_gpkg::TrafficGpkg;
use citytwin_city::City;
use citytwin_city::calendar::SimDay;
use citytwin_city::roads::RoadNetwork;
use citytwin_sim::World;
use citytwin_traffic::dynamic::IterationReport;
use citytwin_traffic::sumo::SumoNet;
use std::path::{Path, PathBuf};

/// Where a run happens: a city bundle, or a SUMO network for comparisons with SUMO.
#[derive(Debug)]
pub enum Network {
    City(Box<City>),
    Sumo(SumoNet),
}

impl Network {
    pub fn roads(&self) -> &RoadNetwork {
        match self {
            Network::City(city) => city.roads(),
            Network::Sumo(net) => &net.roads,
        }
    }

    pub fn city(&self) -> Option<&City> {
        match self {
            Network::City(city) => Some(city),
            Network::Sumo(_) => None,
        }
    }
}

/// Where and what a run writes.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    pub dir: PathBuf,
    /// summary.json only (sweeps need their figures, not per-link files).
    pub summary_only: bool,
    /// The time series also as Parquet, beside their CSV.
    pub parquet: bool,
}

#[derive(Debug)]
pub struct RunFacts<'a> {
    pub wall_s: f64,
    pub interrupted: bool,
    pub days: &'a [IterationReport],
    /// The gap the equilibrium was to reach (`--target-gap`), and whether its last day did.
    pub target_gap: Option<(f64, bool)>,
    /// The scenario and the number of changes its edits made.
    pub scenario: Option<(&'a LoadedScenario, usize)>,
    /// What a live run received from the broker.
    pub live: Option<&'a citytwin_live::twin::LiveFacts>,
    /// The simulated day every time in the outputs is placed on.
    pub day: SimDay,
    /// The model parameters file a scene's day was built with; `None`: the defaults.
    pub model_file: Option<&'a Path>,
}

/// summary.json: the `traffic.`, `demand.`, `run.` and (with bikes) `bikes.` and
/// `governance.` blocks, and with ops `sensors.`, `vitals.`, `quality.` and `cases.`.
pub fn run_summary(
    scene: Option<&Path>,
    city: Option<&City>,
    world: &World,
    demand: &Demand,
    run: &RunFacts,
) -> RunSummary {
    let from_s = world.options().from_s;
    let last = run.days.last();
    let model_bytes = world.traffic().memory_bytes();
    let synthetic = demand.day.as_ref().map(|day| {
        // counted in the window, as `trips` is
        let count = demand.count;
        SyntheticBlock {
            external_trips: count.external,
            resident_trips: count.trips - count.external,
            external_stations: day.external.stations,
            residents: day.residents.round(),
            jobs: day.jobs.round(),
            estimate: day.sources.clone(),
        }
    });
    let ops = world.ops().map(|ops| ops.summary(world.now_s()));
    RunSummary {
        traffic: TrafficBlock {
            day: world.traffic().summary(),
            equilibrium_days: last.map(|_| run.days.len()),
            equilibrium_gap: last.map(|d| d.relative_gap),
            equilibrium_target_gap: last.and(run.target_gap).map(|(target, _)| target),
            equilibrium_reached: last.and(run.target_gap).map(|(_, reached)| reached),
        },
        demand: DemandBlock {
            source: demand.source,
            file: demand.file.clone(),
            trips: demand.count.trips,
            synthetic,
        },
        run: RunBlock {
            scene: scene.map(|p| p.display().to_string()),
            scenario: run.scenario.map(|(s, changes)| ScenarioBlock {
                file: s.path.display().to_string(),
                name: s.scenario.name.clone(),
                edits: s.scenario.edits.len(),
                changes,
            }),
            seed: world.options().seed,
            date: run.day.date.to_string(),
            utc_offset_s: run.day.utc_offset_s,
            from_s,
            to_s: world.now_s(),
            sim_seconds: world.now_s() - from_s,
            wall_seconds: run.wall_s,
            interrupted: run.interrupted,
            model_bytes,
            model_bytes_per_trip: model_bytes / world.traffic().trips().len().max(1),
        },
        city: city.map(|city| {
            let e = city.bundle.meta.extent;
            CityBlock {
                name: city.bundle.meta.name.clone(),
                area_km2: e.width() * e.height() / 1e6,
                fitted: run.model_file.is_some(),
                model: run.model_file.map(|p| p.display().to_string()),
            }
        }),
        bikes: world.bikes().map(|b| b.summary()),
        governance: world.bikes().map(|b| b.governance()),
        sensors: ops.as_ref().map(|o| SensorsBlock {
            things: o.sensors,
            datastreams: o.datastreams,
        }),
        vitals: ops.as_ref().map(|o| o.vitals.clone()),
        quality: ops.as_ref().map(|o| o.quality.clone()),
        cases: ops.map(|o| o.cases),
        live: run.live.cloned(),
    }
}

/// Writes the run's files; summary.json last (and whole or not at all), so that a run whose
/// summary.json exists has written everything — a sweep counts such a run as done.
/// `source` is the scene (or SUMO network) file the run was made from.
/// `traffic_gpkg`: traffic.gpkg as written beside the day, if it was (else it is written now).
pub fn write_all(
    out: &OutputOptions,
    source: Option<&Path>,
    network: &Network,
    world: &World,
    demand: &Demand,
    run: &RunFacts,
    traffic_gpkg: Option<TrafficGpkg>,
) -> Result<()> {
    let summary = run_summary(source, network.city(), world, demand, run);
    let summary_path = out.dir.join("summary.json");
    // a summary from an earlier run must not vouch for files this one has not written yet
    let _ = std::fs::remove_file(&summary_path);
    if !out.summary_only {
        write_details(out, network, world, demand, run, traffic_gpkg)?;
    }
    write_whole(&summary_path, &summary.to_json()?)
}

fn write_details(
    out: &OutputOptions,
    network: &Network,
    world: &World,
    demand: &Demand,
    run: &RunFacts,
    traffic_gpkg: Option<TrafficGpkg>,
) -> Result<()> {
    let traffic_gpkg = match traffic_gpkg {
        Some(started) => Some(started),
        None => TrafficGpkg::for_day(&out.dir, network, run.day)?,
    };
    // the GeoPackage (its spatial index most of all) takes as long as every other file
    // together: finished beside them on the second core; the files are the same either way
    let (tables, gpkg) = rayon::join(
        || write_tables(out, network, world, demand, run),
        || traffic_gpkg.map_or(Ok(()), |g| g.finish(network.roads(), world)),
    );
    tables.and(gpkg)
}

/// Every detailed output but traffic.gpkg.
fn write_tables(
    out: &OutputOptions,
    network: &Network,
    world: &World,
    demand: &Demand,
    run: &RunFacts,
) -> Result<()> {
    let roads = network.roads();
    let day = &run.day;
    // the two long tables are written side by side: a thread is free while the GeoPackage
    // is, or the whole machine where there is none (a SUMO network)
    let (bins, trips) = rayon::join(
        || write_link_bins(out, roads, world, day),
        || write_trips_csv(&out.dir.join("trips.csv"), world, demand, day),
    );
    bins.and(trips)?;
    if !run.days.is_empty() {
        write(&out.dir.join("iterations.csv"), &iterations_csv(run.days))?;
    }
    if let (Some(b), Network::City(city)) = (world.bikes(), network) {
        write_table(&out.dir, &crate::bikes::fences_table(b, day)?, out.parquet)?;
        crate::bikes::fences_gpkg(&out.dir.join("bikes.gpkg"), &city.bundle.meta.crs.wkt, b)?;
    }
    if let Some(ops) = world.ops() {
        crate::ops::write_reports(&out.dir, ops, out.parquet)?;
    }
    Ok(())
}

pub use crate::table::csv_text;

/// Writes `<name>.csv` into `dir`, and `<name>.parquet` with `parquet`.
pub fn write_table(dir: &Path, table: &Table, parquet: bool) -> Result<()> {
    let mut writer = TableWriter::create(dir, table, parquet)?;
    writer.append(table)?;
    Ok(writer.finish()?)
}

pub fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(RunError::io("writing", path))
}

/// Writes `text` whole or not at all: beside `path`, then renamed into place, so a reader
/// never sees half a file.
pub fn write_whole(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let partial = path.with_file_name(format!(".{name}.partial"));
    write(&partial, text)?;
    std::fs::rename(&partial, path).map_err(RunError::io("writing", path))
}

/// link_bins.csv (and .parquet), a time bin at a time.
fn write_link_bins(
    out: &OutputOptions,
    roads: &RoadNetwork,
    world: &World,
    day: &SimDay,
) -> Result<()> {
    let bins = world.traffic().stats.bin_count();
    let mut writer = TableWriter::create(
        &out.dir,
        &link_bins_table(roads, world, day, 0..0)?,
        out.parquet,
    )?;
    for b in 0..bins {
        writer.append(&link_bins_table(roads, world, day, b..b + 1)?)?;
    }
    Ok(writer.finish()?)
}

/// The busy links of bins `bins`.
fn link_bins_table(
    roads: &RoadNetwork,
    world: &World,
    day: &SimDay,
    bins: std::ops::Range<usize>,
) -> Result<Table> {
    let stats = &world.traffic().stats;
    let (mut start, mut link, mut way) = (Vec::new(), Vec::new(), Vec::new());
    let (mut flow, mut speed, mut density) = (Vec::new(), Vec::new(), Vec::new());
    let (mut stuck, mut seconds) = (Vec::new(), Vec::new());
    for b in bins {
        // rates over the part of the bin the run saw: the last bin of an interrupted run
        let (from, until) = world.observed_bin(b);
        let observed_s = until - from;
        for (l, bin) in stats.links_in(b).filter(|(_, b)| !b.is_empty()) {
            let road = &roads.links[l.index()];
            start.push(b as u32 * stats.bin_s);
            link.push(i64::from(l.0));
            way.push(road.osm_way_id);
            flow.push(bin.flow_vph(observed_s));
            speed.push(bin.mean_speed_kmh(road.length_m));
            density.push(bin.density_veh_km(road.length_m, observed_s));
            stuck.push(i64::from(bin.stuck));
            seconds.push(i64::from(observed_s));
        }
    }
    Ok(Table::new(
        "link_bins",
        vec![
            Column::time("bin_start", day, start),
            Column::int("link", link),
            Column::int("osm_way_id", way),
            Column::float("flow_vph", 1, flow),
            Column::float("mean_speed_kmh", 2, speed),
            Column::float("density_veh_km", 3, density),
            Column::int("stuck_moves", stuck),
            Column::int("bin_seconds", seconds),
        ],
    )?)
}

/// trips.csv, a row at a time, quoted by the csv crate where a field needs it (an id from a
/// trip list may hold a comma or a quote).
fn write_trips_csv(path: &Path, world: &World, demand: &Demand, day: &SimDay) -> Result<()> {
    let header = [
        "id",
        "purpose",
        "origin_link",
        "destination_link",
        "departure",
        "arrival",
        "status",
        "length_m",
        "travel_time_s",
        "delay_s",
        "reroutes",
    ];
    let traffic = &world.traffic();
    let mut csv = CsvFile::create(path, header.map(String::from).to_vec())?;
    let rows = traffic.trips().iter().zip(&traffic.records).enumerate();
    // every number goes through one buffer, a field at a time
    let (mut text, mut length) = (String::new(), String::new());
    let mut put = |csv: &mut CsvFile, value: &dyn std::fmt::Display| {
        use std::fmt::Write;
        text.clear();
        // writing to a String cannot fail
        let _ = write!(text, "{value}");
        csv.field(&text)
    };
    for (i, (spec, record)) in rows {
        match demand.ids.as_ref().and_then(|ids| ids.get(i)) {
            Some(id) => csv.field(id)?,
            None => put(&mut csv, &i)?,
        }
        csv.field(spec.purpose.as_str())?;
        put(&mut csv, &spec.origin_link.0)?;
        put(&mut csv, &spec.dest_link.0)?;
        csv.field(&day.iso(spec.departure_s))?;
        match record.arrival_s {
            Some(a) => csv.field(&day.iso(a))?,
            None => csv.field("")?,
        }
        csv.field(record.status.as_str())?;
        length.clear();
        crate::table::write_fixed(&mut length, record.length_m, 1);
        csv.field(&length)?;
        match record.arrival_s {
            Some(a) => {
                put(&mut csv, &(a - spec.departure_s))?;
                put(&mut csv, &record.delay_s(spec).unwrap_or(0))?;
            }
            None => {
                csv.field("")?;
                csv.field("")?;
            }
        }
        put(&mut csv, &record.reroutes)?;
        csv.end_row()?;
    }
    Ok(csv.finish()?)
}

fn iterations_csv(days: &[IterationReport]) -> String {
    let header = [
        "day",
        "relative_gap",
        "mean_travel_time_s",
        "trips_completed",
        "replanned",
    ];
    let rows = days.iter().map(|d| {
        vec![
            d.iteration.to_string(),
            format!("{:.6}", d.relative_gap),
            format!("{:.1}", d.mean_travel_time_s),
            d.trips_completed.to_string(),
            d.replanned.to_string(),
        ]
    });
    csv_text(header.map(String::from).to_vec(), rows)
}
