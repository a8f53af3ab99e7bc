//! Calibration: fit the model's documented parameters (demand scale, car share, external
//! share, road capacity and speed factors by class group) to observations — link counts and
//! speeds, and city-wide indicators where no counts exist (peak travel time index, peak speed,
//! daily vehicle-km).
//!
//! Each evaluation simulates the targets' window with the candidate parameters on the
//! targets' seeds (one or more days, judged by their means);
//! Levenberg–Marquardt ([`fit`]) moves the parameters (in log space, within ×0.2…×5 of where
//! they started) to minimise Σ r², with one residual per indicator ((simulated − target) /
//! tolerance; for the travel time index on its excess over 1, in log terms) and per count
//! (the signed GEH / 5, so a count at GEH 5 weighs as an indicator one tolerance off; speeds
//! by (simulated − observed) / 5 km/h). The finite-difference runs of
//! an iteration run in parallel. Same inputs ⇒ the same fit, whatever the thread count.

pub mod counts;
pub mod fit;
pub mod targets;

use crate::model::{ModelParams, SceneModel};
use crate::{World, WorldError, WorldOptions};
use citytwin_city::City;
use citytwin_traffic::demand::{DemandError, city_day};
use citytwin_traffic::dynamic::TrafficSummary;
use counts::{CountSite, geh};
use fit::{FitOptions, Stop};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use targets::{IndicatorKind, Param, Targets};

