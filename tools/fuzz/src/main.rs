//! `citytwin-fuzz`: long fuzzing campaigns over the parsers of user input.

use anyhow::{Context, Result};
use citytwin_fuzz::{Options, Target, campaign, corpus_dir};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Feeds each parser of user input (OSM XML and PBF, scene/scenario/ops RON, trip lists, OD
/// CSV, TNTP networks and trips, GBFS JSON, MQTT payloads, city bundles) its seed corpus and
/// mutants of it, and reports panics and hangs. Panicking inputs are saved under --findings;
/// a hang saves its input and ends the program with exit code 3. Exit code 1 when any input
/// panicked, 130 when stopped with Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "citytwin-fuzz", version)]
struct Args {
    /// Parsers to fuzz (repeat the flag; default: all of them)
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<Target>,
    /// Inputs per parser, its seed corpus included
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// Seed of the mutator: a campaign with the same seed tries the same inputs
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Mutants are cut to this many bytes
    #[arg(long, default_value_t = 65_536)]
    max_len: usize,
    /// Seconds after which an input that has not returned counts as a hang
    #[arg(long, default_value_t = 10)]
    hang_after: u64,
    /// Seed corpus, one folder per parser (default: the crate's corpus/)
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Where inputs that panicked or hung are saved
    #[arg(long, default_value = "fuzz-findings")]
    findings: PathBuf,
    /// No progress bar
    #[arg(short, long)]
    quiet: bool,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args = Args::parse();
    let targets = if args.targets.is_empty() {
        Target::ALL.to_vec()
    } else {
        args.targets.clone()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;
    let options = Options {
        inputs: args.inputs,
        seed: args.seed,
        max_len: args.max_len,
        hang_after: Duration::from_secs(args.hang_after.max(1)),
        findings: args.findings.clone(),
    };
    let corpus = args.corpus.clone().unwrap_or_else(corpus_dir);
    let mut panics = 0;
    for target in targets {
        let seeds = campaign::read_corpus(&corpus, target)?;
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(args.inputs)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>14} [{bar:40}] {pos}/{len} inputs, {per_sec}, {eta} left",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(target.name());
        let report = campaign::run(target, seeds, &options, &|n| bar.set_position(n), &stop)?;
        bar.finish_and_clear();
        println!(
            "{:<13} {:>9} inputs in {:>6.1} s ({:>7.0}/s): {} accepted, {} refused, {} distinct answers, corpus {}, {} panics, 0 hangs",
            target.name(),
            report.inputs,
            report.seconds,
            report.inputs as f64 / report.seconds.max(1e-9),
            report.accepted,
            report.refused,
            report.outcomes,
            report.corpus,
            report.panics.len(),
        );
        for p in &report.panics {
            let message = p.message.lines().collect::<Vec<_>>().join(" ");
            println!("  panic: {message} ({})", p.saved.display());
        }
        panics += report.panics.len();
        if report.stopped {
            eprintln!("interrupted");
            std::process::exit(130);
        }
    }
    if panics > 0 {
        anyhow::bail!(
            "{panics} inputs panicked (saved under {})",
            args.findings.display()
        );
    }
    Ok(())
}
