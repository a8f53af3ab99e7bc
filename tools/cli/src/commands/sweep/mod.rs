//! `citytwin sweep`: a grid of parameter values × seeds, each an independent `citytwin run`.

mod plan;

use crate::commands::run::{self, RunArgs};
use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_gis::table::{Column, Table};
use citytwin_runs::compare::kpis;
use citytwin_runs::reports::{csv_text, write, write_table};
use clap::{Args, Parser};
use plan::{Job, SweepFile};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
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
    let workers = workers
        .map(|w| w as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(todo.len().max(1));
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

/// jobs.txt (one command line per run, for `parallel`, a Slurm array or an Indexed Job) and
/// jobs.csv (each run's id, seed and parameters).
fn write_manifest(out: &Path, sweep: &SweepFile, jobs: &[Job]) -> Result<()> {
    let mut txt = String::new();
    for job in jobs {
        txt.push_str(&job.command_line());
        txt.push('\n');
    }
    let header = ["job", "seed"]
        .into_iter()
        .map(String::from)
        .chain(sweep.grid.keys().cloned())
        .collect();
    let rows = jobs.iter().map(|job| {
        [job.id.clone(), job.seed.to_string()]
            .into_iter()
            .chain(job.params.iter().map(|(_, value)| value.clone()))
            .collect()
    });
    let csv = csv_text(header, rows);
    write(&out.join("jobs.txt"), &txt)?;
    Ok(write(&out.join("jobs.csv"), &csv)?)
}

/// results.csv (and .parquet): one row per run (finished or not), its parameters, then every figure of the
/// finished runs' summary.json in name order. Returns (finished, not finished).
fn collect(out: &Path, sweep: &SweepFile, jobs: &[Job], parquet: bool) -> Result<(usize, usize)> {
    let figures: Vec<Option<std::collections::BTreeMap<String, f64>>> = jobs
        .iter()
        .map(|j| j.finished_summary().map(|s| kpis(&s)))
        .collect();
    let names: BTreeSet<&String> = figures.iter().flatten().flat_map(|f| f.keys()).collect();
    let mut columns = vec![
        Column::text("job", jobs.iter().map(|j| j.id.clone()).collect()),
        Column::int("seed", jobs.iter().map(|j| j.seed as i64).collect()),
    ];
    for (k, name) in sweep.grid.keys().enumerate() {
        let values = jobs.iter().map(|j| j.params[k].1.clone()).collect();
        columns.push(Column::text(name, values));
    }
    let status = figures
        .iter()
        .map(|f| if f.is_some() { "done" } else { "missing" }.to_string())
        .collect();
    columns.push(Column::text("status", status));
    for name in &names {
        let values = figures
            .iter()
            .map(|f| f.as_ref().and_then(|f| f.get(*name)).copied())
            .collect();
        columns.push(Column::maybe_float(name, values));
    }
    let table = Table::new("results", columns)?;
    write_table(out, &table, parquet)?;
    let done = figures.iter().filter(|f| f.is_some()).count();
    Ok((done, jobs.len() - done))
}
