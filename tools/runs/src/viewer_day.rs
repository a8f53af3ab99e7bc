//! A scene's day brought up to the time the wall display starts at: the World the viewer
//! (`citytwin view`, `citytwin snapshot`) hands to the engine.

use crate::error::Result;
use crate::options::DayOptions;
use crate::scene::{LoadedScenario, SceneParts};
use crate::{WorldSpec, build_world};
use citytwin_city::City;
use citytwin_sim::World;
use std::path::Path;

/// A scene's city and its World at the start time.
pub struct ViewerDay {
    pub city: City,
    pub world: World,
    /// The scene's name, and the scenario's after a dash.
    pub name: String,
    /// The data's credits: the bundle's, else the scene's.
    pub attribution: Vec<String>,
}

impl std::fmt::Debug for ViewerDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerDay")
            .field("name", &self.name)
            .field("now_s", &self.world.now_s())
            .finish_non_exhaustive()
    }
}

impl ViewerDay {
    /// The whole day of `scene` (with `scenario`'s edits), as the scene's model has it, run
    /// up to `at_s`; `progress` hears the simulated time every ten minutes.
    pub fn load(
        scene: &Path,
        scenario: Option<&Path>,
        options: &DayOptions,
        seed: u64,
        at_s: u32,
        progress: &mut dyn FnMut(u32),
    ) -> Result<ViewerDay> {
        let scenario = scenario
            .map(|p| LoadedScenario::load(p, scene))
            .transpose()?;
        let parts = SceneParts::load(scene, options, None)?;
        let spec = WorldSpec::of(&parts, options, seed, scenario.as_ref());
        let mut world = build_world(&parts.city, &spec)?.world;
        let SceneParts {
            scene: loaded,
            city,
            ..
        } = parts;
        let name = match &scenario {
            Some(s) => format!("{} — {}", loaded.name, s.scenario.name),
            None => loaded.name,
        };
        while world.now_s() < at_s {
            world.advance_to((world.now_s() + 600).min(at_s));
            progress(world.now_s());
        }
        let mut attribution = city.bundle.meta.attribution.clone();
        if attribution.is_empty() {
            attribution = loaded.attribution;
        }
        Ok(ViewerDay {
            city,
            world,
            name,
            attribution,
        })
    }
}
