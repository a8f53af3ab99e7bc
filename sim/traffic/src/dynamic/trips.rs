//! Trips: what the demand asks for, and what became of each.

use citytwin_city::LinkId;
use serde::{Deserialize, Serialize};

/// Why a trip is made (for reports; routing treats all alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Purpose {
    Work,
    Home,
    School,
    Hospital,
    Shopping,
    Other,
    /// A service vehicle added while the day runs (a bike crew's truck).
    Service,
    /// From outside the extract, in by one of its external stations.
    Inbound,
    /// Out of the extract by one of its external stations.
    Outbound,
    /// In by one external station and out by another.
    Through,
}

impl Purpose {
    /// Whether the trip crosses the extract's edge.
    pub fn is_external(self) -> bool {
        matches!(
            self,
            Purpose::Inbound | Purpose::Outbound | Purpose::Through
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Work => "work",
            Purpose::Home => "home",
            Purpose::School => "school",
            Purpose::Hospital => "hospital",
            Purpose::Shopping => "shopping",
            Purpose::Other => "other",
            Purpose::Service => "service",
            Purpose::Inbound => "inbound",
            Purpose::Outbound => "outbound",
            Purpose::Through => "through",
        }
    }
}

/// A car trip from the end of one link to the end of another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TripSpec {
    pub origin_link: LinkId,
    pub dest_link: LinkId,
    pub departure_s: u32,
    pub purpose: Purpose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TripStatus {
    Planned,
    /// No route exists (e.g. every way in is closed).
    NoRoute,
    WaitingToEnter,
    EnRoute,
    Arrived,
}

impl TripStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TripStatus::Planned => "planned",
            TripStatus::NoRoute => "no_route",
            TripStatus::WaitingToEnter => "waiting",
            TripStatus::EnRoute => "en_route",
            TripStatus::Arrived => "arrived",
        }
    }
}

/// What happened to one trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TripRecord {
    pub status: TripStatus,
    pub arrival_s: Option<u32>,
    /// Metres driven so far.
    pub length_m: f64,
    /// Free-flow seconds of the links driven so far.
    pub free_flow_s: u32,
    pub reroutes: u16,
    /// Seconds it waited at its origin for room on its first link.
    pub waited_s: u32,
}

impl TripRecord {
    pub fn planned() -> Self {
        Self {
            status: TripStatus::Planned,
            arrival_s: None,
            length_m: 0.0,
            free_flow_s: 0,
            reroutes: 0,
            waited_s: 0,
        }
    }

    /// Seconds lost against free flow, for an arrived trip.
    pub fn delay_s(&self, spec: &TripSpec) -> Option<i64> {
        let arrival = self.arrival_s?;
        Some(i64::from(arrival) - i64::from(spec.departure_s) - i64::from(self.free_flow_s))
    }
}
