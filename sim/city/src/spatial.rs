//! R-tree indexes over layers and road links, with exact answers: the tree narrows by
//! envelope, then geo's exact predicates and distances decide.

use crate::ids::{FeatureId, LinkId};
use crate::layer::Layer;
use crate::roads::{Mode, RoadNetwork};
use geo::{
    BoundingRect, Closest, ClosestPoint, Coord, Distance, Euclidean, Geometry, Intersects, Line,
    Point, Rect,
};
use rstar::{AABB, PointDistance, RTree, RTreeObject};

fn aabb(rect: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
}

/// One feature in a layer's R-tree.
#[derive(Clone, Debug)]
struct IndexedFeature {
    id: FeatureId,
    envelope: AABB<[f64; 2]>,
    geometry: Geometry<f64>,
}

impl RTreeObject for IndexedFeature {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for IndexedFeature {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        let d = Euclidean.distance(&Point::from(*point), &self.geometry);
        d * d
    }
}

/// The R-tree of one layer.
#[derive(Clone, Debug)]
pub struct LayerIndex {
    tree: RTree<IndexedFeature>,
}

impl LayerIndex {
    /// Bulk-loads every feature that has an extent (empty geometries are not indexed).
    pub fn new(layer: &Layer) -> Self {
        let items = layer
            .ids()
            .zip(&layer.features)
            .filter_map(|(id, f)| {
                Some(IndexedFeature {
                    id,
                    envelope: aabb(f.geometry.bounding_rect()?),
                    geometry: f.geometry.clone(),
                })
            })
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Features whose geometry intersects the box (edges included), in id order.
    pub fn in_box(&self, rect: Rect<f64>) -> Vec<FeatureId> {
        let mut ids: Vec<FeatureId> = self
            .tree
            .locate_in_envelope_intersecting(&aabb(rect))
            .filter(|f| f.geometry.intersects(&rect))
            .map(|f| f.id)
            .collect();
        ids.sort();
        ids
    }

    /// Features whose geometry contains the point (boundary included), in id order.
    pub fn containing(&self, point: Point<f64>) -> Vec<FeatureId> {
        let mut ids: Vec<FeatureId> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([point.x(), point.y()]))
            .filter(|f| f.geometry.intersects(&point))
            .map(|f| f.id)
            .collect();
        ids.sort();
        ids
    }

    /// The nearest feature and its distance (0 inside a polygon); the smallest id on ties.
    pub fn nearest(&self, point: Point<f64>) -> Option<(FeatureId, f64)> {
        let mut iter = self
            .tree
            .nearest_neighbor_iter_with_distance_2(&[point.x(), point.y()]);
        let (first, d2) = iter.next()?;
        let best = iter
            .take_while(|(_, d)| *d == d2)
            .map(|(f, _)| f.id)
            .fold(first.id, FeatureId::min);
        Some((best, d2.sqrt()))
    }
}

/// One straight piece of a link's geometry.
#[derive(Clone, Debug)]
struct LinkSegment {
    link: LinkId,
    line: Line<f64>,
    /// Distance along the link to the segment's start (m).
    offset_m: f64,
}

impl RTreeObject for LinkSegment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(
            [self.line.start.x, self.line.start.y],
            [self.line.end.x, self.line.end.y],
        )
    }
}

impl PointDistance for LinkSegment {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        let d = Euclidean.distance(&Point::from(*point), &self.line);
        d * d
    }
}

/// Where a point meets the network: the link, the closest point on it and how far along.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkMatch {
    pub link: LinkId,
    pub distance_m: f64,
    pub point: Point<f64>,
    /// Distance from the link's start to `point` along its geometry.
    pub offset_m: f64,
}

