//! Shared bikes: the supply side and the governance platform's eyes.
//!
//! - [`gbfs`]: GBFS feeds (2.x and 3.0): docks, parked vehicles and zones read with errors
//!   that name the file and field, and the simulated system written as GBFS 2.3 or 3.0.
//! - [`fence`]: parking fences (polygons with a capacity; a dock is a fence with a hard
//!   capacity) in an R-tree, with exact point-in-polygon lookup and per-fence counts.
//! - [`osm_fences`]: fences and monitoring points generated from a city's OSM POIs (subway
//!   entrances, bus stops, schools, hospitals, shops) where no fence layer exists.
//! - [`alarms`]: overflow and empty alarms with hysteresis, as the monitoring points raise them.
//! - [`blacklist`]: the operator's list of bikes that must not be on the street.
//! - [`dispatch`] and [`forecast`]: reactive and proactive rebalancing by crews with trucks.
//! - [`demand`] and [`dockless`]: a synthetic day of riders on generated fences, and the
//!   dockless day itself (riding, parking in or outside fences, counts, alarms).
//! - [`docked`]: a docked system replayed from demand and truck moves (the validation
//!   against the real Oslo week).
//! - [`governance`] and [`mds`]: the city's rules checked per operator through the day, and
//!   written as MDS 2.0 Policy and Geography files.
//! - [`series`]: real occupancy series (Oslo Bysykkel) turned into departures and arrivals per
//!   station and hour, the demand signal the simulation is validated against.
//!
//! Positions are in the city's metric CRS; feeds give lon/lat, so readers take a projection
//! closure from the caller (PROJ lives in `citytwin-gis`).

pub mod alarms;
pub mod blacklist;
pub mod demand;
pub mod dispatch;
pub mod docked;
pub mod dockless;
pub mod fence;
pub mod forecast;
pub mod gbfs;
pub mod governance;
pub mod mds;
pub mod osm_fences;
pub mod plan_edits;
pub mod series;

pub use alarms::{AlarmEvent, AlarmKind, AlarmRules, FenceAlarms};
pub use dispatch::{CrewShift, DispatchConfig, Rebalancing};
pub use dockless::{BikeSim, BikeState, BikeSummary, DocklessConfig, FleetStates};
pub use fence::{Fence, FenceError, Fences};
pub use gbfs::{GbfsError, GbfsStation, GbfsStatus, GbfsVehicle, GbfsVersion, GbfsZone};
pub use governance::{GovernanceReport, OperatorConfig, OperatorReport, RuleReport};
pub use osm_fences::{FencePlan, FenceSite};
pub use plan_edits::PlannedFence;
pub use series::{HourlyFlow, OccupancySeries, SeriesError};
