//! Parking fences for a city without a fence layer, generated from its OSM POIs the way
//! Chinese cities paint them: a kerbside strip along the street at subway entrances, bus
//! stops, school and hospital gates and shops, sized by the site, with its capacity from its
//! area. The busiest dozen get a monitoring point (as the 13 points of the source platform).
//!
//! A city with its own fences (docks and zones from GBFS, or a polygon layer) gets the same
//! plan around them ([`plan_for`]): each fence serves the kind of the nearest such POI within
//! [`SITE_RADIUS_M`] (shopping when none: the commonest kind), and the busiest get the
//! monitoring points.

use crate::fence::{Fence, FenceError, Fences, capacity_of};
use citytwin_city::layer::names;
use citytwin_city::roads::Mode;
use citytwin_city::{City, FenceId};
use citytwin_traffic::demand::activity::ActivityParams;
use geo::{Centroid, Coord, Distance, Euclidean, LineString, Point, Polygon};
use serde::{Deserialize, Serialize};

/// What a generated fence serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FenceSite {
    SubwayEntrance,
    Hospital,
    School,
    BusStop,
    Shopping,
    /// A residential block's gate: where riders going home leave their bikes.
    Residential,
}

impl FenceSite {
    pub fn as_str(self) -> &'static str {
        match self {
            FenceSite::SubwayEntrance => "subway_entrance",
            FenceSite::Hospital => "hospital",
            FenceSite::School => "school",
            FenceSite::BusStop => "bus_stop",
            FenceSite::Shopping => "shopping",
            FenceSite::Residential => "residential",
        }
    }

    /// Strip length × depth in metres: metro exits get the longest strips (they draw the
    /// most last-mile riders), bus stops the shortest.
    pub fn size_m(self) -> (f64, f64) {
        match self {
            FenceSite::SubwayEntrance => (30.0, 5.0),
            FenceSite::Hospital | FenceSite::School => (24.0, 4.0),
            FenceSite::Shopping => (18.0, 4.0),
            FenceSite::BusStop => (12.0, 3.0),
            FenceSite::Residential => (15.0, 3.0),
        }
    }

    fn of(category: &str, class: &str) -> Option<FenceSite> {
        match (category, class) {
            ("subway_entrance", _) => Some(FenceSite::SubwayEntrance),
            ("hospital", _) => Some(FenceSite::Hospital),
            ("school", _) => Some(FenceSite::School),
            ("bus_stop", _) => Some(FenceSite::BusStop),
            (_, c) if c.starts_with("shop=") || c == "amenity=marketplace" => {
                Some(FenceSite::Shopping)
            }
            _ => None,
        }
    }
}

/// A site closer than this to an already placed fence shares it.
pub const MERGE_M: f64 = 30.0;
/// Monitoring points placed at the busiest fences.
pub const MONITORING_POINTS: usize = 12;
/// Radius of the neighbourhood whose POIs make a fence busy.
const BUSY_RADIUS_M: f64 = 300.0;

/// Generated fences with what each serves and the OSM feature it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FencePlan {
    pub fences: Fences,
    pub sites: Vec<FenceSite>,
    pub sources: Vec<String>,
    /// Fences with a monitoring point, busiest first.
    pub monitored: Vec<FenceId>,
}

