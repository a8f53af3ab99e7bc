//! Car demand for the dynamic model, from three sources:
//!
//! - [`synthetic`]: the demo city's documented synthetic day from land use and POIs;
//! - [`od`]: an OD matrix between zones (TNTP `_trips.tntp` or CSV), spread over the day by a
//!   departure-time profile;
//! - [`trip_list`]: a CSV of individual trips (origin and destination as lon/lat or OSM node).
//!
//! Every source ends as [`TripSpec`]s on car links, sorted by departure time.

pub mod od;
pub mod profile;
pub mod sites;
pub mod synthetic;
pub mod table;
pub mod trip_list;

pub use od::{OdMatrix, ZoneKey, ZoneKind, od_trips};
pub use profile::DepartureProfile;
pub use synthetic::synthetic_day;
pub use trip_list::{Place, TripList, TripRequest, read_trip_list, resolve_trip_list};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DemandError {
    #[error("the city has no residential land use or buildings to start trips from")]
    NoHomes,
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
