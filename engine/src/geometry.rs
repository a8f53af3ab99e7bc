//! Turning city geometry into triangle meshes: lines as quads with a width, polygons by
//! earcut. Coordinates are kept precise by drawing relative to a local origin: the model stays
//! in f64 metres of the city CRS, the GPU gets f32 metres from the city's centre.

use bevy::asset::RenderAssetUsages;
use bevy::math::Vec2;
use bevy::mesh::{Indices, Mesh, PrimitiveTopology};
use bevy::prelude::Resource;
use geo::{Coord, LineString, Polygon, Rect, TriangulateEarcut};

/// The point of the city CRS drawn at (0, 0).
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct LocalOrigin(pub Coord<f64>);

impl LocalOrigin {
    /// The centre of an extent.
    pub fn centre_of(extent: Rect<f64>) -> Self {
        LocalOrigin(extent.center())
    }

    pub fn to_local(&self, c: Coord<f64>) -> Vec2 {
        Vec2::new((c.x - self.0.x) as f32, (c.y - self.0.y) as f32)
    }

    pub fn to_city(&self, v: Vec2) -> Coord<f64> {
        Coord {
            x: self.0.x + f64::from(v.x),
            y: self.0.y + f64::from(v.y),
        }
    }
}

/// Vertices, colours and triangles being gathered for one mesh.
#[derive(Clone, Debug, Default)]
pub struct MeshBuffers {
    pub positions: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
}

impl MeshBuffers {
    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    /// A line of `width` metres along `points`: one quad per segment (the joints overlap,
    /// which at map scale reads as a continuous stroke).
    pub fn add_line(&mut self, points: &[Vec2], width: f32, color: [f32; 4]) {
        let half = width * 0.5;
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let dir = b - a;
            let len = dir.length();
            if len <= f32::EPSILON {
                continue;
            }
            // stretch each quad by half a width at both ends so joints close
            let along = dir / len * half;
            let normal = Vec2::new(-dir.y, dir.x) / len * half;
            let (a, b) = (a - along, b + along);
            self.add_quad([a + normal, a - normal, b - normal, b + normal], color);
        }
    }

    /// A filled quad, corners in order around it.
    pub fn add_quad(&mut self, corners: [Vec2; 4], color: [f32; 4]) {
        let first = self.positions.len() as u32;
        for c in corners {
            self.positions.push([c.x, c.y, 0.0]);
            self.colors.push(color);
        }
        self.indices
            .extend([first, first + 1, first + 2, first, first + 2, first + 3]);
    }

    /// A filled triangle.
    pub fn add_triangle(&mut self, corners: [Vec2; 3], color: [f32; 4]) {
        let first = self.positions.len() as u32;
        for c in corners {
            self.positions.push([c.x, c.y, 0.0]);
            self.colors.push(color);
        }
        self.indices.extend([first, first + 1, first + 2]);
    }

    /// A filled polygon with its holes, triangulated by earcut.
    pub fn add_polygon(&mut self, polygon: &Polygon<f64>, origin: &LocalOrigin, color: [f32; 4]) {
        let raw = polygon.earcut_triangles_raw();
        let first = self.positions.len() as u32;
        for [x, y] in raw.vertices {
            let v = origin.to_local(Coord { x, y });
            self.positions.push([v.x, v.y, 0.0]);
            self.colors.push(color);
        }
        self.indices
            .extend(raw.triangle_indices.iter().map(|&i| first + i as u32));
    }

    /// The outline of a ring as a line.
    pub fn add_ring(
        &mut self,
        ring: &LineString<f64>,
        origin: &LocalOrigin,
        width: f32,
        color: [f32; 4],
    ) {
        let points: Vec<Vec2> = ring.0.iter().map(|c| origin.to_local(*c)).collect();
        self.add_line(&points, width, color);
    }

    pub fn into_mesh(self) -> Mesh {
        Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::default(),
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.colors)
        .with_inserted_indices(Indices::U32(self.indices))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn local_coordinates_round_trip_and_stay_precise_far_from_zero() {
        // a UTM easting/northing where f32 alone would lose the metre
        let origin = LocalOrigin(Coord {
            x: 409_952.414,
            y: 3_393_407.387,
        });
        let p = Coord {
            x: 410_001.25,
            y: 3_393_380.5,
        };
        let local = origin.to_local(p);
        assert_eq!(local, Vec2::new(48.836, -26.887));
        let back = origin.to_city(local);
        assert!((back.x - p.x).abs() < 1e-3 && (back.y - p.y).abs() < 1e-3);
    }

    #[test]
    fn a_line_is_one_quad_per_segment_of_the_given_width() {
        let mut b = MeshBuffers::default();
        let points = [Vec2::ZERO, Vec2::new(10.0, 0.0), Vec2::new(10.0, 10.0)];
        b.add_line(&points, 2.0, [1.0; 4]);
        assert_eq!(b.vertex_count(), 8);
        assert_eq!(b.indices.len(), 12);
        let ys: Vec<f32> = b.positions[..4].iter().map(|p| p[1]).collect();
        assert_eq!(ys, vec![1.0, -1.0, -1.0, 1.0]);
        // degenerate segments add nothing
        b.add_line(&[Vec2::ONE, Vec2::ONE], 2.0, [1.0; 4]);
        assert_eq!(b.vertex_count(), 8);
    }

    #[test]
    fn a_polygon_with_a_hole_covers_its_area() {
        let poly = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0)]],
        );
        let mut b = MeshBuffers::default();
        b.add_polygon(&poly, &LocalOrigin(Coord { x: 0.0, y: 0.0 }), [1.0; 4]);
        let area: f32 = b
            .indices
            .chunks(3)
            .map(|t| {
                let [a, c, d] =
                    [t[0], t[1], t[2]].map(|i| Vec2::from_slice(&b.positions[i as usize][..2]));
                ((c - a).perp_dot(d - a) / 2.0).abs()
            })
            .sum();
        assert!((area - 96.0).abs() < 1e-3, "area {area}");
    }
}
