//! The city's fences and governance rules as Mobility Data Specification 2.0 Policy and
//! Geography files (`policies.json`, `geographies.json`: MDS's flat-file form of its Policy
//! and Geography APIs), so an operator's or a regulator's MDS tooling reads what the twin
//! enforces.
//!
//! Geographies: the operating area (the extract), the parking fences, and the key areas (the
//! fences at metro entrances). Policies: the city's (parking in key areas, broken bikes) and
//! one per operator (its fleet cap). How each rule maps:
//!
//! - `KeyAreaParking`: MDS's "required parking" pair — a `count` rule allowing parked bikes in
//!   the fences, then a `count` rule with maximum 0 for the key areas (rules match in order, so
//!   a bike parked in a key area but outside its fences breaks the second);
//! - `BrokenHandled`: a `time` rule, a `non_operational` bike may stay at most `within_h` hours;
//! - `FleetCap`: a `count` rule per operator over the operating area, maximum its cap;
//! - `OverflowCleared` and `OnlineShare` have no MDS Policy rule type (a count over its
//!   maximum for hours; a share of vehicles reporting): not written, and said so in the
//!   policy's description.
//!
//! Ids are UUIDs derived from names (version 8, from the project's seeded hash), so the same
//! scene gives the same files.

use crate::dockless::BikeSim;
use crate::gbfs::write::{multipolygon, write_json_whole};
use crate::osm_fences::{FencePlan, FenceSite};
use citytwin_city::governance::{Rule, fleet_cap};
use citytwin_city::rng::SimRng;
use geo::{Coord, MapCoords, MultiPolygon, Polygon};
use serde_json::{Value, json};

/// The MDS version the files follow.
pub const MDS_VERSION: &str = "2.0.0";
/// MDS timestamps (milliseconds) start at 2018-01-01.
const MDS_EPOCH_MS: i64 = 1_514_764_800_000;
/// MDS asks for a policy to start at least 20 minutes after it is published.
const NOTICE_MS: i64 = 24 * 3600 * 1000;

/// What the files describe.
#[derive(Debug)]
pub struct PolicyInputs<'a> {
    pub scene: &'a str,
    pub plan: &'a FencePlan,
    /// The operating area in the city's CRS (the extract).
    pub extent: Polygon<f64>,
    pub rules: &'a [Rule],
    pub operators: Vec<String>,
    /// The city's residents, for the fleet cap.
    pub residents: f64,
    /// When the policy starts, Unix milliseconds (the simulated day's midnight).
    pub start_ms: i64,
}

impl<'a> PolicyInputs<'a> {
    /// What a run's bike model enforces: its fences, rules (as a scenario left them) and
    /// operators.
    pub fn of(bikes: &'a BikeSim, scene: &'a str, extent: Polygon<f64>, start_ms: i64) -> Self {
        PolicyInputs {
            scene,
            plan: &bikes.plan,
            extent,
            rules: &bikes.config.rules,
            operators: bikes.operators().map(|(o, _)| o.name.clone()).collect(),
            residents: bikes.config.residents,
            start_ms,
        }
    }
}