#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error(transparent)]
    Demand(#[from] DemandError),
    #[error(transparent)]
    World(#[from] WorldError),
    #[error("{}:{line}: {message}", path.display())]
    Row {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Targets(String),
}

impl CalibrateError {
    pub(crate) fn row(path: &Path, line: usize, message: impl Into<String>) -> Self {
        CalibrateError::Row {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// A residual of one km/h of speed error is this many km/h.
const SPEED_SCALE_KMH: f64 = 5.0;
/// Parameters stay within this factor of where they started.
const RANGE: f64 = 5.0;

/// What a candidate's simulated days showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// Each day's figures, by rising seed.
    pub days: Vec<TrafficSummary>,
    /// Per count site: simulated flow (veh/h) and speed (km/h), the days' means.
    pub counts: Vec<(f64, f64)>,
}

impl Observed {
    /// The indicator's mean over the days.
    pub fn indicator(&self, kind: IndicatorKind) -> f64 {
        let of = |s: &TrafficSummary| match kind {
            IndicatorKind::PeakTti => s.peak_tti,
            IndicatorKind::PeakSpeedKmh => s.peak_speed_kmh,
            IndicatorKind::DailyVktKm => s.vkt_km,
            IndicatorKind::StuckShare => s.stuck_share,
        };
        self.days.iter().map(of).sum::<f64>() / self.days.len().max(1) as f64
    }

    /// Several days' observations as one: their days, and their counts' means.
    fn merge(days: Vec<Observed>) -> Observed {
        let n = days.len().max(1) as f64;
        let mut counts = vec![(0.0, 0.0); days.first().map_or(0, |d| d.counts.len())];
        for day in &days {
            for (sum, (flow, speed)) in counts.iter_mut().zip(&day.counts) {
                sum.0 += flow;
                sum.1 += speed;
            }
        }
        Observed {
            days: days.into_iter().flat_map(|d| d.days).collect(),
            counts: counts.into_iter().map(|(f, s)| (f / n, s / n)).collect(),
        }
    }
}

/// One simulated candidate, for the progress display and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub run: usize,
    /// The fitted parameters' values.
    pub values: Vec<f64>,
    pub cost: f64,
    pub peak_tti: f64,
    pub peak_speed_kmh: f64,
}

/// How well a run matches the counts (the usual acceptance: ≥ 85% of link-bins with GEH < 5).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CountFit {
    pub link_bins: usize,
    pub geh_below_5_share: f64,
    /// Squared correlation of simulated and observed flows.
    pub r2: f64,
    /// Root mean square error as a share of the mean observed flow, in %.
    pub rmse_pct: f64,
}

/// The result: fitted parameters, what they give, and the path there.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub params: ModelParams,
    /// (parameter, start value, fitted value)
    pub fitted: Vec<(Param, f64, f64)>,
    pub observed: Observed,
    pub counts: CountFit,
    pub runs: Vec<RunRecord>,
    pub stopped: Stop,
    pub cost: f64,
}

/// The value a parameter has in `params`.
fn value_of(params: &ModelParams, p: Param) -> f64 {
    match p {
        Param::DemandScale => params.demand.scale,
        Param::CarShare => params.demand.car_share,
        Param::ExternalShare => params.demand.external_share,
        Param::Capacity(g) | Param::Speed(g) => {
            let group = g.groups()[0];
            let class = crate::model::CLASS_GROUPS
                .iter()
                .find(|(name, _)| *name == group)
                .map(|(_, classes)| classes[0]);
            class.map_or(1.0, |c| {
                let (cap, speed) = params.roads.of(c);
                if matches!(p, Param::Capacity(_)) {
                    cap
                } else {
                    speed
                }
            })
        }
    }
}

fn set(params: &mut ModelParams, p: Param, v: f64) {
    match p {
        Param::DemandScale => params.demand.scale = v,
        Param::CarShare => params.demand.car_share = v,
        Param::ExternalShare => params.demand.external_share = v,
        Param::Capacity(g) => {
            for group in g.groups() {
                params.roads.set_group(group, Some(v), None);
            }
        }
        Param::Speed(g) => {
            for group in g.groups() {
                params.roads.set_group(group, None, Some(v));
            }
        }
    }
}

/// The largest value a parameter may take (shares stay shares).
fn ceiling(p: Param) -> f64 {
    match p {
        Param::CarShare => 1.0,
        // a crossing road at capacity for 24 hours
        Param::ExternalShare => 2.4,
        _ => f64::INFINITY,
    }
}

/// Simulates one day of `model` and observes it at `sites`; `None` when stopped.
pub fn simulate(
    city: &City,
    model: &SceneModel,
    window: (u32, u32),
    seed: u64,
    sites: &[CountSite],
    keep_going: &dyn Fn() -> bool,
) -> Result<Option<Observed>, CalibrateError> {
    let day = city_day(city, &model.params.demand, model.totals, None, seed)?;
    let mut roads = city.roads().clone();
    model.params.roads.apply(&mut roads);
    let options = WorldOptions {
        seed,
        from_s: window.0,
        to_s: window.1,
        ..WorldOptions::default()
    };
    let mut world = World::new(&roads, day.trips, options)?;
    let mut stopped = false;
    world.run(&mut |_| {
        stopped = !keep_going();
        !stopped
    });
    if stopped {
        return Ok(None);
    }
    let stats = &world.traffic.stats;
    let counts = sites
        .iter()
        .map(|s| {
            let (flow, speed) = s.simulated(stats, city);
            // no car left those links: they ran at their free-flow speed
            let free = s
                .links
                .iter()
                .map(|&l| f64::from(roads.links[l as usize].speed_kmh))
                .fold(0.0, f64::max);
            (flow, speed.unwrap_or(free))
        })
        .collect();
    Ok(Some(Observed {
        days: vec![world.traffic.summary()],
        counts,
    }))
}

/// An indicator's miss in tolerances. The travel time index's miss is taken on its excess over
/// free flow in log terms: the excess grows steeply as demand nears capacity, and its
/// logarithm is nearer to linear in the parameters, which is what the fit's steps assume.
fn indicator_residual(i: &targets::Indicator, simulated: f64) -> f64 {
    match i.kind {
        IndicatorKind::PeakTti if i.value > 1.0 => {
            let excess = |v: f64| (v - 1.0).max(1e-3);
            (excess(simulated) / excess(i.value)).ln() / (1.0 + i.tolerance / excess(i.value)).ln()
        }
        _ => (simulated - i.value) / i.tolerance,
    }
}

fn residuals(targets: &Targets, sites: &[CountSite], o: &Observed) -> Vec<f64> {
    let mut r: Vec<f64> = targets
        .indicators
        .iter()
        .map(|i| indicator_residual(i, o.indicator(i.kind)))
        .collect();
    for (site, &(flow, speed)) in sites.iter().zip(&o.counts) {
        if let Some(obs) = site.observed_vph() {
            r.push((flow - obs).signum() * geh(flow, obs) / 5.0);
        }
        if let Some(obs) = site.speed_kmh {
            r.push((speed - obs) / SPEED_SCALE_KMH);
        }
    }
    r
}

/// How a day's counts compare with the observed ones.
pub fn count_fit(sites: &[CountSite], o: &Observed) -> CountFit {
    let pairs: Vec<(f64, f64)> = sites
        .iter()
        .zip(&o.counts)
        .filter_map(|(s, &(flow, _))| s.observed_vph().map(|obs| (flow, obs)))
        .collect();
    if pairs.is_empty() {
        return CountFit::default();
    }
    let n = pairs.len() as f64;
    let below = pairs.iter().filter(|(s, o)| geh(*s, *o) < 5.0).count() as f64;
    let (ms, mo) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sso, mut sss, mut sp, mut se) = (0.0, 0.0, 0.0, 0.0);
    for (s, o) in &pairs {
        sso += (o - mo).powi(2);
        sss += (s - ms).powi(2);
        sp += (s - ms) * (o - mo);
        se += (s - o).powi(2);
    }
    CountFit {
        link_bins: pairs.len(),
        geh_below_5_share: below / n,
        r2: if sso > 0.0 && sss > 0.0 {
            sp * sp / (sso * sss)
        } else {
            0.0
        },
        rmse_pct: if mo > 0.0 {
            (se / n).sqrt() / mo * 100.0
        } else {
            0.0
        },
    }
}

