//! A trip list: one car trip per CSV row.
//!
//! Columns (header names; extra columns are ignored):
//! - `id` (optional; kept in the trips report),
//! - `depart`: time of day `HH:MM[:SS]` or seconds after midnight,
//! - the origin as `from_lon,from_lat` (WGS84) or `from_node` (an OSM node id of the road graph),
//! - the destination as `to_lon,to_lat` or `to_node`.
//!
//! A lon/lat place starts or ends on the nearest car link (within [`MAX_SNAP_M`]); a node
//! starts on a car link leaving it and ends on one entering it.

use super::DemandError;
use super::table::{Table, number, time_of_day};
use crate::dynamic::{Purpose, TripSpec};
use citytwin_city::{City, Mode};
use geo::Point;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A lon/lat farther than this from any car link is an error, not a silent snap.
pub const MAX_SNAP_M: f64 = 1000.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    LonLat(f64, f64),
    Node(i64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TripRequest {
    pub id: String,
    pub line: usize,
    pub departure_s: u32,
    pub from: Place,
    pub to: Place,
}

#[derive(Debug)]
pub struct TripList {
    pub path: PathBuf,
    pub requests: Vec<TripRequest>,
}

fn place(
    path: &Path,
    table: &Table,
    row: &[String],
    line: usize,
    end: &str,
) -> Result<Place, DemandError> {
    let lon = table.column(&format!("{end}_lon"));
    let lat = table.column(&format!("{end}_lat"));
    if let (Some(lon), Some(lat)) = (lon, lat) {
        let (x, y): (f64, f64) = (
            number(path, line, &format!("{end}_lon"), &row[lon])?,
            number(path, line, &format!("{end}_lat"), &row[lat])?,
        );
        if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return Err(DemandError::parse(
                path,
                line,
                format!("{end}_lon,{end}_lat: expected WGS84 degrees, found {x},{y}"),
            ));
        }
        return Ok(Place::LonLat(x, y));
    }
    let node = table
        .require(path, &[&format!("{end}_node")])
        .map_err(|_| {
            DemandError::parse(
                path,
                1,
                format!("expected columns {end}_lon,{end}_lat or {end}_node in the header"),
            )
        })?;
    Ok(Place::Node(number(
        path,
        line,
        &format!("{end}_node"),
        &row[node],
    )?))
}

pub fn read_trip_list(path: &Path) -> Result<TripList, DemandError> {
    let table = Table::read(path)?;
    let depart = table.require(path, &["depart", "departure"])?;
    let id = table.column("id");
    let mut requests = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        requests.push(TripRequest {
            id: id.map_or_else(|| requests.len().to_string(), |c| row[c].clone()),
            line: *line,
            departure_s: time_of_day(path, *line, "depart", &row[depart])?,
            from: place(path, &table, row, *line, "from")?,
            to: place(path, &table, row, *line, "to")?,
        });
    }
    Ok(TripList {
        path: path.to_path_buf(),
        requests,
    })
}

/// The trips on car links, sorted by departure, with their ids in the same order.
/// `to_city` projects WGS84 lon/lat into the city CRS.
pub fn resolve_trip_list(
    city: &City,
    list: &TripList,
    to_city: &dyn Fn(f64, f64) -> Option<Point<f64>>,
) -> Result<(Vec<TripSpec>, Vec<String>), DemandError> {
    let roads = city.roads();
    let node_by_osm: BTreeMap<i64, usize> = roads
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.osm_id, i))
        .collect();
    // the lowest-numbered car link leaving / entering each node
    let (mut first_out, mut first_in) = (BTreeMap::new(), BTreeMap::new());
    for (i, l) in roads.links.iter().enumerate().rev() {
        if l.modes.allows(Mode::Car) && l.capacity_vph > 0.0 {
            first_out.insert(l.from.index(), i as u32);
            first_in.insert(l.to.index(), i as u32);
        }
    }
    let resolve = |p: Place, line: usize, end: &str| -> Result<u32, DemandError> {
        let fail = |m: String| DemandError::parse(&list.path, line, format!("{end}: {m}"));
        match p {
            Place::LonLat(lon, lat) => {
                let point = to_city(lon, lat).ok_or_else(|| {
                    fail(format!("{lon},{lat} cannot be projected to the city CRS"))
                })?;
                let m = city
                    .nearest_link(point, Mode::Car)
                    .filter(|m| m.distance_m <= MAX_SNAP_M)
                    .ok_or_else(|| {
                        fail(format!(
                            "{lon},{lat} is more than {MAX_SNAP_M} m from any car link of the city"
                        ))
                    })?;
                Ok(m.link.index() as u32)
            }
            Place::Node(id) => {
                let node = *node_by_osm.get(&id).ok_or_else(|| {
                    fail(format!("OSM node {id} is not a node of the road graph"))
                })?;
                let links = if end == "from" { &first_out } else { &first_in };
                links.get(&node).copied().ok_or_else(|| {
                    fail(format!(
                        "no car link {} OSM node {id}",
                        if end == "from" { "leaves" } else { "enters" }
                    ))
                })
            }
        }
    };
    let mut trips: Vec<(TripSpec, String)> = Vec::with_capacity(list.requests.len());
    for r in &list.requests {
        trips.push((
            TripSpec {
                origin_link: resolve(r.from, r.line, "from")?,
                dest_link: resolve(r.to, r.line, "to")?,
                departure_s: r.departure_s,
                purpose: Purpose::Other,
            },
            r.id.clone(),
        ));
    }
    trips.sort_by_key(|(t, _)| t.departure_s);
    Ok(trips.into_iter().unzip())
}