/// The two files' contents, and the rules that MDS cannot express.
#[derive(Debug)]
pub struct MdsPolicy {
    pub policies: Value,
    pub geographies: Value,
    pub not_expressible: Vec<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum MdsError {
    #[error("MDS: {what} has no position in WGS84")]
    Projection { what: String },
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `policies.json` and `geographies.json` into `dir` (created if needed), each whole
/// or not at all.
pub fn write_policy(dir: &std::path::Path, mds: &MdsPolicy) -> Result<(), MdsError> {
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| MdsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, value) in [
        ("policies.json", &mds.policies),
        ("geographies.json", &mds.geographies),
    ] {
        let path = dir.join(name);
        write_json_whole(&path, value).map_err(io(&path))?;
    }
    Ok(())
}

/// A stable UUID for a named thing.
pub fn named_uuid(kind: &str, name: &str) -> String {
    let mut rng = SimRng::fork(0x4d44_5300, &format!("mds.{kind}.{name}"));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The Policy and Geography files; `to_lonlat` takes the city's coordinates to WGS84.
pub fn policy(
    inputs: &PolicyInputs,
    to_lonlat: &dyn Fn(Coord<f64>) -> Option<Coord<f64>>,
) -> Result<MdsPolicy, MdsError> {
    // MDS has no timestamps before 2018: a replayed earlier day is published as of then
    let start = inputs.start_ms.max(MDS_EPOCH_MS + NOTICE_MS);
    let scene = inputs.scene;
    let fences = &inputs.plan.fences;
    let writer = PolicyWriter {
        scene,
        start,
        published: start - NOTICE_MS,
        area_id: named_uuid("geography", &format!("{scene}/operating area")),
        fences_id: named_uuid("geography", &format!("{scene}/parking fences")),
        key_id: named_uuid("geography", &format!("{scene}/key areas")),
        key: (0..fences.len())
            .map(|f| inputs.plan.sites.get(f) == Some(&FenceSite::SubwayEntrance))
            .collect(),
    };
    let geographies = writer.geographies(inputs, to_lonlat)?;
    let (city_rules, not_expressible) = writer.city_rules(inputs.rules);
    let mut description = format!("Shared-bike governance rules of {scene} (citytwin)");
    if !not_expressible.is_empty() {
        description.push_str(&format!(
            "; not expressible as MDS rules: {}",
            not_expressible.join(", ")
        ));
    }
    let mut policies = Vec::new();
    if !city_rules.is_empty() {
        policies.push(writer.policy(
            format!("{scene}: bike parking and repairs"),
            description,
            city_rules,
            Vec::new(),
        ));
    }
    policies.extend(writer.fleet_caps(inputs));
    let published = writer.published;
    Ok(MdsPolicy {
        policies: json!({"version": MDS_VERSION, "last_updated": published, "policies": policies}),
        geographies: json!({"version": MDS_VERSION, "last_updated": published,
                            "geographies": geographies}),
        not_expressible,
    })
}

/// What every part of a city's MDS policy shares: its dates and its geographies' ids.
struct PolicyWriter<'a> {
    scene: &'a str,
    start: i64,
    published: i64,
    area_id: String,
    fences_id: String,
    key_id: String,
    /// Whether each fence is at a metro entrance (a key area).
    key: Vec<bool>,
}

impl PolicyWriter<'_> {
    /// The operating area, the parking fences and the key areas as policy zones.
    fn geographies(
        &self,
        inputs: &PolicyInputs,
        to_lonlat: &dyn Fn(Coord<f64>) -> Option<Coord<f64>>,
    ) -> Result<Vec<Value>, MdsError> {
        let project = |area: &Polygon<f64>, what: &str| {
            area.try_map_coords(|c| to_lonlat(c).ok_or(()))
                .map_err(|()| MdsError::Projection { what: what.into() })
        };
        let fences = &inputs.plan.fences;
        let features = |keep: &dyn Fn(usize) -> bool| -> Result<Vec<Value>, MdsError> {
            fences
                .iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, f)| {
                    let area = project(&f.area, &f.name)?;
                    Ok(json!({
                        "type": "Feature",
                        "properties": {"name": f.name, "capacity": f.capacity},
                        "geometry": multipolygon(&MultiPolygon(vec![area])),
                    }))
                })
                .collect()
        };
        let geography = |id: &str, name: &str, description: &str, features: Vec<Value>| {
            json!({
                "name": format!("{}: {name}", self.scene),
                "description": description,
                "geography_type": "policy_zone",
                "geography_id": id,
                "geography_json": {"type": "FeatureCollection", "features": features},
                "effective_date": self.start,
                "published_date": self.published,
            })
        };
        let extent = project(&inputs.extent, "the operating area")?;
        let area_feature = json!({
            "type": "Feature",
            "properties": {"name": "operating area"},
            "geometry": multipolygon(&MultiPolygon(vec![extent])),
        });
        Ok(vec![
            geography(
                &self.area_id,
                "operating area",
                "The extract the twin simulates",
                vec![area_feature],
            ),
            geography(
                &self.fences_id,
                "parking fences",
                "Where shared bikes may be parked (the GBFS geofencing zones)",
                features(&|_| true)?,
            ),
            geography(
                &self.key_id,
                "key areas",
                "Fences at metro entrances: bikes ended nearby must be parked inside them",
                features(&|i| self.key[i])?,
            ),
        ])
    }

    fn rule(&self, name: &str, body: Value) -> Value {
        let mut r = json!({
            "name": name,
            "rule_id": named_uuid("rule", &format!("{}/{name}", self.scene)),
        });
        if let (Some(r), Some(body)) = (r.as_object_mut(), body.as_object()) {
            r.extend(body.clone());
        }
        r
    }

    /// The city's rules MDS can say, and the ids of those it cannot.
    fn city_rules(&self, rules: &[Rule]) -> (Vec<Value>, Vec<&'static str>) {
        let parked = json!({"available": [], "non_operational": [], "reserved": []});
        let mut city_rules = Vec::new();
        let mut not_expressible = Vec::new();
        for r in rules {
            match *r {
                Rule::KeyAreaParking { .. } if self.key.iter().any(|k| *k) => {
                    city_rules.push(self.rule(
                        "Parking in the fences",
                        json!({"rule_type": "count", "rule_units": "devices",
                               "geographies": [self.fences_id], "states": parked}),
                    ));
                    city_rules.push(self.rule(
                        "No parking outside the fences near metro entrances",
                        json!({"rule_type": "count", "rule_units": "devices",
                               "geographies": [self.key_id], "states": parked, "maximum": 0}),
                    ));
                }
                Rule::KeyAreaParking { .. } => {}
                Rule::BrokenHandled { within_h } => city_rules.push(self.rule(
                    "Broken bikes taken off the street",
                    json!({"rule_type": "time", "rule_units": "minutes",
                           "geographies": [self.area_id], "states": {"non_operational": []},
                           "maximum": (within_h * 60.0).round() as i64}),
                )),
                Rule::FleetCap { .. } => {}
                Rule::OverflowCleared { .. } | Rule::OnlineShare { .. } => {
                    not_expressible.push(r.id())
                }
            }
        }
        (city_rules, not_expressible)
    }

    fn policy(
        &self,
        name: String,
        description: String,
        rules: Vec<Value>,
        providers: Vec<String>,
    ) -> Value {
        let mut p = json!({
            "name": name,
            "mode_id": "micromobility",
            "policy_id": named_uuid("policy", &name),
            "description": description,
            "start_date": self.start,
            "published_date": self.published,
            "rules": rules,
        });
        if !providers.is_empty() {
            p["provider_ids"] = json!(providers);
        }
        p
    }

    /// Each operator's own policy: its fleet cap.
    fn fleet_caps(&self, inputs: &PolicyInputs) -> Vec<Value> {
        let scene = self.scene;
        let caps = fleet_cap(inputs.rules, inputs.residents).into_iter();
        caps.flat_map(|cap| inputs.operators.iter().map(move |o| (cap, o)))
            .map(|(cap, operator)| {
                let states = json!({"available": [], "non_operational": [], "reserved": [],
                                    "on_trip": []});
                self.policy(
                    format!("{scene}: fleet cap of {operator}"),
                    format!("At most {cap} bikes of {operator} in {scene}"),
                    vec![self.rule(
                        &format!("Fleet cap of {operator}"),
                        json!({"rule_type": "count", "rule_units": "devices",
                               "geographies": [self.area_id], "states": states, "maximum": cap}),
                    )],
                    vec![provider_id(operator)],
                )
            })
            .collect()
    }
}

/// An operator's MDS provider id.
pub fn provider_id(operator: &str) -> String {
    named_uuid("provider", operator)
}
