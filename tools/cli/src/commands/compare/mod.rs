//! `citytwin compare`: a scenario against its baseline, over several seeds run in parallel.

mod digest;
mod page;
mod plots;
mod report;

use crate::commands::run::build::{LoadedScenario, build_world};
use crate::commands::run::reports::{self, RunFacts};
use crate::commands::run::{SimArgs, clock};
use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_city::City;
use clap::Args;
use digest::RunDigest;
pub use digest::kpis;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Compare a what-if scenario with its baseline: both run with the same seeds (in parallel
/// across cores), and every figure of summary.json is compared with a 95% confidence
/// interval of the paired difference.
///
/// Writes into the output folder: compare.json (each KPI: baseline mean, variant mean,
/// difference, interval, significant or not), compare.gpkg (per-link and per-fence
/// differences, for QGIS), kpis.png, timeseries.png and speed_map.png, report.html (all of it
/// in one self-contained page), and runs/<side>-seed<N>/summary.json for every run.
/// Same inputs ⇒ the same files whatever --jobs is. Ctrl-C stops the runs in progress and
/// compares the seeds whose two runs finished.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scene file, e.g. scenes/chengdu/scene.ron
    scene: PathBuf,
    /// The scenario (the variant), e.g. scenes/chengdu/scenarios/fewer_crews.ron
    scenario: PathBuf,
    /// Seeds per side: 1, 2, … (each seed is run once as baseline and once as variant)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    seeds: u64,
    /// The first seed
    #[arg(long, default_value_t = 1)]
    first_seed: u64,
    /// Runs at once (default: the machine's cores)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    #[command(flatten)]
    sim: SimArgs,
    /// Output folder
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Baseline,
    Variant,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::Variant => "variant",
        }
    }
}

/// Every finished run, by side and seed.
pub type Finished = BTreeMap<(Side, u64), RunDigest>;

pub fn run(args: CompareArgs, quiet: bool) -> Result<()> {
    args.sim.check()?;
    let started = Instant::now();
    let scenario = LoadedScenario::load(&args.scenario, &args.scene)?;
    let crate::commands::run::build::SceneParts {
        city,
        day,
        ops,
        model,
        fences,
        ..
    } = crate::commands::run::build::SceneParts::load(&args.scene, &args.sim, None)?;
    std::fs::create_dir_all(args.output.join("runs"))
        .with_context(|| format!("creating {}", args.output.display()))?;
    // variants first: a scenario that does not fit the city fails at once
    let seeds: Vec<u64> = (args.first_seed..args.first_seed + args.seeds).collect();
    let jobs: Vec<(Side, u64)> = seeds
        .iter()
        .flat_map(|&s| [(Side::Variant, s), (Side::Baseline, s)])
        .collect();
    let workers = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(jobs.len());
    interrupt::install();
    let window = u64::from(args.sim.to - args.sim.from);
    let bar = progress::steps(window * jobs.len() as u64, quiet);
    bar.set_message(format!("{} runs, {workers} at a time", jobs.len()));
    let finished = Mutex::new(Finished::new());
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .context("starting the worker threads")?;
    // each run's result is kept by its side and seed, so the order runs finish in (which
    // depends on the thread count) changes nothing written
    pool.install(|| {
        jobs.par_iter().for_each(|&(side, seed)| {
            if stop.load(Ordering::SeqCst) || interrupt::requested() {
                return;
            }
            let job = Job {
                city: &city,
                fences: &fences,
                model: &model,
                ops: ops.as_ref(),
                args: &args,
                scenario: (side == Side::Variant).then_some(&scenario),
                side,
                seed,
                day,
            };
            match job.run(&bar, &stop) {
                Ok(Some(digest)) => {
                    let done = {
                        let mut f = lock(&finished);
                        f.insert((side, seed), digest);
                        f.len()
                    };
                    bar.set_message(format!("{done}/{} runs done", jobs.len()));
                }
                Ok(None) => {}
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    lock(&failure).get_or_insert(e);
                }
            }
        });
    });
    bar.finish_and_clear();
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
    let paired: Vec<u64> = seeds
        .iter()
        .copied()
        .filter(|s| {
            finished.contains_key(&(Side::Baseline, *s))
                && finished.contains_key(&(Side::Variant, *s))
        })
        .collect();
    if paired.is_empty() {
        bail!(
            "interrupted before any seed had both runs finished; nothing to compare ({} run summaries in {})",
            finished.len(),
            args.output.join("runs").display()
        );
    }
    let complete = paired.len() == seeds.len();
    let comparison = report::Comparison::new(&args.scene, &scenario, &paired, &finished, complete);
    report::write_all(
        &args.output,
        &city,
        &comparison,
        (args.sim.from, args.sim.to),
    )?;
    if !quiet {
        eprintln!(
            "{}compared `{}` with its baseline over {} seed(s), {} → {}, in {:.1} s: {} of {} figures differ significantly → {}",
            if complete { "" } else { "interrupted: " },
            scenario.scenario.name,
            paired.len(),
            clock(args.sim.from),
            clock(args.sim.to),
            started.elapsed().as_secs_f64(),
            comparison.significant_count(),
            comparison.kpis.len(),
            args.output.display()
        );
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One run of a comparison.
struct Job<'a> {
    city: &'a City,
    fences: &'a citytwin_bikes::osm_fences::FencePlan,
    model: &'a citytwin_sim::model::SceneModel,
    ops: Option<&'a citytwin_sim::ops::OpsInputs>,
    args: &'a CompareArgs,
    scenario: Option<&'a LoadedScenario>,
    side: Side,
    seed: u64,
    day: citytwin_city::calendar::SimDay,
}

impl Job<'_> {
    /// Runs to the end of the window and writes its summary.json; `None` when stopped.
    fn run(&self, bar: &ProgressBar, stop: &AtomicBool) -> Result<Option<RunDigest>> {
        let started = Instant::now();
        let sim = &self.args.sim;
        let built = build_world(
            self.city,
            &sim.world_spec(self.seed, self.scenario, self.fences, self.ops, self.model),
        )?;
        let mut world = built.world;
        let mut last = sim.from;
        let mut stopped = false;
        world.run(&mut |w| {
            bar.inc(u64::from(w.now_s() - last));
            last = w.now_s();
            stopped = interrupt::requested() || stop.load(Ordering::SeqCst);
            !stopped
        });
        if stopped {
            return Ok(None);
        }
        bar.inc(u64::from(sim.to.saturating_sub(last)));
        let facts = RunFacts {
            wall_s: started.elapsed().as_secs_f64(),
            interrupted: false,
            days: &[],
            target_gap: None,
            scenario: self.scenario.map(|s| (s, built.changes)),
            live: None,
            day: self.day,
        };
        let traffic = world.traffic.summary();
        let summary = reports::summary_json(
            Some(&self.args.scene),
            Some(self.city),
            &world,
            &built.demand,
            &traffic,
            &facts,
        )?;
        let dir = run_dir(&self.args.output, self.side, self.seed);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        reports::write(
            &dir.join("summary.json"),
            &(serde_json::to_string_pretty(&summary)? + "\n"),
        )?;
        Ok(Some(RunDigest::of(&world, summary)))
    }
}

fn run_dir(output: &Path, side: Side, seed: u64) -> PathBuf {
    output
        .join("runs")
        .join(format!("{}-seed{seed}", side.as_str()))
}
