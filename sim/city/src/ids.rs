//! Newtype ids. They index into the bundle's vectors and never expose petgraph indices.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this id in its owning vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub fn from_index(index: usize) -> Self {
                Self(u32::try_from(index).expect("more than u32::MAX items"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A feature of one layer (its position in that layer).
    FeatureId,
    "f"
);
id_type!(
    /// A node of the road graph: a junction, a dead end, or a signal on a way.
    NodeId,
    "n"
);
id_type!(
    /// A directed road link between two graph nodes.
    LinkId,
    "l"
);
id_type!(
    /// A controlled junction: one or more graph nodes that traffic control treats as one
    /// (the several nodes where two dual carriageways cross).
    JunctionId,
    "j"
);
id_type!(
    /// A district (administrative area) of the city.
    DistrictId,
    "d"
);
id_type!(
    /// A bike parking fence (a dockless parking area or a docked station).
    FenceId,
    "fence"
);
id_type!(
    /// A shared bike of the fleet.
    BikeId,
    "bike"
);
id_type!(
    /// A sensing device or station (SensorThings `Thing`).
    ThingId,
    "thing"
);
id_type!(
    /// One measured quantity of one thing over time (SensorThings `Datastream`): a feed.
    DatastreamId,
    "ds"
);
id_type!(
    /// A crew of a roster (a bike operator's rebalancing crews, or the city's field crews):
    /// its position in that roster.
    CrewId,
    "crew"
);
id_type!(
    /// A bike rebalancing task (its position in the dispatcher's task list).
    TaskId,
    "task"
);
id_type!(
    /// A bike-share operator (its position in the scene's list of operators).
    OperatorId,
    "op"
);
id_type!(
    /// A case (an alarm or a report) in the discover → dispatch → dispose → evaluate loop.
    CaseId,
    "case"
);
