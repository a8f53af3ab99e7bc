//! Scene files (`scenes/<city>/scene.ron`): which data makes the city and how to import it.
//! Paths in a scene are relative to the scene file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A human-edited scene: the city's sources and import settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub name: String,
    /// The OpenStreetMap extract (`.osm` or `.osm.pbf`).
    pub osm: PathBuf,
    /// Where `citytwin import --scene` writes the bundle.
    pub bundle: PathBuf,
    /// Target CRS (`EPSG:xxxx`); the local UTM zone when absent.
    #[serde(default)]
    pub crs: Option<String>,
    #[serde(default = "default_grid_size")]
    pub grid_size_m: f64,
    /// Administrative division code (GB/T 2260) that prefixes grid cell codes.
    #[serde(default)]
    pub grid_prefix: String,
    /// OSM `admin_level` of the districts.
    #[serde(default = "default_district_level")]
    pub district_admin_level: u8,
    /// Extra layers: name → file any GDAL vector driver reads.
    #[serde(default)]
    pub layers: BTreeMap<String, PathBuf>,
    /// Credits to show with this city's data.
    #[serde(default)]
    pub attribution: Vec<String>,
    /// The city's own shared-bike fences: a GBFS feed folder (`station_information.json`,
    /// else `geofencing_zones.json`) or a polygon layer any GDAL vector driver reads
    /// (optional `name` and `capacity` fields). Without it, fences are generated from OSM.
    #[serde(default)]
    pub fences: Option<PathBuf>,
    /// IANA time zone of the city (`Asia/Shanghai`): every time a run writes carries its
    /// offset on the simulated day, and feeds publish the name (GBFS). UTC without it.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The simulated day's date (`YYYY-MM-DD`), the one date of every file a run writes
    /// (`run --date` overrides it); without it [`crate::calendar::DEFAULT_DATE`], a Monday.
    #[serde(default)]
    pub date: Option<String>,
    /// The operations file: sensors, vital-sign thresholds, services and teams
    /// (`citytwin_ops::setup::OpsFile`).
    #[serde(default)]
    pub ops: Option<PathBuf>,
    /// Residents of the extract from official statistics: scales the estimate from the map
    /// (docs/demand.md).
    #[serde(default)]
    pub population: Option<f64>,
    /// Jobs in the extract from official statistics: scales the estimate from the map.
    #[serde(default)]
    pub jobs: Option<f64>,
    /// Signalise junctions of major roads that OSM leaves untagged (on by default; the rule is
    /// in docs/road-defaults.md).
    #[serde(default = "default_true")]
    pub infer_signals: bool,
    /// The model's parameters (demand, road factors): a file `citytwin calibrate` writes.
    /// Without it, the documented defaults.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// What the city requires of its bike operators (docs/bikes.md); without it the
    /// defaults, `[]` for none.
    #[serde(default = "crate::governance::Rule::defaults")]
    pub rules: Vec<crate::governance::Rule>,
    /// The operators sharing the fleet; without them, one operator runs it all.
    #[serde(default)]
    pub operators: Vec<crate::governance::OperatorSpec>,
}

fn default_true() -> bool {
    true
}

fn default_grid_size() -> f64 {
    100.0
}

fn default_district_level() -> u8 {
    6
}

impl Scene {
    /// The simulated day: `date` (a run's `--date`), else the scene's, else
    /// [`DEFAULT_DATE`](crate::calendar::DEFAULT_DATE), in the scene's time zone.
    pub fn day(
        &self,
        date: Option<crate::calendar::Date>,
    ) -> Result<crate::calendar::SimDay, String> {
        let date = match (date, &self.date) {
            (Some(d), _) => d,
            (None, Some(text)) => text.parse()?,
            (None, None) => crate::calendar::DEFAULT_DATE,
        };
        crate::calendar::SimDay::in_zone(date, self.timezone.as_deref())
    }
}

/// Reading a scene fails as any RON file does: unreadable, or a syntax error with its line.
pub type SceneError = crate::ron_file::RonFileError;

impl Scene {
    /// Reads a scene and makes its paths relative to the current directory.
    pub fn load(path: &Path) -> Result<Scene, SceneError> {
        let mut scene: Scene = crate::ron_file::read(path)?;
        for (field, value) in [("population", scene.population), ("jobs", scene.jobs)] {
            if let Some(v) = value
                && !(v > 0.0 && v.is_finite())
            {
                return Err(crate::ron_file::RonFileError::invalid(
                    path,
                    format!("{field}: expected a positive number, found {v}"),
                ));
            }
        }
        if let Some(zone) = &scene.timezone {
            crate::calendar::check_time_zone(zone).map_err(|why| {
                crate::ron_file::RonFileError::invalid(path, format!("timezone: {why}"))
            })?;
        }
        if let Some(date) = &scene.date {
            let date = date.parse().map_err(|why| {
                crate::ron_file::RonFileError::invalid(path, format!("date: {why}"))
            })?;
            scene.day(Some(date)).map_err(|why| {
                crate::ron_file::RonFileError::invalid(path, format!("date: {why}"))
            })?;
        }
        crate::governance::check(&scene.rules, &scene.operators)
            .map_err(|why| crate::ron_file::RonFileError::invalid(path, why))?;
        let base = path.parent().unwrap_or(Path::new(""));
        for op in &mut scene.operators {
            if let Some(file) = &mut op.blacklist {
                *file = base.join(&*file);
            }
        }
        scene.osm = base.join(&scene.osm);
        scene.bundle = base.join(&scene.bundle);
        for file in scene.layers.values_mut() {
            *file = base.join(&*file);
        }
        for file in [&mut scene.ops, &mut scene.fences, &mut scene.model]
            .into_iter()
            .flatten()
        {
            *file = base.join(&*file);
        }
        Ok(scene)
    }
}
