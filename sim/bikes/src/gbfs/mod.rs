//! GBFS feeds (General Bikeshare Feed Specification), versions 2.x and 3.0: the files a
//! bike-share system publishes for its docks, parked vehicles and zones. Read from real
//! systems ([`read`]) and written for the simulated one ([`write`](mod@write)), so that GBFS tools see
//! citytwin as a live system. Differences handled: 3.0 localises names
//! (`[{text, language}]`), counts `num_vehicles_available` instead of `num_bikes_available`,
//! lists `vehicles` in `vehicle_status` instead of `bikes` in `free_bike_status`, and writes
//! times as RFC 3339 strings instead of POSIX seconds.

use geo::MultiPolygon;
use std::path::PathBuf;

pub mod read;
pub mod simulated;
pub mod write;

pub use read::{
    read_geofencing_zones, read_station_information, read_station_status, read_vehicle_status,
};
pub use write::{
    GbfsSnapshot, GbfsSystem, GbfsVersion, StationSnapshot, VehicleSnapshot, check_feed_url,
    write_feeds,
};

#[derive(Debug, thiserror::Error)]
pub enum GbfsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {field}: expected {expected}")]
    Field {
        path: PathBuf,
        field: String,
        expected: &'static str,
    },
    #[error("{what}: could not project to WGS84 lon/lat")]
    Projection { what: String },
    #[error("{path}: {field}: id {id} is listed twice (first at {first})")]
    Duplicate {
        path: PathBuf,
        field: String,
        id: String,
        first: String,
    },
}

/// A dock from `station_information`.
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsStation {
    pub id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub capacity: Option<u32>,
    /// A virtual station (a painted area, no docks), and its area in lon/lat when given.
    pub is_virtual: bool,
    pub area: Option<MultiPolygon<f64>>,
}

/// A dock's state from `station_status`.
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsStatus {
    pub id: String,
    pub bikes_available: u32,
    pub docks_available: Option<u32>,
    pub is_renting: bool,
    pub is_returning: bool,
    /// POSIX seconds.
    pub last_reported: Option<i64>,
}

/// A zone of `geofencing_zones`, in lon/lat.
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsZone {
    pub name: String,
    pub area: MultiPolygon<f64>,
}

/// A parked vehicle from `vehicle_status` (3.0) or `free_bike_status` (2.x).
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsVehicle {
    pub id: String,
    /// Absent when the vehicle is at a station (its position is the station's).
    pub lon_lat: Option<(f64, f64)>,
    pub station_id: Option<String>,
    pub is_reserved: bool,
    pub is_disabled: bool,
}
