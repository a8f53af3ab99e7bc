//! The base map: land use and green areas, water, buildings, district boundaries, grid cells
//! (key G) and roads drawn by class. Roads are rebuilt when the zoom changes enough that
//! their least on-screen width matters.

use crate::camera::{MapExtent, MapView};
use crate::geometry::{LocalOrigin, MeshBuffers};
use crate::palette::{Palette, linear, road_min_px, road_rank, road_width_m};
use crate::twin::Twin;
use bevy::prelude::*;
use citytwin_city::City;
use citytwin_city::layer::names;
use geo::{Coord, Geometry, Polygon, Rect};

/// Draw order, back to front.
pub mod depth {
    pub const AREAS: f32 = 0.0;
    pub const WATER: f32 = 1.0;
    pub const BUILDINGS: f32 = 2.0;
    pub const GRID: f32 = 3.0;
    pub const ROADS: f32 = 4.0;
    pub const DISTRICTS: f32 = 5.0;
    pub const TRAFFIC: f32 = 6.0;
    pub const CARS: f32 = 7.0;
}

#[derive(Debug, Default)]
pub struct MapPlugin {
    pub show_grid: bool,
}

/// The base map's road mesh and the zoom it was built for.
#[derive(Component, Debug)]
pub struct RoadMesh {
    pub built_for_bucket: i32,
}

#[derive(Component, Debug)]
pub struct GridMesh;

/// Zoom steps of √2: widths are rebuilt only when the view crosses one.
pub fn zoom_bucket(metres_per_px: f32) -> i32 {
    (metres_per_px.max(1e-3).log2() * 2.0).round() as i32
}

/// Metres per pixel at the middle of a bucket.
pub fn bucket_scale(bucket: i32) -> f32 {
    2f32.powf(bucket as f32 / 2.0)
}

impl Plugin for MapPlugin {
    fn build(&self, app: &mut App) {
        let show_grid = self.show_grid;
        app.add_systems(
            Startup,
            (
                insert_origin_and_extent,
                move |commands: Commands,
                      twin: Res<Twin>,
                      origin: Res<LocalOrigin>,
                      palette: Res<Palette>,
                      meshes: ResMut<Assets<Mesh>>,
                      materials: ResMut<Assets<ColorMaterial>>| {
                    spawn_base_map(
                        commands, twin, origin, palette, meshes, materials, show_grid,
                    )
                },
            )
                .chain(),
        )
        .add_systems(Update, (rebuild_roads_on_zoom, toggle_grid));
    }
}

fn insert_origin_and_extent(mut commands: Commands, twin: Res<Twin>, palette: Res<Palette>) {
    let extent = twin.city.bundle.meta.extent;
    let origin = LocalOrigin::centre_of(extent);
    commands.insert_resource(MapExtent {
        min: origin.to_local(extent.min()),
        max: origin.to_local(extent.max()),
    });
    commands.insert_resource(origin);
    commands.insert_resource(ClearColor(palette.background));
}

/// One material for every map mesh: colours come from the vertices.
#[derive(Resource, Clone, Debug)]
pub struct VertexColorMaterial(pub Handle<ColorMaterial>);

fn spawn_base_map(
    mut commands: Commands,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
    show_grid: bool,
) {
    let material = materials.add(ColorMaterial {
        alpha_mode: bevy::sprite_render::AlphaMode2d::Blend,
        ..ColorMaterial::default()
    });
    commands.insert_resource(VertexColorMaterial(material.clone()));
    let city = &twin.city;
    let mut spawn = |buffers: MeshBuffers, z: f32| {
        commands
            .spawn((
                Mesh2d(meshes.add(buffers.into_mesh())),
                MeshMaterial2d(material.clone()),
                Transform::from_xyz(0.0, 0.0, z),
            ))
            .id()
    };
    spawn(area_mesh(city, &origin, &palette), depth::AREAS);
    spawn(water_mesh(city, &origin, &palette), depth::WATER);
    spawn(buildings_mesh(city, &origin, &palette), depth::BUILDINGS);
    spawn(districts_mesh(city, &origin, &palette), depth::DISTRICTS);
    let bucket = zoom_bucket(8.0);
    let roads = spawn(
        road_mesh(city, &origin, &palette, bucket_scale(bucket)),
        depth::ROADS,
    );
    let grid = spawn(grid_mesh(city, &origin, &palette), depth::GRID);
    commands.entity(roads).insert(RoadMesh {
        built_for_bucket: bucket,
    });
    commands.entity(grid).insert((
        GridMesh,
        if show_grid {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        },
    ));
}

