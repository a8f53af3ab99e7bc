//! The fastest route between two WGS84 points of a city, as `citytwin route` asks for it:
//! the points reprojected into the city's CRS, refused when far outside it, snapped to the
//! nearest link the mode may use.

use citytwin_city::city::PointRoute;
use citytwin_city::{City, Mode};
use citytwin_gis::crs::Reprojector;
use geo::{Coord, Point};
use serde::Serialize;

/// Which end of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    From,
    To,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("{0}")]
    Crs(#[from] Box<citytwin_gis::GisError>),
    /// The end is not a place of this city (reprojection failed, or it lies far outside).
    #[error("{reason}")]
    Outside { end: End, reason: String },
    #[error("no {mode:?} route between the two points")]
    NoRoute { mode: Mode },
}

/// A lon/lat pair, "LON,LAT" in degrees; `None` if it is not one.
pub fn parse_lonlat(text: &str) -> Option<Coord<f64>> {
    let (x, y) = text.split_once(',')?;
    let c = Coord {
        x: x.trim().parse().ok()?,
        y: y.trim().parse().ok()?,
    };
    ((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)).then_some(c)
}

/// The fastest route by free-flow time from `from` to `to` (WGS84 lon/lat) for `mode`.
pub fn route_lonlat(
    city: &City,
    from: Coord<f64>,
    to: Coord<f64>,
    mode: Mode,
) -> Result<PointRoute, RouteError> {
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id).map_err(Box::new)?;
    let place = |c: Coord<f64>, end: End| -> Result<Point<f64>, RouteError> {
        let outside = |reason: String| RouteError::Outside { end, reason };
        let p = Point::from(to_city.coord(c).map_err(|e| outside(e.to_string()))?);
        let what = match end {
            End::From => "the origin",
            End::To => "the destination",
        };
        city.check_near(what, p).map_err(outside)?;
        Ok(p)
    };
    let (a, b) = (place(from, End::From)?, place(to, End::To)?);
    city.fastest_path_between(a, b, mode)
        .ok_or(RouteError::NoRoute { mode })
}

/// A route as `citytwin route --json` prints it (keys in alphabetical order, as before it
/// had a type).
#[derive(Clone, Debug, Serialize)]
pub struct RouteJson {
    pub destination_snap_m: f64,
    pub length_m: f64,
    pub links: Vec<u32>,
    pub mode: String,
    pub origin_snap_m: f64,
    pub time_s: f64,
}

impl RouteJson {
    pub fn of(found: &PointRoute, mode: Mode) -> Self {
        Self {
            destination_snap_m: found.destination.distance_m,
            length_m: found.route.length_m,
            links: found.route.links.iter().map(|l| l.0).collect(),
            mode: format!("{mode:?}").to_lowercase(),
            origin_snap_m: found.origin.distance_m,
            time_s: found.route.time_s,
        }
    }
}

/// The named streets a route follows, each once where it starts (unnamed links skipped).
pub fn street_names<'a>(city: &'a City, found: &PointRoute) -> Vec<&'a str> {
    let roads = city.roads();
    let mut names: Vec<&str> = Vec::new();
    for &l in &found.route.links {
        if let Some(name) = roads.link(l).name.as_deref()
            && names.last() != Some(&name)
        {
            names.push(name);
        }
    }
    names
}
