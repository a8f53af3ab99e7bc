//! `citytwin run`: a headless simulated day (or window) of a scene, with its reports.

pub mod live;
pub mod state;

use crate::day_args::{GbfsArgs, SimArgs, parse_date};
use crate::{interrupt, progress};
use anyhow::{Result, bail};
use citytwin_runs::day::{DayHooks, DayMode, DaySource};
use citytwin_runs::{DayJob, DayRequest, StateOptions, clock};
use citytwin_sim::World;
use citytwin_traffic::dynamic::{EquilibriumOptions, IterationReport};
use clap::Args;
use indicatif::ProgressBar;
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
    /// Run on an Eclipse SUMO network (.net.xml, or gzip-compressed .net.xml.gz) instead of a
    /// scene (with --sumo-trips)
    #[arg(long, conflicts_with = "scene", requires = "sumo_trips")]
    sumo_net: Option<PathBuf>,
    /// SUMO demand for --sumo-net: trips (<trip id depart from to>, as randomTrips.py writes),
    /// vehicles with routes (as duarouter writes; each routed again from its route's first to
    /// its last edge) or flows of them (spaced as SUMO spaces them); gzip-compressed too
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
    pub gbfs: GbfsArgs,
    /// Simulated days for the dynamic equilibrium (1 = a single day; not with --live, which
    /// runs one day)
    #[arg(long, default_value_t = 1, conflicts_with = "live")]
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

impl RunArgs {
    /// The library's run these arguments describe.
    fn job<'a>(
        &'a self,
        options: &'a citytwin_runs::DayOptions,
        gbfs: &'a citytwin_runs::gbfs::GbfsOptions,
        state: &'a StateOptions,
    ) -> Result<DayJob<'a>> {
        let source = match (&self.sumo_net, &self.sumo_trips, &self.scene) {
            (Some(net), Some(trips), _) => DaySource::Sumo { net, trips },
            (_, _, Some(scene)) => DaySource::Scene {
                scene,
                scenario: self.scenario.as_deref(),
            },
            _ => bail!("a scene file or --sumo-net is required"),
        };
        let mode = match &self.live.live {
            Some(url) => DayMode::Live(self.live.options(url)),
            None if self.iterations != 1 => DayMode::Equilibrium(self.equilibrium()),
            None => DayMode::Once,
        };
        Ok(DayJob {
            day: DayRequest {
                source,
                options,
                seed: self.seed,
                date: self.date,
                mds_policy: self.mds_policy,
                gbfs,
                output: &self.output,
            },
            mode,
            state,
            force: self.force,
            summary_only: self.summary_only,
            parquet: self.parquet,
        })
    }

    fn equilibrium(&self) -> EquilibriumOptions {
        EquilibriumOptions {
            iterations: self.iterations,
            replan_share: self.replan_share,
            target_gap: self.target_gap,
        }
    }
}

pub fn run(args: RunArgs, quiet: bool) -> Result<()> {
    let (options, gbfs, state) = (
        args.sim.options(),
        args.gbfs.options(),
        args.state.options(),
    );
    let job = args.job(&options, &gbfs, &state)?;
    // one-line errors for what clap cannot check alone, before anything is loaded; the
    // equilibrium's settings are refused even for a single day, as they always were
    job.check()?;
    DayMode::Equilibrium(args.equilibrium()).check()?;
    // from the start: a Ctrl-C while the city and the World load stops the day at its first
    // minute, with its (empty) outputs written, instead of killing the program
    interrupt::install();
    let hooks = Hooks {
        bar: progress::steps(u64::from(options.to_s - options.from_s), quiet),
        from: options.from_s,
        started: Instant::now(),
        quiet,
    };
    let report = job.run(&hooks);
    hooks.bar.finish_and_clear();
    let report = report?;
    if !report.mds_left_out.is_empty() {
        tracing::info!(
            "MDS Policy has no rule type for {}: not in mds/policies.json",
            report.mds_left_out.join(", ")
        );
    }
    for &t in &report.gbfs_missed {
        tracing::warn!("--gbfs-at {}: the run did not reach that time", clock(t));
    }
    if !quiet {
        if let Some((path, at)) = &report.saved_state {
            eprintln!(
                "state at {} saved to {} (citytwin run … --resume)",
                clock(*at),
                path.display()
            );
        }
        for line in &report.lines {
            eprintln!("{line}");
        }
    }
    Ok(())
}

/// The run's bar, its day lines, and Ctrl-C.
struct Hooks {
    bar: ProgressBar,
    from: u32,
    started: Instant,
    quiet: bool,
}

impl DayHooks for Hooks {
    fn minute(&self, w: &World) -> bool {
        let simulated = w.now_s() - self.from;
        self.bar.set_position(u64::from(simulated));
        let wall = self.started.elapsed().as_secs_f64().max(1e-3);
        let c = w.traffic().counts();
        self.bar.set_message(format!(
            "{}  {:.0}× real time  {} cars on the road",
            clock(w.now_s()),
            f64::from(simulated) / wall,
            c.on_links + c.waiting
        ));
        !interrupt::requested()
    }

    fn day_done(&self, day: &IterationReport) {
        // the day lines are the run's record: printed even when the bar is hidden
        if !self.quiet || !self.bar.is_hidden() {
            self.say(format!(
                "day {:>3}: relative gap {:.5}  mean travel time {:.0} s  {} trips done  {} re-planned",
                day.iteration,
                day.relative_gap,
                day.mean_travel_time_s,
                day.trips_completed,
                day.replanned
            ));
        }
        self.bar.set_position(0);
    }

    fn say(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}
