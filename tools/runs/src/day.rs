//! A day made ready to run: from a scene (with its scenario) or a SUMO network, the World with
//! its demand, the simulated day, and the feeds it publishes while it runs.

use crate::build::{WorldSpec, build_world};
use crate::demand::{Demand, TripCount};
use crate::error::{Result, RunError, Setting};
use crate::gbfs::{GbfsOptions, GbfsPublisher};
use crate::live::LiveOptions;
use crate::options::{DayOptions, clock};
use crate::reports::{Network, OutputOptions, RunFacts};
use crate::scene::{LoadedScenario, SceneParts};
use crate::traffic_gpkg::TrafficGpkg;
use citytwin_city::calendar::{DEFAULT_DATE, Date, SimDay};
use citytwin_city::roads::RoadNetwork;
use citytwin_live::twin::LiveFacts;
use citytwin_sim::scenario::RunInputs;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::{EquilibriumOptions, IterationReport};
use citytwin_traffic::sumo::{SumoNet, SumoTrips};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a day is run on.
#[derive(Clone, Copy, Debug)]
pub enum DaySource<'a> {
    Scene {
        scene: &'a Path,
        scenario: Option<&'a Path>,
    },
    /// An Eclipse SUMO network with its trips file (comparisons with SUMO).
    Sumo { net: &'a Path, trips: &'a Path },
}

#[derive(Debug)]
pub struct DayRequest<'a> {
    pub source: DaySource<'a>,
    pub options: &'a DayOptions,
    pub seed: u64,
    /// The calendar date; `None`: the scene's, else [`DEFAULT_DATE`].
    pub date: Option<Date>,
    /// Write the bike fences and rules as MDS Policy files into `output`.
    pub mds_policy: bool,
    pub gbfs: &'a GbfsOptions,
    /// Where MDS and GBFS files go.
    pub output: &'a Path,
}

/// A day ready to run.
#[derive(Debug)]
pub struct PreparedDay {
    pub network: Network,
    pub demand: Demand,
    pub world: World,
    /// The scenario and the number of changes its edits made.
    pub scenario: Option<(LoadedScenario, usize)>,
    /// The inputs as the scenario left them (a scene's day only; live edits check them).
    pub inputs: Option<RunInputs>,
    pub gbfs: Option<GbfsPublisher>,
    pub day: SimDay,
    /// Bike rules MDS Policy has no type for (left out of policies.json).
    pub mds_left_out: Vec<&'static str>,
    /// The model parameters file a scene's day was built with; `None`: the defaults (or a
    /// SUMO network's day, which takes its network and trips as they are).
    pub model_file: Option<PathBuf>,
}