/// Fills every polygon of a geometry; lines (rivers, canals) get `line_width` metres.
fn add_geometry(
    b: &mut MeshBuffers,
    geometry: &Geometry<f64>,
    origin: &LocalOrigin,
    color: [f32; 4],
    line_width: f32,
) {
    let mut polygon = |p: &Polygon<f64>| b.add_polygon(p, origin, color);
    match geometry {
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().for_each(polygon),
        Geometry::LineString(l) => b.add_ring(l, origin, line_width, color),
        Geometry::MultiLineString(ml) => {
            for l in &ml.0 {
                b.add_ring(l, origin, line_width, color);
            }
        }
        Geometry::GeometryCollection(gc) => {
            for g in &gc.0 {
                add_geometry(b, g, origin, color, line_width);
            }
        }
        _ => {}
    }
}

/// Land use classes drawn as green space.
const GREEN_CLASSES: [&str; 14] = [
    "park",
    "garden",
    "grass",
    "meadow",
    "forest",
    "wood",
    "recreation_ground",
    "pitch",
    "cemetery",
    "allotments",
    "village_green",
    "nature_reserve",
    "scrub",
    "golf_course",
];

fn area_mesh(city: &City, origin: &LocalOrigin, palette: &Palette) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    if let Ok(layer) = city.layer(names::LANDUSE) {
        for f in &layer.features {
            let green = f.text("class").is_some_and(|c| GREEN_CLASSES.contains(&c));
            let color = if green {
                palette.green
            } else {
                palette.landuse
            };
            add_geometry(&mut b, &f.geometry, origin, linear(color), 4.0);
        }
    }
    b
}

fn water_mesh(city: &City, origin: &LocalOrigin, palette: &Palette) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    if let Ok(layer) = city.layer(names::WATER) {
        for f in &layer.features {
            add_geometry(&mut b, &f.geometry, origin, linear(palette.water), 18.0);
        }
    }
    b
}

fn buildings_mesh(city: &City, origin: &LocalOrigin, palette: &Palette) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    if let Ok(layer) = city.layer(names::BUILDINGS) {
        for f in &layer.features {
            add_geometry(&mut b, &f.geometry, origin, linear(palette.building), 1.0);
        }
    }
    b
}

fn districts_mesh(city: &City, origin: &LocalOrigin, palette: &Palette) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    let Ok(layer) = city.layer(names::DISTRICTS) else {
        return b;
    };
    let color = linear(palette.district_line);
    let extent = city.bundle.meta.extent;
    for f in &layer.features {
        let polygons: Vec<&Polygon<f64>> = match &f.geometry {
            Geometry::Polygon(p) => vec![p],
            Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
            _ => Vec::new(),
        };
        for p in polygons {
            for run in boundary_runs(&p.exterior().0, extent) {
                let points: Vec<Vec2> = run.iter().map(|c| origin.to_local(*c)).collect();
                b.add_line(&points, 14.0, color);
            }
        }
    }
    b
}

