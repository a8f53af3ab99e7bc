//! The simulated system as GBFS: each fence a virtual station with its area, each parked
//! bike a vehicle (broken ones disabled; bikes being ridden or on trucks are not listed, as
//! GBFS leaves out vehicles in use), each fence a geofencing zone where rides may end.

use super::write::{GbfsSnapshot, GbfsSystem, StationSnapshot, VehicleSnapshot};
use super::{GbfsError, GbfsZone};
use crate::dockless::BikeSim;
use citytwin_city::OperatorId;
use geo::{Coord, MapCoords, MultiPolygon};

/// The state of `bikes` now, of one operator's fleet (`operator`, an index into
/// [`BikeSim::operators`]: its own feed, as each operator publishes one) or of all;
/// `to_lonlat` takes the city's metric coordinates to WGS84.
pub fn snapshot(
    bikes: &BikeSim,
    operator: Option<OperatorId>,
    system: GbfsSystem,
    last_updated: i64,
    ttl: u32,
    to_lonlat: &dyn Fn(Coord<f64>) -> Option<Coord<f64>>,
) -> Result<GbfsSnapshot, GbfsError> {
    let project = |c: Coord<f64>, what: &dyn Fn() -> String| {
        to_lonlat(c).ok_or_else(|| GbfsError::Projection { what: what() })
    };
    let fences = bikes.plan.fences.len();
    let mut counts = vec![0u32; fences];
    let mut disabled = vec![0u32; fences];
    let mut vehicles = Vec::new();
    let listed = bikes
        .parked_bikes()
        .filter(|(bike, _)| operator.is_none_or(|op| bikes.operator_of(*bike) == op));
    for (bike, at) in listed {
        let fence = bikes.fence_of(bike);
        let is_disabled = bikes.is_broken(bike);
        if let Some(f) = fence {
            counts[f.index()] += 1;
            disabled[f.index()] += u32::from(is_disabled);
        }
        let p = project(at.0, &|| format!("{bike}"))?;
        vehicles.push(VehicleSnapshot {
            id: bikes.public_id(bike),
            lon: p.x,
            lat: p.y,
            station_id: fence.map(|f| f.to_string()),
            is_disabled,
        });
    }
    // listed by public id, so that the order says nothing about which bike is which
    vehicles.sort_by(|a, b| a.id.cmp(&b.id));
    let mut stations = Vec::new();
    let mut zones = Vec::new();
    for fence in bikes.plan.fences.iter() {
        let what = || format!("{}", fence.id);
        let centre = bikes.plan.fences.centre(fence.id).map(|c| c.0);
        let centre = project(centre.unwrap_or_default(), &what)?;
        let area: MultiPolygon<f64> =
            MultiPolygon(vec![fence.area.try_map_coords(|c| project(c, &what))?]);
        let i = fence.id.index();
        stations.push(StationSnapshot {
            id: fence.id.to_string(),
            name: fence.name.clone(),
            lon: centre.x,
            lat: centre.y,
            area: area.clone(),
            capacity: fence.capacity,
            bikes_available: counts[i] - disabled[i],
            bikes_disabled: disabled[i],
        });
        zones.push(GbfsZone {
            name: fence.name.clone(),
            area,
        });
    }
    Ok(GbfsSnapshot {
        system,
        last_updated,
        ttl,
        stations,
        vehicles,
        zones,
    })
}