/// R-tree of every straight segment of every link: nearest-link queries (map matching).
#[derive(Clone, Debug)]
pub struct LinkIndex {
    /// One tree per mode (car, bike, walk), so a query never wades through segments its mode
    /// may not use — footways are most of the segments in a city centre.
    by_mode: [RTree<LinkSegment>; 3],
    /// The car tree's roads that carry through traffic: where trips join the traffic
    /// ([`LinkIndex::nearest_through`]), found without wading through the side streets
    /// nearer to a home, which are most of a city's car segments.
    through: RTree<LinkSegment>,
}

impl LinkIndex {
    /// `car_core[l]`: link l is in the network's strongly connected core for cars (the car
    /// tree holds only those, so any two car matches are routable).
    pub fn new(network: &RoadNetwork, car_core: &[bool]) -> Self {
        let mut segments: [Vec<LinkSegment>; 3] = Default::default();
        let mut through = Vec::new();
        for id in network.link_ids() {
            let link = network.link(id);
            let mut offset_m = 0.0;
            for line in link.geometry.lines() {
                let segment = LinkSegment {
                    link: id,
                    line,
                    offset_m,
                };
                for mode in [Mode::Car, Mode::Bike, Mode::Walk] {
                    let usable = match mode {
                        Mode::Car => car_core[id.index()],
                        _ => link.modes.allows(mode),
                    };
                    if usable {
                        segments[mode as usize].push(segment.clone());
                    }
                }
                if car_core[id.index()] && link.class.carries_through_traffic() {
                    through.push(segment);
                }
                offset_m += Euclidean.distance(line.start, line.end);
            }
        }
        Self {
            by_mode: segments.map(RTree::bulk_load),
            through: RTree::bulk_load(through),
        }
    }

    /// The nearest link that `mode` may use; the smallest link id when several are as near
    /// (a two-way street's two directions always are).
    pub fn nearest(&self, point: Point<f64>, mode: Mode) -> Option<LinkMatch> {
        self.nearest_where(point, mode, f64::INFINITY, |_| true)
    }

    /// The nearest link that `mode` may use and `keep` accepts, within `radius_m`.
    pub fn nearest_where(
        &self,
        point: Point<f64>,
        mode: Mode,
        radius_m: f64,
        keep: impl Fn(LinkId) -> bool,
    ) -> Option<LinkMatch> {
        nearest_in(&self.by_mode[mode as usize], point, radius_m, keep)
    }

    /// The nearest car link of a class that carries through traffic (trunk, primary,
    /// secondary, tertiary) within `radius_m`: [`LinkIndex::nearest_where`] with that filter,
    /// from a tree that holds only those links.
    pub fn nearest_through(&self, point: Point<f64>, radius_m: f64) -> Option<LinkMatch> {
        nearest_in(&self.through, point, radius_m, |_| true)
    }
}

/// The nearest segment `keep` accepts within `radius_m`, its link the smallest id among the
/// segments as near (the same answer whichever tree holds them).
fn nearest_in(
    tree: &RTree<LinkSegment>,
    point: Point<f64>,
    radius_m: f64,
    keep: impl Fn(LinkId) -> bool,
) -> Option<LinkMatch> {
    let mut candidates = tree
        .nearest_neighbor_iter_with_distance_2(&[point.x(), point.y()])
        .take_while(|(_, d)| d.sqrt() <= radius_m)
        .filter(|(s, _)| keep(s.link));
    let (first, d2) = candidates.next()?;
    let best = candidates
        .take_while(|(_, d)| *d == d2)
        .map(|(s, _)| s)
        .fold(first, |a, b| if b.link < a.link { b } else { a });
    let snapped = match best.line.closest_point(&point) {
        Closest::Intersection(p) | Closest::SinglePoint(p) => p,
        Closest::Indeterminate => Point::from(best.line.start),
    };
    let along: Coord<f64> = snapped.0 - best.line.start;
    Some(LinkMatch {
        link: best.link,
        distance_m: d2.sqrt(),
        point: snapped,
        offset_m: best.offset_m + along.x.hypot(along.y),
    })
}
