//! The traffic overlay (key T): car links coloured by speed over free-flow speed, each
//! direction on its own side of the road, and every car as a moving mark, interpolated
//! between simulation steps. Two batched meshes, whatever the number of cars. With the
//! forecaster, the links can show the traffic 15, 30 or 60 minutes ahead instead (key H).

use crate::camera::MapView;
use crate::forecast::{Forecaster, TrafficHorizon};
use crate::geometry::{LocalOrigin, MeshBuffers};
use crate::map::{VertexColorMaterial, bucket_scale, depth, zoom_bucket};
use crate::overlay::{
    OverlaySwitch, overlay_mesh, recolour_meshes, replace_meshes, toggle_overlay, visibility,
};
use crate::palette::{Palette, linear, road_rank, road_width_m, speed_color};
use crate::twin::{SimClock, Twin, TwinSet};
use bevy::prelude::*;
use citytwin_sim::views::{CarPosition, LinkLoad};

#[derive(Debug, Default)]
pub struct TrafficOverlayPlugin {
    pub hidden: bool,
}

#[derive(Component, Debug)]
pub struct TrafficLinksMesh;

#[derive(Component, Debug)]
pub struct CarsMesh;

/// Whether the overlay is shown (for the legend).
#[derive(Resource, Debug, Clone, Copy)]
pub struct TrafficOverlay {
    pub visible: bool,
}

impl OverlaySwitch for TrafficOverlay {
    const KEY: KeyCode = KeyCode::KeyT;
    fn visible(&self) -> bool {
        self.visible
    }
    fn set_visible(&mut self, visible: bool) {
        self.visible = visible;
    }
}

/// Where the car links are drawn, for colouring them and placing cars on them.
#[derive(Resource, Debug, Default)]
pub struct TrafficGeometry {
    bucket: i32,
    /// Drawn position of each car link (`u32::MAX` if not drawn).
    slot_of_link: Vec<u32>,
    links: Vec<u32>,
    /// Per drawn link: first point, points in `points`/`along_m`.
    starts: Vec<u32>,
    points: Vec<Vec2>,
    along_m: Vec<f32>,
    widths: Vec<f32>,
    /// Per vertex of the links mesh: the drawn link it belongs to.
    vertex_slot: Vec<u32>,
    /// What the colours show: (time / [`RECOLOUR_EVERY_S`], minutes ahead, the forecast's
    /// time).
    coloured_at: Option<(u32, u32, Option<u32>)>,
    loads: Vec<LinkLoad>,
    cars: Vec<CarPosition>,
}

/// Least on-screen width of a traffic link: congestion must read from across the room even
/// when the whole city is on screen.
fn traffic_min_px(class: citytwin_city::RoadClass) -> f32 {
    [3.5, 3.0, 2.2, 1.4, 1.0][road_rank(class) as usize]
}

/// Recolour links at most once per this many simulated seconds.
const RECOLOUR_EVERY_S: u32 = 15;

impl Plugin for TrafficOverlayPlugin {
    fn build(&self, app: &mut App) {
        let visible = !self.hidden;
        app.insert_resource(TrafficOverlay { visible })
            .init_resource::<TrafficGeometry>()
            .add_systems(PostStartup, spawn_overlay)
            .add_systems(
                Update,
                (
                    toggle_overlay::<TrafficOverlay>,
                    rebuild_on_zoom,
                    recolour_links,
                    move_cars,
                )
                    .chain()
                    .in_set(TwinSet::Read),
            );
    }
}

impl TrafficGeometry {
    pub(crate) fn build(
        twin: &Twin,
        origin: &LocalOrigin,
        metres_per_px: f32,
        bucket: i32,
    ) -> Self {
        let roads = twin.city.roads();
        let mut g = TrafficGeometry {
            bucket,
            slot_of_link: vec![u32::MAX; roads.links.len()],
            ..TrafficGeometry::default()
        };
        let mut local = Vec::new();
        for id in twin.world.car_links() {
            let l = id.index();
            if l >= roads.links.len() {
                continue;
            }
            let link = &roads.links[l];
            let width =
                (0.55 * road_width_m(link.class)).max(traffic_min_px(link.class) * metres_per_px);
            local.clear();
            local.extend(link.geometry.0.iter().map(|c| origin.to_local(*c)));
            // two-way roads: each direction on its right-hand side
            let offset = if link.oneway { 0.0 } else { width * 0.55 };
            g.slot_of_link[l] = g.links.len() as u32;
            g.links.push(l as u32);
            g.starts.push(g.points.len() as u32);
            g.widths.push(width);
            let mut along = 0.0;
            for (i, p) in offset_right(&local, offset).into_iter().enumerate() {
                if i > 0 {
                    along += p.distance(g.points[g.points.len() - 1]);
                }
                g.points.push(p);
                g.along_m.push(along);
            }
        }
        g.starts.push(g.points.len() as u32);
        g
    }

    fn path(&self, slot: usize) -> (&[Vec2], &[f32]) {
        let (a, b) = (self.starts[slot] as usize, self.starts[slot + 1] as usize);
        (&self.points[a..b], &self.along_m[a..b])
    }

