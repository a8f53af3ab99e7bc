//! A whole headless run, as `citytwin run` makes one: the day prepared from its source, run
//! (once, to equilibrium or live), its state saved where it stopped and resumed from a saved
//! one, and its reports written into an output folder that appears whole or not at all.

use crate::day::{DayHooks, DayMode, DayRequest, DaySource};
use crate::error::{Result, Setting};
use crate::options::DayOptions;
use crate::output_dir::StagedOutput;
use crate::reports::OutputOptions;
use crate::traffic_gpkg::TrafficGpkg;
use citytwin_sim::World;
use citytwin_traffic::dynamic::IterationReport;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What a run's saved state is made of: where it stops to save it, and one to go on from.
#[derive(Clone, Debug, Default)]
pub struct StateOptions {
    /// Save the state here when the run stops (the end of its window, `stop_at_s`, or an
    /// interruption); without it, an interrupted run saves it as state.ctstate in its output
    /// folder.
    pub save_to: Option<PathBuf>,
    /// Stop at this time of day to save the state there.
    pub stop_at_s: Option<u32>,
    /// Go on from this saved state, made by a run built the same way.
    pub resume_from: Option<PathBuf>,
}

/// The state file an interrupted run leaves in its output folder.
pub const INTERRUPTED_STATE: &str = "state.ctstate";

impl StateOptions {
    pub fn check(&self, day: &DayOptions) -> Result<()> {
        match self.stop_at_s {
            Some(at) => day.check_in_window(Setting::StopAt, at, day.from_s + 1..day.to_s),
            None => Ok(()),
        }
    }

    fn stops_at(&self, now_s: u32) -> bool {
        self.stop_at_s.is_some_and(|at| now_s >= at)
    }
}

/// One run: the day it runs (its request's `output` is the output folder), how it runs, and
/// how its files are written.
///
/// ```no_run
/// use citytwin_runs::day::{DayHooks, DayMode, DayRequest, DaySource};
/// use citytwin_runs::{DayJob, DayOptions, StateOptions, gbfs::GbfsOptions};
/// use std::path::Path;
///
/// /// Runs to the end of the window, printing nothing.
/// struct Quiet;
/// impl DayHooks for Quiet {
///     fn minute(&self, _: &citytwin_sim::World) -> bool { true }
///     fn day_done(&self, _: &citytwin_traffic::dynamic::IterationReport) {}
///     fn say(&self, _: String) {}
/// }
///
/// let options = DayOptions { to_s: 10 * 3600, ..DayOptions::default() };
/// let job = DayJob {
///     day: DayRequest {
///         source: DaySource::Scene {
///             scene: Path::new("scenes/chengdu/scene.ron"),
///             scenario: None,
///         },
///         options: &options,
///         seed: 1,
///         date: None,
///         mds_policy: false,
///         gbfs: &GbfsOptions::default(),
///         output: Path::new("out/chengdu/morning"),
///     },
///     mode: DayMode::Once,
///     // stop at 08:00 and save the state there, to go on from with `resume_from`
///     state: &StateOptions {
///         save_to: Some("out/chengdu/0800.ctstate".into()),
///         stop_at_s: Some(8 * 3600),
///         resume_from: None,
///     },
///     force: false,
///     summary_only: false,
///     parquet: false,
/// };
/// let report = job.run(&Quiet)?;
/// for line in &report.lines {
///     println!("{line}");
/// }
/// # Ok::<(), citytwin_runs::RunError>(())
/// ```
#[derive(Debug)]
pub struct DayJob<'a> {
    pub day: DayRequest<'a>,
    pub mode: DayMode,
    pub state: &'a StateOptions,
    /// Replace the output folder even if it holds files that are not an earlier run's (an
    /// earlier run's folder is always replaced whole).
    pub force: bool,
    /// Write summary.json only.
    pub summary_only: bool,
    /// Also write the time series as Parquet.
    pub parquet: bool,
}

/// What a finished (or interrupted) run tells its user, its files being in place.
#[derive(Debug)]
pub struct JobReport {
    /// The day stopped short of its window by an interruption.
    pub interrupted: bool,
    /// Where the state was saved, and the time of day it holds.
    pub saved_state: Option<(PathBuf, u32)>,
    /// GBFS times the run did not reach (no feeds written for them).
    pub gbfs_missed: Vec<u32>,
    /// Bike rules MDS Policy has no type for (left out of policies.json).
    pub mds_left_out: Vec<&'static str>,
    /// The closing summary: the day's figures, the equilibrium's gap, where the network locks.
    pub lines: Vec<String>,
}

