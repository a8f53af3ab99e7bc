//! `citytwin forecast`: the next hour from the state at a time of day, and how good it is.

use super::run::build::{LoadedScenario, SceneParts, build_world};
use super::run::reports::{csv_text, write, write_whole};
use super::run::{SimArgs, clock, parse_clock};
use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_sim::World;
use citytwin_sim::forecast::{
    Forecast, LinkSnapshot, Nowcast, STEP_S, WINDOW_S, case_skill, flow_mae, interval, nowcast,
    run_ahead, run_ahead_nowcast, speed_mae, watch,
};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

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
    args.sim.check()?;
    if !(args.sim.from..args.sim.to).contains(&args.at) {
        bail!(
            "--at {}: outside the simulated window {}–{}",
            clock(args.at),
            clock(args.sim.from),
            clock(args.sim.to)
        );
    }
    let truth_scenario = args
        .truth_scenario
        .as_deref()
        .map(|p| LoadedScenario::load(p, &args.scene))
        .transpose()?;
    let SceneParts {
        city,
        day,
        ops,
        model,
        fences,
        ..
    } = SceneParts::load(&args.scene, &args.sim, None)?;
    let build = |seed: u64, scenario: Option<&LoadedScenario>| -> Result<World> {
        let spec = args
            .sim
            .world_spec(seed, scenario, &fences, ops.as_ref(), &model);
        Ok(build_world(&city, &spec)?.world)
    };
    interrupt::install();
    let horizon_s = args.horizon * 60;
    let warm_up = u64::from(args.at - args.sim.from);
    let truth_len = args
        .truth_seed
        .map_or(0, |_| warm_up + u64::from(horizon_s));
    let bar = progress::steps(warm_up + truth_len, quiet);
    let mut world = build(args.seed, None)?;
    bar.set_message(format!("simulating to {}", clock(args.at)));
    let window_from = args.at.saturating_sub(WINDOW_S).max(args.sim.from);
    advance(&mut world, window_from, &bar)?;
    let window_start = LinkSnapshot::of(&world);
    // the last 15 minutes before the forecast: what persistence says will go on
    let recent_from = args.at.saturating_sub(STEP_S).max(args.sim.from);
    advance(&mut world, recent_from, &bar)?;
    let recent = LinkSnapshot::of(&world);
    advance(&mut world, args.at, &bar)?;
    // the truth to the forecast's start: its detectors are what live sensors would have seen
    let mut truth = match args.truth_seed {
        Some(seed) => {
            bar.set_message(format!("simulating the truth (seed {seed})"));
            let mut truth = build(seed, truth_scenario.as_ref())?;
            advance(&mut truth, window_from, &bar)?;
            let seen_from = LinkSnapshot::of(&truth);
            advance(&mut truth, args.at, &bar)?;
            Some((truth, seen_from))
        }
        None => None,
    };
    let correction = match &truth {
        Some((t, seen_from)) if !args.no_nowcast => nowcast(
            &world.detector_links(),
            (seen_from, &LinkSnapshot::of(t)),
            (&window_start, &LinkSnapshot::of(&world)),
        ),
        _ => None,
    };
    let started = Instant::now();
    bar.set_message(format!("forecasting {} min ahead", args.horizon));
    let forecast = match &correction {
        Some(n) => run_ahead_nowcast(&world, horizon_s, n),
        None => run_ahead(&world, horizon_s),
    };
    let seconds = started.elapsed().as_secs_f64();
    let uncorrected = correction.as_ref().map(|_| run_ahead(&world, horizon_s));
    let truth = match truth.as_mut() {
        Some((t, _)) => {
            let watched = watch(t, horizon_s);
            bar.inc(u64::from(horizon_s));
            Some(watched)
        }
        None => None,
    };
    bar.finish_and_clear();
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    write(
        &args.output.join("forecast_links.csv"),
        &links_csv(&forecast, city.roads()),
    )?;
    let persistence = interval(&recent, &forecast.start, &forecast.lengths_m);
    let json = forecast_json(
        &args,
        &Outcome {
            forecast: &forecast,
            uncorrected: uncorrected.as_ref(),
            correction: correction.as_ref(),
            truth: truth.as_ref(),
            persistence: &persistence,
            seconds,
        },
        day,
    );
    write(
        &args.output.join("forecast.json"),
        &(serde_json::to_string_pretty(&json)? + "\n"),
    )?;
    if !quiet {
        eprintln!(
            "forecast from {} to {} in {seconds:.2} s: {} link-steps, {} predicted cases → {}",
            clock(args.at),
            clock(forecast.steps.last().map_or(args.at, |s| s.at_s)),
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

/// Steps `world` to `at`, the bar following; stops with an error on Ctrl-C (a forecast from
/// a state it did not reach would mean nothing).
fn advance(world: &mut World, at: u32, bar: &indicatif::ProgressBar) -> Result<()> {
    while world.now_s() < at {
        let next = (world.now_s() + 60).min(at);
        let before = world.now_s();
        world.advance_to(next);
        bar.inc(u64::from(world.now_s() - before));
        if interrupt::requested() {
            bail!(
                "interrupted at {}: no forecast written",
                clock(world.now_s())
            );
        }
    }
    Ok(())
}

fn links_csv(forecast: &Forecast, roads: &citytwin_city::roads::RoadNetwork) -> String {
    let header = [
        "link",
        "osm_way_id",
        "minutes_ahead",
        "speed_kmh",
        "flow_vph",
    ];
    let rows = forecast.links().into_iter().map(|l| {
        vec![
            l.link.0.to_string(),
            roads.links[l.link.index()].osm_way_id.to_string(),
            l.minutes_ahead.to_string(),
            format!("{:.2}", l.speed_kmh),
            format!("{:.1}", l.flow_vph),
        ]
    });
    csv_text(header.map(String::from).to_vec(), rows)
}

/// The cases a forecast expects, with their time and how far ahead.
fn cases_json(forecast: &Forecast, day: citytwin_city::calendar::SimDay) -> Vec<serde_json::Value> {
    forecast
        .cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "service_code": c.service_code,
                "cell": c.cell,
                "at": day.iso(c.at_s),
                "minutes_ahead": (c.at_s - forecast.start.at_s) / 60,
            })
        })
        .collect()
}

