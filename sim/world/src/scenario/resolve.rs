//! Checks an edit against the city and the run's inputs as the edits before it left them, and
//! turns it into changes with old and new values. A name or id that does not exist is an error
//! that suggests the nearest ones that do.

use super::change::{Change, RoadAttrs};
use super::edit::{Clock, Edit, FenceSelector, RoadRef};
use super::inputs::{BikeInputs, DemandScale, RunInputs};
use citytwin_bikes::fence::{Fence, capacity_of};
use citytwin_bikes::osm_fences::kerbside_strip;
use citytwin_bikes::{CrewShift, PlannedFence};
use citytwin_city::ids::DistrictId;
use citytwin_city::layer::names;
use citytwin_city::{City, FenceId};
use citytwin_ops::Thresholds;
use citytwin_ops::vitals::VitalsConfig;
use citytwin_traffic::dynamic::LinkEvent;
use geo::{Centroid, Contains, Coord, LineString, Point, Polygon, Translate};
use std::collections::BTreeSet;

mod bikes;
use bikes::*;

/// (lon, lat) → the city's CRS; `None` where it cannot be projected.
pub type Project<'a> = &'a dyn Fn(f64, f64) -> Option<Point<f64>>;

/// How many near matches an unknown name or id suggests.
const SUGGESTIONS: usize = 3;

pub(super) fn resolve(
    edit: &Edit,
    city: &City,
    project: Project,
    inputs: &RunInputs,
) -> Result<Vec<Change>, String> {
    match edit {
        Edit::CloseRoad { .. }
        | Edit::ReopenRoad { .. }
        | Edit::ChangeRoad { .. }
        | Edit::Incident { .. } => road_edit(edit, project, inputs),
        Edit::ScaleDemand {
            factor,
            from,
            to,
            district,
        } => {
            // ten times a city's traffic is already far past any road network's capacity
            check(
                factor.is_finite() && (0.0..=10.0).contains(factor),
                "factor",
                "a factor from 0 to 10",
            )?;
            let window = window(*from, *to)?;
            let district = district
                .as_ref()
                .map(|name| find_district(city, name).map(|d| (name.clone(), d)))
                .transpose()?;
            Ok(vec![Change::Demand(DemandScale {
                factor: *factor,
                window,
                district,
            })])
        }
        Edit::VitalThresholds {
            indicator,
            amber,
            red,
        } => {
            if let Some(why) = VitalsConfig::misordered(
                indicator,
                Thresholds {
                    amber: *amber,
                    red: *red,
                },
            ) {
                return Err(format!("`amber, red`: {why}"));
            }
            let mut vitals = inputs
                .vitals
                .clone()
                .ok_or("the run has no operations (the scene names no ops file)")?;
            let Some(old) = vitals.thresholds_mut(indicator).copied() else {
                return Err(format!(
                    "no indicator `{indicator}`; expected one of {}",
                    VitalsConfig::KEYS.join(", ")
                ));
            };
            Ok(vec![Change::VitalThresholds {
                indicator: indicator.clone(),
                old,
                new: Thresholds {
                    amber: *amber,
                    red: *red,
                },
            }])
        }
        Edit::AirQualityDay { date } => {
            let new: citytwin_city::calendar::Date =
                date.parse().map_err(|e| format!("date: {e}"))?;
            let old = inputs
                .air_quality_date
                .ok_or("the run has no air-quality stations (the scene's ops file replays none)")?;
            Ok(vec![Change::AirQualityDay {
                old: Some(old),
                new: Some(new),
            }])
        }
        _ => resolve_bikes(edit, city, project, bike_inputs(inputs)?),
    }
}

