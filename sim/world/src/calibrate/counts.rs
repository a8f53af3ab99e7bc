//! Observed link counts and speeds, where they are on the network, and how a run compares.
//!
//! CSV columns (header row; `#` comments; empty fields for what a row does not give):
//!
//! - where: `way` (OSM way id) with `direction` (`forward` / `backward` along the way's
//!   drawing, empty for both) and optionally `lon`,`lat` to pick the piece of a long way; or
//!   `lon`,`lat` alone (WGS84) with an optional `bearing` (degrees clockwise from north, the
//!   direction traffic was counted in; empty for both directions). A point farther than 100 m
//!   from any car link is an error.
//! - when: `from`, `to` (HH:MM), on the model's 15-minute bins.
//! - what: `count` (vehicles in the period) and/or `speed_kmh` (space-mean speed).

use super::CalibrateError;
use citytwin_city::City;
use citytwin_city::ids::LinkId;
use citytwin_city::roads::Mode;
use citytwin_traffic::demand::table::{CsvRows, Row, number, time_of_day};
use citytwin_traffic::dynamic::LinkStats;
use geo::Point;
use std::path::Path;

/// A count location farther than this from every car link is an error (m).
pub const MAX_SNAP_M: f64 = 100.0;

/// One observation, placed on the network.
#[derive(Clone, Debug, PartialEq)]
pub struct CountSite {
    /// The CSV line it came from (1-based).
    pub line: usize,
    /// Car links whose traffic it counts (one direction, or both).
    pub links: Vec<u32>,
    pub from_s: u32,
    pub to_s: u32,
    pub count: Option<f64>,
    pub speed_kmh: Option<f64>,
}

impl CountSite {
    /// Observed flow (veh/h).
    pub fn observed_vph(&self) -> Option<f64> {
        self.count
            .map(|c| c * 3600.0 / f64::from(self.to_s - self.from_s))
    }

    /// What a run counted there: flow (veh/h) and space-mean speed (km/h, `None` when no car
    /// left those links in the period).
    pub fn simulated(&self, stats: &LinkStats, city: &City) -> (f64, Option<f64>) {
        let (first, last) = (self.from_s / stats.bin_s, self.to_s / stats.bin_s);
        let (mut exits, mut metres, mut seconds) = (0u64, 0.0, 0.0);
        for bin in first as usize..(last as usize).min(stats.bin_count()) {
            for &l in &self.links {
                let b = stats.get(bin, LinkId(l));
                exits += u64::from(b.exits);
                metres += f64::from(b.exits) * city.roads().links[l as usize].length_m;
                seconds += f64::from(b.travel_s);
            }
        }
        let flow = exits as f64 * 3600.0 / f64::from(self.to_s - self.from_s);
        (flow, (seconds > 0.0).then(|| metres / seconds * 3.6))
    }
}

/// GEH statistic of an hourly flow pair (simulated, observed): the usual acceptance is < 5.
pub fn geh(simulated_vph: f64, observed_vph: f64) -> f64 {
    let sum = simulated_vph + observed_vph;
    if sum <= 0.0 {
        return 0.0;
    }
    (2.0 * (simulated_vph - observed_vph).powi(2) / sum).sqrt()
}

/// Reads a counts CSV and places every row on the city's car links; `project` takes WGS84
/// lon/lat to the city's CRS. `bin_s` is the model's statistics bin.
pub fn read_counts(
    path: &Path,
    city: &City,
    project: &dyn Fn(f64, f64) -> Option<Point<f64>>,
    bin_s: u32,
) -> Result<Vec<CountSite>, CalibrateError> {
    let mut rows = CsvRows::open(path)?;
    let columns = CountColumns::of(&rows)?;
    let mut sites = Vec::new();
    while let Some(row) = rows.next_row()? {
        let at = CountRow { path, row: &row };
        let (from_s, to_s) = at.period(&columns, bin_s)?;
        let (count, speed_kmh) = (
            at.observed("count", columns.count)?,
            at.observed("speed_kmh", columns.speed)?,
        );
        if count.is_none() && speed_kmh.is_none() {
            return Err(at.error("count, speed_kmh: expected at least one of them"));
        }
        sites.push(CountSite {
            line: row.line,
            links: at.links(&columns, city, project)?,
            from_s,
            to_s,
            count,
            speed_kmh,
        });
    }
    Ok(sites)
}