/// Fences at the city's metro entrances, bus stops, schools, hospitals and shops, and one at
/// the gate of every block of homes (`activity`: how the demand model estimates where people
/// live, so riders and cars live in the same places).
pub fn fences_from_osm(city: &City, activity: &ActivityParams) -> Result<FencePlan, FenceError> {
    let Ok(pois) = city.layer(names::POIS) else {
        return Ok(FencePlan {
            fences: Fences::new(Vec::new())?,
            sites: Vec::new(),
            sources: Vec::new(),
            monitored: Vec::new(),
        });
    };
    let mut candidates: Vec<(FenceSite, Point<f64>, &str, String)> = Vec::new();
    let mut all_pois = Vec::new();
    for f in &pois.features {
        let Some(p) = f.geometry.centroid() else {
            continue;
        };
        all_pois.push(p);
        let site = FenceSite::of(
            f.text("category").unwrap_or(""),
            f.text("class").unwrap_or(""),
        );
        if let Some(site) = site {
            let name = f.text("name").map(str::to_string).unwrap_or_default();
            candidates.push((site, p, f.source_id.as_str(), name));
        }
    }
    // most important sites first; within a kind, in source order (deterministic)
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(b.2)));
    let (mut fences, mut sites, mut sources, mut centres) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::<Point<f64>>::new());
    for (site, p, source, name) in candidates {
        if centres.iter().any(|c| Euclidean.distance(*c, p) < MERGE_M) {
            continue;
        }
        let area = kerbside_strip(city, p, site.size_m());
        let label = if name.is_empty() {
            source.to_string()
        } else {
            name
        };
        fences.push(Fence {
            id: FenceId(0),
            name: format!("{} · {label}", site.as_str()),
            capacity: capacity_of(&area),
            area,
            dock: false,
        });
        sites.push(site);
        sources.push(source.to_string());
        centres.push(p);
    }
    // blocks of homes with no fence near them get one at their gate, as cities paint them
    // along residential streets: where riders going home leave their bikes
    for (p, cell) in residential_gates(city, activity) {
        if centres
            .iter()
            .any(|c| Euclidean.distance(*c, p) < RESIDENTIAL_SPACING_M / 2.0)
        {
            continue;
        }
        let area = kerbside_strip(city, p, FenceSite::Residential.size_m());
        fences.push(Fence {
            id: FenceId(0),
            name: format!("residential · block {cell}"),
            capacity: capacity_of(&area),
            area,
            dock: false,
        });
        sites.push(FenceSite::Residential);
        sources.push(format!("homes of block {cell}"));
        centres.push(p);
    }
    let monitored = busiest(&centres, &sites, &all_pois);
    Ok(FencePlan {
        fences: Fences::new(fences)?,
        sites,
        sources,
        monitored,
    })
}

/// Side of the blocks that get one residential fence each (m): a rider is then at most
/// ~180 m, mostly under 125 m, from one — inside the walk riders accept to park legally.
pub const RESIDENTIAL_SPACING_M: f64 = 250.0;

/// For every [`RESIDENTIAL_SPACING_M`] block with residents (the car demand's estimate:
/// buildings, land use, streets), the point on its nearest walkable street closest to where
/// they live (the homes' weighted centre), and the block's `row_col` label; in block order.
fn residential_gates(city: &City, activity: &ActivityParams) -> Vec<(Point<f64>, String)> {
    let homes = citytwin_traffic::demand::activity::estimate(city, activity).homes;
    let e = city.bundle.meta.extent;
    let block = |p: Point<f64>| {
        (
            ((p.y() - e.min().y) / RESIDENTIAL_SPACING_M).floor() as i64,
            ((p.x() - e.min().x) / RESIDENTIAL_SPACING_M).floor() as i64,
        )
    };
    let mut sums: std::collections::BTreeMap<(i64, i64), (f64, f64, f64)> = Default::default();
    for (shape, weight) in homes.iter() {
        let Some(c) = shape.centroid() else {
            continue;
        };
        let s = sums.entry(block(c)).or_default();
        s.0 += weight * c.x();
        s.1 += weight * c.y();
        s.2 += weight;
    }
    sums.into_iter()
        .filter(|(_, (_, _, w))| *w > 0.0)
        .filter_map(|((r, c), (x, y, w))| {
            let centre = Point::new(x / w, y / w);
            let kerb = city.nearest_link(centre, Mode::Walk)?;
            Some((kerb.point, format!("{r}_{c}")))
        })
        .collect()
}

/// A fence serves the kind of the nearest site POI within this distance.
pub const SITE_RADIUS_M: f64 = 100.0;

/// The plan around fences the city already has (from GBFS or a layer): what each serves,
/// from the nearest site POI, and the monitoring points at the busiest.
pub fn plan_for(city: &City, fences: Fences, source: &str) -> FencePlan {
    let (sites_near, all_pois) = site_pois(city);
    let centres: Vec<Point<f64>> = fences
        .iter()
        .map(|f| fences.centre(f.id).unwrap_or(Point::new(0.0, 0.0)))
        .collect();
    let sites: Vec<FenceSite> = centres
        .iter()
        .map(|c| {
            sites_near
                .iter()
                .map(|(site, p)| (Euclidean.distance(*p, *c), *site))
                .filter(|(d, _)| *d <= SITE_RADIUS_M)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map_or(FenceSite::Shopping, |(_, site)| site)
        })
        .collect();
    let monitored = busiest(&centres, &sites, &all_pois);
    FencePlan {
        sources: fences
            .iter()
            .map(|f| format!("{source}: {}", f.name))
            .collect(),
        fences,
        sites,
        monitored,
    }
}

/// A POI that fences serve, and where it is.
type SitePoi = (FenceSite, Point<f64>);