impl DayRequest<'_> {
    pub fn prepare(&self) -> Result<PreparedDay> {
        self.options.check()?;
        match self.source {
            DaySource::Sumo { net, trips } => self.sumo(net, trips),
            DaySource::Scene { scene, scenario } => self.scene(scene, scenario),
        }
    }

    fn sumo(&self, net: &Path, trips: &Path) -> Result<PreparedDay> {
        // the trips file is read beside the network, on the other core
        let (net, read) = beside(|| SumoNet::read(net), || SumoTrips::read(trips));
        let net = net?;
        let (trips_list, ids) = read?.on(&net)?;
        let mut demand = Demand {
            source: "sumo_trips",
            file: Some(trips.display().to_string()),
            count: TripCount::default(),
            trips: trips_list,
            ids: Some(ids),
            day: None,
        };
        let o = self.options;
        demand.keep_window(o.from_s, o.to_s);
        let options = WorldOptions {
            seed: self.seed,
            from_s: o.from_s,
            to_s: o.to_s,
            traffic: o.traffic(),
            events: Vec::new(),
        };
        let world = World::new(&net.roads, demand.hand_over(), options)?;
        // a SUMO network has no time zone: its day is in UTC
        let date = self.date.unwrap_or(DEFAULT_DATE);
        let day =
            SimDay::in_zone(date, None).map_err(|e| RunError::setting(Setting::Date, date, e))?;
        Ok(PreparedDay {
            day,
            network: Network::Sumo(net),
            demand,
            world,
            scenario: None,
            inputs: None,
            gbfs: None,
            mds_left_out: Vec::new(),
            model_file: None,
        })
    }

    fn scene(&self, scene_path: &Path, scenario: Option<&Path>) -> Result<PreparedDay> {
        let scenario = scenario
            .map(|p| LoadedScenario::load(p, scene_path))
            .transpose()?;
        let parts = SceneParts::load(scene_path, self.options, self.date)?;
        let spec = WorldSpec::of(&parts, self.options, self.seed, scenario.as_ref());
        let built = build_world(&parts.city, &spec)?;
        let SceneParts {
            scene,
            city,
            day,
            model,
            ..
        } = parts;
        let mut mds_left_out = Vec::new();
        if self.mds_policy {
            let bikes = built.world.bikes().ok_or(RunError::NoBikes {
                asked_for: "MDS policy",
                at: None,
            })?;
            mds_left_out = crate::mds::write_policy(
                self.output,
                &scene.name,
                &city,
                bikes,
                day.midnight_unix(),
            )?;
        }
        let gbfs = GbfsPublisher::new(
            self.gbfs,
            self.output,
            &scene.name,
            scene.timezone.as_deref().unwrap_or("Etc/UTC"),
            day,
            &city.bundle.meta.crs.id,
        )?;
        Ok(PreparedDay {
            day,
            gbfs,
            network: Network::City(Box::new(city)),
            demand: built.demand,
            world: built.world,
            scenario: scenario.map(|s| (s, built.changes)),
            inputs: Some(built.inputs),
            mds_left_out,
            model_file: model.params_file,
        })
    }

    /// The day prepared, and its inputs' fingerprint ([`DayRequest::recipe`]) hashed on
    /// another thread meanwhile.
    pub fn prepare_with_recipe(&self) -> (Result<PreparedDay>, Vec<u8>) {
        beside(|| self.prepare(), || self.recipe())
    }

    /// The input files: scene and scenario, or SUMO network and trips.
    fn input_files(&self) -> [Option<&Path>; 2] {
        match self.source {
            DaySource::Scene { scene, scenario } => [Some(scene), scenario],
            DaySource::Sumo { net, trips } => [Some(net), Some(trips)],
        }
    }

    /// Each input file's size and time of last change, as now (`None`: a pipe, or a file
    /// that cannot be read): a run that may never need [`DayRequest::recipe`] notes these
    /// at its start and hashes its inputs only if it has a state to save, when
    /// [`DayRequest::recipe_if_unchanged`] compares them again.
    pub fn input_stamps(&self) -> InputStamps {
        let stamp = |file: &Path| {
            let meta = std::fs::metadata(file).ok().filter(|m| m.is_file())?;
            Some((meta.len(), meta.modified().ok()?))
        };
        InputStamps(self.input_files().map(|f| f.and_then(stamp)))
    }

    /// [`DayRequest::recipe`], if no input file changed since `stamps` were taken.
    pub fn recipe_if_unchanged(&self, stamps: &InputStamps) -> Result<Vec<u8>> {
        let now = self.input_stamps();
        let changed = self
            .input_files()
            .into_iter()
            .zip(now.0.iter().zip(&stamps.0));
        for (file, (now, then)) in changed {
            if let Some(file) = file.filter(|_| now != then) {
                return Err(RunError::InputChanged(file.to_path_buf()));
            }
        }
        Ok(self.recipe())
    }

    /// How the run builds its World, for checkpoints: a digest of the input files (scene and
    /// scenario, or SUMO network and trips) and every option of the day, so a state is
    /// resumed only by a run made the same way. The files are hashed a block at a time: a
    /// regional trips file is not held in memory for the whole run.
    pub fn recipe(&self) -> Vec<u8> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(format!("{:?}|{}|{:?}", self.options, self.seed, self.date).as_bytes());
        for file in self.input_files().into_iter().flatten() {
            // a pipe (`--sumo-net <(zcat city.net.xml.gz)`) can be read once only, by the run:
            // its name stands for it, and a state saved from it is resumed on trust. An
            // unreadable file fails the run when it is loaded; here it adds nothing
            let regular = std::fs::metadata(file).is_ok_and(|m| m.is_file());
            if !regular {
                hasher.update(file.as_os_str().as_encoded_bytes());
            } else if let Ok(mut f) = std::fs::File::open(file) {
                let mut block = vec![0; 1 << 20];
                while let Ok(n @ 1..) = std::io::Read::read(&mut f, &mut block) {
                    hasher.update(&block[..n]);
                }
            }
            hasher.update(&[0xff]);
        }
        hasher.finalize().as_bytes().to_vec()
    }
}

