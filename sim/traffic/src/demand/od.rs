//! Trips from an OD matrix between zones, spread over the day by a departure profile.
//!
//! Zones are the city's districts or its grid cells (`ZoneKind`). A TNTP `_trips.tntp` file
//! numbers its zones: zone k is the k-th district (in the bundle's order, as `citytwin info`
//! lists them) or the k-th grid cell (row by row from the south-west). A CSV has the columns
//! `origin,destination,trips`, with zones named by district name (`name`, either part of a
//! `local (English)` name, or `name:en`) or by
//! grid-cell code. Fractional trip counts keep their expected value: ⌊x⌋ trips, plus one with
//! probability x − ⌊x⌋.

use super::sites::Sites;
use super::table::{CsvRows, number};
use super::{DemandError, DepartureProfile};
use crate::dynamic::{Purpose, TripSpec};
use crate::tntp;
use citytwin_city::layer::names;
use citytwin_city::rng::SimRng;
use citytwin_city::{City, LinkId};
use geo::Geometry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ZoneKind {
    #[default]
    Districts,
    Grid,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ZoneKey {
    Number(u32),
    Name(String),
}

impl std::fmt::Display for ZoneKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZoneKey::Number(n) => write!(f, "{n}"),
            ZoneKey::Name(s) => write!(f, "{s:?}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct OdMatrix {
    pub path: PathBuf,
    /// (origin, destination, trips per day, source line or 0 for TNTP)
    pub entries: Vec<(ZoneKey, ZoneKey, f64, usize)>,
}

impl OdMatrix {
    /// A TNTP trips file (`*.tntp`) or a CSV `origin,destination,trips`.
    pub fn read(path: &Path) -> Result<OdMatrix, DemandError> {
        let is_tntp = path.extension().is_some_and(|e| e == "tntp");
        let entries = if is_tntp {
            let trips = tntp::read_trips(path)?;
            trips
                .od
                .into_iter()
                .map(|(o, d, x)| (ZoneKey::Number(o), ZoneKey::Number(d), x, 0))
                .collect()
        } else {
            let mut rows = CsvRows::open(path)?;
            let (o, d, x) = (
                rows.require(&["origin"])?,
                rows.require(&["destination"])?,
                rows.require(&["trips"])?,
            );
            let mut entries = Vec::new();
            while let Some(row) = rows.next_row()? {
                let trips: f64 = number(path, row.line, "trips", row.field(x))?;
                if !(trips >= 0.0 && trips.is_finite()) {
                    return Err(DemandError::parse(
                        path,
                        row.line,
                        format!("trips: expected a count ≥ 0, found {trips}"),
                    ));
                }
                entries.push((key(row.field(o)), key(row.field(d)), trips, row.line));
            }
            entries
        };
        Ok(OdMatrix {
            path: path.to_path_buf(),
            entries,
        })
    }

    pub fn total(&self) -> f64 {
        self.entries.iter().map(|e| e.2).sum()
    }
}

fn key(field: &str) -> ZoneKey {
    field
        .parse()
        .map_or_else(|_| ZoneKey::Name(field.to_string()), ZoneKey::Number)
}

/// A district's name as the import writes it, `青羊区 (Qingyang)`, answers to the whole, to
/// `青羊区` and to `Qingyang`.
fn name_variants(name: &str) -> Vec<String> {
    let mut names = vec![name.to_string()];
    if let Some((local, rest)) = name.split_once(" (") {
        names.push(local.to_string());
        names.push(rest.trim_end_matches(')').to_string());
    }
    names
}

/// The area of every zone, found by number or name.
struct Zones {
    by_key: BTreeMap<ZoneKey, Sites>,
    count: usize,
    kind: ZoneKind,
}

impl Zones {
    fn of(city: &City, kind: ZoneKind) -> Zones {
        let mut by_key = BTreeMap::new();
        let mut add = |number: usize, names: Vec<String>, shape: Geometry<f64>| {
            let mut sites = Sites::default();
            sites.push(shape, 1.0);
            for n in names {
                by_key.insert(ZoneKey::Name(n), sites.clone());
            }
            by_key.insert(ZoneKey::Number(number as u32 + 1), sites);
        };
        let mut count = 0;
        match kind {
            ZoneKind::Districts => {
                if let Ok(layer) = city.layer(names::DISTRICTS) {
                    for (i, f) in layer.features.iter().enumerate() {
                        let names = ["name", "name:en"]
                            .iter()
                            .filter_map(|k| f.text(k))
                            .flat_map(name_variants)
                            .collect();
                        add(i, names, f.geometry.clone());
                        count += 1;
                    }
                }
            }
            ZoneKind::Grid => {
                let grid = &city.bundle.grid;
                for (i, cell) in grid.cells().enumerate() {
                    add(
                        i,
                        vec![grid.code(cell)],
                        Geometry::Polygon(grid.polygon(cell)),
                    );
                    count += 1;
                }
            }
        }
        Zones {
            by_key,
            count,
            kind,
        }
    }

    fn get(&self, od: &OdMatrix, zone: &ZoneKey, line: usize) -> Result<&Sites, DemandError> {
        self.by_key.get(zone).ok_or_else(|| {
            let what = match self.kind {
                ZoneKind::Districts => "districts (by number, name or name:en)",
                ZoneKind::Grid => "grid cells (by number or cell code)",
            };
            DemandError::parse(
                &od.path,
                line,
                format!("zone {zone}: not one of the city's {} {what}", self.count),
            )
        })
    }
}

/// The matrix's trips (× `scale`) on car links, departing by `profile`, sorted by departure.
pub fn od_trips(
    city: &City,
    od: &OdMatrix,
    kind: ZoneKind,
    profile: &DepartureProfile,
    scale: f64,
    seed: u64,
) -> Result<Vec<TripSpec>, DemandError> {
    if !(scale.is_finite() && scale >= 0.0) {
        return Err(DemandError::Params(format!(
            "OD scale {scale}: expected a factor ≥ 0"
        )));
    }
    super::check_day_size(&od.path.display().to_string(), od.total() * scale)?;
    let zones = Zones::of(city, kind);
    let mut rng = SimRng::fork(seed, "traffic.od");
    let mut out = Vec::new();
    for (o, d, trips, line) in &od.entries {
        let (from, to) = (zones.get(od, o, *line)?, zones.get(od, d, *line)?);
        let expected = trips * scale;
        let n = expected.floor() as u64 + u64::from(rng.unit() < expected.fract());
        for _ in 0..n {
            let (Some(a), Some(b)) = (from.draw_link(city, &mut rng), to.draw_link(city, &mut rng))
            else {
                return Err(DemandError::NoRoads);
            };
            let departure_s = profile.draw(&mut rng);
            if a != b {
                out.push(TripSpec {
                    origin_link: LinkId(a),
                    dest_link: LinkId(b),
                    departure_s,
                    purpose: Purpose::Other,
                });
            }
        }
    }
    out.sort_by_key(|t| t.departure_s);
    Ok(out)
}
