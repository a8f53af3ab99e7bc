//! Parking fences: polygons where bikes may be parked, each with a capacity. A dock is a
//! fence with a hard capacity (bikes cannot be left when it is full). Lookups go through an
//! R-tree of the fences' boxes, then an exact point-in-polygon test.

use citytwin_city::FenceId;
use geo::{
    Area, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean, Intersects, LineString,
    Point, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};

use crate::gbfs::{GbfsStation, GbfsZone};

/// Floor area per parked bike: a 0.6 m × 2.0 m stall plus a quarter for access.
pub const STALL_M2: f64 = 1.5;
/// Radius of the area drawn around a dock's position.
pub const DOCK_RADIUS_M: f64 = 12.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fence {
    pub id: FenceId,
    pub name: String,
    /// In the city CRS (metres).
    pub area: Polygon<f64>,
    pub capacity: u32,
    /// A dock: its capacity is hard.
    pub dock: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FenceError {
    #[error("fence `{name}`: {reason}")]
    Invalid { name: String, reason: String },
    #[error("station `{id}` ({name}): capacity missing; docks need one")]
    NoCapacity { id: String, name: String },
    #[error("`{name}` at lon {lon}, lat {lat}: outside the city's CRS")]
    Unprojectable { name: String, lon: f64, lat: f64 },
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Every fence of a city, indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fences {
    fences: Vec<Fence>,
    centres: Vec<Point<f64>>,
    tree: RTree<Entry>,
}

/// Two sets are equal when they hold the same fences in the same order (the index follows).
impl PartialEq for Fences {
    fn eq(&self, other: &Self) -> bool {
        self.fences == other.fences
    }
}

impl Fences {
    /// Indexes fences; ids are reassigned in the given order.
    pub fn new(mut fences: Vec<Fence>) -> Result<Fences, FenceError> {
        let mut entries = Vec::with_capacity(fences.len());
        let mut centres = Vec::with_capacity(fences.len());
        for (i, f) in fences.iter_mut().enumerate() {
            f.id = FenceId::from_index(i);
            let invalid = |reason: &str| FenceError::Invalid {
                name: f.name.clone(),
                reason: reason.to_string(),
            };
            let rect = f
                .area
                .bounding_rect()
                .ok_or_else(|| invalid("empty polygon"))?;
            let finite = f
                .area
                .exterior()
                .0
                .iter()
                .all(|c| c.x.is_finite() && c.y.is_finite());
            if !finite || f.area.exterior().0.len() < 4 {
                return Err(invalid("needs a closed ring of at least 3 finite points"));
            }
            centres.push(f.area.centroid().unwrap_or(rect.center().into()));
            entries.push(Entry::new(
                Rectangle::from_corners(rect.min().into(), rect.max().into()),
                i as u32,
            ));
        }
        Ok(Fences {
            fences,
            centres,
            tree: RTree::bulk_load(entries),
        })
    }

    pub fn len(&self) -> usize {
        self.fences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fences.is_empty()
    }

    pub fn get(&self, id: FenceId) -> Option<&Fence> {
        self.fences.get(id.index())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Fence> {
        self.fences.iter()
    }

    /// The fence a parked bike is in (on the boundary counts as in); where fences overlap
    /// (docks a few metres apart), the one whose centre is nearest, then the lowest id, so
    /// the answer does not depend on the tree's layout.
    pub fn fence_at(&self, p: Point<f64>) -> Option<FenceId> {
        let here = AABB::from_point([p.x(), p.y()]);
        self.tree
            .locate_in_envelope_intersecting(&here)
            .map(|e| e.data)
            .filter(|&i| {
                let area = &self.fences[i as usize].area;
                area.contains(&p) || area.exterior().intersects(&p)
            })
            .min_by(|&a, &b| {
                let d = |i: u32| Euclidean.distance(self.centres[i as usize], p);
                d(a).total_cmp(&d(b)).then(a.cmp(&b))
            })
            .map(FenceId)
    }

    /// Where a fence's centre is (its centroid).
    pub fn centre(&self, id: FenceId) -> Option<Point<f64>> {
        self.centres.get(id.index()).copied()
    }

    /// The fence whose centre is nearest to `p`, at most `radius` away, among those `keep`
    /// accepts (ties: the lowest id).
    pub fn nearest_within(
        &self,
        p: Point<f64>,
        radius: f64,
        keep: impl Fn(&Fence) -> bool,
    ) -> Option<FenceId> {
        let around = AABB::from_corners(
            [p.x() - radius, p.y() - radius],
            [p.x() + radius, p.y() + radius],
        );
        self.tree
            .locate_in_envelope_intersecting(&around)
            .map(|e| e.data)
            .filter(|&i| keep(&self.fences[i as usize]))
            .map(|i| (i, Euclidean.distance(self.centres[i as usize], p)))
            .filter(|(_, d)| *d <= radius)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| FenceId(i))
    }

    /// Bikes in each fence (indexed by fence) and bikes outside every fence.
    pub fn count(&self, bikes: impl IntoIterator<Item = Point<f64>>) -> (Vec<u32>, u32) {
        let mut inside = vec![0; self.fences.len()];
        let mut outside = 0;
        for p in bikes {
            match self.fence_at(p) {
                Some(f) => inside[f.index()] += 1,
                None => outside += 1,
            }
        }
        (inside, outside)
    }

    /// Fences from GBFS stations: a station with a `station_area` is that area (its largest
    /// polygon; capacity from the station, else from the area), a dock without one a circle
    /// around it with the station's capacity (required: a dock without docks is an error).
    pub fn from_stations(
        stations: &[GbfsStation],
        project: &dyn Fn(f64, f64) -> Option<Coord<f64>>,
    ) -> Result<Fences, FenceError> {
        let mut fences = Vec::with_capacity(stations.len());
        for s in stations {
            let largest = s.area.as_ref().and_then(|a| {
                a.0.iter()
                    .max_by(|x, y| x.unsigned_area().total_cmp(&y.unsigned_area()))
            });
            let (area, capacity) = match largest {
                Some(polygon) => {
                    let area = project_polygon(polygon, &s.name, project)?;
                    let capacity = s.capacity.unwrap_or_else(|| capacity_of(&area));
                    (area, capacity)
                }
                None => {
                    let centre =
                        project(s.lon, s.lat).ok_or_else(|| FenceError::Unprojectable {
                            name: s.name.clone(),
                            lon: s.lon,
                            lat: s.lat,
                        })?;
                    let capacity = s.capacity.ok_or_else(|| FenceError::NoCapacity {
                        id: s.id.clone(),
                        name: s.name.clone(),
                    })?;
                    (circle(centre, DOCK_RADIUS_M), capacity)
                }
            };
            fences.push(Fence {
                id: FenceId(0),
                name: s.name.clone(),
                area,
                capacity,
                dock: !s.is_virtual,
            });
        }
        Fences::new(fences)
    }

    /// Dockless fences from GBFS geofencing zones (each polygon a fence), capacity from area.
    pub fn from_zones(
        zones: &[GbfsZone],
        project: &dyn Fn(f64, f64) -> Option<Coord<f64>>,
    ) -> Result<Fences, FenceError> {
        let mut fences = Vec::new();
        for z in zones {
            for (k, poly) in z.area.0.iter().enumerate() {
                let area = project_polygon(poly, &z.name, project)?;
                let name = if z.area.0.len() > 1 {
                    format!("{} #{}", z.name, k + 1)
                } else {
                    z.name.clone()
                };
                fences.push(Fence {
                    id: FenceId(0),
                    name,
                    capacity: capacity_of(&area),
                    area,
                    dock: false,
                });
            }
        }
        Fences::new(fences)
    }
}

/// A lon/lat polygon in the city's CRS; the error names what it outlines.
fn project_polygon(
    polygon: &Polygon<f64>,
    name: &str,
    project: &dyn Fn(f64, f64) -> Option<Coord<f64>>,
) -> Result<Polygon<f64>, FenceError> {
    let ring = |l: &LineString<f64>| -> Result<LineString<f64>, FenceError> {
        l.0.iter()
            .map(|c| {
                project(c.x, c.y).ok_or_else(|| FenceError::Unprojectable {
                    name: name.to_string(),
                    lon: c.x,
                    lat: c.y,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::from)
    };
    let holes = polygon
        .interiors()
        .iter()
        .map(ring)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ring(polygon.exterior())?, holes))
}

/// Bikes a dockless fence holds: its floor area over [`STALL_M2`], at least one.
pub fn capacity_of(area: &Polygon<f64>) -> u32 {
    use geo::Area;
    // the epsilon keeps a 30 × 5 m strip at 100 bikes despite rounding in its corners
    ((area.unsigned_area() / STALL_M2 + 1e-6).floor() as u32).max(1)
}

/// A 24-gon around `centre`.
pub fn circle(centre: Coord<f64>, radius: f64) -> Polygon<f64> {
    let ring: Vec<Coord<f64>> = (0..=24)
        .map(|k| {
            let a = std::f64::consts::TAU * f64::from(k % 24) / 24.0;
            Coord {
                x: centre.x + radius * a.cos(),
                y: centre.y + radius * a.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::from(ring), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(name: &str, x: f64, y: f64, side: f64) -> Fence {
        Fence {
            id: FenceId(0),
            name: name.into(),
            area: polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side)],
            capacity: 10,
            dock: false,
        }
    }

    #[test]
    fn bikes_are_counted_in_their_fence_exactly() {
        let fences = Fences::new(vec![
            square("a", 0.0, 0.0, 10.0),
            square("b", 20.0, 0.0, 10.0),
        ])
        .unwrap();
        let bikes = [
            (5.0, 5.0),
            (10.0, 5.0),
            (10.5, 5.0),
            (25.0, 9.9),
            (25.0, 10.1),
        ]
        .map(|(x, y)| Point::new(x, y));
        let (inside, outside) = fences.count(bikes);
        // on the edge counts as in; 0.5 m outside the box does not
        assert_eq!(inside, vec![2, 1]);
        assert_eq!(outside, 2);
    }

    #[test]
    fn overlapping_fences_resolve_to_the_nearest_centre() {
        let fences = Fences::new(vec![
            square("a", 0.0, 0.0, 10.0),
            square("b", 5.0, 0.0, 10.0),
        ])
        .unwrap();
        assert_eq!(fences.fence_at(Point::new(7.0, 5.0)), Some(FenceId(0)));
        assert_eq!(fences.fence_at(Point::new(8.0, 5.0)), Some(FenceId(1)));
        // equidistant: the lower id
        assert_eq!(fences.fence_at(Point::new(7.5, 5.0)), Some(FenceId(0)));
        // nearest by centre within a radius, among those kept
        assert_eq!(
            fences.nearest_within(Point::new(30.0, 5.0), 21.0, |_| true),
            Some(FenceId(1))
        );
        assert_eq!(
            fences.nearest_within(Point::new(30.0, 5.0), 19.0, |_| true),
            None
        );
        assert_eq!(
            fences.nearest_within(Point::new(8.0, 5.0), 50.0, |f| f.name == "a"),
            Some(FenceId(0))
        );
        assert_eq!(fences.fence_at(Point::new(12.0, 5.0)), Some(FenceId(1)));
    }

    #[test]
    fn zones_become_fences_per_polygon_in_the_city_crs() {
        use geo::MultiPolygon;
        let lonlat = |x: f64, y: f64| polygon![(x: x, y: y), (x: x + 0.001, y: y), (x: x + 0.001, y: y + 0.001), (x: x, y: y)];
        let zones = [GbfsZone {
            name: "Metro exit".into(),
            area: MultiPolygon(vec![lonlat(10.0, 59.0), lonlat(10.01, 59.0)]),
        }];
        let project = |lon: f64, lat: f64| {
            Some(Coord {
                x: lon * 100_000.0,
                y: lat * 100_000.0,
            })
        };
        let fences = Fences::from_zones(&zones, &project).unwrap();
        let names: Vec<&str> = fences.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["Metro exit #1", "Metro exit #2"]);
        // each triangle is 100 m × 100 m / 2 = 5,000 m², 3,333 bikes at 1.5 m²
        assert!(fences.iter().all(|f| f.capacity == 3333 && !f.dock));
        let e = Fences::from_zones(&zones, &|_, _| None).unwrap_err();
        assert!(e.to_string().starts_with("`Metro exit` at lon 10"), "{e}");
    }

    #[test]
    fn docks_need_a_capacity_and_zones_get_one_from_their_area() {
        let station = GbfsStation {
            id: "7".into(),
            name: "Torget".into(),
            lon: 10.0,
            lat: 59.0,
            capacity: None,
            is_virtual: false,
            area: None,
        };
        let project = |lon: f64, lat: f64| {
            Some(Coord {
                x: lon * 1000.0,
                y: lat * 1000.0,
            })
        };
        let e = Fences::from_stations(&[station], &project).unwrap_err();
        assert_eq!(
            e.to_string(),
            "station `7` (Torget): capacity missing; docks need one"
        );
        // a 10 m × 10 m zone holds 66 bikes at 1.5 m² each
        assert_eq!(capacity_of(&square("z", 0.0, 0.0, 10.0).area), 66);
        let c = circle(Coord { x: 0.0, y: 0.0 }, DOCK_RADIUS_M);
        assert!((capacity_of(&c) as f64 - 3.1 * 144.0 / 1.5).abs() < 10.0);
    }
}
