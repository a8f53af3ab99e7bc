//! An import's settings: a scene's, with what the caller gives on top of them (or without a
//! scene at all), checked before anything is read.

use crate::error::{GisError, Result};
use crate::import::ImportOptions;
use citytwin_city::roads::build::BuildOptions;
use citytwin_city::scene::Scene;
use std::path::{Path, PathBuf};

/// A setting an import may refuse, so a caller can name it in its own terms (a flag, a field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportSetting {
    GridSize,
    GridPrefix,
    JunctionJoin,
}

impl ImportSetting {
    /// The setting in words.
    pub fn describe(self) -> &'static str {
        match self {
            ImportSetting::GridSize => "grid size",
            ImportSetting::GridPrefix => "grid prefix",
            ImportSetting::JunctionJoin => "junction join distance",
        }
    }
}

/// An extra layer as a command line gives it, `NAME=FILE` (e.g. `fences=zones.gpkg`).
pub fn parse_layer_spec(spec: &str) -> Result<(String, PathBuf), GisError> {
    match spec.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            Ok((name.to_string(), PathBuf::from(file)))
        }
        _ => Err(GisError::BadLayerSpec {
            spec: spec.to_string(),
            reason: "expected NAME=FILE with both parts non-empty, e.g. fences=zones.gpkg".into(),
        }),
    }
}

/// What a caller sets over a scene's import settings; `None` keeps the scene's (or the
/// default without a scene).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOverrides {
    pub osm: Option<PathBuf>,
    pub output: Option<PathBuf>,
    /// Extra layers after the scene's: (name, file).
    pub layers: Vec<(String, PathBuf)>,
    pub crs: Option<String>,
    pub assume_crs: Option<String>,
    pub grid_size_m: Option<f64>,
    pub grid_prefix: Option<String>,
    pub district_admin_level: Option<u8>,
    pub junction_join_m: Option<f64>,
    pub name: Option<String>,
}

/// A city named after its extract's file (`chengdu_center_2018.osm` → `chengdu_center_2018`).
fn name_of(osm: &Path) -> String {
    osm.file_name()
        .and_then(|n| n.to_string_lossy().split('.').next().map(str::to_string))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "city".into())
}

impl ImportOptions {
    /// The options of an import of `scene` (if any) with `set` over them, checked; and where
    /// its bundle goes.
    pub fn resolve(
        scene: Option<&Scene>,
        set: ImportOverrides,
    ) -> Result<(ImportOptions, PathBuf)> {
        let osm = set
            .osm
            .or_else(|| scene.map(|s| s.osm.clone()))
            .ok_or(GisError::NoInput)?;
        let output = set
            .output
            .or_else(|| scene.map(|s| s.bundle.clone()))
            .ok_or(GisError::NoOutput)?;
        let mut layers: Vec<(String, PathBuf)> = scene
            .map(|s| {
                s.layers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        layers.extend(set.layers);
        let roads = BuildOptions {
            junction_join_m: set
                .junction_join_m
                .unwrap_or(BuildOptions::default().junction_join_m),
            infer_signals: scene.is_none_or(|s| s.infer_signals),
            ..BuildOptions::default()
        };
        let options = ImportOptions {
            name: set
                .name
                .or_else(|| scene.map(|s| s.name.clone()))
                .unwrap_or_else(|| name_of(&osm)),
            osm,
            layers,
            crs: set.crs.or_else(|| scene.and_then(|s| s.crs.clone())),
            assume_crs: set.assume_crs,
            grid_size_m: set
                .grid_size_m
                .or(scene.map(|s| s.grid_size_m))
                .unwrap_or(100.0),
            grid_prefix: set
                .grid_prefix
                .or_else(|| scene.map(|s| s.grid_prefix.clone()))
                .unwrap_or_default(),
            district_admin_level: set
                .district_admin_level
                .or(scene.map(|s| s.district_admin_level))
                .unwrap_or(6),
            roads,
            attribution: scene.map(|s| s.attribution.clone()).unwrap_or_default(),
        };
        options.check_settings()?;
        Ok((options, output))
    }

    /// The grid's cell size and division code and the junction join distance, in range.
    pub fn check_settings(&self) -> Result<()> {
        let refuse = |setting, value: String, expected: &'static str| {
            Err(GisError::Setting {
                setting,
                value,
                expected,
            })
        };
        // China's unit grid cells are about 100 m; below 10 m a city has hundreds of millions
        if !(10.0..=10_000.0).contains(&self.grid_size_m) {
            let size = self.grid_size_m.to_string();
            return refuse(ImportSetting::GridSize, size, "expected 10 to 10000 metres");
        }
        // a GB/T 2260 division code: digits (a comma would break every CSV the cells appear in)
        let prefix = &self.grid_prefix;
        if prefix.len() > 12 || !prefix.chars().all(|c| c.is_ascii_digit()) {
            return refuse(
                ImportSetting::GridPrefix,
                format!("{prefix:?}"),
                "expected up to 12 digits (a GB/T 2260 code, e.g. 510100)",
            );
        }
        let join = self.roads.junction_join_m;
        if !(0.0..=100.0).contains(&join) {
            let join = join.to_string();
            return refuse(
                ImportSetting::JunctionJoin,
                join,
                "expected 0 to 100 metres",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_is_given_as_name_equals_file() {
        let spec = parse_layer_spec("fences=data/zones.gpkg").unwrap();
        assert_eq!(spec, ("fences".into(), PathBuf::from("data/zones.gpkg")));
        // the file may itself hold '='; the name may not be empty, nor the file
        let spec = parse_layer_spec("a=b=c.gpkg").unwrap();
        assert_eq!(spec.1, PathBuf::from("b=c.gpkg"));
        for bad in ["fences", "=zones.gpkg", "fences=", ""] {
            assert!(matches!(
                parse_layer_spec(bad),
                Err(GisError::BadLayerSpec { .. })
            ));
        }
    }

    #[test]
    fn the_callers_settings_go_over_the_scenes_and_are_checked() {
        let set = ImportOverrides {
            osm: Some("a/nanjing_2019.osm.pbf".into()),
            output: Some("out.ctb".into()),
            ..ImportOverrides::default()
        };
        let (options, output) = ImportOptions::resolve(None, set.clone()).unwrap();
        assert_eq!(options.name, "nanjing_2019");
        assert_eq!(
            (options.grid_size_m, output),
            (100.0, PathBuf::from("out.ctb"))
        );
        let too_fine = ImportOverrides {
            grid_size_m: Some(0.5),
            ..set.clone()
        };
        let e = ImportOptions::resolve(None, too_fine).unwrap_err();
        assert_eq!(e.to_string(), "grid size 0.5: expected 10 to 10000 metres");
        let comma = ImportOverrides {
            grid_prefix: Some("51,0100".into()),
            ..set
        };
        let e = ImportOptions::resolve(None, comma).unwrap_err();
        assert!(matches!(
            e,
            GisError::Setting {
                setting: ImportSetting::GridPrefix,
                ..
            }
        ));
        let e = ImportOptions::resolve(None, ImportOverrides::default()).unwrap_err();
        assert!(matches!(e, GisError::NoInput));
    }
}
