//! How an OSM way's tags become road attributes per direction.

use super::class::RoadClass;
use super::modes::Modes;
use std::collections::BTreeMap;

/// OSM tags of one element.
pub type Tags = BTreeMap<String, String>;

/// What one direction of a way allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DirectionSpec {
    pub modes: Modes,
    pub lanes: u8,
    pub speed_kmh: f32,
}

/// A way read as a road: its class, vertical level and both directions.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadSpec {
    pub class: RoadClass,
    pub name: Option<String>,
    /// Vertical level: the `layer` tag, else +1 for bridges and -1 for tunnels, else 0.
    pub level: i8,
    pub forward: DirectionSpec,
    pub backward: DirectionSpec,
    /// One-way for cars (in the forward direction after `oneway=-1` is normalised).
    pub car_oneway: bool,
    pub capacity_per_lane_vph: f32,
}

/// Why a way with a `highway` tag is not in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRoutable {
    /// Not a road class we route on (e.g. `highway=proposed`): silently ignored.
    NotARoad,
    /// A road, but nobody may use it (e.g. `access=no`) or it is an area.
    Unusable(String),
}

fn is_yes(v: Option<&String>) -> Option<bool> {
    match v.map(String::as_str) {
        Some("yes" | "true" | "1" | "designated" | "permissive" | "destination") => Some(true),
        Some("no" | "false" | "0" | "private" | "use_sidepath") => Some(false),
        _ => None,
    }
}

/// Parses `maxspeed` values: `50`, `50 km/h`, `30 mph`; `None` for `signals`, `none`, zones.
pub fn parse_maxspeed(value: &str) -> Option<f32> {
    let v = value.trim();
    let (number, factor) = if let Some(n) = v.strip_suffix("mph") {
        (n.trim(), 1.609_344)
    } else if let Some(n) = v.strip_suffix("km/h").or_else(|| v.strip_suffix("kmh")) {
        (n.trim(), 1.0)
    } else {
        (v, 1.0)
    };
    let speed: f32 = number.parse().ok()?;
    (speed > 0.0 && speed.is_finite()).then_some(speed * factor)
}

fn parse_lanes(value: Option<&String>) -> Option<u8> {
    let n: u8 = value?.split(';').next()?.trim().parse().ok()?;
    (n > 0).then_some(n)
}

/// Reads a way's tags as a road. `Err(NotARoad)` for ways that are not roads at all.
/// The modes the class allows, as the way's access tags change them.
fn allowed_modes(tags: &Tags, class_modes: Modes) -> Modes {
    let mut modes = class_modes;
    if matches!(
        tags.get("access").map(String::as_str),
        Some("no" | "private")
    ) {
        modes = Modes::NONE;
    }
    for key in ["vehicle", "motor_vehicle", "motorcar"] {
        if let Some(allowed) = is_yes(tags.get(key)) {
            modes = modes.with(Modes::CAR, allowed);
        }
    }
    if let Some(allowed) = is_yes(tags.get("vehicle")) {
        modes = modes.with(Modes::BIKE, allowed);
    }
    if let Some(allowed) = is_yes(tags.get("bicycle")) {
        modes = modes.with(Modes::BIKE, allowed);
    }
    if let Some(allowed) = is_yes(tags.get("foot")) {
        modes = modes.with(Modes::WALK, allowed);
    }
    if tags.get("motorroad").map(String::as_str) == Some("yes") {
        modes = modes.with(Modes::BIKE | Modes::WALK, false);
    }
    modes
}

/// What `oneway` (a roundabout's, or the class's implied one, when untagged) leaves each
/// direction of the drawing; `oneway=-1` is normalised by reversing forward and backward.
struct OneWay {
    forward_modes: Modes,
    backward_modes: Modes,
    oneway_forward: bool,
    oneway_backward: bool,
}