    pub(crate) fn links_mesh(&mut self) -> MeshBuffers {
        let mut b = MeshBuffers::default();
        self.vertex_slot.clear();
        for slot in 0..self.links.len() {
            let before = b.vertex_count();
            let width = self.widths[slot];
            let points: Vec<Vec2> = self.path(slot).0.to_vec();
            b.add_line(&points, width, [0.0; 4]);
            self.vertex_slot
                .extend(std::iter::repeat_n(slot as u32, b.vertex_count() - before));
        }
        self.coloured_at = None;
        b
    }

    /// Per vertex of the links mesh, the colour `of(link)` gives its link.
    pub(crate) fn vertex_colors(&self, of: impl Fn(u32) -> [f32; 4]) -> Vec<[f32; 4]> {
        let slot_colors: Vec<[f32; 4]> = self.links.iter().map(|&l| of(l)).collect();
        self.vertex_slot
            .iter()
            .map(|&s| slot_colors[s as usize])
            .collect()
    }

    /// The car marks at these positions, trucks larger and in their own colour.
    pub(crate) fn car_marks(
        &self,
        positions: &[CarPosition],
        metres_per_px: f32,
        palette: &Palette,
    ) -> MeshBuffers {
        let length = (3.0 * metres_per_px).max(6.0);
        let width = (2.0 * metres_per_px).max(2.5);
        let (car_color, truck_color) = (linear(palette.car), linear(palette.truck));
        let mut b = MeshBuffers::default();
        b.positions.reserve(positions.len() * 4);
        for car in positions {
            let slot = self
                .slot_of_link
                .get(car.link.index())
                .copied()
                .unwrap_or(u32::MAX);
            if slot == u32::MAX {
                continue;
            }
            let (p, dir) = self.point_along(slot as usize, car.along);
            // crews' trucks: larger, in their own colour, so the wall shows where they are
            let (scale, color) = if car.service {
                (1.8, truck_color)
            } else {
                (1.0, car_color)
            };
            let (l, w) = (dir * length * 0.5 * scale, dir.perp() * width * 0.5 * scale);
            b.add_quad([p - l - w, p + l - w, p + l + w, p - l + w], color);
        }
        b
    }

    /// The point `share` of the way along a drawn link, and the direction there.
    pub(crate) fn point_along(&self, slot: usize, share: f32) -> (Vec2, Vec2) {
        let (points, along) = self.path(slot);
        let total = *along.last().unwrap_or(&0.0);
        let target = share.clamp(0.0, 1.0) * total;
        let i = along
            .partition_point(|&a| a < target)
            .clamp(1, points.len().max(2) - 1);
        if points.len() < 2 {
            return (points.first().copied().unwrap_or_default(), Vec2::X);
        }
        let (a, b) = (points[i - 1], points[i]);
        let span = (along[i] - along[i - 1]).max(1e-6);
        let t = ((target - along[i - 1]) / span).clamp(0.0, 1.0);
        (a.lerp(b, t), (b - a).normalize_or(Vec2::X))
    }
}

/// The polyline moved `by` metres to its right (each vertex along the mean of its segments'
/// normals): the side of the road traffic drives on in China.
pub fn offset_right(points: &[Vec2], by: f32) -> Vec<Vec2> {
    if by == 0.0 || points.len() < 2 {
        return points.to_vec();
    }
    (0..points.len())
        .map(|i| {
            let prev = points[i.saturating_sub(1)];
            let next = points[(i + 1).min(points.len() - 1)];
            let d = (next - prev).normalize_or_zero();
            points[i] + Vec2::new(d.y, -d.x) * by
        })
        .collect()
}

fn spawn_overlay(
    mut commands: Commands,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    view: Res<MapView>,
    overlay: Res<TrafficOverlay>,
    material: Res<VertexColorMaterial>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut geometry: ResMut<TrafficGeometry>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    *geometry = TrafficGeometry::build(&twin, &origin, bucket_scale(bucket), bucket);
    let links = geometry.links_mesh();
    let m = &mut *meshes;
    commands.spawn((
        TrafficLinksMesh,
        overlay_mesh::<TrafficOverlay>(m, &material, links, depth::TRAFFIC, overlay.visible),
    ));
    commands.spawn((
        CarsMesh,
        overlay_mesh::<TrafficOverlay>(
            m,
            &material,
            MeshBuffers::default(),
            depth::CARS,
            overlay.visible,
        ),
    ));
}

fn rebuild_on_zoom(
    view: Res<MapView>,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    mut geometry: ResMut<TrafficGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    links: Query<&Mesh2d, With<TrafficLinksMesh>>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    if bucket == geometry.bucket {
        return;
    }
    *geometry = TrafficGeometry::build(&twin, &origin, bucket_scale(bucket), bucket);
    replace_meshes(&mut meshes, links, geometry.links_mesh().into_mesh());
}