/// The city's site POIs with their kind, and every POI's position.
fn site_pois(city: &City) -> (Vec<SitePoi>, Vec<Point<f64>>) {
    let (mut sites, mut all) = (Vec::new(), Vec::new());
    let Ok(pois) = city.layer(names::POIS) else {
        return (sites, all);
    };
    for f in &pois.features {
        let Some(p) = f.geometry.centroid() else {
            continue;
        };
        all.push(p);
        let site = FenceSite::of(
            f.text("category").unwrap_or(""),
            f.text("class").unwrap_or(""),
        );
        if let Some(site) = site {
            sites.push((site, p));
        }
    }
    (sites, all)
}

/// The [`MONITORING_POINTS`] busiest fences (POIs within [`BUSY_RADIUS_M`], metro exits
/// weighted up), busiest first.
fn busiest(centres: &[Point<f64>], sites: &[FenceSite], all_pois: &[Point<f64>]) -> Vec<FenceId> {
    let busy: Vec<usize> = centres
        .iter()
        .zip(sites)
        .map(|(c, s)| {
            let near = all_pois
                .iter()
                .filter(|p| Euclidean.distance(**p, *c) <= BUSY_RADIUS_M)
                .count();
            near + if *s == FenceSite::SubwayEntrance {
                5
            } else {
                0
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..centres.len()).collect();
    order.sort_by(|&a, &b| busy[b].cmp(&busy[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(MONITORING_POINTS)
        .map(FenceId::from_index)
        .collect()
}

/// A painted kerbside strip of `length × depth` metres centred on `p`, along the nearest street.
pub fn kerbside_strip(city: &City, p: Point<f64>, size: (f64, f64)) -> Polygon<f64> {
    let direction = street_direction(city, p).unwrap_or(Coord { x: 1.0, y: 0.0 });
    strip(p.0, direction, size)
}

/// Unit direction of the street nearest to `p` (a walkable link), where it passes `p`.
fn street_direction(city: &City, p: Point<f64>) -> Option<Coord<f64>> {
    let m = city.nearest_link(p, Mode::Walk)?;
    let line = &city.roads().link(m.link).geometry;
    let segment = line.lines().min_by(|a, b| {
        Euclidean
            .distance(&m.point, a)
            .total_cmp(&Euclidean.distance(&m.point, b))
    })?;
    let d = segment.delta();
    let len = d.x.hypot(d.y);
    (len > 0.0).then(|| Coord {
        x: d.x / len,
        y: d.y / len,
    })
}

/// A `length × depth` rectangle centred on `centre`, its length along `direction`.
pub fn strip(
    centre: Coord<f64>,
    direction: Coord<f64>,
    (length, depth): (f64, f64),
) -> Polygon<f64> {
    let along = Coord {
        x: direction.x * length / 2.0,
        y: direction.y * length / 2.0,
    };
    let across = Coord {
        x: -direction.y * depth / 2.0,
        y: direction.x * depth / 2.0,
    };
    let corner = |a: f64, b: f64| Coord {
        x: centre.x + along.x * a + across.x * b,
        y: centre.y + along.y * a + across.y * b,
    };
    Polygon::new(
        LineString::from(vec![
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
            corner(-1.0, -1.0),
        ]),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn a_strip_lies_along_its_street_with_its_size() {
        let s = strip(
            Coord { x: 100.0, y: 50.0 },
            Coord { x: 0.0, y: 1.0 },
            (30.0, 5.0),
        );
        assert!((s.unsigned_area() - 150.0).abs() < 1e-9);
        let xs: Vec<f64> = s.exterior().0.iter().map(|c| c.x).collect();
        let ys: Vec<f64> = s.exterior().0.iter().map(|c| c.y).collect();
        // a north-south street: 5 m wide across x, 30 m long along y
        assert!(
            (xs.iter().cloned().fold(f64::MIN, f64::max)
                - xs.iter().cloned().fold(f64::MAX, f64::min)
                - 5.0)
                .abs()
                < 1e-9
        );
        assert!(
            (ys.iter().cloned().fold(f64::MIN, f64::max)
                - ys.iter().cloned().fold(f64::MAX, f64::min)
                - 30.0)
                .abs()
                < 1e-9
        );
        assert_eq!(capacity_of(&s), 100);
    }

    #[test]
    fn sites_are_recognised_from_category_or_shop_class() {
        assert_eq!(
            FenceSite::of("subway_entrance", "railway=subway_entrance"),
            Some(FenceSite::SubwayEntrance)
        );
        assert_eq!(
            FenceSite::of("other", "shop=supermarket"),
            Some(FenceSite::Shopping)
        );
        assert_eq!(FenceSite::of("other", "amenity=bank"), None);
    }
}
