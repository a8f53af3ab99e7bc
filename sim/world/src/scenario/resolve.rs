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

fn resolve_bikes(
    edit: &Edit,
    city: &City,
    project: Project,
    bikes: &BikeInputs,
) -> Result<Vec<Change>, String> {
    let config = &bikes.config;
    let plan = &bikes.plan;
    Ok(match edit {
        Edit::AddFence {
            name,
            lon,
            lat,
            site,
            capacity,
        } => {
            if plan.find(name).is_some() {
                return Err(format!("a fence named `{name}` exists already"));
            }
            let at = locate(city, project, *lon, *lat)?;
            let area = kerbside_strip(city, at, site.size_m());
            check(capacity.is_none_or(|c| c > 0), "capacity", "at least 1")?;
            let fence = Fence {
                id: FenceId(0),
                name: name.clone(),
                capacity: capacity.unwrap_or_else(|| capacity_of(&area)),
                area,
                dock: false,
            };
            vec![Change::FenceAdded {
                index: plan.fences.len(),
                fence: Box::new(PlannedFence {
                    fence,
                    site: *site,
                    source: "scenario".into(),
                    monitored_rank: None,
                }),
                bias: 1.0,
            }]
        }
        Edit::RemoveFence { fence } => {
            let id = find_fence(bikes, fence)?;
            let planned = plan.planned(id.index()).ok_or("no such fence")?;
            vec![Change::FenceRemoved {
                index: id.index(),
                fence: Box::new(planned),
                bias: config.start_bias[id.index()],
            }]
        }
        Edit::ResizeFence { fence, capacity } => {
            check(*capacity > 0, "capacity", "at least 1")?;
            let id = find_fence(bikes, fence)?;
            let old = plan.fences.get(id).map_or(0, |f| f.capacity);
            vec![Change::FenceCapacity {
                fence: id,
                old,
                new: *capacity,
            }]
        }
        Edit::MoveFence { fence, lon, lat } => {
            let id = find_fence(bikes, fence)?;
            let to = locate(city, project, *lon, *lat)?;
            let old = plan
                .fences
                .get(id)
                .map(|f| f.area.clone())
                .ok_or("no such fence")?;
            let from = old.centroid().ok_or("the fence has no area")?;
            let new = old.translate(to.x() - from.x(), to.y() - from.y());
            vec![Change::FenceArea {
                fence: id,
                old,
                new,
            }]
        }
        Edit::Fleet { bikes } => {
            check(
                *bikes > 0 && *bikes <= citytwin_bikes::dockless::MAX_FLEET,
                "bikes",
                &format!("1 to {}", citytwin_bikes::dockless::MAX_FLEET),
            )?;
            vec![Change::Fleet {
                old: config.fleet,
                new: *bikes,
            }]
        }
        Edit::ScaleBikesAt { fences, factor } => {
            // ten times a city's traffic is already far past any road network's capacity
            check(
                factor.is_finite() && (0.0..=10.0).contains(factor),
                "factor",
                "a factor from 0 to 10",
            )?;
            let chosen = select_fences(bikes, fences)?;
            let weight = |f: &Fence| f64::from(f.capacity) * config.start_bias[f.id.index()];
            let total: f64 = plan.fences.iter().map(weight).sum();
            let there: f64 = plan
                .fences
                .iter()
                .filter(|f| chosen.contains(&f.id))
                .map(weight)
                .sum();
            let share = if total > 0.0 { there / total } else { 0.0 };
            let mut bias = config.start_bias.clone();
            for f in &chosen {
                bias[f.index()] *= factor;
            }
            // the bikes elsewhere stay as many: the fleet grows by what the chosen fences gain
            let fleet = (f64::from(config.fleet) * (1.0 + (factor - 1.0) * share)).round();
            check(
                fleet <= f64::from(citytwin_bikes::dockless::MAX_FLEET),
                "factor",
                &format!(
                    "a fleet of at most {} bikes (this factor makes {fleet})",
                    citytwin_bikes::dockless::MAX_FLEET
                ),
            )?;
            let fleet = fleet as u32;
            vec![
                Change::StartBias {
                    old: config.start_bias.clone(),
                    new: bias,
                },
                Change::Fleet {
                    old: config.fleet,
                    new: fleet.max(1),
                },
            ]
        }
        Edit::Crews {
            crews,
            truck_capacity,
            from,
            to,
        } => {
            check(
                truck_capacity.is_none_or(|c| c > 0),
                "truck_capacity",
                "at least 1 bike",
            )?;
            check(
                *crews <= citytwin_bikes::dispatch::MAX_CREWS,
                "crews",
                &format!("at most {}", citytwin_bikes::dispatch::MAX_CREWS),
            )?;
            let mut new = config.dispatch.clone();
            match window(*from, *to)? {
                None => new.crews = *crews,
                Some((from_s, to_s)) => new.shifts.push(CrewShift {
                    crews: *crews,
                    from_s,
                    to_s,
                }),
            }
            new.truck_capacity = truck_capacity.unwrap_or(new.truck_capacity);
            vec![Change::Dispatch {
                old: config.dispatch.clone(),
                new,
            }]
        }
        Edit::Rebalancing { strategy } => {
            let mut new = config.dispatch.clone();
            new.rebalancing = *strategy;
            vec![Change::Dispatch {
                old: config.dispatch.clone(),
                new,
            }]
        }
        Edit::BikeAlarms {
            overflow_ratio,
            overflow_minutes,
            empty_minutes,
            clear_minutes,
        } => {
            check(
                overflow_ratio.is_none_or(|r| r > 0.0 && r.is_finite()),
                "overflow_ratio",
                "a ratio > 0",
            )?;
            let minutes = [overflow_minutes, empty_minutes, clear_minutes];
            check(
                minutes.iter().all(|m| m.is_none_or(|m| m > 0)),
                "minutes",
                "at least 1",
            )?;
            let old = config.alarms.clone();
            let mut new = old.clone();
            new.overflow_ratio = overflow_ratio.unwrap_or(old.overflow_ratio);
            new.overflow_minutes = overflow_minutes.unwrap_or(old.overflow_minutes);
            new.empty_minutes = empty_minutes.unwrap_or(old.empty_minutes);
            new.clear_minutes = clear_minutes.unwrap_or(old.clear_minutes);
            vec![Change::Alarms { old, new }]
        }
        Edit::Rule(rule) => {
            if let Some(why) = rule.invalid() {
                return Err(format!("{}: {why}", rule.id()));
            }
            let old = config.rules.clone();
            let mut new = old.clone();
            match new.iter_mut().find(|r| r.id() == rule.id()) {
                Some(r) => *r = rule.clone(),
                None => new.push(rule.clone()),
            }
            vec![Change::Rules { old, new }]
        }
        Edit::CloseRoad { .. }
        | Edit::ReopenRoad { .. }
        | Edit::ChangeRoad { .. }
        | Edit::Incident { .. }
        | Edit::ScaleDemand { .. }
        | Edit::VitalThresholds { .. }
        | Edit::AirQualityDay { .. } => unreachable!("resolved by `resolve`"),
    })
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