/// Fits `targets` from `base`. `on_run` hears of every simulated candidate; `keep_going` is
/// asked every simulated minute (Ctrl-C): a stopped calibration returns what it had fitted.
/// The fitted parameters as the fit sees them: the log of each one's factor on its value in
/// the base model, within [`RANGE`] either way and under the parameter's ceiling.
struct FitSpace<'a> {
    base: &'a SceneModel,
    fit: &'a [Param],
    /// The base model's values.
    start: Vec<f64>,
}

impl FitSpace<'_> {
    fn model_at(&self, x: &[f64]) -> SceneModel {
        let mut m = self.base.clone();
        for ((&p, &x), &s) in self.fit.iter().zip(x).zip(&self.start) {
            set(&mut m.params, p, (s * x.exp()).min(ceiling(p)));
        }
        m
    }

    fn values(&self, m: &SceneModel) -> Vec<f64> {
        self.fit.iter().map(|&p| value_of(&m.params, p)).collect()
    }

    fn options(&self, max_runs: usize) -> FitOptions {
        FitOptions {
            lower: vec![-RANGE.ln(); self.start.len()],
            upper: self
                .fit
                .iter()
                .zip(&self.start)
                .map(|(&p, &s)| RANGE.ln().min((ceiling(p) / s).ln()))
                .collect(),
            step: 0.15,
            max_move: 0.7,
            tolerance: 0.01,
            max_evaluations: max_runs,
        }
    }
}

pub fn calibrate(
    city: &City,
    base: &SceneModel,
    targets: &Targets,
    sites: &[CountSite],
    on_run: &(dyn Fn(&RunRecord) + Sync),
    keep_going: &(dyn Fn() -> bool + Sync),
) -> Result<Outcome, CalibrateError> {
    targets.check().map_err(CalibrateError::Targets)?;
    let window = targets.window().map_err(CalibrateError::Targets)?;
    let space = FitSpace {
        base,
        fit: &targets.fit,
        start: targets
            .fit
            .iter()
            .map(|&p| value_of(&base.params, p))
            .collect(),
    };
    let model_at = |x: &[f64]| space.model_at(x);
    let options = space.options(targets.max_runs as usize);
    // every simulated candidate: where it was, what it showed, and its record
    let mut seen: Vec<(Vec<f64>, Observed)> = Vec::new();
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut error = None;
    let mut eval = |xs: &[Vec<f64>]| -> Option<Vec<Vec<f64>>> {
        // the batch's days on every core; collected in the batch's order, so the fit is the
        // same whatever the thread count
        let days = u64::from(targets.days);
        let jobs: Vec<(&Vec<f64>, u64)> = xs
            .iter()
            .flat_map(|x| (0..days).map(move |d| (x, targets.seed + d)))
            .collect();
        let mut results = jobs
            .par_iter()
            .map(|&(x, seed)| simulate(city, &model_at(x), window, seed, sites, keep_going))
            .collect::<Vec<_>>()
            .into_iter();
        let mut out = Vec::with_capacity(xs.len());
        for x in xs {
            let result: Result<Option<Vec<Observed>>, CalibrateError> =
                results.by_ref().take(days as usize).collect();
            match result.map(|d| d.map(Observed::merge)) {
                Ok(Some(o)) => {
                    let r = residuals(targets, sites, &o);
                    let record = RunRecord {
                        run: runs.len() + 1,
                        values: space.values(&model_at(x)),
                        cost: fit::cost(&r),
                        peak_tti: o.indicator(IndicatorKind::PeakTti),
                        peak_speed_kmh: o.indicator(IndicatorKind::PeakSpeedKmh),
                    };
                    on_run(&record);
                    runs.push(record);
                    seen.push((x.clone(), o));
                    out.push(r);
                }
                Ok(None) => return None,
                Err(e) => {
                    error = Some(e);
                    return None;
                }
            }
        }
        Some(out)
    };
    let result = fit::levenberg_marquardt(&vec![0.0; space.start.len()], &options, &mut eval);
    if let Some(e) = error {
        return Err(e);
    }
    let Some(result) = result else {
        return Err(CalibrateError::Targets(
            "stopped before the first run finished: nothing fitted".into(),
        ));
    };
    let best = model_at(&result.best.x);
    let observed = seen
        .iter()
        .find(|(x, _)| *x == result.best.x)
        .map(|(_, o)| o.clone())
        .ok_or_else(|| CalibrateError::Targets("the best run was not kept".into()))?;
    Ok(Outcome {
        fitted: targets
            .fit
            .iter()
            .zip(&space.start)
            .map(|(&p, &s)| (p, s, value_of(&best.params, p)))
            .collect(),
        counts: count_fit(sites, &observed),
        params: best.params,
        observed,
        runs,
        stopped: result.stopped,
        cost: result.best.cost,
    })
}
