pub mod assign;
pub mod broker;
pub mod calibrate;
pub mod compare;
pub mod export;
pub mod feed;
pub mod fences;
pub mod forecast;
pub mod import;
pub mod info;
pub mod route;
pub mod run;
pub mod sweep;
#[cfg(feature = "view")]
pub mod view;

use anyhow::{Result, bail};
use citytwin_city::City;
use citytwin_city::scene::Scene;
use std::path::Path;

/// A scene and its imported city, or a one-line error saying how to import it.
/// The simulated day of a run of `scene`: `--date`, else the scene's date, in its time zone.
pub fn scene_day(
    scene: &Scene,
    scene_path: &Path,
    date: Option<citytwin_city::calendar::Date>,
) -> Result<citytwin_city::calendar::SimDay> {
    scene.day(date).map_err(|e| match date {
        Some(d) => anyhow::anyhow!("--date {d}: {e}"),
        None => anyhow::anyhow!("{}: date: {e}", scene_path.display()),
    })
}

pub fn load_scene_city(scene_path: &Path) -> Result<(Scene, City)> {
    let scene = Scene::load(scene_path)?;
    if !scene.bundle.exists() {
        bail!(
            "{}: no city bundle; run `citytwin import --scene {}` first",
            scene.bundle.display(),
            scene_path.display()
        );
    }
    let city = City::load(&scene.bundle)?;
    Ok((scene, city))
}
