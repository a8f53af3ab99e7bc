//! The model's parameters: how much demand a city makes and how its roads perform. A scene
//! names its file (`model: "model.ron"`); `citytwin calibrate` writes one fitted to
//! observations; without one, the documented defaults apply (docs/demand.md,
//! docs/road-defaults.md).

use citytwin_city::governance::{OperatorSpec, Rule};
use citytwin_city::roads::{RoadClass, RoadNetwork};
use citytwin_city::ron_file::{self, RonFileError};
use citytwin_city::scene::Scene;
use citytwin_traffic::demand::{CityTotals, DemandParams};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParams {
    pub demand: DemandParams,
    pub roads: RoadFactors,
    pub bikes: BikeParams,
}

/// How many shared bikes a city has and how its riders behave (docs/bikes.md gives the
/// sources).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BikeParams {
    /// Shared bikes per 1,000 residents, all operators together: Chinese cities cap each
    /// operator's fleet by population (a cap of 5‰ per operator, two operators: 10‰).
    pub fleet_per_1000_residents: f64,
    /// Rides wished for per bike and day: Chinese dockless fleets turn over 1–4 times a day
    /// (2–3 in busy centres).
    pub rides_per_bike: f64,
    /// Share of riders who look for a fence with room at the end of their ride (the rest, or
    /// all when none has room, leave the bike where they are going).
    pub park_in_fence_share: f64,
    /// How far riders walk from a fence to where they are going (m).
    pub walk_to_fence_m: f64,
    /// How far riders walk to a bike before they give up (m).
    pub walk_to_bike_m: f64,
    /// Bikes per rebalancing crew (a van and its driver).
    pub bikes_per_crew: f64,
}

impl Default for BikeParams {
    fn default() -> Self {
        Self {
            fleet_per_1000_residents: 10.0,
            rides_per_bike: 2.5,
            park_in_fence_share: 0.95,
            walk_to_fence_m: 200.0,
            walk_to_bike_m: 500.0,
            bikes_per_crew: 300.0,
        }
    }
}

impl BikeParams {
    /// Rebalancing crews for a fleet (at least one).
    pub fn crews(&self, fleet: u32) -> u32 {
        ((f64::from(fleet) / self.bikes_per_crew.max(1.0)).ceil() as u32).max(1)
    }

    /// The fleet and the day's ride wishes of a city with `residents`.
    pub fn fleet_and_wishes(&self, residents: f64) -> (u32, u32) {
        let fleet = (residents * self.fleet_per_1000_residents / 1000.0)
            .round()
            .max(0.0);
        (fleet as u32, (fleet * self.rides_per_bike).round() as u32)
    }

    fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("fleet_per_1000_residents", self.fleet_per_1000_residents),
            ("rides_per_bike", self.rides_per_bike),
            ("walk_to_fence_m", self.walk_to_fence_m),
            ("walk_to_bike_m", self.walk_to_bike_m),
            ("bikes_per_crew", self.bikes_per_crew),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("bikes.{name}: expected a number ≥ 0, found {v}"));
            }
        }
        if !(0.0..=1.0).contains(&self.park_in_fence_share) {
            return Err(format!(
                "bikes.park_in_fence_share: expected a share between 0 and 1, found {}",
                self.park_in_fence_share
            ));
        }
        Ok(())
    }
}

/// Multipliers on the class table's (or the tags') capacity and speed, by OSM `highway`
/// class. A class not listed keeps its capacity and drives at [`DEFAULT_SPEED_FACTOR`] of its
/// speed limit in free flow.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadFactors {
    pub capacity: BTreeMap<String, f64>,
    pub speed: BTreeMap<String, f64>,
}

/// Free-flow speed over the speed limit where a model file says nothing: a round figure at the
/// two shipped cities' fits to Amap's peak figures (Chengdu 0.743, Nanjing 0.747; docs/demand.md).
/// Chinese urban streets run below their limits even when empty: signals, crossings, bikes and
/// side access.
pub const DEFAULT_SPEED_FACTOR: f64 = 0.75;

/// Road classes that calibration moves together, with their members.
pub const CLASS_GROUPS: [(&str, &[RoadClass]); 3] = [
    (
        "major",
        &[
            RoadClass::Motorway,
            RoadClass::MotorwayLink,
            RoadClass::Trunk,
            RoadClass::TrunkLink,
            RoadClass::Primary,
            RoadClass::PrimaryLink,
        ],
    ),
    (
        "minor",
        &[
            RoadClass::Secondary,
            RoadClass::SecondaryLink,
            RoadClass::Tertiary,
            RoadClass::TertiaryLink,
        ],
    ),
    (
        "local",
        &[
            RoadClass::Unclassified,
            RoadClass::Residential,
            RoadClass::LivingStreet,
            RoadClass::Service,
            RoadClass::Track,
        ],
    ),
];

