//! The scene's operations file (`scenes/<city>/ops.ron`, named by the scene's `ops:`): the
//! simulated day's date, which sensors exist beyond the virtual ones, the vital signs'
//! thresholds, the services and teams, and where citizens' reports and live feeds come from.
//! Paths are relative to the file.

use crate::catalog::Quantity;
use crate::model::Thresholds;
use crate::services::ServiceCatalog;
use crate::vitals::VitalsConfig;
use citytwin_city::calendar::Date;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsFile {
    /// No longer read: the simulated day is the scene's `date:` and its offset the scene's
    /// `timezone:` (one date for every file a run writes). Kept to say so instead of
    /// "unknown field".
    #[serde(default, skip_serializing)]
    pub date: Option<String>,
    /// No longer read, as `date`.
    #[serde(default, skip_serializing)]
    pub utc_offset_hours: Option<i32>,
    #[serde(default)]
    pub loop_detectors: LoopDetectors,
    /// Air-quality stations whose hourly series is replayed.
    #[serde(default)]
    pub air_quality: Vec<ReplayedStation>,
    /// Which day of their record the stations replay (`YYYY-MM-DD`); without it, a typical
    /// day: the one whose mean AQI is the median of the record's days
    /// (`replay::median_aqi_date`). A smog day is a scenario (`AirQualityDay`).
    #[serde(default)]
    pub air_quality_date: Option<String>,
    /// Any other sensor: it reports live over MQTT.
    #[serde(default)]
    pub live: Vec<LiveSensor>,
    #[serde(default)]
    pub vitals: VitalsConfig,
    /// The services and teams; without it, the default catalogue with its teams sized to the
    /// city's area ([`ServiceCatalog::for_area`]).
    #[serde(default)]
    pub services: Option<ServiceCatalog>,
    /// Citizens' reports: CSV with `time,lon,lat,text` (time as HH:MM).
    #[serde(default)]
    pub reports: Option<PathBuf>,
    /// Topic prefix of live feeds.
    #[serde(default = "default_prefix")]
    pub mqtt_prefix: String,
}

fn default_prefix() -> String {
    "citytwin".into()
}

/// Which car links get a virtual loop detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoopDetectors {
    /// Road classes (OSM `highway` values) that are watched.
    pub classes: Vec<String>,
    /// Links shorter than this are skipped (their counts are mostly junction effects).
    pub min_length_m: f64,
    /// Minutes between a detector's reports.
    pub interval_minutes: u32,
}

impl Default for LoopDetectors {
    fn default() -> Self {
        LoopDetectors {
            classes: ["motorway", "trunk", "primary", "secondary"]
                .map(String::from)
                .to_vec(),
            min_length_m: 150.0,
            interval_minutes: 1,
        }
    }
}

/// A station whose recorded series (a `PRSA_Data_*.csv` file) is replayed at a site of the
/// city. Its name should say that the data is replayed and from where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayedStation {
    pub name: String,
    pub file: PathBuf,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSensor {
    pub name: String,
    /// A built-in quantity by its key (`pm25`, `flow`...) or any other described in full.
    pub quantity: Quantity,
    pub lon: f64,
    pub lat: f64,
    /// Seconds between expected reports.
    pub interval_s: u32,
    #[serde(default)]
    pub thresholds: Option<Thresholds>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpsFileError {
    #[error(transparent)]
    Ron(#[from] citytwin_city::ron_file::RonFileError),
    #[error("{path}: {field}: {reason}")]
    Field {
        path: PathBuf,
        field: String,
        reason: String,
    },
}

impl OpsFile {
    /// Reads and checks an ops file, making its paths relative to the current directory.
    pub fn load(path: &Path) -> Result<OpsFile, OpsFileError> {
        let mut file: OpsFile = citytwin_city::ron_file::read(path)?;
        let field = |field: &str, reason: String| OpsFileError::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            reason,
        };
        for (name, given) in [
            ("date", file.date.is_some()),
            ("utc_offset_hours", file.utc_offset_hours.is_some()),
        ] {
            if given {
                return Err(field(
                    name,
                    "the simulated day is the scene's `date:` and its UTC offset comes from \
                     the scene's `timezone:`; move them there"
                        .into(),
                ));
            }
        }
        if let Some(d) = &file.air_quality_date {
            d.parse::<Date>()
                .map_err(|e| field("air_quality_date", e))?;
        }
        if let Some(services) = &file.services {
            services
                .check()
                .map_err(|e| field("services", e.to_string()))?;
        }
        for (i, s) in file.live.iter().enumerate() {
            if s.interval_s == 0 {
                return Err(field(
                    &format!("live[{i}].interval_s"),
                    "expected 1 or more".into(),
                ));
            }
        }
        file.vitals
            .check()
            .map_err(|(key, why)| field(&format!("vitals.{key}"), why))?;
        if file.loop_detectors.interval_minutes == 0 {
            return Err(field(
                "loop_detectors.interval_minutes",
                "expected 1 or more".into(),
            ));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        for s in &mut file.air_quality {
            s.file = base.join(&s.file);
        }
        if let Some(r) = &mut file.reports {
            *r = base.join(&*r);
        }
        Ok(file)
    }

    /// The catalogue cases go to: the file's own, else the default sized for `area_km2`.
    pub fn catalog(&self, area_km2: f64) -> ServiceCatalog {
        self.services
            .clone()
            .unwrap_or_else(|| ServiceCatalog::for_area(area_km2))
    }
}