impl DayJob<'_> {
    /// Refuses settings that cannot run, before anything is loaded.
    pub fn check(&self) -> Result<()> {
        let options = self.day.options;
        options.check()?;
        self.mode.check()?;
        self.day.gbfs.check(options)?;
        self.state.check(options)
    }

    /// Runs the day; `hooks.minute` returning `false` interrupts it (what was simulated is
    /// written, and the state saved). A day that fails to prepare leaves no output folder; one
    /// that fails while writing keeps what was written.
    pub fn run(&self, hooks: &dyn DayHooks) -> Result<JobReport> {
        let started = Instant::now();
        self.check()?;
        let output = self.day.output;
        let staged = StagedOutput::new(output, self.force)?;
        let request = DayRequest {
            output: staged.path(),
            ..self.day
        };
        // the inputs' fingerprint ties a saved state to the run that made it. It reads every
        // input again (a regional day's hundreds of megabytes), so a run that only saves a
        // state if it is interrupted notes the files' sizes and times now and hashes them then
        let stamps = request.input_stamps();
        let (prepared, recipe) = if self.state.resume_from.is_some() || self.state.save_to.is_some()
        {
            let (prepared, recipe) = request.prepare_with_recipe();
            (prepared, Some(recipe))
        } else {
            (request.prepare(), None)
        };
        let resumed = prepared.and_then(|mut p| {
            if let Some(g) = p.gbfs.as_mut() {
                g.served_from(output);
            }
            if let (Some(path), Some(recipe)) = (&self.state.resume_from, &recipe) {
                p.world = World::load_checkpoint(path, &p.world.checkpoint_key(recipe))?;
            }
            Ok(p)
        });
        // traffic.gpkg is written beside a single day, a bin at a time (`traffic_gpkg`)
        let streams_gpkg = matches!(self.mode, DayMode::Once) && !self.summary_only;
        let with_gpkg = resumed.and_then(|p| {
            let gpkg = streams_gpkg
                .then(|| TrafficGpkg::for_day(staged.path(), &p.network, p.day))
                .transpose()?;
            Ok((p, gpkg.flatten()))
        });
        let (mut prepared, traffic_gpkg) = match with_gpkg {
            Ok(both) => both,
            Err(e) => {
                staged.discard();
                return Err(e);
            }
        };
        let watch = Watch {
            hooks,
            state: self.state,
            interrupted: AtomicBool::new(false),
            traffic_gpkg: traffic_gpkg.as_ref(),
        };
        let outcome = prepared.run(&self.mode_in(staged.path()), &watch)?;
        let interrupted = watch.interrupted.load(Ordering::Relaxed);
        let world = &prepared.world;
        let saved_state = match (&self.mode, &self.state.save_to) {
            (DayMode::Once, Some(path)) => Some((path.clone(), path.clone())),
            (DayMode::Once, None) if interrupted => Some((
                staged.path().join(INTERRUPTED_STATE),
                output.join(INTERRUPTED_STATE),
            )),
            _ => None,
        };
        // a state that cannot be saved does not cost the day's reports: they are written first
        let state_saved = match &saved_state {
            Some((path, _)) => match recipe {
                Some(recipe) => Ok(recipe),
                None => request.recipe_if_unchanged(&stamps),
            }
            .and_then(|recipe| Ok(world.save_checkpoint(path, &recipe)?)),
            None => Ok(()),
        };
        let out = OutputOptions {
            dir: staged.path().to_path_buf(),
            summary_only: self.summary_only,
            parquet: self.parquet,
        };
        let source = match self.day.source {
            DaySource::Scene { scene, .. } => scene,
            DaySource::Sumo { net, .. } => net,
        };
        let wall_s = started.elapsed().as_secs_f64();
        let written = prepared.write(
            &out,
            Some(source),
            &outcome,
            wall_s,
            interrupted,
            traffic_gpkg,
        );
        // what was written is kept even when a report failed: the error names what is missing
        staged.commit()?;
        written?;
        state_saved?;
        // the day's reports are written first: a feed that could not be written loses nothing
        if let Some(e) = outcome.feed_error {
            return Err(e);
        }
        Ok(JobReport {
            interrupted,
            saved_state: saved_state.map(|(_, shown)| (shown, world.now_s())),
            gbfs_missed: prepared
                .gbfs
                .as_ref()
                .map_or(Vec::new(), |g| g.missed().to_vec()),
            lines: prepared.closing_lines(&outcome, wall_s, interrupted, output),
            mds_left_out: std::mem::take(&mut prepared.mds_left_out),
        })
    }

    /// The mode, a live run's forecasts going to forecast/ in the output folder by default.
    fn mode_in(&self, staging: &Path) -> DayMode {
        let mut mode = self.mode.clone();
        if let DayMode::Live(live) = &mut mode {
            live.forecast_dir
                .get_or_insert_with(|| staging.join("forecast"));
        }
        mode
    }
}

