//! From a scene's city, the demand and bike options and an optional scenario to a World ready
//! to run: `run`, `compare`, `sweep`, `view` and `snapshot` all build theirs here.

use super::bikes::{self, BikeArgs};
use super::demand::{self, Demand, DemandArgs};
use anyhow::{Context, Result, bail};
use citytwin_bikes::osm_fences::FencePlan;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_sim::model::SceneModel;
use citytwin_sim::ops::{OpsInputs, OpsSim};
use citytwin_sim::scenario::{RunInputs, Scenario};
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::TrafficConfig;
use std::path::{Path, PathBuf};

/// What a day of a scene is built from besides the run's options: the scene and its city, the
/// simulated day, the operations centre's inputs (unless `--no-ops`), the fitted model and
/// the bike fences. `run`, `compare` and `forecast` load theirs here.
#[derive(Debug)]
pub struct SceneParts {
    pub scene: citytwin_city::scene::Scene,
    pub city: City,
    pub day: citytwin_city::calendar::SimDay,
    pub ops: Option<OpsInputs>,
    pub model: SceneModel,
    pub fences: FencePlan,
}

impl SceneParts {
    pub fn load(
        scene_path: &Path,
        sim: &super::SimArgs,
        date: Option<citytwin_city::calendar::Date>,
    ) -> Result<SceneParts> {
        let (scene, city) = crate::commands::load_scene_city(scene_path)?;
        let day = crate::commands::scene_day(&scene, scene_path, date)?;
        let ops = if sim.no_ops {
            None
        } else {
            super::ops::load(&scene, &city, day)?
        };
        let model = SceneModel::of(&scene, sim.model.as_deref())?;
        let fences = super::fence_source::fence_plan(&scene, &city, &model)?;
        Ok(SceneParts {
            scene,
            city,
            day,
            ops,
            model,
            fences,
        })
    }
}

/// A scenario file, read and checked to be one for the scene it is run on.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
}

impl LoadedScenario {
    pub fn load(path: &Path, scene: &Path) -> Result<LoadedScenario> {
        let scenario = Scenario::load(path)?;
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same(&scenario.base, scene) {
            bail!(
                "{}: the scenario is for scene {}, not {}",
                path.display(),
                scenario.base.display(),
                scene.display()
            );
        }
        Ok(LoadedScenario {
            path: path.to_path_buf(),
            scenario,
        })
    }
}

/// What a World is built from, besides the city.
#[derive(Debug)]
pub struct WorldSpec<'a> {
    pub demand: &'a DemandArgs,
    pub bikes: &'a BikeArgs,
    pub seed: u64,
    pub window: (u32, u32),
    pub traffic: TrafficConfig,
    pub scenario: Option<&'a LoadedScenario>,
    /// The scene's fences (its own, or generated from OSM).
    pub fences: &'a FencePlan,
    /// Sensors, vital signs and cases (the scene's ops file), unless left out.
    pub ops: Option<&'a OpsInputs>,
    /// The model's parameters and the city's official totals.
    pub model: &'a SceneModel,
}

/// A World ready to run, with its demand (trips in the World's order) and how many changes
/// the scenario made.
#[derive(Debug)]
pub struct Built {
    pub world: World,
    pub demand: Demand,
    pub changes: usize,
    /// The inputs as the scenario left them (live edits are checked against them).
    pub inputs: RunInputs,
}

pub fn build_world(city: &City, spec: &WorldSpec) -> Result<Built> {
    let (from_s, to_s) = spec.window;
    let model = &spec.model.params;
    let mut demand = demand::build(
        spec.demand,
        spec.seed,
        city,
        &model.demand,
        spec.model.totals,
    )?;
    demand.keep_window(from_s, to_s);
    let residents = match &demand.day {
        Some(day) => day.residents,
        None => citytwin_traffic::demand::residents(city, &model.demand, spec.model.totals),
    };
    let (bike_inputs, bike_trips) = match bikes::inputs(
        spec.bikes,
        spec.fences,
        city,
        spec.seed,
        spec.model,
        residents,
    )? {
        Some((inputs, trips)) => (Some(inputs), trips),
        None => (None, Vec::new()),
    };
    let mut roads = city.roads().clone();
    model.roads.apply(&mut roads);
    let mut inputs = RunInputs::new(roads, bike_inputs);
    inputs.vitals = spec.ops.map(|o| o.file.vitals.clone());
    inputs.air_quality_date = spec.ops.and_then(OpsInputs::air_quality_date);
    let mut changes = 0;
    if let Some(s) = spec.scenario {
        let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
        let project = |lon: f64, lat: f64| to_city.point(lon, lat);
        changes = s
            .scenario
            .apply(&s.path, city, &project, &mut inputs)?
            .len();
    }
    let options = WorldOptions {
        seed: spec.seed,
        from_s,
        to_s,
        traffic: spec.traffic.clone(),
        events: Vec::new(),
    };
    let (mut world, origin) =
        World::from_inputs(city, &inputs, demand.trips.clone(), bike_trips, options)
            .context("building the World")?;
    if let Some(ops) = spec.ops {
        let mut ops = ops.clone();
        // as the scenario left them
        if let Some(vitals) = &inputs.vitals {
            ops.file.vitals = vitals.clone();
        }
        if let Some(date) = inputs.air_quality_date {
            ops.replay_air_quality(date)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let ops = OpsSim::new(city, ops, world.bikes.as_ref(), spec.seed);
        world.attach_ops(ops);
    }
    demand.follow(&origin, world.traffic.trips());
    Ok(Built {
        world,
        demand,
        changes,
        inputs,
    })
}
