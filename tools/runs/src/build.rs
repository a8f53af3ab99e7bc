//! From a scene's city, the day's options and an optional scenario to a World ready to run:
//! `run`, `compare`, `sweep`, `forecast` and the wall all build theirs here.

use crate::demand::{self, Demand};
use crate::error::{Result, RunError};
use crate::options::DayOptions;
use crate::scene::{LoadedScenario, SceneParts};
use citytwin_bikes::osm_fences::FencePlan;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_sim::model::SceneModel;
use citytwin_sim::ops::{OpsInputs, OpsSim};
use citytwin_sim::scenario::RunInputs;
use citytwin_sim::{World, WorldOptions};

/// What a World is built from, besides the city.
#[derive(Debug)]
pub struct WorldSpec<'a> {
    pub options: &'a DayOptions,
    pub seed: u64,
    pub scenario: Option<&'a LoadedScenario>,
    /// The scene's fences (its own, or generated from OSM).
    pub fences: &'a FencePlan,
    /// Sensors, vital signs and cases (the scene's ops file); left out when the options
    /// leave them out.
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
    let (from_s, to_s) = (spec.options.from_s, spec.options.to_s);
    let model = &spec.model.params;
    let ops = spec.ops.filter(|_| spec.options.with_ops);
    let mut demand = demand::build(
        &spec.options.demand,
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
    let (bike_inputs, bike_trips) = match crate::bikes::inputs(
        &spec.options.bikes,
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
    inputs.vitals = ops.map(|o| o.file.vitals.clone());
    inputs.air_quality_date = ops.and_then(OpsInputs::air_quality_date);
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
        traffic: spec.options.traffic(),
        events: Vec::new(),
    };
    let (mut world, origin) =
        World::from_inputs(city, &inputs, demand.hand_over(), bike_trips, options)?;
    if let Some(ops) = ops {
        let mut ops = ops.clone();
        // as the scenario left them
        if let Some(vitals) = &inputs.vitals {
            ops.file.vitals = vitals.clone();
        }
        if let Some(date) = inputs.air_quality_date {
            ops.replay_air_quality(date)
                .map_err(|reason| RunError::AirQualityReplay { date, reason })?;
        }
        let ops = OpsSim::new(city, ops, world.bikes(), spec.seed);
        world.attach_ops(ops);
    }
    demand.follow(&origin, world.traffic().trips());
    Ok(Built {
        world,
        demand,
        changes,
        inputs,
    })
}

impl<'a> WorldSpec<'a> {
    /// A day of `parts`' scene with `options`, for one seed and an optional scenario.
    pub fn of(
        parts: &'a SceneParts,
        options: &'a DayOptions,
        seed: u64,
        scenario: Option<&'a LoadedScenario>,
    ) -> WorldSpec<'a> {
        WorldSpec {
            options,
            seed,
            scenario,
            fences: &parts.fences,
            ops: parts.ops.as_ref(),
            model: &parts.model,
        }
    }
}