/// The caller's hooks, with the stop at the saved state's time and a record of whether the
/// caller interrupted the day.
struct Watch<'a> {
    hooks: &'a dyn DayHooks,
    state: &'a StateOptions,
    interrupted: AtomicBool,
    traffic_gpkg: Option<&'a TrafficGpkg>,
}

impl DayHooks for Watch<'_> {
    fn minute(&self, world: &World) -> bool {
        if let Some(gpkg) = self.traffic_gpkg {
            gpkg.send_settled(world);
        }
        if !self.hooks.minute(world) {
            self.interrupted.store(true, Ordering::Relaxed);
            return false;
        }
        !self.state.stops_at(world.now_s())
    }

    fn day_done(&self, day: &IterationReport) {
        self.hooks.day_done(day);
    }

    fn say(&self, line: String) {
        self.hooks.say(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbfs::GbfsOptions;
    use std::fmt::Write as _;

    /// A SUMO network of `n`×`n` junctions 200 m apart, roads both ways, and `trips` trips
    /// between its edges over the first hour, in a folder of their own.
    fn grid(name: &str, n: usize, trips: usize) -> tempfile::TempDir {
        let scratch = tempfile::Builder::new()
            .prefix(&format!("citytwin-job-{name}-"))
            .tempdir()
            .unwrap();
        let dir = scratch.path();
        let mut net = String::from("<net version=\"1.20\">\n");
        let mut edges = Vec::new();
        for (i, j) in (0..n).flat_map(|i| (0..n).map(move |j| (i, j))) {
            let (x, y) = (i * 200, j * 200);
            let kind = if (i + j) % 3 == 0 {
                "traffic_light"
            } else {
                "priority"
            };
            writeln!(
                net,
                r#"<junction id="J{i}_{j}" type="{kind}" x="{x}" y="{y}"/>"#
            )
            .unwrap();
            for (di, dj) in [(1, 0), (0, 1)] {
                let (k, l) = (i + di, j + dj);
                if k == n || l == n {
                    continue;
                }
                for (a, b) in [((i, j), (k, l)), ((k, l), (i, j))] {
                    let id = format!("E{}_{}-{}_{}", a.0, a.1, b.0, b.1);
                    writeln!(
                        net,
                        r#"<edge id="{id}" from="J{}_{}" to="J{}_{}"><lane id="{id}_0" index="0" speed="13.89" length="200.00" shape="0,0 1,1"/></edge>"#,
                        a.0, a.1, b.0, b.1
                    )
                    .unwrap();
                    edges.push(id);
                }
            }
        }
        net.push_str("</net>\n");
        let mut routes = String::from("<routes>\n");
        let mut seed = 12345_u64;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % m
        };
        for t in 0..trips {
            let depart = t * 3600 / trips;
            let (from, to) = (&edges[next(edges.len())], &edges[next(edges.len())]);
            writeln!(
                routes,
                r#"<trip id="t{t}" depart="{depart}" from="{from}" to="{to}"/>"#
            )
            .unwrap();
        }
        routes.push_str("</routes>\n");
        std::fs::write(dir.join("grid.net.xml"), net).unwrap();
        std::fs::write(dir.join("grid.trips.xml"), routes).unwrap();
        scratch
    }

    /// Stops the day at `stop_at_s`, as a Ctrl-C would.
    struct StopAt(u32);

    impl DayHooks for StopAt {
        fn minute(&self, world: &World) -> bool {
            world.now_s() < self.0
        }
        fn day_done(&self, _: &IterationReport) {}
        fn say(&self, _: String) {}
    }

    /// Changes the trips file at `0` simulated seconds, then stops at `1`.
    struct EditThenStop(u32, u32, PathBuf);

    impl DayHooks for EditThenStop {
        fn minute(&self, world: &World) -> bool {
            if world.now_s() == self.0 {
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&self.2)
                    .unwrap();
                std::io::Write::write_all(&mut file, b"<!-- edited -->\n").unwrap();
            }
            world.now_s() < self.1
        }
        fn day_done(&self, _: &IterationReport) {}
        fn say(&self, _: String) {}
    }

    fn run(dir: &Path, out: &str, state: &StateOptions, stop_at_s: u32) -> JobReport {
        job_result(dir, out, state, &StopAt(stop_at_s)).unwrap()
    }

    fn job_result(
        dir: &Path,
        out: &str,
        state: &StateOptions,
        hooks: &dyn DayHooks,
    ) -> Result<JobReport> {
        let (net, trips) = (dir.join("grid.net.xml"), dir.join("grid.trips.xml"));
        let options = DayOptions {
            to_s: 2 * 3600,
            ..DayOptions::default()
        };
        let job = DayJob {
            day: DayRequest {
                source: DaySource::Sumo {
                    net: &net,
                    trips: &trips,
                },
                options: &options,
                seed: 1,
                date: None,
                mds_policy: false,
                gbfs: &GbfsOptions::default(),
                output: &dir.join(out),
            },
            mode: DayMode::Once,
            state,
            force: false,
            summary_only: false,
            parquet: false,
        };
        job.run(hooks)
    }

    fn trips_csv(dir: &Path, out: &str) -> Vec<u8> {
        std::fs::read(dir.join(out).join("trips.csv")).unwrap()
    }

    #[test]
    fn a_job_stopped_to_save_its_state_and_resumed_writes_what_a_straight_one_writes() {
        let scratch = grid("resume", 5, 600);
        let dir = scratch.path();
        let never = u32::MAX;
        let straight = run(dir, "straight", &StateOptions::default(), never);
        assert!(!straight.interrupted && straight.saved_state.is_none());
        let state = dir.join("half.ctstate");
        let first = StateOptions {
            save_to: Some(state.clone()),
            stop_at_s: Some(1800),
            resume_from: None,
        };
        let stopped = run(dir, "first", &first, never);
        assert_eq!(stopped.saved_state, Some((state.clone(), 1800)));
        assert!(
            !stopped.interrupted,
            "a planned stop is not an interruption"
        );
        assert_ne!(trips_csv(dir, "first"), trips_csv(dir, "straight"));
        let resume = StateOptions {
            resume_from: Some(state),
            ..StateOptions::default()
        };
        run(dir, "resumed", &resume, never);
        assert_eq!(trips_csv(dir, "resumed"), trips_csv(dir, "straight"));
    }

    #[test]
    fn an_interrupted_job_keeps_its_outputs_and_its_state_in_the_output_folder() {
        let scratch = grid("interrupt", 4, 300);
        let dir = scratch.path();
        let report = run(dir, "out", &StateOptions::default(), 1200);
        assert!(report.interrupted);
        let out = dir.join("out");
        assert_eq!(
            report.saved_state,
            Some((out.join(INTERRUPTED_STATE), 1200))
        );
        assert!(out.join(INTERRUPTED_STATE).is_file());
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["run"]["interrupted"], true, "{summary}");
        // nothing but the output folder is left beside it (no staging folder)
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["grid.net.xml", "grid.trips.xml", "out"]);
        // the inputs were hashed when the state was saved, as a resume hashes them first
        let resume = StateOptions {
            resume_from: Some(out.join(INTERRUPTED_STATE)),
            ..StateOptions::default()
        };
        run(dir, "resumed", &resume, u32::MAX);
        run(dir, "straight", &StateOptions::default(), u32::MAX);
        assert_eq!(trips_csv(dir, "resumed"), trips_csv(dir, "straight"));
    }

    #[test]
    fn an_input_changed_during_the_day_keeps_its_state_from_being_saved() {
        let scratch = grid("changed", 4, 200);
        let dir = scratch.path();
        let edit = EditThenStop(600, 1200, dir.join("grid.trips.xml"));
        let e = job_result(dir, "out", &StateOptions::default(), &edit).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("grid.trips.xml: changed while the day ran, so its state was not saved (the day's reports were)"),
            "{e}"
        );
        let out = dir.join("out");
        assert!(out.join("trips.csv").is_file());
        assert!(!out.join(INTERRUPTED_STATE).exists());
    }

    #[test]
    fn a_state_that_cannot_be_saved_fails_the_job_after_its_reports_are_written() {
        let scratch = grid("unsaved", 4, 200);
        let dir = scratch.path();
        let state = StateOptions {
            save_to: Some(dir.join("no such folder").join("state.ctstate")),
            ..StateOptions::default()
        };
        let e = job_result(dir, "out", &state, &StopAt(u32::MAX)).unwrap_err();
        assert!(e.to_string().contains("no such folder"), "{e}");
        assert!(dir.join("out").join("trips.csv").is_file());
    }
}
