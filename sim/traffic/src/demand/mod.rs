//! Car demand for the dynamic model, from three sources:
//!
//! - [`synthetic`]: the city's documented synthetic day: residents and jobs estimated from
//!   the map ([`activity`]), and traffic across the extract's edge ([`external`]);
//! - [`od`]: an OD matrix between zones (TNTP `_trips.tntp` or CSV), spread over the day by a
//!   departure-time profile;
//! - [`trip_list`]: a CSV of individual trips (origin and destination as lon/lat or OSM node).
//!
//! Every source ends as [`TripSpec`](crate::dynamic::TripSpec)s on car links, sorted by departure time.

pub mod activity;
pub mod external;
pub mod od;
pub mod profile;
pub mod sites;
pub mod synthetic;
pub mod table;
pub mod trip_list;

pub use activity::{ActivityParams, ActivitySources};
pub use external::ExternalCounts;
pub use od::{OdMatrix, ZoneKey, ZoneKind, od_trips};
pub use profile::DepartureProfile;
pub use synthetic::{CityDay, CityTotals, DemandParams, city_day, residents, synthetic_day};
pub use trip_list::{Place, TripList, TripRequest, read_trip_list, resolve_trip_list};

use std::path::PathBuf;

/// The most car trips one simulated day may hold: 20 times issue 22's million-trip regional
/// day, beyond any single city's car traffic (Beijing's residents make about 40 million trips
/// a day by all modes, a third by car).
pub const MAX_DAY_TRIPS: u64 = 20_000_000;

/// Whole-process bytes per trip of a day measured on the million-trip regional network
/// (815 MiB, docs/benchmarks.md), rounded up: what the estimate of a day's memory uses.
pub const BYTES_PER_TRIP: u64 = 900;

/// Refuses a day of `trips` trips (from `what`: a flag, a file) that is over
/// [`MAX_DAY_TRIPS`] or would not fit in this machine's free memory.
pub fn check_day_size(what: &str, trips: f64) -> Result<(), DemandError> {
    if !(trips.is_finite() && trips >= 0.0) || trips > MAX_DAY_TRIPS as f64 {
        return Err(DemandError::Params(format!(
            "{what}: {trips:.0} trips in a day; at most {MAX_DAY_TRIPS}"
        )));
    }
    citytwin_city::memory::check_fits(what, trips as u64, BYTES_PER_TRIP)
        .map_err(DemandError::Params)
}

#[derive(Debug, thiserror::Error)]
pub enum DemandError {
    #[error(
        "the city has no homes, work places or streets to start trips from, and no major road crossing its edge"
    )]
    NoHomes,
    #[error("{0}")]
    Params(String),
    #[error("the city has no car links to put trips on")]
    NoRoads,
    #[error(transparent)]
    Tntp(#[from] crate::tntp::TntpError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl DemandError {
    pub(crate) fn parse(path: &std::path::Path, line: usize, message: impl Into<String>) -> Self {
        DemandError::Parse {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        DemandError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
