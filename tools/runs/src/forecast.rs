//! A forecast of the next hour (以虚预实) from the state at a time of day: the day simulated
//! to that time, a copy run ahead, optionally scored against a "truth" day whose loop
//! detectors stand in for live sensors (and correct the demand: the nowcast); and the files
//! it writes (forecast_links.csv, forecast.json), also a live run's latest forecast.

use crate::build::{WorldSpec, build_world};
use crate::error::{Result, RunError, Setting};
use crate::options::{DayOptions, clock};
use crate::reports::{csv_text, write, write_whole};
use crate::scene::{LoadedScenario, SceneParts};
use citytwin_sim::World;
use citytwin_sim::forecast::{
    Forecast, LinkSnapshot, Nowcast, STEP_S, WINDOW_S, case_skill, flow_mae, interval, nowcast,
    run_ahead, run_ahead_nowcast, speed_mae, watch,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A forecast to make: `scene`'s day with `options` and `seed`, from `at_s`, `horizon_min`
/// ahead; with `truth_seed` scored against that day (with `truth_scenario`, an event the
/// forecaster was not told of).
#[derive(Debug)]
pub struct ForecastRequest<'a> {
    pub scene: &'a Path,
    pub parts: &'a SceneParts,
    pub options: &'a DayOptions,
    pub seed: u64,
    pub at_s: u32,
    pub horizon_min: u32,
    pub truth_seed: Option<u64>,
    pub truth_scenario: Option<PathBuf>,
    /// Correct the demand from the truth's detectors.
    pub nowcast: bool,
}

/// What a forecast found, and what it is scored against.
#[derive(Debug)]
pub struct ForecastOutcome {
    pub forecast: Forecast,
    /// The same forecast without the nowcast's correction, when there was one.
    pub uncorrected: Option<Forecast>,
    pub correction: Option<Nowcast>,
    pub truth: Option<Forecast>,
    pub persistence: Vec<(f64, Option<f64>)>,
    /// Wall seconds of the run ahead.
    pub seconds: f64,
}

