//! `citytwin run`: a headless simulated day (or window) of a scene, with its reports.

pub mod bikes;
pub mod build;
pub mod demand;
pub mod fence_source;
pub mod gbfs;
pub mod live;
pub mod mds;
pub mod ops;
pub mod reports;
pub mod state;

use crate::output_dir::StagedOutput;
use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_city::City;
use citytwin_city::roads::RoadNetwork;
use citytwin_sim::scenario::Clock;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::EquilibriumOptions;
use citytwin_traffic::dynamic::TrafficConfig;
use citytwin_traffic::sumo::SumoNet;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Simulate a day of the city headless, much faster than real time, and write its reports.
///
/// Demand is the scene's synthetic day (--trips), an OD matrix (--od), or a trip list
/// (--trip-list). With --iterations N the day is repeated and a share of trips re-planned
/// each time until travel times settle (dynamic user equilibrium); the relative gap is printed
/// per day and written to iterations.csv.
///
/// Writes into the output folder: summary.json (traffic.*, demand.* and run.* figures),
/// link_bins.csv (per link and 15-minute bin: flow, mean speed, density), trips.csv (every
/// trip with its departure, arrival, length and delay) and traffic.gpkg (the link layer with
/// the day's aggregates, and one feature per link and bin with start/end timestamps for
/// QGIS's temporal controller). With shared bikes (on by default on a scene: --bike-fleet,
/// --bike-trips) also the `bikes.` block of summary.json, fences.csv (every fence every 15
/// minutes: bikes, capacity, open alarms) and bikes.gpkg (the fences with the day's figures).
/// With --parquet, link_bins, vitals, quality and fences also as .parquet (same columns).
/// With --gbfs-at HH:MM, the bike system as GBFS 2.3/3.0 feeds at that simulated time.
/// Same inputs, options and seed ⇒ byte-identical CSV and JSON
/// files, except run.wall_seconds. Ctrl-C stops at the next simulated minute and writes what
/// was simulated so far.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scene file, e.g. scenes/chengdu/scene.ron (its bundle must exist: `citytwin import --scene`)
    #[arg(required_unless_present = "sumo_net")]
    scene: Option<PathBuf>,
    /// Run on an Eclipse SUMO network (.net.xml) instead of a scene (with --sumo-trips)
    #[arg(long, conflicts_with = "scene", requires = "sumo_trips")]
    sumo_net: Option<PathBuf>,
    /// SUMO trips file (<trip id depart from to>, as randomTrips.py writes) for --sumo-net
    #[arg(long, requires = "sumo_net")]
    sumo_trips: Option<PathBuf>,
    /// A what-if scenario for the scene (scenes/<city>/scenarios/*.ron): its edits are
    /// applied before the day is simulated
    #[arg(long, conflicts_with = "sumo_net")]
    pub scenario: Option<PathBuf>,
    /// Random seed: demand and driver choices
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub live: live::LiveArgs,
    #[command(flatten)]
    pub gbfs: gbfs::GbfsArgs,
    /// Simulated days for the dynamic equilibrium (1 = a single day)
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    /// Share of trips that switch to their best route after the first day (with --iterations);
    /// after day k it is this share / k (the method of successive averages), so the days
    /// settle; trips that did not arrive always switch
    #[arg(long, default_value_t = 0.3)]
    replan_share: f64,
    /// Stop iterating after the first day whose relative gap is at most this (0–1; with
    /// --iterations as the most days); summary.json says whether it was reached
    #[arg(long)]
    target_gap: Option<f64>,
    /// Calendar date of the simulated day (YYYY-MM-DD), the one date of every file the run
    /// writes (CSV, GeoPackage, Parquet, GBFS, cases); default: the scene's `date:`, else
    /// 2025-01-06 (a Monday). Times carry the scene's time zone's offset on that day.
    #[arg(long, value_parser = parse_date)]
    date: Option<citytwin_city::calendar::Date>,
    /// Write the scene's bike fences and governance rules (as the scenario left them) as
    /// Mobility Data Specification 2.0 Policy files: <output>/mds/policies.json and
    /// geographies.json (docs/bikes.md)
    #[arg(long)]
    pub mds_policy: bool,
    /// Write summary.json only (sweeps: thousands of runs need their figures, not their
    /// per-link files)
    #[arg(long)]
    pub summary_only: bool,
    /// Also write the time series (link_bins, vitals, quality) as Parquet, beside their CSV
    #[arg(long)]
    pub parquet: bool,
    /// Output folder, written whole when the run ends: an earlier run's folder there is
    /// replaced as a whole (no stale file survives); a folder holding anything else is refused
    #[arg(short, long)]
    pub output: PathBuf,
    /// Replace the output folder even if it holds files that are not an earlier run's
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub state: state::StateArgs,
}