fn recolour_links(
    twin: Res<Twin>,
    palette: Res<Palette>,
    horizon: Option<Res<TrafficHorizon>>,
    forecaster: Option<Res<Forecaster>>,
    mut geometry: ResMut<TrafficGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    links: Query<&Mesh2d, With<TrafficLinksMesh>>,
) {
    let horizon = horizon.map(|h| *h).unwrap_or_default();
    let ahead = forecaster.as_deref().and_then(|f| {
        let loads = f.loads_at(horizon)?;
        Some((loads, f.latest.as_ref()?.made_at_s))
    });
    let shown = (
        twin.world.now_s() / RECOLOUR_EVERY_S,
        horizon.minutes_ahead,
        ahead.map(|a| a.1),
    );
    if geometry.coloured_at == Some(shown) {
        return;
    }
    let g = &mut *geometry;
    match ahead {
        Some((loads, _)) => {
            g.loads.clear();
            g.loads.extend_from_slice(loads);
        }
        None => twin.world.link_loads(&mut g.loads),
    }
    let roads = twin.city.roads();
    let colors = g.vertex_colors(|l| link_speed_color(&g.loads[l as usize], roads, l, &palette));
    recolour_meshes(&mut meshes, links, colors);
    g.coloured_at = Some(shown);
}

fn move_cars(
    twin: Res<Twin>,
    clock: Res<SimClock>,
    view: Res<MapView>,
    palette: Res<Palette>,
    overlay: Res<TrafficOverlay>,
    horizon: Option<Res<TrafficHorizon>>,
    mut geometry: ResMut<TrafficGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut cars: Query<(&Mesh2d, &mut Visibility), With<CarsMesh>>,
) {
    // the cars are where they are now: a view ahead shows the forecast's colours alone
    let ahead = horizon.is_some_and(|h| h.minutes_ahead > 0);
    for (_, mut v) in &mut cars {
        let wanted = visibility(overlay.visible && !ahead);
        if *v != wanted {
            *v = wanted;
        }
    }
    let at = f64::from(twin.world.now_s()) - 1.0 + clock.carry;
    let g = &mut *geometry;
    let mut positions = std::mem::take(&mut g.cars);
    twin.world.car_positions(at, &mut positions);
    let b = g.car_marks(&positions, view.metres_per_px, &palette);
    g.cars = positions;
    replace_meshes(&mut meshes, cars.iter().map(|(m, _)| m), b.into_mesh());
}

/// A link's colour by its speed: closed links in the alarm colour, empty minor links not
/// drawn, the rest on the speed ramp.
pub(crate) fn link_speed_color(
    load: &LinkLoad,
    roads: &citytwin_city::roads::RoadNetwork,
    link: u32,
    palette: &Palette,
) -> [f32; 4] {
    let major = road_rank(roads.links[link as usize].class) <= 2;
    if load.closed {
        linear(palette.alarm)
    } else if load.vehicles == 0 && !major {
        [0.0; 4]
    } else {
        linear(speed_color(load.speed_ratio))
    }
}

/// Cars drawn in the last frame.
pub fn cars_drawn(geometry: &TrafficGeometry) -> usize {
    geometry.cars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_car_link_is_drawn_and_cars_are_placed_on_their_link() {
        let twin = crate::testing::grid_twin(50);
        let origin = LocalOrigin::centre_of(twin.city.bundle.meta.extent);
        let mut g = TrafficGeometry::build(&twin, &origin, 1.0, 0);
        let car_links = twin.world.car_links().count();
        assert_eq!(g.links.len(), car_links);
        let mesh = g.links_mesh();
        assert_eq!(g.vertex_slot.len(), mesh.vertex_count());
        for slot in 0..g.links.len() {
            let (points, _) = g.path(slot);
            let (start, _) = g.point_along(slot, 0.0);
            let (end, dir) = g.point_along(slot, 1.0);
            assert!(start.distance(points[0]) < 1e-3);
            assert!(end.distance(*points.last().unwrap()) < 1e-3);
            let (mid, _) = g.point_along(slot, 0.5);
            // halfway along a straight 200 m street
            assert!((mid.distance(start) - 100.0).abs() < 1.0);
            assert!((dir.length() - 1.0).abs() < 1e-4);
        }
        // both directions of a street are drawn apart, on their right-hand sides
        let (a, _) = g.point_along(0, 0.5);
        let twin_link = twin.city.roads().links[g.links[0] as usize].twin.unwrap();
        let (b, _) = g.point_along(g.slot_of_link[twin_link.index()] as usize, 0.5);
        assert!(a.distance(b) > 1.0);
    }

    #[test]
    fn offsetting_moves_a_line_to_its_right() {
        let east = [Vec2::ZERO, Vec2::new(10.0, 0.0)];
        let moved = offset_right(&east, 2.0);
        assert_eq!(moved, vec![Vec2::new(0.0, -2.0), Vec2::new(10.0, -2.0)]);
        let north = [Vec2::ZERO, Vec2::new(0.0, 10.0)];
        assert_eq!(offset_right(&north, 1.0)[0], Vec2::new(1.0, 0.0));
        assert_eq!(offset_right(&north, 0.0), north.to_vec());
    }
}
