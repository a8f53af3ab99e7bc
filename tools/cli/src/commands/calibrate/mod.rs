//! `citytwin calibrate`: fit a scene's model parameters to counts and published figures, and
//! write the fitted parameters (a model file the scene or `--model` reads) with a validation
//! report.

use crate::{interrupt, progress};
use anyhow::Result;
use citytwin_runs::calibrate as report;
use citytwin_sim::calibrate::targets::Targets;
use citytwin_sim::calibrate::{RunRecord, calibrate};
use citytwin_sim::model::SceneModel;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Fit the model's documented parameters to observations: link counts and speeds (CSV) and
/// city-wide figures (peak travel time index, peak speed, daily vehicle-km).
///
/// Each candidate is a simulated day; Levenberg–Marquardt moves the parameters the targets
/// file lists (demand scale, car share, external share, road capacity and speed by class
/// group) to minimise the misses, two days at a time on two cores. Writes the fitted model
/// file (point the scene's `model:` at it, or pass `--model` to run, compare and sweep) and,
/// beside it, a validation report: report.html, fit.png (observed against simulated),
/// runs.csv (every candidate) and counts.csv (every link-bin with its GEH). Same inputs ⇒ the
/// same fit. Ctrl-C stops after the current days and writes the best fit so far.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scene file (its bundle must exist: `citytwin import --scene`)
    scene: PathBuf,
    /// Targets file (RON): indicators with their sources, a counts CSV, what to fit
    #[arg(long)]
    targets: PathBuf,
    /// Start from this model file instead of the scene's own
    #[arg(long, value_name = "FILE", conflicts_with = "defaults")]
    model: Option<PathBuf>,
    /// Start from the documented defaults, not the scene's model file (a fit that does not
    /// depend on the last one)
    #[arg(long)]
    defaults: bool,
    /// Most candidates, each the targets' `days` simulated days (overrides the targets
    /// file's max_runs)
    #[arg(long)]
    max_runs: Option<u32>,
    /// Folder for the validation report (default: beside the output, <name>_report/)
    #[arg(long)]
    report: Option<PathBuf>,
    /// The fitted model file to write, e.g. scenes/chengdu/model.ron
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: CalibrateArgs, quiet: bool) -> Result<()> {
    let started = Instant::now();
    let mut targets = Targets::load(&args.targets)?;
    if let Some(n) = args.max_runs {
        targets.max_runs = n;
        targets
            .check()
            .map_err(|m| anyhow::anyhow!("--max-runs: {m}"))?;
    }
    let (scene, city) = citytwin_runs::load_scene_city(&args.scene)?;
    let mut base = SceneModel::of(&scene, args.model.as_deref())?;
    if args.defaults {
        base.params = Default::default();
    }
    let sites = report::count_sites(&targets, &city)?;
    interrupt::install();
    let bar = progress::steps(u64::from(targets.max_runs), quiet);
    bar.set_message("simulating the starting point");
    let names: Vec<String> = targets.fit.iter().map(|p| p.name()).collect();
    let on_run = |r: &RunRecord| {
        bar.inc(1);
        let values: Vec<String> = names
            .iter()
            .zip(&r.values)
            .map(|(n, v)| format!("{n} {v:.3}"))
            .collect();
        bar.set_message(format!(
            "run {}: cost {:.2}, peak TTI {:.2}, peak speed {:.1} km/h ({})",
            r.run,
            r.cost,
            r.peak_tti,
            r.peak_speed_kmh,
            values.join(", ")
        ));
    };
    let keep_going = || !interrupt::requested();
    let outcome = calibrate(&city, &base, &targets, &sites, &on_run, &keep_going)?;
    bar.finish_and_clear();
    let command = format!(
        "citytwin calibrate {} --targets {}{} -o {}",
        args.scene.display(),
        args.targets.display(),
        if args.defaults { " --defaults" } else { "" },
        args.output.display()
    );
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| report::default_dir(&args.output));
    let inputs = report::Inputs {
        scene: &scene.name,
        command: &command,
        targets: &targets,
        sites: &sites,
        outcome: &outcome,
        names: &names,
    };
    report::write_report(&report_dir, &inputs)?;
    let header = report::model_header(&command, &targets, &outcome, &names);
    report::write_model(&args.output, &outcome, &header)?;
    if !quiet {
        let wall_s = started.elapsed().as_secs_f64();
        let interrupted = interrupt::requested();
        for line in report::closing_lines(&inputs, wall_s, interrupted, &args.output, &report_dir) {
            eprintln!("{line}");
        }
    }
    Ok(())
}
