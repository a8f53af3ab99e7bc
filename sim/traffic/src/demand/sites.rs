//! Weighted areas that trips start and end in: each draw picks an area by weight, a random
//! point inside it, and the car link nearest to that point — so the trips of one big
//! residential block spread over the streets around it instead of piling onto one.

use citytwin_city::City;
use citytwin_city::rng::SimRng;
use geo::{BoundingRect, Contains, Geometry, Point, Rect};

#[derive(Clone, Debug, Default)]
pub struct Sites {
    shapes: Vec<Geometry<f64>>,
    /// Each shape's bounding box, kept: random points are drawn in it (measuring a big
    /// polygon's box at every draw was a good part of a city's demand), and its centre is a
    /// cheap first test of the shape's distance.
    boxes: Vec<Option<Rect<f64>>>,
    cumulative: Vec<f64>,
}

/// Draws by weight before [`Sites::draw_point_between`] gives up: enough for a 300 m–1.5 km
/// band around a point of a 1,000 km² city (about one site in 150 lies in it).
const BAND_TRIES: usize = 2000;

/// Candidate destinations per distance-decayed draw.
pub const CANDIDATES: usize = 8;

/// Tries at rejection sampling before falling back to the shape's bounding-box centre.
const POINT_TRIES: usize = 20;

impl Sites {
    pub fn push(&mut self, shape: Geometry<f64>, weight: f64) {
        if weight <= 0.0 {
            return;
        }
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        self.boxes.push(shape.bounding_rect());
        self.shapes.push(shape);
        self.cumulative.push(total + weight);
    }