/// Roads closed, reopened, changed or blocked by an incident.
fn road_edit(edit: &Edit, project: Project, inputs: &RunInputs) -> Result<Vec<Change>, String> {
    match edit {
        Edit::CloseRoad { road, from, to } => {
            let links = road_links(road, project, inputs)?;
            let from = from.unwrap_or(Clock(0));
            if let Some(to) = to.filter(|to| *to <= from) {
                return Err(format!("`to` {to} is not after `from` {from}"));
            }
            let mut changes = events(&links, from.0, Some(0));
            if let Some(to) = to {
                changes.extend(events(&links, to.0, None));
            }
            Ok(changes)
        }
        Edit::ReopenRoad { road, at } => {
            let links = road_links(road, project, inputs)?;
            let closed_before = |l: u32| {
                inputs
                    .events
                    .iter()
                    .any(|e| e.link.0 == l && e.lanes == Some(0) && e.at_s < at.0)
            };
            if !links.iter().any(|l| closed_before(*l)) {
                return Err(format!(
                    "{} is not closed before {at} by an earlier edit",
                    describe(road)
                ));
            }
            Ok(events(&links, at.0, None))
        }
        Edit::ChangeRoad {
            road,
            lanes,
            speed_kmh,
            capacity_vph,
        } => {
            if lanes.is_none() && speed_kmh.is_none() && capacity_vph.is_none() {
                return Err("give at least one of lanes, speed_kmh, capacity_vph".into());
            }
            check(
                lanes.is_none_or(|l| (1..=8).contains(&l)),
                "lanes",
                "1 to 8",
            )?;
            check(
                speed_kmh.is_none_or(|s| (5.0..=130.0).contains(&s)),
                "speed_kmh",
                "5 to 130",
            )?;
            check(
                capacity_vph.is_none_or(|c| c > 0.0 && c.is_finite()),
                "capacity_vph",
                "a positive number of vehicles per hour",
            )?;
            let links = road_links(road, project, inputs)?;
            Ok(links
                .iter()
                .map(|&link| {
                    let l = &inputs.roads.links[link as usize];
                    let old = RoadAttrs {
                        lanes: l.lanes,
                        speed_kmh: l.speed_kmh,
                        capacity_vph: l.capacity_vph,
                    };
                    let new_lanes = lanes.unwrap_or(old.lanes);
                    let per_lane = old.capacity_vph / f32::from(old.lanes.max(1));
                    let new = RoadAttrs {
                        lanes: new_lanes,
                        speed_kmh: speed_kmh.unwrap_or(old.speed_kmh),
                        capacity_vph: capacity_vph.unwrap_or(per_lane * f32::from(new_lanes)),
                    };
                    Change::Road { link, old, new }
                })
                .collect())
        }
        Edit::Incident {
            road,
            at,
            minutes,
            lanes_open,
        } => {
            check(*minutes > 0, "minutes", "a duration of at least 1")?;
            let links = road_links(road, project, inputs)?;
            let most = links
                .iter()
                .map(|l| inputs.roads.links[*l as usize].lanes)
                .max()
                .unwrap_or(0);
            if *lanes_open >= most {
                return Err(format!(
                    "lanes_open {lanes_open} leaves the road as it is ({most} lanes); give fewer"
                ));
            }
            let mut changes = events(&links, at.0, Some(*lanes_open));
            changes.extend(events(&links, at.0 + minutes * 60, None));
            Ok(changes)
        }
        _ => unreachable!("not a road edit"),
    }
}

fn check(ok: bool, field: &str, expected: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("`{field}`: expected {expected}"))
    }
}

fn bike_inputs(inputs: &RunInputs) -> Result<&BikeInputs, String> {
    inputs
        .bikes
        .as_ref()
        .ok_or_else(|| "this run has no shared bikes (a fleet of 0)".to_string())
}

fn events(links: &[u32], at_s: u32, lanes: Option<u8>) -> Vec<Change> {
    links
        .iter()
        .map(|&link| {
            Change::Event(LinkEvent {
                at_s,
                link: citytwin_city::LinkId(link),
                lanes,
            })
        })
        .collect()
}

fn describe(road: &RoadRef) -> String {
    match road {
        RoadRef::Way(id) => format!("way {id}"),
        RoadRef::Link(id) => format!("link {id}"),
        RoadRef::Name(name) => format!("`{name}`"),
        RoadRef::Area(_) => "the area".into(),
    }
}