/// The pieces of a district's ring that are real boundary: where a district was clipped to
/// the city's extent, the cut along the extent's edge is left out.
pub fn boundary_runs(ring: &[Coord<f64>], extent: Rect<f64>) -> Vec<Vec<Coord<f64>>> {
    let on_edge = |a: Coord<f64>, b: Coord<f64>| {
        let near = |u: f64, v: f64| (u - v).abs() < 0.5;
        let (lo, hi) = (extent.min(), extent.max());
        (near(a.x, lo.x) && near(b.x, lo.x))
            || (near(a.x, hi.x) && near(b.x, hi.x))
            || (near(a.y, lo.y) && near(b.y, lo.y))
            || (near(a.y, hi.y) && near(b.y, hi.y))
    };
    let mut runs = Vec::new();
    let mut run: Vec<Coord<f64>> = Vec::new();
    for pair in ring.windows(2) {
        if on_edge(pair[0], pair[1]) {
            if run.len() > 1 {
                runs.push(std::mem::take(&mut run));
            }
            run.clear();
            continue;
        }
        if run.is_empty() {
            run.push(pair[0]);
        }
        run.push(pair[1]);
    }
    if run.len() > 1 {
        runs.push(run);
    }
    runs
}

fn grid_mesh(city: &City, origin: &LocalOrigin, palette: &Palette) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    let grid = &city.bundle.grid;
    let color = linear(palette.grid_line);
    for cell in grid.cells() {
        b.add_ring(grid.polygon(cell).exterior(), origin, 1.5, color);
    }
    b
}

/// Roads by class, widest on top; a two-way road is drawn once.
pub fn road_mesh(
    city: &City,
    origin: &LocalOrigin,
    palette: &Palette,
    metres_per_px: f32,
) -> MeshBuffers {
    let roads = city.roads();
    let mut order: Vec<usize> = (0..roads.links.len())
        .filter(|&i| roads.links[i].twin.is_none_or(|t| t.index() > i))
        .collect();
    // small roads first so the big ones draw over them at crossings
    order.sort_by_key(|&i| (std::cmp::Reverse(road_rank(roads.links[i].class)), i));
    let mut b = MeshBuffers::default();
    let mut points = Vec::new();
    for i in order {
        let link = &roads.links[i];
        points.clear();
        points.extend(link.geometry.0.iter().map(|c| origin.to_local(*c)));
        let width = road_width_m(link.class).max(road_min_px(link.class) * metres_per_px);
        b.add_line(&points, width, linear(palette.road(link.class)));
    }
    b
}

fn rebuild_roads_on_zoom(
    view: Res<MapView>,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut roads: Query<(&mut RoadMesh, &Mesh2d)>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    for (mut built, mesh) in &mut roads {
        if built.built_for_bucket == bucket {
            continue;
        }
        let fresh = road_mesh(&twin.city, &origin, &palette, bucket_scale(bucket));
        crate::overlay::replace_meshes(&mut meshes, [mesh], fresh.into_mesh());
        built.built_for_bucket = bucket;
    }
}

fn toggle_grid(keys: Res<ButtonInput<KeyCode>>, mut grid: Query<&mut Visibility, With<GridMesh>>) {
    if keys.just_pressed(KeyCode::KeyG) {
        for mut v in &mut grid {
            v.toggle_visible_hidden();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clipped_district_loses_only_its_cut_along_the_extent() {
        let extent = Rect::new((0.0, 0.0), (100.0, 100.0));
        // a district cut by the extent's east edge
        let ring: Vec<Coord<f64>> = [
            (50.0, 10.0),
            (100.0, 10.0),
            (100.0, 90.0),
            (50.0, 90.0),
            (50.0, 10.0),
        ]
        .into_iter()
        .map(|(x, y)| Coord { x, y })
        .collect();
        let runs = boundary_runs(&ring, extent);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 2);
        assert_eq!(runs[1].len(), 3);
        assert!(
            runs.iter()
                .flatten()
                .all(|c| c.x < 100.0 || c.y == 10.0 || c.y == 90.0)
        );
    }

    #[test]
    fn zoom_buckets_are_half_octaves() {
        assert_eq!(zoom_bucket(1.0), 0);
        assert_eq!(zoom_bucket(2.0), 2);
        assert_eq!(zoom_bucket(8.0), 6);
        assert!((bucket_scale(zoom_bucket(8.0)) - 8.0).abs() < 1e-4);
        assert_eq!(zoom_bucket(1.3), zoom_bucket(1.4));
    }
}
