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
use super::table::{CsvRows, Row, number, time_of_day};
use crate::dynamic::{Purpose, TripIds, TripSpec, by_departure};
use citytwin_city::{City, LinkId, Mode};
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
    pub line: usize,
    pub departure_s: u32,
    pub from: Place,
    pub to: Place,
}

#[derive(Debug)]
pub struct TripList {
    pub path: PathBuf,
    pub requests: Vec<TripRequest>,
    /// The rows' `id`s (their row number from 0 where the file has no `id` column).
    pub ids: TripIds,
}

/// Where a row's place is: lon/lat columns, or a node column.
enum PlaceColumns {
    LonLat(usize, usize),
    Node(usize),
}

impl PlaceColumns {
    fn of(rows: &CsvRows, end: &str) -> Result<Self, DemandError> {
        let lon = rows.column(&format!("{end}_lon"));
        let lat = rows.column(&format!("{end}_lat"));
        if let (Some(lon), Some(lat)) = (lon, lat) {
            return Ok(PlaceColumns::LonLat(lon, lat));
        }
        rows.column(&format!("{end}_node"))
            .map(PlaceColumns::Node)
            .ok_or_else(|| {
                DemandError::parse(
                    rows.path(),
                    1,
                    format!("expected columns {end}_lon,{end}_lat or {end}_node in the header"),
                )
            })
    }

    fn place(&self, path: &Path, row: &Row, end: &str) -> Result<Place, DemandError> {
        let line = row.line;
        match *self {
            PlaceColumns::LonLat(lon, lat) => {
                let (x, y): (f64, f64) = (
                    number(path, line, &format!("{end}_lon"), row.field(lon))?,
                    number(path, line, &format!("{end}_lat"), row.field(lat))?,
                );
                if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
                    return Err(DemandError::parse(
                        path,
                        line,
                        format!("{end}_lon,{end}_lat: expected WGS84 degrees, found {x},{y}"),
                    ));
                }
                Ok(Place::LonLat(x, y))
            }
            PlaceColumns::Node(node) => Ok(Place::Node(number(
                path,
                line,
                &format!("{end}_node"),
                row.field(node),
            )?)),
        }
    }
}

/// Reads the list row by row (a regional day's list is never held as text or as rows).
pub fn read_trip_list(path: &Path) -> Result<TripList, DemandError> {
    let mut rows = CsvRows::open(path)?;
    let depart = rows.require(&["depart", "departure"])?;
    let id = rows.column("id");
    let from = PlaceColumns::of(&rows, "from")?;
    let to = PlaceColumns::of(&rows, "to")?;
    let (mut requests, mut ids) = (Vec::new(), TripIds::default());
    while let Some(row) = rows.next_row()? {
        match id {
            Some(c) => ids.push(row.field(c)),
            None => ids.push(&requests.len().to_string()),
        }
        requests.push(TripRequest {
            line: row.line,
            departure_s: time_of_day(path, row.line, "depart", row.field(depart))?,
            from: from.place(path, &row, "from")?,
            to: to.place(path, &row, "to")?,
        });
    }
    ids.shrink_to_fit();
    requests.shrink_to_fit();
    Ok(TripList {
        path: path.to_path_buf(),
        requests,
        ids,
    })
}

/// The trips on car links, sorted by departure, with their ids in the same order.
/// `to_city` projects WGS84 lon/lat into the city CRS.
pub fn resolve_trip_list(
    city: &City,
    list: &TripList,
    to_city: &dyn Fn(f64, f64) -> Option<Point<f64>>,
) -> Result<(Vec<TripSpec>, TripIds), DemandError> {
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
    let mut trips = Vec::with_capacity(list.requests.len());
    for r in &list.requests {
        trips.push(TripSpec {
            origin_link: LinkId(resolve(r.from, r.line, "from")?),
            dest_link: LinkId(resolve(r.to, r.line, "to")?),
            departure_s: r.departure_s,
            purpose: Purpose::Other,
        });
    }
    Ok(by_departure(trips, list.ids.clone()))
}
