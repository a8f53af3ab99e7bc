//! What can go wrong between a scene file and a run's outputs, by kind: a caller can tell a
//! bad option from a bad input file, a missing bundle or a failed write.

use std::path::PathBuf;
use thiserror::Error;

/// A run's option, as a library caller sets it (a front end shows its own spelling, e.g. a
/// command-line flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    RerouteShare,
    OdScale,
    Window,
    Date,
    BikeFleet,
    Crews,
    CrewShift,
    BreakdownRate,
    GbfsUrl,
    GbfsAt,
    ForecastAt,
    Iterations,
    ReplanShare,
    TargetGap,
    Pace,
    StopAt,
    /// A static assignment's target relative gap.
    AssignGap,
}

impl Setting {
    pub fn name(self) -> &'static str {
        match self {
            Setting::RerouteShare => "reroute_share",
            Setting::OdScale => "od_scale",
            Setting::Window => "window",
            Setting::Date => "date",
            Setting::BikeFleet => "bike_fleet",
            Setting::Crews => "crews",
            Setting::CrewShift => "crew_shift",
            Setting::BreakdownRate => "breakdown_rate",
            Setting::GbfsUrl => "gbfs_url",
            Setting::GbfsAt => "gbfs_at",
            Setting::ForecastAt => "forecast_at",
            Setting::Iterations => "iterations",
            Setting::ReplanShare => "replan_share",
            Setting::TargetGap => "target_gap",
            Setting::Pace => "pace",
            Setting::StopAt => "stop_at",
            Setting::AssignGap => "assign_gap",
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Error)]
pub enum RunError {
    /// An option out of its range: `value` as given, `expected` what would do.
    #[error("{setting} {value}: {expected}")]
    Setting {
        setting: Setting,
        value: String,
        expected: String,
    },
    #[error("{}: no city bundle; import the scene {} first", bundle.display(), scene.display())]
    NoBundle { bundle: PathBuf, scene: PathBuf },
    #[error("{}: the scenario is for scene {}, not {}", file.display(), base.display(), scene.display())]
    ScenarioForAnotherScene {
        file: PathBuf,
        base: PathBuf,
        scene: PathBuf,
    },
    /// An input file whose content is not what it should be (`what` names the line or field).
    #[error("{}: {what}", file.display())]
    BadInput { file: PathBuf, what: String },
    /// A line of an input file that is not what it should be.
    #[error("{}:{line}: {what}", file.display())]
    BadLine {
        file: PathBuf,
        line: u64,
        what: String,
    },
    /// A file or folder that could not be read, written, created or moved.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// An output folder that holds files of the user's own (not an earlier run's).
    #[error("{}: not empty and not an earlier run's outputs (no summary.json); choose an empty or new folder, or replace it on purpose", .0.display())]
    OutputNotEmpty(PathBuf),
    #[error("{}: a file, not a folder; choose another output folder", .0.display())]
    OutputIsFile(PathBuf),
    #[error("drawing {picture} failed: {reason}")]
    Drawing {
        picture: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Font(String),
    #[error(transparent)]
    Endpoint(#[from] citytwin_live::endpoint::EndpointError),
    /// The broker could not be reached or refused the twin.
    #[error(transparent)]
    Live(#[from] citytwin_live::LiveError),
    #[error("a live run needs the scene's ops file (its live sensors); the scene has none")]
    NoLiveSensors,
    /// An input file that changed while the day ran: a state saved now could not be told
    /// from one of the new file's.
    #[error("{}: changed while the day ran, so its state was not saved (the day's reports were)", .0.display())]
    InputChanged(PathBuf),
    /// Stopped (Ctrl-C) at simulated time `at`, before anything could be written.
    #[error("interrupted at {}: {lost}", crate::options::clock(*at))]
    Interrupted { at: u32, lost: &'static str },
    /// Bike outputs asked of a run without shared bikes (a fleet of 0).
    #[error("{asked_for}{}: the run has no shared bikes (bike fleet 0)", at.map(|t| format!(" at {}", crate::options::clock(t))).unwrap_or_default())]
    NoBikes {
        asked_for: &'static str,
        at: Option<u32>,
    },
    #[error("GBFS at {}: {source}", crate::options::clock(*at))]
    GbfsAt {
        at: u32,
        source: citytwin_bikes::gbfs::GbfsError,
    },
    #[error("air quality of {date}: {reason}")]
    AirQualityReplay {
        date: citytwin_city::calendar::Date,
        reason: String,
    },
    #[error("interrupted before any seed had both runs finished; nothing to compare ({runs} run summaries in {})", folder.display())]
    NothingToCompare { runs: usize, folder: PathBuf },
    #[error("starting the worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error(transparent)]
    RonFile(#[from] citytwin_city::ron_file::RonFileError),
    #[error(transparent)]
    Bundle(#[from] citytwin_city::bundle::BundleError),
    /// Boxed: GDAL's errors are large, and every `Result` here would carry their size.
    #[error(transparent)]
    Gis(Box<citytwin_gis::GisError>),
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[error(transparent)]
    Demand(#[from] citytwin_traffic::demand::DemandError),
    #[error(transparent)]
    Sumo(#[from] citytwin_traffic::sumo::SumoError),
    #[error(transparent)]
    Tntp(#[from] citytwin_traffic::tntp::TntpError),
    #[error("building the World: {0}")]
    World(#[from] citytwin_sim::WorldError),
    #[error(transparent)]
    Scenario(#[from] citytwin_sim::scenario::ScenarioError),
    #[error(transparent)]
    Calibrate(#[from] citytwin_sim::calibrate::CalibrateError),
    #[error(transparent)]
    Checkpoint(#[from] citytwin_sim::checkpoint::CheckpointError),
    #[error(transparent)]
    Blacklist(#[from] citytwin_bikes::blacklist::BlacklistError),
    #[error(transparent)]
    Fence(#[from] citytwin_bikes::fence::FenceError),
    #[error(transparent)]
    Gbfs(#[from] citytwin_bikes::gbfs::GbfsError),
    #[error(transparent)]
    Mds(#[from] citytwin_bikes::mds::MdsError),
    #[error(transparent)]
    OpsFile(#[from] citytwin_ops::setup::OpsFileError),
    #[error(transparent)]
    Replay(#[from] citytwin_ops::replay::ReplayError),
    #[error("summary.json: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<citytwin_gis::GisError> for RunError {
    fn from(e: citytwin_gis::GisError) -> RunError {
        RunError::Gis(Box::new(e))
    }
}

impl RunError {
    pub(crate) fn setting(
        setting: Setting,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> RunError {
        RunError::Setting {
            setting,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    pub fn bad_input(file: impl Into<PathBuf>, what: impl std::fmt::Display) -> RunError {
        RunError::BadInput {
            file: file.into(),
            what: what.to_string(),
        }
    }

    /// An I/O failure while `action` (e.g. "writing") on `path`, as a closure for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RunError {
        let path = path.into();
        move |source| RunError::Io {
            action,
            path,
            source,
        }
    }
}

pub type Result<T, E = RunError> = std::result::Result<T, E>;
