//! Road classes and the defaults used when OSM tags are missing.
//!
//! Defaults follow MATSim's `OsmNetworkReader` table for capacities (vehicles per hour per
//! lane), with speeds adapted to Chinese urban limits (the Road Traffic Safety Law's 30 km/h
//! on roads without a centre line, 50 km/h with one lane each way, signed limits above that on
//! arterials). `docs/road-defaults.md` carries the same table for users.

use super::modes::Modes;
use serde::{Deserialize, Serialize};

/// An OSM `highway=*` class that the road graph keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RoadClass {
    Motorway,
    MotorwayLink,
    Trunk,
    TrunkLink,
    Primary,
    PrimaryLink,
    Secondary,
    SecondaryLink,
    Tertiary,
    TertiaryLink,
    Unclassified,
    Residential,
    LivingStreet,
    Service,
    Track,
    Pedestrian,
    Footway,
    Cycleway,
    Path,
    Steps,
}

/// What a class means when the tags say nothing more.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassDefaults {
    pub lanes_per_direction: u8,
    pub speed_kmh: f32,
    pub capacity_per_lane_vph: f32,
    pub modes: Modes,
    /// One-way for cars unless tagged otherwise (motorways, as OSM implies).
    pub implied_oneway: bool,
}

impl RoadClass {
    pub const ALL: [RoadClass; 20] = [
        RoadClass::Motorway,
        RoadClass::MotorwayLink,
        RoadClass::Trunk,
        RoadClass::TrunkLink,
        RoadClass::Primary,
        RoadClass::PrimaryLink,
        RoadClass::Secondary,
        RoadClass::SecondaryLink,
        RoadClass::Tertiary,
        RoadClass::TertiaryLink,
        RoadClass::Unclassified,
        RoadClass::Residential,
        RoadClass::LivingStreet,
        RoadClass::Service,
        RoadClass::Track,
        RoadClass::Pedestrian,
        RoadClass::Footway,
        RoadClass::Cycleway,
        RoadClass::Path,
        RoadClass::Steps,
    ];

    /// The class of an OSM `highway` value; `None` for values that are not roads we route on
    /// (`proposed`, `construction`, `platform`, `bus_stop`, ...).
    pub fn from_osm(value: &str) -> Option<RoadClass> {
        Some(match value {
            "motorway" => RoadClass::Motorway,
            "motorway_link" => RoadClass::MotorwayLink,
            "trunk" => RoadClass::Trunk,
            "trunk_link" => RoadClass::TrunkLink,
            "primary" => RoadClass::Primary,
            "primary_link" => RoadClass::PrimaryLink,
            "secondary" => RoadClass::Secondary,
            "secondary_link" => RoadClass::SecondaryLink,
            "tertiary" => RoadClass::Tertiary,
            "tertiary_link" => RoadClass::TertiaryLink,
            "unclassified" | "road" => RoadClass::Unclassified,
            "residential" => RoadClass::Residential,
            "living_street" => RoadClass::LivingStreet,
            "service" => RoadClass::Service,
            "track" => RoadClass::Track,
            "pedestrian" => RoadClass::Pedestrian,
            "footway" | "bridleway" | "corridor" => RoadClass::Footway,
            "cycleway" => RoadClass::Cycleway,
            "path" => RoadClass::Path,
            "steps" => RoadClass::Steps,
            _ => return None,
        })
    }

    /// Roads that carry through traffic and that blocks load their trips onto: arterials and
    /// collectors, not motorways or ramps (no access from the side) nor local streets.
    pub fn carries_through_traffic(self) -> bool {
        matches!(
            self,
            RoadClass::Trunk | RoadClass::Primary | RoadClass::Secondary | RoadClass::Tertiary
        )
    }

    /// The OSM value this class is written as in exports.
    pub fn as_osm(self) -> &'static str {
        match self {
            RoadClass::Motorway => "motorway",
            RoadClass::MotorwayLink => "motorway_link",
            RoadClass::Trunk => "trunk",
            RoadClass::TrunkLink => "trunk_link",
            RoadClass::Primary => "primary",
            RoadClass::PrimaryLink => "primary_link",
            RoadClass::Secondary => "secondary",
            RoadClass::SecondaryLink => "secondary_link",
            RoadClass::Tertiary => "tertiary",
            RoadClass::TertiaryLink => "tertiary_link",
            RoadClass::Unclassified => "unclassified",
            RoadClass::Residential => "residential",
            RoadClass::LivingStreet => "living_street",
            RoadClass::Service => "service",
            RoadClass::Track => "track",
            RoadClass::Pedestrian => "pedestrian",
            RoadClass::Footway => "footway",
            RoadClass::Cycleway => "cycleway",
            RoadClass::Path => "path",
            RoadClass::Steps => "steps",
        }
    }

    pub fn defaults(self) -> ClassDefaults {
        use RoadClass::*;
        let all = Modes::CAR | Modes::BIKE | Modes::WALK;
        let slow = Modes::BIKE | Modes::WALK;
        let (lanes, speed, cap, modes, oneway) = match self {
            Motorway => (3, 100.0, 2000.0, Modes::CAR, true),
            MotorwayLink => (1, 60.0, 1500.0, Modes::CAR, true),
            Trunk => (3, 80.0, 2000.0, all, false),
            TrunkLink => (1, 50.0, 1500.0, all, false),
            Primary => (2, 60.0, 1500.0, all, false),
            PrimaryLink => (1, 40.0, 1500.0, all, false),
            Secondary => (2, 50.0, 1000.0, all, false),
            SecondaryLink => (1, 40.0, 1000.0, all, false),
            Tertiary => (1, 40.0, 600.0, all, false),
            TertiaryLink => (1, 30.0, 600.0, all, false),
            Unclassified => (1, 30.0, 600.0, all, false),
            Residential => (1, 30.0, 600.0, all, false),
            LivingStreet => (1, 15.0, 300.0, all, false),
            Service => (1, 20.0, 300.0, all, false),
            Track => (1, 20.0, 300.0, all, false),
            Pedestrian => (1, 5.0, 0.0, slow, false),
            Cycleway => (1, 15.0, 0.0, slow, false),
            Footway | Path => (1, 5.0, 0.0, Modes::WALK, false),
            Steps => (1, 3.0, 0.0, Modes::WALK, false),
        };
        ClassDefaults {
            lanes_per_direction: lanes,
            speed_kmh: speed,
            capacity_per_lane_vph: cap,
            modes,
            implied_oneway: oneway,
        }
    }

    /// Classes drivers route on (what "drivable ways" counts).
    pub fn is_drivable(self) -> bool {
        self.defaults().modes.contains(Modes::CAR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_names_round_trip() {
        for class in RoadClass::ALL {
            assert_eq!(RoadClass::from_osm(class.as_osm()), Some(class));
        }
    }

    #[test]
    fn drivable_classes_have_capacity() {
        for class in RoadClass::ALL.into_iter().filter(|c| c.is_drivable()) {
            assert!(class.defaults().capacity_per_lane_vph > 0.0, "{class:?}");
        }
    }
}
