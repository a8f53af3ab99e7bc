//! `citytwin sweep`: a grid of parameter values × seeds, each an independent `citytwin run`.

use crate::commands::run::{self, RunArgs};
use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_runs::sweep::{Job, SweepFile, collect, write_manifest};
use clap::{Args, Parser};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;

/// Run a grid of parameter values × seeds (sweep.ron), each run an independent, deterministic
/// `citytwin run`, and merge their figures into one table (results.csv).
///
/// By default the runs happen here, in parallel, and a sweep started again skips the runs
/// that finished (Ctrl-C keeps them). To run elsewhere — a Slurm job array, a Kubernetes
/// Indexed Job, GNU parallel — write the job manifest with --plan (jobs.txt: one command line
/// per run; jobs.csv: each run's parameters), execute its lines there, then merge with
/// --collect. See docs/scenarios.md.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The sweep file (RON): scene, optional scenario, seeds, fixed options, grid
    sweep: PathBuf,
    /// Only write the job manifest (jobs.txt, jobs.csv) for an external executor
    #[arg(long, conflicts_with = "collect")]
    plan: bool,
    /// Only merge the finished runs' summaries into results.csv
    #[arg(long)]
    collect: bool,
    /// Also write the results table as Parquet (results.parquet: the same columns, missing
    /// figures as nulls, dots in names as underscores)
    #[arg(long)]
    parquet: bool,
    /// Runs at once when running here (default: the machine's cores)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Output folder
    #[arg(short, long)]
    output: PathBuf,
}

/// The arguments of one job, parsed as `citytwin run` parses them.
#[derive(Debug, Parser)]
#[command(name = "citytwin")]
struct JobLine {
    #[arg(short, long)]
    quiet: bool,
    #[command(subcommand)]
    command: JobCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JobCommand {
    Run(RunArgs),
}

fn parse_job(job: &Job) -> Result<RunArgs> {
    let line =
        JobLine::try_parse_from(std::iter::once("citytwin".to_string()).chain(job.argv.clone()))
            .map_err(|e| {
                let first = e.to_string();
                let first = first
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                anyhow::anyhow!("{}: {first}", job.id)
            })?;
    let JobCommand::Run(args) = line.command;
    Ok(args)
}

pub fn run(args: SweepArgs, quiet: bool) -> Result<()> {
    let sweep = SweepFile::load(&args.sweep)?;
    let jobs = sweep.jobs(&args.output);
    // every job's options are checked before anything runs: a typo fails at once
    for job in &jobs {
        parse_job(job).with_context(|| format!("{}: a job's options", args.sweep.display()))?;
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    write_manifest(&args.output, &sweep, &jobs)?;
    if args.plan {
        if !quiet {
            eprintln!(
                "{} runs planned → {0} lines in {}; run them with e.g. `parallel -j 4 < {1}`, then `citytwin sweep {} --collect -o {}`",
                jobs.len(),
                args.output.join("jobs.txt").display(),
                args.sweep.display(),
                args.output.display()
            );
        }
        return Ok(());
    }
    if !args.collect {
        run_here(&jobs, args.jobs, quiet)?;
    }
    let (done, missing) = collect(&args.output, &sweep, &jobs, args.parquet)?;
    if !quiet {
        eprintln!(
            "sweep `{}`: {done} of {} runs in {}{}",
            sweep.name,
            jobs.len(),
            args.output.join("results.csv").display(),
            if missing > 0 {
                format!("; {missing} not finished (run the sweep again to finish them)")
            } else {
                String::new()
            }
        );
    }
    if interrupt::requested() {
        bail!("interrupted: finished runs are kept; run the sweep again to do the rest");
    }
    Ok(())
}

fn run_here(jobs: &[Job], workers: Option<u64>, quiet: bool) -> Result<()> {
    let todo: Vec<&Job> = jobs.iter().filter(|j| !j.is_done()).collect();
    if todo.len() < jobs.len() && !quiet {
        eprintln!(
            "{} of {} runs already done",
            jobs.len() - todo.len(),
            jobs.len()
        );
    }
    let workers = citytwin_runs::workers(workers, todo.len());
    interrupt::install();
    let bar = progress::steps(todo.len() as u64, quiet);
    bar.set_message(format!("runs, {workers} at a time"));
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .context("starting the worker threads")?;
    pool.install(|| {
        todo.par_iter().for_each(|job| {
            if interrupt::requested() {
                return;
            }
            let outcome = parse_job(job).and_then(|a| run::run(a, true));
            if let Err(e) = outcome {
                let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                f.push(format!("{}: {e:#}", job.id));
            }
            bar.inc(1);
        });
    });
    bar.finish_and_clear();
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(first) = failures.first() {
        bail!("{} run(s) failed; the first: {first}", failures.len());
    }
    Ok(())
}