/// The columns of a counts CSV.
struct CountColumns {
    way: Option<usize>,
    direction: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
    bearing: Option<usize>,
    from: usize,
    to: usize,
    count: Option<usize>,
    speed: Option<usize>,
}

impl CountColumns {
    fn of(rows: &CsvRows) -> Result<Self, CalibrateError> {
        let col = |name: &str| rows.column(name);
        let columns = CountColumns {
            way: col("way"),
            direction: col("direction"),
            lon: col("lon"),
            lat: col("lat"),
            bearing: col("bearing"),
            from: rows.require(&["from"])?,
            to: rows.require(&["to"])?,
            count: col("count"),
            speed: col("speed_kmh"),
        };
        let header_error = |m: &str| CalibrateError::row(rows.path(), 1, m);
        if columns.way.is_none() && (columns.lon.is_none() || columns.lat.is_none()) {
            return Err(header_error(
                "no column way, nor lon and lat: expected one of them to place the counts",
            ));
        }
        if columns.count.is_none() && columns.speed.is_none() {
            return Err(header_error(
                "no column count or speed_kmh: expected at least one observation column",
            ));
        }
        Ok(columns)
    }
}

/// One row of a counts CSV, read field by field with errors that name its line.
struct CountRow<'r> {
    path: &'r Path,
    row: &'r Row<'r>,
}

impl CountRow<'_> {
    fn error(&self, message: impl Into<String>) -> CalibrateError {
        CalibrateError::row(self.path, self.row.line, message)
    }

    fn field(&self, c: Option<usize>) -> Option<&str> {
        c.map(|i| self.row.field(i)).filter(|v| !v.is_empty())
    }

    fn optional(&self, name: &str, c: Option<usize>) -> Result<Option<f64>, CalibrateError> {
        self.field(c)
            .map(|v| number::<f64>(self.path, self.row.line, name, v))
            .transpose()
            .map_err(CalibrateError::from)
    }

    /// An observation column: empty, or a number ≥ 0.
    fn observed(&self, name: &str, c: Option<usize>) -> Result<Option<f64>, CalibrateError> {
        let v = self.optional(name, c)?;
        if let Some(x) = v
            && !(x >= 0.0 && x.is_finite())
        {
            return Err(self.error(format!("{name}: expected a number ≥ 0, found {x}")));
        }
        Ok(v)
    }

    /// `from` and `to` in seconds after midnight, on the model's bins and within the day.
    fn period(&self, columns: &CountColumns, bin_s: u32) -> Result<(u32, u32), CalibrateError> {
        let (from, to) = (self.row.field(columns.from), self.row.field(columns.to));
        let from_s = time_of_day(self.path, self.row.line, "from", from)?;
        let to_s = time_of_day(self.path, self.row.line, "to", to)?;
        if to_s <= from_s || to_s > 86_400 {
            return Err(self.error(format!(
                "to: expected a time after from and by 24:00, found {to}"
            )));
        }
        if !from_s.is_multiple_of(bin_s) || !to_s.is_multiple_of(bin_s) {
            return Err(self.error(format!(
                "from/to: expected times on the model's {}-minute bins (e.g. 07:00, 07:15), found {from}–{to}",
                bin_s / 60,
            )));
        }
        Ok((from_s, to_s))
    }

    /// The car links the row counts: its OSM way (one direction or both), or the links at
    /// its lon/lat along its bearing.
    fn links(
        &self,
        columns: &CountColumns,
        city: &City,
        project: &dyn Fn(f64, f64) -> Option<Point<f64>>,
    ) -> Result<Vec<u32>, CalibrateError> {
        let point =
            match (
                self.optional("lon", columns.lon)?,
                self.optional("lat", columns.lat)?,
            ) {
                (Some(x), Some(y)) => Some(project(x, y).ok_or_else(|| {
                    self.error(format!("lon,lat: {x},{y} is not a WGS84 position"))
                })?),
                _ => None,
            };
        let Some(w) = self.field(columns.way) else {
            let p =
                point.ok_or_else(|| self.error("way or lon,lat: expected where the count is"))?;
            let b = self.optional("bearing", columns.bearing)?;
            return point_links(city, p, b).map_err(|m| self.error(m));
        };
        let id: i64 = number(self.path, self.row.line, "way", w)?;
        let forward = match self.field(columns.direction) {
            None => None,
            Some("forward") => Some(true),
            Some("backward") => Some(false),
            Some(other) => {
                return Err(self.error(format!(
                    "direction: expected forward, backward or empty, found {other:?}"
                )));
            }
        };
        way_links(city, id, forward, point).ok_or_else(|| {
            self.error(format!(
                "way: {id} has no car link{} in the city",
                match forward {
                    Some(true) => " forward",
                    Some(false) => " backward",
                    None => "",
                }
            ))
        })
    }
}

