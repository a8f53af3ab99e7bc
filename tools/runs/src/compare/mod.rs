//! A scenario against its baseline over several seeds: every pair of runs, what is kept of
//! each (a digest), the paired comparison and its report (compare.json, compare.gpkg, the
//! pictures and report.html). The runs go in parallel; what they produce does not depend on
//! how many run at once.

mod digest;
mod page;
mod plots;
mod report;

use crate::build::{WorldSpec, build_world};
use crate::error::{Result, RunError};
use crate::options::DayOptions;
use crate::reports::{RunFacts, run_summary, write};
use crate::scene::{LoadedScenario, SceneParts};
pub use digest::{RunDigest, kpis};
use rayon::prelude::*;
pub use report::{Comparison, write_all};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

/// The runs of a comparison: `scene`'s day with `options`, as baseline and with `scenario`,
/// for every seed; each run's summary.json under `<output>/runs/<side>-seed<N>/`.
#[derive(Debug)]
pub struct Pairs<'a> {
    pub scene: &'a Path,
    pub parts: &'a SceneParts,
    pub scenario: &'a LoadedScenario,
    pub options: &'a DayOptions,
    pub seeds: &'a [u64],
    pub output: &'a Path,
    /// Runs at once.
    pub jobs: usize,
}

/// What a comparison's runs report while they go: simulated seconds done, runs finished.
pub trait PairsProgress: Sync {
    fn simulated(&self, seconds: u64);
    fn finished(&self, runs: usize, of: usize);
    /// Whether to stop (Ctrl-C): runs in progress end, and the finished ones are kept.
    fn stop(&self) -> bool;
}

impl Pairs<'_> {
    /// Runs every (side, seed), variants first (a scenario that does not fit the city fails
    /// at once); the finished ones, whatever the number of jobs.
    pub fn run(&self, progress: &dyn PairsProgress) -> Result<Finished> {
        let runs_dir = self.output.join("runs");
        std::fs::create_dir_all(&runs_dir).map_err(RunError::io("creating", &runs_dir))?;
        let jobs: Vec<(Side, u64)> = self
            .seeds
            .iter()
            .flat_map(|&s| [(Side::Variant, s), (Side::Baseline, s)])
            .collect();
        let finished = Mutex::new(Finished::new());
        let failure: Mutex<Option<RunError>> = Mutex::new(None);
        let stop = AtomicBool::new(false);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs.clamp(1, jobs.len().max(1)))
            .build()?;
        // each run's result is kept by its side and seed, so the order runs finish in (which
        // depends on the thread count) changes nothing written
        pool.install(|| {
            jobs.par_iter().for_each(|&(side, seed)| {
                if stop.load(Ordering::SeqCst) || progress.stop() {
                    return;
                }
                match self.one(side, seed, progress, &stop) {
                    Ok(Some(digest)) => {
                        let done = {
                            let mut f = lock(&finished);
                            f.insert((side, seed), digest);
                            f.len()
                        };
                        progress.finished(done, jobs.len());
                    }
                    Ok(None) => {}
                    Err(e) => {
                        stop.store(true, Ordering::SeqCst);
                        lock(&failure).get_or_insert(e);
                    }
                }
            });
        });
        if let Some(e) = lock(&failure).take() {
            return Err(e);
        }
        Ok(finished.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    /// The seeds whose two runs both finished.
    pub fn paired(&self, finished: &Finished) -> Result<Vec<u64>> {
        let paired: Vec<u64> = self
            .seeds
            .iter()
            .copied()
            .filter(|s| {
                finished.contains_key(&(Side::Baseline, *s))
                    && finished.contains_key(&(Side::Variant, *s))
            })
            .collect();
        if paired.is_empty() {
            return Err(RunError::NothingToCompare {
                runs: finished.len(),
                folder: self.output.join("runs"),
            });
        }
        Ok(paired)
    }

    /// One run to the end of the window, with its summary.json written; `None` when stopped.
    fn one(
        &self,
        side: Side,
        seed: u64,
        progress: &dyn PairsProgress,
        stop: &AtomicBool,
    ) -> Result<Option<RunDigest>> {
        let started = Instant::now();
        let scenario = (side == Side::Variant).then_some(self.scenario);
        let built = build_world(
            &self.parts.city,
            &WorldSpec::of(self.parts, self.options, seed, scenario),
        )?;
        let mut world = built.world;
        let mut last = self.options.from_s;
        let mut stopped = false;
        world.run(&mut |w| {
            progress.simulated(u64::from(w.now_s() - last));
            last = w.now_s();
            stopped = progress.stop() || stop.load(Ordering::SeqCst);
            !stopped
        });
        if stopped {
            return Ok(None);
        }
        progress.simulated(u64::from(self.options.to_s.saturating_sub(last)));
        let facts = RunFacts {
            wall_s: started.elapsed().as_secs_f64(),
            interrupted: false,
            days: &[],
            target_gap: None,
            scenario: scenario.map(|s| (s, built.changes)),
            live: None,
            day: self.parts.day,
            model_file: self.parts.model.params_file.as_deref(),
        };
        let summary = run_summary(
            Some(self.scene),
            Some(&self.parts.city),
            &world,
            &built.demand,
            &facts,
        );
        let dir = run_dir(self.output, side, seed);
        std::fs::create_dir_all(&dir).map_err(RunError::io("creating", &dir))?;
        write(&dir.join("summary.json"), &summary.to_json()?)?;
        Ok(Some(RunDigest::of(&world, &summary)))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run_dir(output: &Path, side: Side, seed: u64) -> PathBuf {
    output
        .join("runs")
        .join(format!("{}-seed{seed}", side.as_str()))
}