/// What [`DayRequest::input_stamps`] noted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputStamps([Option<(u64, std::time::SystemTime)>; 2]);

/// The `n` roads whose links moved the most stuck cars on, as `name (count)`, worst first:
/// where the network locks.
pub fn most_stuck_roads(roads: &RoadNetwork, world: &World, n: usize) -> Vec<String> {
    let mut by_road: BTreeMap<String, u32> = BTreeMap::new();
    let totals = world
        .traffic()
        .stats
        .day_totals(|l| roads.links[l.index()].length_m);
    for ((total, _), link) in totals.iter().zip(&roads.links) {
        if total.stuck > 0 {
            *by_road.entry(link.label()).or_default() += total.stuck;
        }
    }
    let mut ranked: Vec<(String, u32)> = by_road.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(road, count)| format!("{road} ({count})"))
        .collect()
}

/// How a prepared day is run.
#[derive(Clone, Debug)]
pub enum DayMode {
    /// One day, as fast as it goes.
    Once,
    /// Days repeated until travel times settle (dynamic user equilibrium).
    Equilibrium(EquilibriumOptions),
    /// In step with the wall clock, fed from an MQTT broker.
    Live(LiveOptions),
}

impl DayMode {
    /// Refuses settings the mode cannot run with, before anything is loaded.
    pub fn check(&self) -> Result<()> {
        match self {
            DayMode::Once => Ok(()),
            DayMode::Equilibrium(e) => {
                if e.iterations == 0 {
                    return Err(RunError::setting(
                        Setting::Iterations,
                        0,
                        "expected at least 1 (one simulated day)",
                    ));
                }
                crate::options::check_share(Setting::ReplanShare, e.replan_share)?;
                match e.target_gap {
                    Some(gap) => crate::options::check_share(Setting::TargetGap, gap),
                    None => Ok(()),
                }
            }
            DayMode::Live(l) if !(l.pace > 0.0 && l.pace.is_finite()) => Err(RunError::setting(
                Setting::Pace,
                l.pace,
                "expected simulated seconds per second > 0",
            )),
            DayMode::Live(_) => Ok(()),
        }
    }
}

/// What a front end hears while a day runs (all through `&self`: a progress bar is shared).
pub trait DayHooks {
    /// Every simulated minute; `false` stops the day there (Ctrl-C, a checkpoint).
    fn minute(&self, world: &World) -> bool;
    /// The end of each day of an equilibrium.
    fn day_done(&self, day: &IterationReport);
    /// A line the user should see (a live run's subscription, its forecasts).
    fn say(&self, line: String);
}

/// What running the day produced besides the World's own state.
#[derive(Debug, Default)]
pub struct DayOutcome {
    /// The equilibrium's days (empty for a single day).
    pub days: Vec<IterationReport>,
    /// The gap the equilibrium was to reach, and whether its last day did.
    pub target_gap: Option<(f64, bool)>,
    /// What a live run received from the broker.
    pub live: Option<LiveFacts>,
    /// A GBFS feed that could not be written: the day stopped there, its reports still due.
    pub feed_error: Option<RunError>,
}

