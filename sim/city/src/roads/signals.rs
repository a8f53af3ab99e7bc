//! Traffic signals where OSM does not tag them. Mappers tag `highway=traffic_signals` unevenly:
//! the 2018 Chengdu extract tags 2 junctions, the Nanjing one 58, where each centre has
//! hundreds. A junction of major roads without control would let traffic through faster than
//! any real city centre does, so import infers signals with a rule in the spirit of SUMO
//! netconvert's `--tls.guess`:
//!
//! a controlled junction (after joining divided-road crossings) is signalised when
//! 1. at least three car approaches enter it (a crossing or a T, not a bend or a merge);
//! 2. at least two different roads of class tertiary or higher meet there (by name, else by
//!    OSM way): a major road crossing a side street is left to priority rules, as Chinese and
//!    European cities mostly do;
//! 3. the sum of its approaches' lane speeds is at least 250 km/h — netconvert's default
//!    `--tls.guess.threshold` of 69.44 m/s;
//! 4. no approach is a motorway or motorway ramp (those junctions are grade-separated).
//!
//! Tagged signals stay; a scene's `infer_signals: false` turns the rule off.

use super::{RoadClass, RoadNetwork};
use std::collections::BTreeSet;

/// netconvert's `--tls.guess.threshold` (69.44 m/s), in km/h.
pub const LANE_SPEED_SUM_KMH: f64 = 250.0;

fn major(class: RoadClass) -> bool {
    matches!(
        class,
        RoadClass::Trunk
            | RoadClass::TrunkLink
            | RoadClass::Primary
            | RoadClass::PrimaryLink
            | RoadClass::Secondary
            | RoadClass::SecondaryLink
            | RoadClass::Tertiary
            | RoadClass::TertiaryLink
    )
}

/// Marks the junctions the rule signalises (`signals_inferred`); returns how many.
pub fn infer_signals(network: &mut RoadNetwork) -> usize {
    let mut approaches: Vec<Vec<usize>> = vec![Vec::new(); network.junctions.len()];
    for (i, l) in network.links.iter().enumerate() {
        if l.carries_cars() && !l.internal && l.from != l.to {
            approaches[network.nodes[l.to.index()].junction.index()].push(i);
        }
    }
    let mut inferred = 0;
    for (j, links) in approaches.iter().enumerate() {
        if network.junctions[j].signals || links.len() < 3 {
            continue;
        }
        let mut roads = BTreeSet::new();
        let mut lane_speed_kmh = 0.0;
        let mut grade_separated = false;
        for &l in links {
            let link = &network.links[l];
            grade_separated |= matches!(link.class, RoadClass::Motorway | RoadClass::MotorwayLink);
            lane_speed_kmh += f64::from(link.lanes.max(1)) * f64::from(link.speed_kmh);
            if major(link.class) {
                roads.insert(
                    link.name
                        .clone()
                        .unwrap_or_else(|| format!("way {}", link.osm_way_id)),
                );
            }
        }
        if !grade_separated && roads.len() >= 2 && lane_speed_kmh >= LANE_SPEED_SUM_KMH {
            let junction = &mut network.junctions[j];
            junction.signals = true;
            junction.signals_inferred = true;
            inferred += 1;
        }
    }
    inferred
}