/// What a simulated day is made of: its window, demand, bikes and driver behaviour. Shared
/// by `run`, `compare` and `sweep`.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Start of the simulated window (HH:MM)
    #[arg(long, default_value = "00:00", value_parser = parse_clock)]
    pub from: u32,
    /// End of the simulated window (HH:MM, 24:00 for the whole day)
    #[arg(long, default_value = "24:00", value_parser = parse_clock)]
    pub to: u32,
    #[command(flatten)]
    pub demand: demand::DemandArgs,
    #[command(flatten)]
    pub bikes: bikes::BikeArgs,
    /// Share of drivers who re-route en route every 10 minutes (0..=1; those who follow live
    /// navigation)
    #[arg(long, default_value_t = citytwin_traffic::dynamic::DEFAULT_REROUTE_SHARE)]
    pub reroute_share: f64,
    /// Seconds a car may wait at the head of a link for room downstream before it is moved on
    /// anyway (the gridlock rule, as MATSim's stuck time and SUMO's time-to-teleport)
    #[arg(long, default_value_t = 300)]
    pub stuck_time: u32,
    /// Leave out the scene's operations (sensors, vital signs, data quality, cases)
    #[arg(long)]
    pub no_ops: bool,
    /// The model's parameters (demand, road factors), in place of the scene's `model` file:
    /// e.g. what `citytwin calibrate` wrote
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

impl SimArgs {
    /// One-line errors for values clap cannot check alone.
    pub fn check(&self) -> Result<()> {
        check_share("--reroute-share", self.reroute_share)?;
        if !(self.demand.od_scale >= 0.0 && self.demand.od_scale.is_finite()) {
            bail!("--od-scale {}: expected a factor ≥ 0", self.demand.od_scale);
        }
        if self.from >= self.to {
            bail!(
                "--from {} is not before --to {}",
                clock(self.from),
                clock(self.to)
            );
        }
        Ok(())
    }

    pub fn traffic(&self) -> TrafficConfig {
        TrafficConfig {
            reroute_share: self.reroute_share,
            stuck_time_s: self.stuck_time.max(1),
            ..TrafficConfig::default()
        }
    }

    /// What `build_world` needs for one seed.
    pub fn world_spec<'a>(
        &'a self,
        seed: u64,
        scenario: Option<&'a build::LoadedScenario>,
        fences: &'a citytwin_bikes::osm_fences::FencePlan,
        ops: Option<&'a citytwin_sim::ops::OpsInputs>,
        model: &'a citytwin_sim::model::SceneModel,
    ) -> build::WorldSpec<'a> {
        build::WorldSpec {
            demand: &self.demand,
            bikes: &self.bikes,
            seed,
            window: (self.from, self.to),
            traffic: self.traffic(),
            scenario,
            fences,
            ops: if self.no_ops { None } else { ops },
            model,
        }
    }
}

pub fn parse_clock(value: &str) -> Result<u32, String> {
    Clock::parse(value)
        .map(|c| c.0)
        .ok_or_else(|| format!("expected a time of day HH:MM (00:00 to 24:00), found {value:?}"))
}

fn parse_date(value: &str) -> Result<citytwin_city::calendar::Date, String> {
    value
        .parse::<citytwin_city::calendar::Date>()
        .ok()
        // feeds and GeoPackages carry Unix times: a year before 1970 is a typing error
        .filter(|d| citytwin_city::calendar::SimDay::in_zone(*d, None).is_ok())
        .ok_or_else(|| format!("expected a date YYYY-MM-DD from 1970 to 2200, found {value:?}"))
}

pub fn clock(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

fn check_share(name: &str, value: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&value) {
        bail!("{name} {value}: expected a share between 0 and 1");
    }
    Ok(())
}

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
}

/// What `load` hands `run`: the network (a scene's city or a SUMO network), demand, World,
/// the scenario with how many changes it made, and the inputs as it left them.
struct Loaded {
    network: Network,
    demand: demand::Demand,
    world: World,
    scenario: Option<(build::LoadedScenario, usize)>,
    inputs: Option<citytwin_sim::scenario::RunInputs>,
    gbfs: Option<gbfs::GbfsPublisher>,
    day: citytwin_city::calendar::SimDay,
}