fn heading_deg(city: &City, link: usize) -> f64 {
    let g = &city.roads().links[link].geometry.0;
    let (a, b) = (g[0], g[g.len() - 1]);
    // clockwise from north
    (b.x - a.x).atan2(b.y - a.y).to_degrees().rem_euclid(360.0)
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// The links of a way in a direction (both when `None`): the piece nearest `near`, else the
/// longest, with its twin for both directions.
fn way_links(
    city: &City,
    way: i64,
    forward: Option<bool>,
    near: Option<Point<f64>>,
) -> Option<Vec<u32>> {
    let roads = city.roads();
    let candidates = roads.links.iter().enumerate().filter(|(_, l)| {
        l.osm_way_id == way && l.carries_cars() && forward.is_none_or(|f| l.forward == f)
    });
    let distance = |l: &citytwin_city::roads::RoadLink| match near {
        Some(p) => geo::Euclidean.distance(&p, &l.geometry),
        None => -l.length_m,
    };
    use geo::Distance;
    let (best, _) =
        candidates.min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)).then(a.0.cmp(&b.0)))?;
    Some(with_twin(city, best, forward.is_none()))
}

fn with_twin(city: &City, link: usize, both: bool) -> Vec<u32> {
    let mut links = vec![link as u32];
    if both
        && let Some(t) = city.roads().links[link].twin
        && city.roads().link(t).carries_cars()
    {
        links.push(t.index() as u32);
    }
    links.sort_unstable();
    links
}

fn point_links(city: &City, p: Point<f64>, bearing: Option<f64>) -> Result<Vec<u32>, String> {
    let m = city
        .nearest_link(p, Mode::Car)
        .ok_or("the city has no car links")?;
    if m.distance_m > MAX_SNAP_M {
        return Err(format!(
            "lon,lat: the nearest car link is {:.0} m away, expected within {MAX_SNAP_M:.0} m",
            m.distance_m
        ));
    }
    let link = m.link.index();
    let Some(b) = bearing else {
        return Ok(with_twin(city, link, true));
    };
    if !(b.is_finite() && (0.0..=360.0).contains(&b)) {
        return Err(format!("bearing: expected degrees 0–360, found {b}"));
    }
    let twin = city.roads().links[link]
        .twin
        .map(LinkId::index)
        .filter(|t| city.roads().links[*t].carries_cars());
    let pick = match twin {
        Some(t)
            if angle_between(heading_deg(city, t), b)
                < angle_between(heading_deg(city, link), b) =>
        {
            t
        }
        _ => link,
    };
    Ok(vec![pick as u32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geh_of_equal_flows_is_zero_and_grows_with_the_miss() {
        assert_eq!(geh(500.0, 500.0), 0.0);
        // the textbook example: 1,100 against 1,000 veh/h
        assert!((geh(1100.0, 1000.0) - 3.086).abs() < 1e-3);
        assert_eq!(geh(0.0, 0.0), 0.0);
    }

    #[test]
    fn headings_are_clockwise_from_north() {
        assert_eq!(angle_between(350.0, 10.0), 20.0);
        assert_eq!(angle_between(90.0, 270.0), 180.0);
    }
}