impl OneWay {
    fn of(tags: &Tags, modes: Modes, implied: bool) -> OneWay {
        let roundabout = matches!(
            tags.get("junction").map(String::as_str),
            Some("roundabout" | "circular")
        );
        let (oneway_forward, oneway_backward) = match tags.get("oneway").map(String::as_str) {
            Some("yes" | "true" | "1") => (true, false),
            Some("-1" | "reverse") => (false, true),
            Some("no" | "false" | "0") => (false, false),
            _ => (roundabout || implied, false),
        };
        let bike_against_oneway = tags.get("oneway:bicycle").map(String::as_str) == Some("no")
            || [
                "cycleway",
                "cycleway:left",
                "cycleway:right",
                "cycleway:both",
            ]
            .iter()
            .any(|k| tags.get(*k).is_some_and(|v| v.starts_with("opposite")));
        // On car-free ways (cycleways), `oneway` is about bikes; walkers always go both ways.
        let closed = if !modes.contains(Modes::CAR) || !bike_against_oneway {
            Modes::CAR | Modes::BIKE
        } else {
            Modes::CAR
        };
        let against = |one_way: bool| {
            if one_way {
                modes.with(closed, false)
            } else {
                modes
            }
        };
        OneWay {
            forward_modes: against(oneway_backward),
            backward_modes: against(oneway_forward),
            oneway_forward,
            oneway_backward,
        }
    }
}

/// The way's level: its `layer`, else 1 on a bridge, -1 in a tunnel, 0 elsewhere.
fn level_of(tags: &Tags) -> i8 {
    tags.get("layer")
        .and_then(|l| l.trim().parse::<i8>().ok())
        .unwrap_or_else(|| {
            if tags.get("bridge").is_some_and(|v| v != "no") {
                1
            } else if tags.get("tunnel").is_some_and(|v| v != "no") {
                -1
            } else {
                0
            }
        })
}

