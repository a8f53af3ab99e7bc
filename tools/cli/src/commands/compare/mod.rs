//! `citytwin compare`: a scenario against its baseline, over several seeds run in parallel.

use crate::day_args::SimArgs;
use crate::{interrupt, progress};
use anyhow::Result;
use citytwin_runs::compare::{Comparison, Pairs, PairsProgress, write_all};
use citytwin_runs::{LoadedScenario, SceneParts, clock};
use clap::Args;
use indicatif::ProgressBar;
use std::path::PathBuf;
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

/// The bar follows the runs; Ctrl-C stops them.
struct Bar(ProgressBar);

impl PairsProgress for Bar {
    fn simulated(&self, seconds: u64) {
        self.0.inc(seconds);
    }
    fn finished(&self, runs: usize, of: usize) {
        self.0.set_message(format!("{runs}/{of} runs done"));
    }
    fn stop(&self) -> bool {
        interrupt::requested()
    }
}

pub fn run(args: CompareArgs, quiet: bool) -> Result<()> {
    let options = args.sim.options();
    options.check()?;
    let started = Instant::now();
    let scenario = LoadedScenario::load(&args.scenario, &args.scene)?;
    let parts = SceneParts::load(&args.scene, &options, None)?;
    let seeds: Vec<u64> = (args.first_seed..args.first_seed + args.seeds).collect();
    let runs = seeds.len() * 2;
    let jobs = citytwin_runs::workers(args.jobs, runs);
    let pairs = Pairs {
        scene: &args.scene,
        parts: &parts,
        scenario: &scenario,
        options: &options,
        seeds: &seeds,
        output: &args.output,
        jobs,
    };
    interrupt::install();
    let window = u64::from(options.to_s - options.from_s);
    let bar = Bar(progress::steps(window * runs as u64, quiet));
    bar.0.set_message(format!("{runs} runs, {jobs} at a time"));
    let finished = pairs.run(&bar);
    bar.0.finish_and_clear();
    let finished = finished?;
    let paired = pairs.paired(&finished)?;
    let complete = paired.len() == seeds.len();
    let comparison = Comparison::new(&args.scene, &scenario, &paired, &finished, complete);
    write_all(
        &args.output,
        &parts.city,
        &comparison,
        (options.from_s, options.to_s),
    )?;
    if !quiet {
        eprintln!(
            "{}compared `{}` with its baseline over {} seed(s), {} → {}, in {:.1} s: {} of {} figures differ significantly → {}",
            if complete { "" } else { "interrupted: " },
            scenario.scenario.name,
            paired.len(),
            clock(options.from_s),
            clock(options.to_s),
            started.elapsed().as_secs_f64(),
            comparison.significant_count(),
            comparison.kpis.len(),
            args.output.display()
        );
    }
    Ok(())
}
