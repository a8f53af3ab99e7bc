//! A scene's runs as a library: a scene file (and a scenario, and options) becomes a World
//! ([`build`], [`day`]); a run's results become its files ([`reports`]: summary.json, CSV,
//! Parquet, GeoPackage, GBFS, MDS); several runs become a comparison ([`compare`]). Every
//! `citytwin` command goes through here; the binary only parses arguments, shows progress and
//! prints. GDAL and PROJ are reached only through citytwin-gis.

pub mod assign;
pub mod bikes;
pub mod build;
pub mod calibrate;
pub mod compare;
pub mod day;
pub mod demand;
pub mod error;
pub mod fence_source;
pub mod forecast;
pub mod gbfs;
pub mod html_page;
pub mod job;
pub mod live;
pub mod mds;
pub mod observations;
pub mod ops;
pub mod options;
pub mod output_dir;
pub mod plotting;
pub mod reports;
pub mod route;
pub mod scene;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod traffic_gpkg;
pub mod viewer_day;

pub use build::{Built, WorldSpec, build_world};
pub use day::{DayRequest, DaySource, PreparedDay};
pub use error::{Result, RunError, Setting};
pub use job::{DayJob, JobReport, StateOptions};
pub use options::{BikeOptions, DayOptions, DemandOptions, clock, workers};
pub use output_dir::StagedOutput;
pub use reports::{Network, OutputOptions, RunFacts};
pub use scene::{LoadedScenario, SceneParts, live_prefix, load_scene_city, scene_day};
pub use summary::RunSummary;
pub use viewer_day::ViewerDay;