impl ForecastRequest<'_> {
    /// Simulated seconds [`ForecastRequest::run`] steps through (for a progress bar).
    pub fn work_s(&self) -> u64 {
        let warm_up = u64::from(self.at_s - self.options.from_s);
        let truth = self
            .truth_seed
            .map_or(0, |_| warm_up + u64::from(self.horizon_min * 60));
        warm_up + truth
    }

    /// `progress` hears what is being done and how many simulated seconds went by; `stop`
    /// ends the run with an error (a forecast from a state it did not reach would mean
    /// nothing).
    pub fn run(
        &self,
        progress: &mut dyn FnMut(Option<String>, u64),
        stop: &dyn Fn() -> bool,
    ) -> Result<ForecastOutcome> {
        let o = self.options;
        o.check_in_window(Setting::ForecastAt, self.at_s, o.from_s..o.to_s)?;
        let truth_scenario = self
            .truth_scenario
            .as_deref()
            .map(|p| LoadedScenario::load(p, self.scene))
            .transpose()?;
        let build = |seed: u64, scenario: Option<&LoadedScenario>| -> Result<World> {
            let spec = WorldSpec::of(self.parts, o, seed, scenario);
            Ok(build_world(&self.parts.city, &spec)?.world)
        };
        let horizon_s = self.horizon_min * 60;
        progress(Some(format!("simulating to {}", clock(self.at_s))), 0);
        let mut world = build(self.seed, None)?;
        let window_from = self.at_s.saturating_sub(WINDOW_S).max(o.from_s);
        advance(&mut world, window_from, progress, stop)?;
        let window_start = LinkSnapshot::of(&world);
        // the last 15 minutes before the forecast: what persistence says will go on
        let recent_from = self.at_s.saturating_sub(STEP_S).max(o.from_s);
        advance(&mut world, recent_from, progress, stop)?;
        let recent = LinkSnapshot::of(&world);
        advance(&mut world, self.at_s, progress, stop)?;
        // the truth to the forecast's start: its detectors are what live sensors would have seen
        let mut truth = match self.truth_seed {
            Some(seed) => {
                progress(Some(format!("simulating the truth (seed {seed})")), 0);
                let mut truth = build(seed, truth_scenario.as_ref())?;
                advance(&mut truth, window_from, progress, stop)?;
                let seen_from = LinkSnapshot::of(&truth);
                advance(&mut truth, self.at_s, progress, stop)?;
                Some((truth, seen_from))
            }
            None => None,
        };
        let correction = match &truth {
            Some((t, seen_from)) if self.nowcast => nowcast(
                &world.detector_links(),
                (seen_from, &LinkSnapshot::of(t)),
                (&window_start, &LinkSnapshot::of(&world)),
            ),
            _ => None,
        };
        progress(
            Some(format!("forecasting {} min ahead", self.horizon_min)),
            0,
        );
        let started = Instant::now();
        let forecast = match &correction {
            Some(n) => run_ahead_nowcast(&world, horizon_s, n),
            None => run_ahead(&world, horizon_s),
        };
        let seconds = started.elapsed().as_secs_f64();
        let uncorrected = correction.as_ref().map(|_| run_ahead(&world, horizon_s));
        let truth = truth.as_mut().map(|(t, _)| {
            let watched = watch(t, horizon_s);
            progress(None, u64::from(horizon_s));
            watched
        });
        let persistence = interval(&recent, &forecast.start, &forecast.lengths_m);
        Ok(ForecastOutcome {
            forecast,
            uncorrected,
            correction,
            truth,
            persistence,
            seconds,
        })
    }

    /// forecast_links.csv and forecast.json in `dir`; forecast.json's content.
    pub fn write(&self, dir: &Path, outcome: &ForecastOutcome) -> Result<serde_json::Value> {
        std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
        write(
            &dir.join("forecast_links.csv"),
            &links_csv(&outcome.forecast, self.parts.city.roads()),
        )?;
        let json = forecast_json(self, outcome, self.parts.day);
        write(
            &dir.join("forecast.json"),
            &(serde_json::to_string_pretty(&json)? + "\n"),
        )?;
        Ok(json)
    }
}

/// Steps `world` to `at` a minute at a time.
fn advance(
    world: &mut World,
    at: u32,
    progress: &mut dyn FnMut(Option<String>, u64),
    stop: &dyn Fn() -> bool,
) -> Result<()> {
    while world.now_s() < at {
        let before = world.now_s();
        world.advance_to((before + 60).min(at));
        progress(None, u64::from(world.now_s() - before));
        if stop() {
            return Err(RunError::Interrupted {
                at: world.now_s(),
                lost: "no forecast written",
            });
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
pub fn write_latest(
    dir: &Path,
    forecast: &Forecast,
    roads: &citytwin_city::roads::RoadNetwork,
    day: citytwin_city::calendar::SimDay,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
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

fn forecast_json(
    args: &ForecastRequest,
    o: &ForecastOutcome,
    day: citytwin_city::calendar::SimDay,
) -> serde_json::Value {
    let (forecast, persistence) = (&o.forecast, &o.persistence[..]);
    let cases = cases_json(forecast, day);
    let mut json = serde_json::json!({
        "scene": args.scene.display().to_string(),
        "seed": args.seed,
        "at": day.iso(forecast.start.at_s),
        "horizon_minutes": args.horizon_min,
        "seconds": o.seconds,
        "nowcast": o.correction.as_ref().map(|n| serde_json::json!({
            "window_minutes": WINDOW_S / 60,
            "detectors": n.detectors,
            "observed": n.observed,
            "simulated": n.simulated,
            "factor": n.factor,
        })),
        "predicted_cases": cases,
    });
    if let (Some(truth), Some(map)) = (&o.truth, json.as_object_mut()) {
        let plain = o.uncorrected.as_ref().map(Forecast::step_intervals);
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