/// The car links a road reference names, in id order.
fn road_links(road: &RoadRef, project: Project, inputs: &RunInputs) -> Result<Vec<u32>, String> {
    let links = &inputs.roads.links;
    let all: Vec<u32> = match road {
        RoadRef::Way(id) => {
            let found: Vec<u32> = (0..links.len() as u32)
                .filter(|l| links[*l as usize].osm_way_id == *id)
                .collect();
            if found.is_empty() {
                let ids: BTreeSet<String> = (0..links.len() as u32)
                    .filter(|l| inputs.is_car_link(*l))
                    .map(|l| links[l as usize].osm_way_id.to_string())
                    .collect();
                return Err(format!(
                    "no road with OSM way id {id}{}",
                    nearest(&id.to_string(), ids.iter().map(String::as_str))
                ));
            }
            found
        }
        RoadRef::Link(id) => {
            if *id as usize >= links.len() {
                return Err(format!(
                    "no link {id}: the city's links are 0 to {}",
                    links.len().saturating_sub(1)
                ));
            }
            vec![*id]
        }
        RoadRef::Name(name) => {
            let found: Vec<u32> = (0..links.len() as u32)
                .filter(|l| links[*l as usize].name.as_deref() == Some(name.as_str()))
                .collect();
            if found.is_empty() {
                let names: BTreeSet<&str> = (0..links.len() as u32)
                    .filter(|l| inputs.is_car_link(*l))
                    .filter_map(|l| links[l as usize].name.as_deref())
                    .collect();
                return Err(format!(
                    "no road named `{name}`{}",
                    nearest(name, names.into_iter())
                ));
            }
            found
        }
        RoadRef::Area(corners) => {
            let ring: Option<Vec<Coord<f64>>> = corners
                .iter()
                .map(|(lon, lat)| project(*lon, *lat).map(|p| p.0))
                .collect();
            let ring = ring.ok_or("a corner of the area is not a valid lon/lat")?;
            if ring.len() < 3 {
                return Err("an area needs at least 3 corners".into());
            }
            let area = Polygon::new(LineString::from(ring), Vec::new());
            (0..links.len() as u32)
                .filter(|l| {
                    let g = &links[*l as usize].geometry;
                    g.centroid().is_some_and(|c| area.contains(&c))
                })
                .collect()
        }
    };
    let cars: Vec<u32> = all.into_iter().filter(|l| inputs.is_car_link(*l)).collect();
    if cars.is_empty() {
        return Err(format!("{} has no link open to cars", describe(road)));
    }
    Ok(cars)
}

fn locate(city: &City, project: Project, lon: f64, lat: f64) -> Result<Point<f64>, String> {
    let p =
        project(lon, lat).ok_or_else(|| format!("lon {lon}, lat {lat} is not a valid position"))?;
    let extent = city.bundle.meta.extent;
    if !extent.contains(&p) {
        return Err(format!("lon {lon}, lat {lat} lies outside the city"));
    }
    Ok(p)
}

/// A district by its name as the city has it ("武侯区 (Wuhou)"), or either part of it.
fn find_district(city: &City, name: &str) -> Result<DistrictId, String> {
    let layer = city.layer(names::DISTRICTS).map_err(|e| e.to_string())?;
    let names: Vec<&str> = layer
        .features
        .iter()
        .map(|f| f.text("name").unwrap_or(""))
        .collect();
    let matches = |full: &str| {
        let (local, english) = match full.split_once(" (") {
            Some((local, rest)) => (local, rest.trim_end_matches(')')),
            None => (full, full),
        };
        [full, local, english].contains(&name)
    };
    if let Some(i) = names.iter().position(|n| matches(n)) {
        return Ok(DistrictId(i as u32));
    }
    Err(format!(
        "no district named `{name}`{}",
        nearest(name, names.into_iter())
    ))
}

fn find_fence(bikes: &BikeInputs, name: &str) -> Result<FenceId, String> {
    bikes.plan.find(name).ok_or_else(|| {
        format!(
            "no fence named `{name}`{}",
            nearest(name, bikes.plan.fences.iter().map(|f| f.name.as_str()))
        )
    })
}

fn select_fences(bikes: &BikeInputs, selector: &FenceSelector) -> Result<Vec<FenceId>, String> {
    let chosen: Vec<FenceId> = match selector {
        FenceSelector::Site(site) => (0..bikes.plan.fences.len())
            .filter(|f| bikes.plan.sites[*f] == *site)
            .map(FenceId::from_index)
            .collect(),
        FenceSelector::Named(names) => names
            .iter()
            .map(|n| find_fence(bikes, n))
            .collect::<Result<_, _>>()?,
    };
    if chosen.is_empty() {
        return Err(format!("no fence is a {selector:?}"));
    }
    Ok(chosen)
}

/// "; nearest: a, b, c" — candidates that contain `wanted` (or are contained in it) first,
/// then the rest, each by edit distance.
fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let mut scored: Vec<(bool, usize, &str)> = candidates
        .map(|c| {
            let related = c.contains(wanted) || wanted.contains(c);
            (!related, strsim::levenshtein(wanted, c), c)
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    let best: Vec<&str> = scored.iter().take(SUGGESTIONS).map(|s| s.2).collect();
    if best.is_empty() {
        String::new()
    } else {
        format!("; nearest: {}", best.join(", "))
    }
}

/// An edit's optional `from`–`to` window in seconds (a missing end is the day's); `None`
/// when neither is given.
fn window(from: Option<Clock>, to: Option<Clock>) -> Result<Option<(u32, u32)>, String> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let (from, to) = (from.unwrap_or(Clock(0)), to.unwrap_or(Clock(86_400)));
    if to <= from {
        return Err(format!("`to` {to} is not after `from` {from}"));
    }
    Ok(Some((from.0, to.0)))
}