impl RoadFactors {
    /// The factors of `class` (capacity, speed).
    pub fn of(&self, class: RoadClass) -> (f64, f64) {
        let get =
            |m: &BTreeMap<String, f64>, default| m.get(class.as_osm()).copied().unwrap_or(default);
        (
            get(&self.capacity, 1.0),
            get(&self.speed, DEFAULT_SPEED_FACTOR),
        )
    }

    /// Sets both factors for every class of a group of [`CLASS_GROUPS`].
    pub fn set_group(&mut self, group: &str, capacity: Option<f64>, speed: Option<f64>) {
        for (name, classes) in CLASS_GROUPS {
            if name != group {
                continue;
            }
            for class in classes {
                if let Some(c) = capacity {
                    self.capacity.insert(class.as_osm().to_string(), c);
                }
                if let Some(s) = speed {
                    self.speed.insert(class.as_osm().to_string(), s);
                }
            }
        }
    }

    /// Applies the factors to every link (capacity of car links, speed of every link).
    pub fn apply(&self, roads: &mut RoadNetwork) {
        for link in &mut roads.links {
            let (c, s) = self.of(link.class);
            link.capacity_vph = (f64::from(link.capacity_vph) * c) as f32;
            link.speed_kmh = (f64::from(link.speed_kmh) * s) as f32;
        }
    }

    fn check(&self) -> Result<(), String> {
        for (what, map) in [("capacity", &self.capacity), ("speed", &self.speed)] {
            for (class, &f) in map {
                if RoadClass::from_osm(class).is_none_or(|c| c.as_osm() != class) {
                    return Err(format!(
                        "roads.{what}: {class:?} is not a road class (motorway, trunk, primary, secondary, tertiary, residential, … as OSM writes them)"
                    ));
                }
                if !(f > 0.0 && f.is_finite()) {
                    return Err(format!(
                        "roads.{what}.{class}: expected a factor > 0, found {f}"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ModelParams {
    pub fn load(path: &Path) -> Result<ModelParams, RonFileError> {
        let params: ModelParams = ron_file::read(path)?;
        params
            .check()
            .map_err(|message| RonFileError::invalid(path, message))?;
        Ok(params)
    }

    /// One-line errors for values out of range, naming the field.
    pub fn check(&self) -> Result<(), String> {
        self.demand.check()?;
        self.bikes.check()?;
        self.roads.check()
    }

    /// The file `load` reads back, with a header of comment lines.
    pub fn to_ron(&self, header: &[String]) -> String {
        let mut text: String = header.iter().map(|l| format!("// {l}\n")).collect();
        text.push_str(&ron_file::to_string(self).unwrap_or_default());
        text.push('\n');
        text
    }
}

/// A scene's model: its parameters file (or the defaults), its official totals, and what it
/// requires of its bike operators.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneModel {
    pub params: ModelParams,
    pub totals: CityTotals,
    pub rules: Vec<Rule>,
    /// Empty: one operator runs the whole fleet.
    pub operators: Vec<OperatorSpec>,
    /// The parameters file `params` came from; `None`: the defaults, fitted to no city.
    pub params_file: Option<std::path::PathBuf>,
}

impl Default for SceneModel {
    fn default() -> Self {
        SceneModel {
            params: ModelParams::default(),
            totals: CityTotals::default(),
            rules: Rule::defaults(),
            operators: Vec::new(),
            params_file: None,
        }
    }
}

impl SceneModel {
    /// The scene's model, with `params` (a `--model` file) in place of the scene's own file.
    pub fn of(scene: &Scene, params: Option<&Path>) -> Result<SceneModel, RonFileError> {
        let params_file = params.or(scene.model.as_deref());
        let params = match params_file {
            Some(path) => ModelParams::load(path)?,
            None => ModelParams::default(),
        };
        Ok(SceneModel {
            params,
            totals: CityTotals {
                population: scene.population,
                jobs: scene.jobs,
            },
            rules: scene.rules.clone(),
            operators: scene.operators.clone(),
            params_file: params_file.map(Path::to_path_buf),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_round_trip_and_bad_classes_are_named() {
        let mut p = ModelParams::default();
        p.demand.scale = 0.8;
        p.roads.set_group("major", Some(1.2), Some(0.9));
        let text = p.to_ron(&["fitted".into()]);
        let back: ModelParams = ron_file::from_str(&text).expect("valid");
        assert_eq!(back, p);
        assert_eq!(back.roads.of(RoadClass::Trunk), (1.2, 0.9));
        assert_eq!(
            back.roads.of(RoadClass::Residential),
            (1.0, DEFAULT_SPEED_FACTOR)
        );

        let mut bad = ModelParams::default();
        bad.roads.capacity.insert("highway".into(), 1.0);
        assert!(
            bad.check()
                .unwrap_err()
                .contains("\"highway\" is not a road class")
        );
        let mut bad = ModelParams::default();
        bad.roads.speed.insert("primary".into(), 0.0);
        assert!(bad.check().unwrap_err().contains("roads.speed.primary"));
        let mut bad = ModelParams::default();
        bad.demand.car_share = 1.5;
        assert!(bad.check().unwrap_err().contains("demand.car_share"));
    }
}
