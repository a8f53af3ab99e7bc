//! What every simulated day of a World starts from, shared between the World and its forks
//! (only a restart reads it).

use crate::ops::OpsSim;
use citytwin_bikes::BikeSim;
use citytwin_traffic::dynamic::signals::Signals;
use citytwin_traffic::dynamic::{QueueNetwork, TripSpec};
use serde::{Deserialize, Serialize};

/// What every simulated day of this World starts from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DayInputs {
    pub net: QueueNetwork,
    pub signals: Signals,
    pub trips: Vec<TripSpec>,
    /// Shared bikes as the day starts, if the World has them.
    pub bikes: Option<BikeSim>,
    pub ops: Option<OpsSim>,
    /// Trips across the extract's edge: (in, out, through).
    pub external: (u64, u64, u64),
}

/// The day's inputs in a checkpoint as they would be unshared (serde's `rc` feature would
/// rebuild every crate that uses serde for this one field).
pub(crate) mod shared_day {
    use super::DayInputs;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(day: &Arc<DayInputs>, s: S) -> Result<S::Ok, S::Error> {
        day.as_ref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<DayInputs>, D::Error> {
        DayInputs::deserialize(d).map(Arc::new)
    }
}
