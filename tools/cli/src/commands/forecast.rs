//! `citytwin forecast`: the next hour from the state at a time of day, and how good it is.

use crate::day_args::{SimArgs, parse_clock};
use crate::{interrupt, progress};
use anyhow::Result;
use citytwin_runs::forecast::ForecastRequest;
use citytwin_runs::{SceneParts, clock};
use clap::Args;
use std::path::PathBuf;

/// Forecast the next hour (以虚预实): simulate the day to --at, then run a copy of that state
/// ahead by --horizon minutes and write each link's predicted space-mean speed and flow over
/// every 15 minutes (forecast_links.csv) and the cases the operations centre would open (forecast.json). With
/// --truth-seed, the day is also simulated with that seed (and --truth-scenario, an event the
/// forecaster does not know of) as the truth, and forecast.json gets a `skill` block: speed
/// errors at each step ahead against those of persistence (the naive "now stays" forecast),
/// and the predicted cases' precision and recall; the truth's loop detectors are then the live
/// sensors, and the car trips still to leave are scaled by what they counted over the last 30
/// minutes against the model (nowcast; docs/forecast.md).
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Scene file, e.g. scenes/chengdu/scene.ron
    scene: PathBuf,
    /// Time of day to forecast from (HH:MM)
    #[arg(long, value_parser = parse_clock)]
    at: u32,
    /// Minutes to look ahead (15 to 240)
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(15..=240))]
    horizon: u32,
    /// Seed of the simulated day the forecast starts from
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Score the forecast against the day simulated with this seed
    #[arg(long)]
    truth_seed: Option<u64>,
    /// What happened in the truth that the forecaster was not told (a scenario file, e.g. an
    /// incident); needs --truth-seed
    #[arg(long, value_name = "FILE", requires = "truth_seed")]
    truth_scenario: Option<PathBuf>,
    /// Do not correct the demand from the loop detectors (with --truth-seed the truth's
    /// detectors are the live sensors: the forecaster scales the trips still to leave by
    /// what they counted over the last 30 minutes against the model; docs/forecast.md)
    #[arg(long)]
    no_nowcast: bool,
    #[command(flatten)]
    sim: SimArgs,
    /// Output folder
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: ForecastArgs, quiet: bool) -> Result<()> {
    let options = args.sim.options();
    options.check()?;
    let parts = SceneParts::load(&args.scene, &options, None)?;
    let request = ForecastRequest {
        scene: &args.scene,
        parts: &parts,
        options: &options,
        seed: args.seed,
        at_s: args.at,
        horizon_min: args.horizon,
        truth_seed: args.truth_seed,
        truth_scenario: args.truth_scenario.clone(),
        nowcast: !args.no_nowcast,
    };
    interrupt::install();
    let bar = progress::steps(request.work_s(), quiet);
    let outcome = request.run(
        &mut |message, simulated| {
            if let Some(m) = message {
                bar.set_message(m);
            }
            bar.inc(simulated);
        },
        &interrupt::requested,
    )?;
    bar.finish_and_clear();
    let json = request.write(&args.output, &outcome)?;
    if !quiet {
        let forecast = &outcome.forecast;
        eprintln!(
            "forecast from {} to {} in {:.2} s: {} link-steps, {} predicted cases → {}",
            clock(args.at),
            clock(forecast.steps.last().map_or(args.at, |s| s.at_s)),
            outcome.seconds,
            forecast.links().len(),
            forecast.cases.len(),
            args.output.display()
        );
        if let Some(skill) = json.get("skill") {
            eprintln!("skill: {skill}");
        }
    }
    Ok(())
}
