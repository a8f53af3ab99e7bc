//! Bike edits resolved against the run's inputs: fleet, crews, fences and rules, each checked
//! and turned into changes that undo.

use super::*;

pub(super) fn resolve_bikes(
    edit: &Edit,
    city: &City,
    project: Project,
    bikes: &BikeInputs,
) -> Result<Vec<Change>, String> {
    match edit {
        Edit::AddFence { .. }
        | Edit::RemoveFence { .. }
        | Edit::ResizeFence { .. }
        | Edit::MoveFence { .. } => fence_edit(edit, city, project, bikes),
        _ => operator_edit(edit, bikes),
    }
}

/// Fences added, removed, resized or moved.
fn fence_edit(
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
        _ => unreachable!("not a fence edit"),
    })
}

/// The operator's side: fleet, where bikes wait, crews, rebalancing, alarms, rules.
fn operator_edit(edit: &Edit, bikes: &BikeInputs) -> Result<Vec<Change>, String> {
    match edit {
        Edit::Fleet { .. } | Edit::ScaleBikesAt { .. } => fleet_edit(edit, bikes),
        _ => crew_edit(edit, bikes),
    }
}

/// The fleet's size, and bikes added or taken away where they wait.
fn fleet_edit(edit: &Edit, bikes: &BikeInputs) -> Result<Vec<Change>, String> {
    let config = &bikes.config;
    let plan = &bikes.plan;
    Ok(match edit {
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
        _ => unreachable!("not a fleet edit"),
    })
}

/// Crews, how they rebalance, when fences raise alarms, and the city's rules.
fn crew_edit(edit: &Edit, bikes: &BikeInputs) -> Result<Vec<Change>, String> {
    let config = &bikes.config;
    Ok(match edit {
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
        | Edit::AirQualityDay { .. }
        | Edit::AddFence { .. }
        | Edit::RemoveFence { .. }
        | Edit::ResizeFence { .. }
        | Edit::MoveFence { .. }
        | Edit::Fleet { .. }
        | Edit::ScaleBikesAt { .. } => unreachable!("resolved elsewhere"),
    })
}