fn load(args: &RunArgs) -> Result<Loaded> {
    if let (Some(net), Some(trips)) = (&args.sumo_net, &args.sumo_trips) {
        let net = SumoNet::read(net)?;
        let (trips_list, ids) = net.read_trips(trips)?;
        let mut demand = demand::Demand {
            source: "sumo_trips",
            file: Some(trips.display().to_string()),
            trips: trips_list,
            ids: Some(ids),
            day: None,
        };
        demand.keep_window(args.sim.from, args.sim.to);
        let options = WorldOptions {
            seed: args.seed,
            from_s: args.sim.from,
            to_s: args.sim.to,
            traffic: args.sim.traffic(),
            events: Vec::new(),
        };
        let world = World::new(&net.roads, demand.trips.clone(), options)?;
        // a SUMO network has no time zone: its day is in UTC
        let date = args.date.unwrap_or(citytwin_city::calendar::DEFAULT_DATE);
        let day = citytwin_city::calendar::SimDay::in_zone(date, None)
            .map_err(|e| anyhow::anyhow!("--date {e}"))?;
        return Ok(Loaded {
            day,
            network: Network::Sumo(net),
            demand,
            world,
            scenario: None,
            inputs: None,
            gbfs: None,
        });
    }
    let scene_path = args
        .scene
        .as_deref()
        .context("a scene file or --sumo-net is required")?;
    let scenario = args
        .scenario
        .as_deref()
        .map(|p| build::LoadedScenario::load(p, scene_path))
        .transpose()?;
    let build::SceneParts {
        scene,
        city,
        day,
        ops,
        model,
        fences,
    } = build::SceneParts::load(scene_path, &args.sim, args.date)?;
    let spec = args
        .sim
        .world_spec(args.seed, scenario.as_ref(), &fences, ops.as_ref(), &model);
    let built = build::build_world(&city, &spec)?;
    if args.mds_policy {
        let bikes = built
            .world
            .bikes
            .as_ref()
            .context("--mds-policy: the run has no shared bikes (--bike-fleet 0)")?;
        let left_out =
            mds::write_policy(&args.output, &scene.name, &city, bikes, day.midnight_unix())?;
        if !left_out.is_empty() {
            tracing::info!(
                "MDS Policy has no rule type for {}: not in mds/policies.json",
                left_out.join(", ")
            );
        }
    }
    let gbfs = gbfs::GbfsPublisher::new(
        &args.gbfs,
        &args.output,
        &scene.name,
        scene.timezone.as_deref().unwrap_or("Etc/UTC"),
        day,
        &city.bundle.meta.crs.id,
    )?;
    Ok(Loaded {
        day,
        gbfs,
        network: Network::City(Box::new(city)),
        demand: built.demand,
        world: built.world,
        scenario: scenario.map(|s| (s, built.changes)),
        inputs: Some(built.inputs),
    })
}