impl PreparedDay {
    pub fn run(&mut self, mode: &DayMode, hooks: &dyn DayHooks) -> Result<DayOutcome> {
        let PreparedDay {
            world,
            gbfs,
            network,
            inputs,
            ..
        } = self;
        let mut outcome = DayOutcome::default();
        if let Some(g) = gbfs.as_mut() {
            g.at_minute(world)?;
        }
        let mut feed_error = None;
        let mut keep_going = |w: &World| {
            if let Some(g) = gbfs.as_mut()
                && let Err(e) = g.at_minute(w)
            {
                feed_error = Some(e);
                return false;
            }
            hooks.minute(w)
        };
        match mode {
            DayMode::Once => world.run(&mut keep_going),
            DayMode::Equilibrium(eq) => {
                outcome.days =
                    world.run_equilibrium(eq, &mut keep_going, &mut |day| hooks.day_done(day));
                outcome.target_gap = eq
                    .target_gap
                    .zip(outcome.days.last())
                    .map(|(target, last)| (target, eq.reached(last)));
            }
            DayMode::Live(live) => {
                let city = network.city().ok_or(RunError::NoLiveSensors)?;
                let say = |line: String| hooks.say(line);
                outcome.live = Some(crate::live::run(
                    live,
                    city,
                    inputs.take(),
                    world,
                    &say,
                    &mut keep_going,
                )?);
            }
        }
        outcome.feed_error = feed_error;
        Ok(outcome)
    }

    /// What a user reads when the day ends: its figures, the equilibrium's gap, where the
    /// network locks; `target` is where the outputs are.
    pub fn closing_lines(
        &self,
        outcome: &DayOutcome,
        wall_s: f64,
        interrupted: bool,
        target: &Path,
    ) -> Vec<String> {
        let (world, s) = (&self.world, self.world.traffic().summary());
        let mut lines = vec![format!(
            "{} {} → {} in {wall_s:.1} s: {} of {} trips completed, {:.0} veh·km, mean speed {:.1} km/h, mean delay {:.0} s, congestion index {:.2}, {} stuck moves → {}",
            if interrupted {
                "interrupted:"
            } else {
                "simulated"
            },
            clock(world.options().from_s),
            clock(world.now_s()),
            s.trips_completed,
            s.trips,
            s.vkt_km,
            s.mean_speed_kmh,
            s.mean_delay_s,
            s.congestion_index,
            s.stuck_moves,
            target.display()
        )];
        let days = &outcome.days;
        if let (Some((target, reached)), Some(last)) = (outcome.target_gap, days.last()) {
            lines.push(format!(
                "equilibrium: relative gap {:.5} after {} days, target {target} {}",
                last.relative_gap,
                days.len(),
                if reached { "reached" } else { "not reached" }
            ));
        }
        if matches!(self.network, Network::City(_)) && self.model_file.is_none() {
            lines.push(
                "model: the defaults, fitted to no city: its congestion is the model's, not \
                 this city's, until it is calibrated (docs/demand.md)"
                    .to_string(),
            );
        }
        let worst = most_stuck_roads(self.network.roads(), world, 3);
        if !worst.is_empty() {
            lines.push(format!(
                "most stuck moves (where the network locks): {}",
                worst.join(", ")
            ));
        }
        lines
    }

    /// The run's files into `out`: `source` is the scene (or SUMO network) file it was made
    /// from, `wall_s` how long it took, `traffic_gpkg` the GeoPackage if it was started
    /// beside the day ([`TrafficGpkg::for_day`]; else it is written now).
    pub fn write(
        &self,
        out: &OutputOptions,
        source: Option<&Path>,
        outcome: &DayOutcome,
        wall_s: f64,
        interrupted: bool,
        traffic_gpkg: Option<TrafficGpkg>,
    ) -> Result<()> {
        let facts = RunFacts {
            wall_s,
            interrupted,
            days: &outcome.days,
            target_gap: outcome.target_gap,
            scenario: self.scenario.as_ref().map(|(s, n)| (s, *n)),
            live: outcome.live.as_ref(),
            day: self.day,
            model_file: self.model_file.as_deref(),
        };
        crate::reports::write_all(
            out,
            source,
            &self.network,
            &self.world,
            &self.demand,
            &facts,
            traffic_gpkg,
        )
    }
}

/// `here()` on this thread while `there()` runs on another; a panic on either goes on here.
fn beside<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let there = s.spawn(there);
        let here = here();
        let there = there
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (here, there)
    })
}
