//! The dynamic traffic model: a mesoscopic queue model on the road graph ([`sim`]), fastest
//! routes by current travel times ([`cch`]; [`router`] where a cost depends on the time of
//! entry; both break ties between equal times alike, [`tie_break`]), fixed-time signals by Webster's method ([`signals`]), and per-link statistics
//! ([`stats`]).

pub mod cch;
pub mod equilibrium;
pub mod net;
pub mod router;
pub mod signals;
pub mod sim;
pub mod stats;
pub mod tie_break;
pub mod trip_ids;
pub mod trips;

pub use equilibrium::{EquilibriumOptions, IterationReport, TimeDependentTimes};
pub use net::{QueueLink, QueueNetwork};
pub use sim::{
    CarPosition, DEFAULT_REROUTE_SHARE, LinkEvent, LinkLoad, TrafficConfig, TrafficSim,
    VehicleCounts,
};
pub use stats::{LinkBin, LinkStats, TrafficSummary};
pub use trip_ids::{TripIds, by_departure};
pub use trips::{Purpose, TripRecord, TripSpec, TripStatus};