/// Writes a live run's latest forecast into `dir` (forecast_links.csv and forecast.json, each
/// written beside its name and renamed, so a reader never sees half a file).
pub(crate) fn write_latest(
    dir: &std::path::Path,
    forecast: &Forecast,
    roads: &citytwin_city::roads::RoadNetwork,
    day: citytwin_city::calendar::SimDay,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let end = forecast
        .steps
        .last()
        .map_or(forecast.start.at_s, |s| s.at_s);
    let json = serde_json::json!({
        "at": day.iso(forecast.start.at_s),
        "until": day.iso(end),
        "predicted_cases": cases_json(forecast, day),
    });
    let files = [
        ("forecast_links.csv", links_csv(forecast, roads)),
        ("forecast.json", serde_json::to_string_pretty(&json)? + "\n"),
    ];
    for (name, text) in files {
        write_whole(&dir.join(name), &text)?;
    }
    Ok(())
}

/// What one forecast command found.
struct Outcome<'a> {
    forecast: &'a Forecast,
    /// The same forecast without the nowcast's correction, when there was one.
    uncorrected: Option<&'a Forecast>,
    correction: Option<&'a Nowcast>,
    truth: Option<&'a Forecast>,
    persistence: &'a [(f64, Option<f64>)],
    seconds: f64,
}

fn forecast_json(
    args: &ForecastArgs,
    o: &Outcome,
    day: citytwin_city::calendar::SimDay,
) -> serde_json::Value {
    let (forecast, persistence) = (o.forecast, o.persistence);
    let cases = cases_json(forecast, day);
    let mut json = serde_json::json!({
        "scene": args.scene.display().to_string(),
        "seed": args.seed,
        "at": day.iso(forecast.start.at_s),
        "horizon_minutes": args.horizon,
        "seconds": o.seconds,
        "nowcast": o.correction.map(|n| serde_json::json!({
            "window_minutes": WINDOW_S / 60,
            "detectors": n.detectors,
            "observed": n.observed,
            "simulated": n.simulated,
            "factor": n.factor,
        })),
        "predicted_cases": cases,
    });
    if let (Some(truth), Some(map)) = (o.truth, json.as_object_mut()) {
        let plain = o.uncorrected.map(Forecast::step_intervals);
        let steps: Vec<serde_json::Value> = forecast
            .steps
            .iter()
            .zip(forecast.step_intervals().iter().zip(truth.step_intervals()))
            .enumerate()
            .map(|(i, (snap, (p, t)))| {
                let mut step = serde_json::json!({
                    "minutes_ahead": (snap.at_s - forecast.start.at_s) / 60,
                    "speed_mae_kmh": speed_mae(p, &t),
                    "persistence_speed_mae_kmh": speed_mae(persistence, &t),
                    "flow_mae_vph": flow_mae(p, &t),
                    "persistence_flow_mae_vph": flow_mae(persistence, &t),
                });
                if let (Some(plain), Some(step)) = (&plain, step.as_object_mut()) {
                    let plain = plain.get(i);
                    step.insert(
                        "without_nowcast_speed_mae_kmh".into(),
                        serde_json::json!(plain.and_then(|u| speed_mae(u, &t))),
                    );
                    step.insert(
                        "without_nowcast_flow_mae_vph".into(),
                        serde_json::json!(plain.and_then(|u| flow_mae(u, &t))),
                    );
                }
                step
            })
            .collect();
        let (precision, recall) = case_skill(&forecast.cases, &truth.cases);
        map.insert(
            "skill".into(),
            serde_json::json!({
                "truth_seed": args.truth_seed,
                "truth_scenario": args.truth_scenario.as_ref().map(|p| p.display().to_string()),
                "steps": steps,
                "alarm_precision": precision,
                "alarm_recall": recall,
                "true_cases": truth.cases.len(),
            }),
        );
    }
    json
}
