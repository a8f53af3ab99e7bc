//! Weighted areas that trips start and end in: each draw picks an area by weight, a random
//! point inside it, and the car link nearest to that point — so the trips of one big
//! residential block spread over the streets around it instead of piling onto one.

use citytwin_city::City;
use citytwin_city::rng::SimRng;
use geo::{BoundingRect, Contains, Geometry, Point};

#[derive(Clone, Debug, Default)]
pub struct Sites {
    shapes: Vec<Geometry<f64>>,
    cumulative: Vec<f64>,
}

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
        let shape = &self.shapes[rng.pick_cumulative(&self.cumulative)?];
        random_point_in(shape, rng)
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
    let rect = shape.bounding_rect()?;
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
