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
    let published = start - NOTICE_MS;
    let scene = inputs.scene;
    let project = |area: &Polygon<f64>, what: &str| {
        area.try_map_coords(|c| to_lonlat(c).ok_or(()))
            .map_err(|()| MdsError::Projection { what: what.into() })
    };
    let fences = &inputs.plan.fences;
    let key: Vec<bool> = (0..fences.len())
        .map(|f| inputs.plan.sites.get(f) == Some(&FenceSite::SubwayEntrance))
        .collect();
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
    let geography = |id: &str, name: String, description: &str, features: Vec<Value>| {
        json!({
            "name": name,
            "description": description,
            "geography_type": "policy_zone",
            "geography_id": id,
            "geography_json": {"type": "FeatureCollection", "features": features},
            "effective_date": start,
            "published_date": published,
        })
    };
    let area_id = named_uuid("geography", &format!("{scene}/operating area"));
    let fences_id = named_uuid("geography", &format!("{scene}/parking fences"));
    let key_id = named_uuid("geography", &format!("{scene}/key areas"));
    let extent = project(&inputs.extent, "the operating area")?;
    let area_feature = json!({
        "type": "Feature",
        "properties": {"name": "operating area"},
        "geometry": multipolygon(&MultiPolygon(vec![extent])),
    });
    let geographies = vec![
        geography(
            &area_id,
            format!("{scene}: operating area"),
            "The extract the twin simulates",
            vec![area_feature],
        ),
        geography(
            &fences_id,
            format!("{scene}: parking fences"),
            "Where shared bikes may be parked (the GBFS geofencing zones)",
            features(&|_| true)?,
        ),
        geography(
            &key_id,
            format!("{scene}: key areas"),
            "Fences at metro entrances: bikes ended nearby must be parked inside them",
            features(&|i| key[i])?,
        ),
    ];

    let parked = json!({"available": [], "non_operational": [], "reserved": []});
    let rule = |name: &str, body: Value| {
        let mut r = json!({
            "name": name,
            "rule_id": named_uuid("rule", &format!("{scene}/{name}")),
        });
        if let (Some(r), Some(body)) = (r.as_object_mut(), body.as_object()) {
            r.extend(body.clone());
        }
        r
    };
    let mut city_rules = Vec::new();
    let mut not_expressible = Vec::new();
    for r in inputs.rules {
        match *r {
            Rule::KeyAreaParking { .. } if key.iter().any(|k| *k) => {
                city_rules.push(rule(
                    "Parking in the fences",
                    json!({"rule_type": "count", "rule_units": "devices",
                           "geographies": [fences_id], "states": parked}),
                ));
                city_rules.push(rule(
                    "No parking outside the fences near metro entrances",
                    json!({"rule_type": "count", "rule_units": "devices",
                           "geographies": [key_id], "states": parked, "maximum": 0}),
                ));
            }
            Rule::KeyAreaParking { .. } => {}
            Rule::BrokenHandled { within_h } => city_rules.push(rule(
                "Broken bikes taken off the street",
                json!({"rule_type": "time", "rule_units": "minutes",
                       "geographies": [area_id], "states": {"non_operational": []},
                       "maximum": (within_h * 60.0).round() as i64}),
            )),
            Rule::FleetCap { .. } => {}
            Rule::OverflowCleared { .. } | Rule::OnlineShare { .. } => not_expressible.push(r.id()),
        }
    }
    let mut description = format!("Shared-bike governance rules of {scene} (citytwin)");
    if !not_expressible.is_empty() {
        description.push_str(&format!(
            "; not expressible as MDS rules: {}",
            not_expressible.join(", ")
        ));
    }
    let policy = |name: String, description: String, rules: Vec<Value>, providers: Vec<String>| {
        let mut p = json!({
            "name": name,
            "mode_id": "micromobility",
            "policy_id": named_uuid("policy", &name),
            "description": description,
            "start_date": start,
            "published_date": published,
            "rules": rules,
        });
        if !providers.is_empty() {
            p["provider_ids"] = json!(providers);
        }
        p
    };
    let mut policies = Vec::new();
    if !city_rules.is_empty() {
        policies.push(policy(
            format!("{scene}: bike parking and repairs"),
            description,
            city_rules,
            Vec::new(),
        ));
    }
    // each operator's own policy: its fleet cap
    let caps = fleet_cap(inputs.rules, inputs.residents).into_iter();
    for (cap, operator) in caps.flat_map(|cap| inputs.operators.iter().map(move |o| (cap, o))) {
        let states = json!({"available": [], "non_operational": [], "reserved": [],
                            "on_trip": []});
        policies.push(policy(
            format!("{scene}: fleet cap of {operator}"),
            format!("At most {cap} bikes of {operator} in {scene}"),
            vec![rule(
                &format!("Fleet cap of {operator}"),
                json!({"rule_type": "count", "rule_units": "devices",
                       "geographies": [area_id], "states": states, "maximum": cap}),
            )],
            vec![provider_id(operator)],
        ));
    }
    Ok(MdsPolicy {
        policies: json!({"version": MDS_VERSION, "last_updated": published, "policies": policies}),
        geographies: json!({"version": MDS_VERSION, "last_updated": published,
                            "geographies": geographies}),
        not_expressible,
    })
}

/// An operator's MDS provider id.
pub fn provider_id(operator: &str) -> String {
    named_uuid("provider", operator)
}