pub fn run(mut args: RunArgs, quiet: bool) -> Result<()> {
    args.sim.check()?;
    check_share("--replan-share", args.replan_share)?;
    if args.iterations == 0 {
        bail!("--iterations 0: expected at least 1 (one simulated day)");
    }
    // a feed the window never reaches would be missing without a word under -q
    if let Some(&t) = args
        .gbfs
        .at
        .iter()
        .find(|&&t| t < args.sim.from || t > args.sim.to)
    {
        bail!(
            "--gbfs-at {}: outside the simulated window {}–{}",
            clock(t),
            clock(args.sim.from),
            clock(args.sim.to)
        );
    }
    if let Some(gap) = args.target_gap {
        check_share("--target-gap", gap)?;
    }
    args.state
        .check(&args.sim, args.iterations, args.live.live.is_some())?;
    let started = Instant::now();
    args.live.check(&args)?;
    // from the start: a Ctrl-C while the city and the World load stops the day at its first
    // minute, with its (empty) outputs written, instead of killing the program
    interrupt::install();
    let staged = StagedOutput::new(&args.output, args.force)?;
    let target = std::mem::replace(&mut args.output, staged.path().to_path_buf());
    let Loaded {
        network,
        demand,
        mut world,
        scenario,
        inputs,
        mut gbfs,
        day,
    } = match load(&args) {
        Ok(loaded) => loaded,
        Err(e) => {
            staged.discard();
            return Err(e);
        }
    };
    // read once: the scene and scenario files are part of it
    let recipe = state::recipe(&args);
    if let Err(e) = args.state.resume(&mut world, &recipe) {
        staged.discard();
        return Err(e);
    }
    let (from, to) = (args.sim.from, args.sim.to);
    let bar = progress::steps(u64::from(to - from), quiet);
    let sim_started = Instant::now();
    let mut gbfs_error = None;
    if let Some(g) = &mut gbfs {
        g.at_minute(&world)?;
    }
    let mut keep_going = |w: &World| {
        if let Some(g) = &mut gbfs
            && let Err(e) = g.at_minute(w)
        {
            gbfs_error = Some(e);
            return false;
        }
        let simulated = w.now_s() - from;
        bar.set_position(u64::from(simulated));
        let wall = sim_started.elapsed().as_secs_f64().max(1e-3);
        let c = w.traffic.counts();
        bar.set_message(format!(
            "{}  {:.0}× real time  {} cars on the road",
            clock(w.now_s()),
            f64::from(simulated) / wall,
            c.on_links + c.waiting
        ));
        !interrupt::requested() && !args.state.stops_at(w.now_s())
    };
    let mut live_facts = None;
    let eq = EquilibriumOptions {
        iterations: args.iterations,
        replan_share: args.replan_share,
        target_gap: args.target_gap,
    };
    let days = if args.iterations > 1 {
        world.run_equilibrium(&eq, &mut keep_going, &mut |day| {
            let line = format!(
                "day {:>3}: relative gap {:.5}  mean travel time {:.0} s  {} trips done  {} re-planned",
                day.iteration,
                day.relative_gap,
                day.mean_travel_time_s,
                day.trips_completed,
                day.replanned
            );
            // the day lines are the run's record: printed even when the bar is hidden
            if bar.is_hidden() {
                if !quiet {
                    eprintln!("{line}");
                }
            } else {
                bar.println(line);
            }
            bar.set_position(0);
        })
    } else if let Some(url) = &args.live.live {
        let Network::City(city) = &network else {
            bail!("--live needs a scene");
        };
        let staged_forecasts = args.output.join("forecast");
        args.live.forecast_dir.get_or_insert(staged_forecasts);
        live_facts = Some(live::run(
            &args.live,
            url,
            city,
            inputs,
            &mut world,
            &bar,
            &mut keep_going,
        )?);
        Vec::new()
    } else {
        world.run(&mut keep_going);
        Vec::new()
    };
    bar.finish_and_clear();
    let interrupted = interrupt::requested();
    if args.iterations == 1 && args.live.live.is_none() {
        let shown = target.join("state.ctstate");
        args.state
            .save(&world, &recipe, interrupted, &args.output, &shown, quiet)?;
    }
    let s = world.traffic.summary();
    let run = reports::RunFacts {
        wall_s: started.elapsed().as_secs_f64(),
        interrupted,
        days: &days,
        target_gap: args
            .target_gap
            .zip(days.last())
            .map(|(target, last)| (target, eq.reached(last))),
        scenario: scenario.as_ref().map(|(s, n)| (s, *n)),
        live: live_facts.as_ref(),
        day,
    };
    let written = reports::write_all(&args, &network, &world, &demand, &s, &run);
    // what was written is kept even when a report failed: the error names what is missing
    staged.commit()?;
    written?;
    // the day's reports are written first: a feed that could not be written loses nothing else
    if let Some(e) = gbfs_error {
        return Err(e);
    }
    for &t in gbfs.as_ref().map_or(&[][..], |g| g.missed()) {
        tracing::warn!("--gbfs-at {}: the run did not reach that time", clock(t));
    }
    if !quiet {
        eprintln!(
            "{} {} → {} in {:.1} s: {} of {} trips completed, {:.0} veh·km, mean speed {:.1} km/h, mean delay {:.0} s, congestion index {:.2}, {} stuck moves → {}",
            if interrupted {
                "interrupted:"
            } else {
                "simulated"
            },
            clock(from),
            clock(world.now_s()),
            started.elapsed().as_secs_f64(),
            s.trips_completed,
            s.trips,
            s.vkt_km,
            s.mean_speed_kmh,
            s.mean_delay_s,
            s.congestion_index,
            s.stuck_moves,
            target.display()
        );
        if let (Some((target, reached)), Some(last)) = (run.target_gap, days.last()) {
            eprintln!(
                "equilibrium: relative gap {:.5} after {} days, target {target} {}",
                last.relative_gap,
                days.len(),
                if reached { "reached" } else { "not reached" }
            );
        }
        let worst = most_stuck_roads(network.roads(), &world, 3);
        if !worst.is_empty() {
            eprintln!(
                "most stuck moves (where the network locks): {}",
                worst.join(", ")
            );
        }
    }
    Ok(())
}

/// The `n` roads whose links moved the most stuck cars on, as `name (count)`, worst first.
fn most_stuck_roads(roads: &RoadNetwork, world: &World, n: usize) -> Vec<String> {
    let mut by_road: BTreeMap<String, u32> = BTreeMap::new();
    for (l, link) in roads.links.iter().enumerate() {
        let (total, _) = world.traffic.stats.day_total(l, link.length_m);
        if total.stuck > 0 {
            *by_road.entry(link.label()).or_default() += total.stuck;
        }
    }
    let mut ranked: Vec<(String, u32)> = by_road.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(road, count)| format!("{road} ({count})"))
        .collect()
}
