//! A scene and what a day of it is built from: its imported city, the simulated day, the
//! operations centre's inputs, the fitted model, the bike fences, and a scenario for it.

use crate::error::{Result, RunError, Setting};
use crate::options::DayOptions;
use citytwin_bikes::osm_fences::FencePlan;
use citytwin_city::City;
use citytwin_city::calendar::{Date, SimDay};
use citytwin_city::scene::Scene;
use citytwin_sim::model::SceneModel;
use citytwin_sim::ops::OpsInputs;
use citytwin_sim::scenario::Scenario;
use std::path::{Path, PathBuf};

/// A scene and its imported city; an error that says how to import a city not yet imported.
pub fn load_scene_city(scene_path: &Path) -> Result<(Scene, City)> {
    let scene = Scene::load(scene_path)?;
    if !scene.bundle.exists() {
        return Err(RunError::NoBundle {
            bundle: scene.bundle.clone(),
            scene: scene_path.to_path_buf(),
        });
    }
    let city = City::load(&scene.bundle)?;
    Ok((scene, city))
}

/// The simulated day of a run of `scene`: `date`, else the scene's date, in its time zone.
pub fn scene_day(scene: &Scene, scene_path: &Path, date: Option<Date>) -> Result<SimDay> {
    scene.day(date).map_err(|e| match date {
        Some(d) => RunError::setting(Setting::Date, d, e),
        None => RunError::bad_input(scene_path, format!("date: {e}")),
    })
}

/// The MQTT topic prefix of the scene's live feeds (its ops file's); an error naming the
/// scene when it has no ops file, so no live feeds.
pub fn live_prefix(scene: &Scene, scene_path: &Path) -> Result<String> {
    let ops = scene.ops.as_ref().ok_or_else(|| {
        RunError::bad_input(scene_path, "the scene has no ops file, so no live feeds")
    })?;
    Ok(citytwin_ops::setup::OpsFile::load(ops)?.mqtt_prefix)
}

/// What a day of a scene is built from besides the run's options: the scene and its city, the
/// simulated day, the operations centre's inputs (unless left out), the fitted model and the
/// bike fences.
#[derive(Debug)]
pub struct SceneParts {
    pub scene: Scene,
    pub city: City,
    pub day: SimDay,
    pub ops: Option<OpsInputs>,
    pub model: SceneModel,
    pub fences: FencePlan,
}

impl SceneParts {
    pub fn load(scene_path: &Path, options: &DayOptions, date: Option<Date>) -> Result<SceneParts> {
        let (scene, city) = load_scene_city(scene_path)?;
        let day = scene_day(&scene, scene_path, date)?;
        let ops = if options.with_ops {
            crate::ops::load(&scene, &city, day)?
        } else {
            None
        };
        let model = SceneModel::of(&scene, options.model.as_deref())?;
        let fences = crate::fence_source::fence_plan(&scene, &city, &model)?;
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
            return Err(RunError::ScenarioForAnotherScene {
                file: path.to_path_buf(),
                base: scenario.base.clone(),
                scene: scene.to_path_buf(),
            });
        }
        Ok(LoadedScenario {
            path: path.to_path_buf(),
            scenario,
        })
    }
}