    /// Adds every site of `other` with its own weight.
    pub fn extend(&mut self, other: &Sites) {
        for (shape, w) in other.iter() {
            self.push(shape.clone(), w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Every site with its weight.
    pub fn iter(&self) -> impl Iterator<Item = (&Geometry<f64>, f64)> {
        let mut previous = 0.0;
        self.shapes.iter().zip(&self.cumulative).map(move |(s, c)| {
            let w = c - previous;
            previous = *c;
            (s, w)
        })
    }

    /// A random point in a site drawn by weight.
    pub fn draw_point(&self, rng: &mut SimRng) -> Option<Point<f64>> {
        self.point_in(rng.pick_cumulative(&self.cumulative)?, rng)
    }

    /// A random point in site `i`.
    fn point_in(&self, i: usize, rng: &mut SimRng) -> Option<Point<f64>> {
        random_point_within(&self.shapes[i], self.boxes[i], rng)
    }

    /// A random point of the sites at `lo..=hi` metres from `centre`, drawn by weight among
    /// them (rejection sampling: exact, and cheap while the band holds one site in a few
    /// hundred); `None` when `BAND_TRIES` draws found none there.
    pub fn draw_point_between(
        &self,
        centre: Point<f64>,
        lo: f64,
        hi: f64,
        rng: &mut SimRng,
    ) -> Option<Point<f64>> {
        let distance =
            |p: Point<f64>| ((p.x() - centre.x()).powi(2) + (p.y() - centre.y()).powi(2)).sqrt();
        for _ in 0..BAND_TRIES {
            let i = rng.pick_cumulative(&self.cumulative)?;
            // a shape whose box centre is far outside the band has no point in it (slack for
            // big shapes is the check on the point itself)
            let d = self.boxes[i].map_or(f64::NAN, |r| distance(r.center().into()));
            if d > hi + 1000.0 || d + 1000.0 < lo {
                continue;
            }
            let p = self.point_in(i, rng)?;
            if (lo..=hi).contains(&distance(p)) {
                return Some(p);
            }
        }
        None
    }

    /// The link where a trip from a random point in a site drawn by weight joins the
    /// traffic ([`City::access_link`]).
    pub fn draw_link(&self, city: &City, rng: &mut SimRng) -> Option<u32> {
        let p = self.draw_point(rng)?;
        Some(city.access_link(p)?.link.index() as u32)
    }

    /// As [`Sites::draw_link`], with a distance decay from the end of link `from`: of
    /// [`CANDIDATES`] points drawn by weight, one is kept with probability ∝ exp(−d / `decay_m`)
    /// (a gravity model's deterrence, by importance resampling).
    pub fn draw_link_near(
        &self,
        city: &City,
        rng: &mut SimRng,
        from: u32,
        decay_m: f64,
    ) -> Option<u32> {
        let roads = city.roads();
        let origin = roads.node(roads.links.get(from as usize)?.to).point;
        let mut points = [origin; CANDIDATES];
        let mut cumulative = [0.0; CANDIDATES];
        let mut total = 0.0;
        for (p, c) in points.iter_mut().zip(&mut cumulative) {
            *p = self.draw_point(rng)?;
            let d = ((p.x() - origin.x()).powi(2) + (p.y() - origin.y()).powi(2)).sqrt();
            total += (-d / decay_m).exp();
            *c = total;
        }
        let chosen = points[rng.pick_cumulative(&cumulative)?];
        Some(city.access_link(chosen)?.link.index() as u32)
    }
}

pub fn random_point_in(shape: &Geometry<f64>, rng: &mut SimRng) -> Option<Point<f64>> {
    random_point_within(shape, shape.bounding_rect(), rng)
}

/// [`random_point_in`] with the shape's bounding box already measured (used for an area).
fn random_point_within(
    shape: &Geometry<f64>,
    bounds: Option<Rect<f64>>,
    rng: &mut SimRng,
) -> Option<Point<f64>> {
    match shape {
        Geometry::Point(p) => return Some(*p),
        // a street standing for the homes along it: a point along it
        Geometry::LineString(line) if line.0.len() >= 2 => {
            let i = rng.below(line.0.len() as u64 - 1) as usize;
            let (a, b, t) = (line.0[i], line.0[i + 1], rng.unit());
            return Some(Point::new(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)));
        }
        _ => {}
    }
    let rect = bounds?;
    for _ in 0..POINT_TRIES {
        let p = Point::new(
            rect.min().x + rng.unit() * rect.width(),
            rect.min().y + rng.unit() * rect.height(),
        );
        if shape.contains(&p) {
            return Some(p);
        }
    }
    Some(rect.center().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn points_between_two_distances_come_from_the_sites_in_that_band_by_weight() {
        let mut sites = Sites::default();
        let square = |x: f64| {
            Geometry::Polygon(
                polygon![(x: x, y: 0.0), (x: x + 10.0, y: 0.0), (x: x + 10.0, y: 10.0), (x: x, y: 10.0)],
            )
        };
        // near the centre (out of the band), in the band twice with weights 1 : 3, beyond it
        for (x, w) in [(0.0, 50.0), (500.0, 1.0), (-510.0, 3.0), (5000.0, 50.0)] {
            sites.push(square(x), w);
        }
        let mut rng = SimRng::seed(3);
        let centre = Point::new(5.0, 5.0);
        let (mut east, mut west) = (0, 0);
        for _ in 0..2000 {
            let p = sites
                .draw_point_between(centre, 300.0, 1000.0, &mut rng)
                .unwrap();
            if p.x() > 0.0 { east += 1 } else { west += 1 }
        }
        assert!((400..600).contains(&east), "{east} east, {west} west");
        assert!(
            sites
                .draw_point_between(centre, 2000.0, 3000.0, &mut rng)
                .is_none()
        );
    }

    #[test]
    fn points_fall_inside_their_shape_and_follow_weights() {
        let mut sites = Sites::default();
        let a = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 0.0, y: 10.0)];
        let b = polygon![(x: 100.0, y: 0.0), (x: 110.0, y: 0.0), (x: 110.0, y: 10.0), (x: 100.0, y: 10.0)];
        sites.push(Geometry::Polygon(a.clone()), 1.0);
        sites.push(Geometry::Polygon(b.clone()), 3.0);
        sites.push(Geometry::Polygon(b.clone()), 0.0);
        let mut rng = SimRng::seed(7);
        let (mut in_a, mut in_b) = (0, 0);
        for _ in 0..4000 {
            let p = sites.draw_point(&mut rng).unwrap();
            if a.contains(&p) {
                in_a += 1;
            } else {
                assert!(b.contains(&p), "{p:?} is in no site");
                in_b += 1;
            }
        }
        assert!(
            (900..1100).contains(&in_a),
            "{in_a} of 4000 in the weight-1 site"
        );
        assert_eq!(in_a + in_b, 4000);
    }
}