pub fn road_spec(tags: &Tags) -> Result<RoadSpec, NotRoutable> {
    let class = tags
        .get("highway")
        .and_then(|h| RoadClass::from_osm(h))
        .ok_or(NotRoutable::NotARoad)?;
    if is_yes(tags.get("area")) == Some(true) {
        return Err(NotRoutable::Unusable(
            "area=yes (a square, not a way)".into(),
        ));
    }
    let defaults = class.defaults();
    let modes = allowed_modes(tags, defaults.modes);
    if modes.is_empty() {
        return Err(NotRoutable::Unusable(
            "no mode may use it (access tags)".into(),
        ));
    }

    let OneWay {
        forward_modes,
        backward_modes,
        oneway_forward,
        oneway_backward,
    } = OneWay::of(tags, modes, defaults.implied_oneway);
    let car_oneway = modes.contains(Modes::CAR) && (oneway_forward || oneway_backward);

    let total_lanes = parse_lanes(tags.get("lanes"));
    let split = |own: Option<u8>, share: fn(u8) -> u8| -> u8 {
        own.or_else(|| total_lanes.map(|n| if car_oneway { n } else { share(n).max(1) }))
            .unwrap_or(defaults.lanes_per_direction)
    };
    let lanes_forward = split(parse_lanes(tags.get("lanes:forward")), |n| n.div_ceil(2));
    let lanes_backward = split(parse_lanes(tags.get("lanes:backward")), |n| n / 2);

    let maxspeed = tags.get("maxspeed").and_then(|v| parse_maxspeed(v));
    let speed = |key: &str| {
        tags.get(key)
            .and_then(|v| parse_maxspeed(v))
            .or(maxspeed)
            .unwrap_or(defaults.speed_kmh)
    };

    let mut forward = DirectionSpec {
        modes: forward_modes,
        lanes: lanes_forward,
        speed_kmh: speed("maxspeed:forward"),
    };
    let mut backward = DirectionSpec {
        modes: backward_modes,
        lanes: lanes_backward,
        speed_kmh: speed("maxspeed:backward"),
    };
    if oneway_backward {
        // the car direction is against the drawing direction: its lanes are the way's lanes
        std::mem::swap(&mut forward.lanes, &mut backward.lanes);
    }
    Ok(RoadSpec {
        class,
        name: tags.get("name").cloned(),
        level: level_of(tags),
        forward,
        backward,
        car_oneway,
        // a car-free class opened to cars by its tags (a pedestrian street with
        // motor_vehicle=yes) carries them as a living street does
        capacity_per_lane_vph: if defaults.capacity_per_lane_vph > 0.0
            || !modes.contains(Modes::CAR)
        {
            defaults.capacity_per_lane_vph
        } else {
            RoadClass::LivingStreet.defaults().capacity_per_lane_vph
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn two_way_residential_gets_defaults() {
        let spec = road_spec(&tags(&[("highway", "residential")])).unwrap();
        assert_eq!(spec.forward.lanes, 1);
        assert_eq!(spec.forward.speed_kmh, 30.0);
        assert!(spec.backward.modes.contains(Modes::CAR));
        assert!(!spec.car_oneway);
    }

    #[test]
    fn oneway_minus_one_allows_cars_only_backward() {
        let spec = road_spec(&tags(&[
            ("highway", "primary"),
            ("oneway", "-1"),
            ("lanes", "3"),
        ]))
        .unwrap();
        assert!(!spec.forward.modes.contains(Modes::CAR));
        assert!(spec.backward.modes.contains(Modes::CAR));
        assert_eq!(spec.backward.lanes, 3);
        assert!(spec.forward.modes.contains(Modes::WALK));
        assert!(spec.car_oneway);
    }

    #[test]
    fn roundabouts_and_motorways_are_oneway() {
        let r = road_spec(&tags(&[
            ("highway", "tertiary"),
            ("junction", "roundabout"),
        ]))
        .unwrap();
        assert!(r.car_oneway && !r.backward.modes.contains(Modes::CAR));
        let m = road_spec(&tags(&[("highway", "motorway")])).unwrap();
        assert!(m.car_oneway && m.backward.modes.is_empty());
    }

    #[test]
    fn bikes_may_ride_against_oneway_when_tagged() {
        let spec = road_spec(&tags(&[
            ("highway", "residential"),
            ("oneway", "yes"),
            ("oneway:bicycle", "no"),
        ]))
        .unwrap();
        assert!(spec.backward.modes.contains(Modes::BIKE));
        assert!(!spec.backward.modes.contains(Modes::CAR));
    }

    #[test]
    fn lanes_split_between_directions() {
        let spec = road_spec(&tags(&[("highway", "secondary"), ("lanes", "5")])).unwrap();
        assert_eq!((spec.forward.lanes, spec.backward.lanes), (3, 2));
        let spec = road_spec(&tags(&[
            ("highway", "secondary"),
            ("lanes:forward", "1"),
            ("lanes:backward", "2"),
        ]))
        .unwrap();
        assert_eq!((spec.forward.lanes, spec.backward.lanes), (1, 2));
    }

    #[test]
    fn maxspeed_units() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed("60 km/h"), Some(60.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("signals"), None);
    }

    #[test]
    fn access_and_levels() {
        assert!(road_spec(&tags(&[("highway", "service"), ("access", "private")])).is_err());
        assert_eq!(
            road_spec(&tags(&[("highway", "proposed")])),
            Err(NotRoutable::NotARoad)
        );
        let bridge = road_spec(&tags(&[("highway", "primary"), ("bridge", "yes")])).unwrap();
        assert_eq!(bridge.level, 1);
        let layered = road_spec(&tags(&[
            ("highway", "primary"),
            ("bridge", "yes"),
            ("layer", "2"),
        ]))
        .unwrap();
        assert_eq!(layered.level, 2);
        let foot = road_spec(&tags(&[("highway", "footway"), ("bicycle", "yes")])).unwrap();
        assert!(foot.forward.modes.contains(Modes::BIKE));
    }
}
