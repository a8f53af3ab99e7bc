//! The shared-bike overlay (key B): every fence filled by its occupancy (empty, normal, nearly
//! full, over capacity) with a marker that stays visible when the whole city is on screen,
//! monitoring points ringed, and every parked bike as a dot. Batched meshes, as for traffic.

use crate::camera::MapView;
use crate::geometry::{LocalOrigin, MeshBuffers};
use crate::map::{VertexColorMaterial, bucket_scale, depth, zoom_bucket};
use crate::overlay::{
    OverlaySwitch, overlay_mesh, recolour_meshes, replace_meshes, toggle_overlay,
};
use crate::palette::{Palette, linear};
use crate::twin::{Twin, TwinSet};
use bevy::prelude::*;

#[derive(Debug, Default)]
pub struct BikesOverlayPlugin {
    pub hidden: bool,
}

/// Whether the overlay is shown (for the HUD).
#[derive(Resource, Debug, Clone, Copy)]
pub struct BikesOverlay {
    pub visible: bool,
}

impl OverlaySwitch for BikesOverlay {
    const KEY: KeyCode = KeyCode::KeyB;
    fn visible(&self) -> bool {
        self.visible
    }
    fn set_visible(&mut self, visible: bool) {
        self.visible = visible;
    }
}

#[derive(Component, Debug)]
struct FencesMesh;

#[derive(Component, Debug)]
struct BikeDotsMesh;

/// Which fence each vertex of the fences mesh belongs to, and what it was built for.
#[derive(Resource, Debug, Default)]
struct FenceGeometry {
    vertex_fence: Vec<u32>,
    bucket: i32,
    coloured_at: Option<u32>,
}

/// Owner of the vertices of a monitoring point's ring (not a fence: not recoloured).
const RING: u32 = u32::MAX;

/// Marker side in pixels, so a 30 m fence still shows on a city-wide view.
const MARKER_PX: f32 = 7.0;
/// Depth between traffic and cars.
pub(crate) const FENCES_Z: f32 = depth::TRAFFIC + 0.5;
const DOTS_Z: f32 = depth::CARS + 0.5;

impl Plugin for BikesOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(BikesOverlay {
            visible: !self.hidden,
        })
        .init_resource::<FenceGeometry>()
        .add_systems(PostStartup, spawn_overlay)
        .add_systems(
            Update,
            (
                toggle_overlay::<BikesOverlay>,
                rebuild_on_zoom,
                recolour_fences,
                place_bikes,
            )
                .chain()
                .in_set(TwinSet::Read),
        );
    }
}

/// Occupancy → colour: empty (slate), in use (pale grey, calm), nearly full (amber), over
/// capacity (red). Kept apart from the traffic ramp's green.
pub fn occupancy_color(bikes: u32, capacity: u32) -> Color {
    let ratio = f64::from(bikes) / f64::from(capacity.max(1));
    if bikes == 0 {
        Color::srgb_u8(0x5b, 0x6b, 0x8c)
    } else if ratio <= 0.8 {
        Color::srgb_u8(0xdf, 0xe6, 0xee)
    } else if ratio <= 1.0 {
        Color::srgb_u8(0xff, 0xb0, 0x20)
    } else {
        Color::srgb_u8(0xff, 0x3b, 0x3b)
    }
}

/// Every fence's area and marker (monitoring points ringed), and the fence each vertex
/// belongs to ([`RING`] for rings).
pub(crate) fn fences_mesh(
    twin: &Twin,
    origin: &LocalOrigin,
    palette: &Palette,
    metres_per_px: f32,
) -> (MeshBuffers, Vec<u32>) {
    let mut b = MeshBuffers::default();
    let mut owner = Vec::new();
    let half = MARKER_PX * metres_per_px / 2.0;
    for fence in twin.world.fence_shapes() {
        let before = b.vertex_count();
        b.add_polygon(fence.area, origin, [0.0; 4]);
        owner.extend(std::iter::repeat_n(fence.id.0, b.vertex_count() - before));
        if let Some(c) = fence.centre {
            let c = origin.to_local(c.0);
            let corners = [
                Vec2::new(-half, -half),
                Vec2::new(half, -half),
                Vec2::new(half, half),
                Vec2::new(-half, half),
            ];
            if fence.monitored {
                // a ring around the marker: this fence has a monitoring point
                let ring = half * 1.8;
                let points: Vec<Vec2> = [
                    (-1.0, -1.0),
                    (1.0, -1.0),
                    (1.0, 1.0),
                    (-1.0, 1.0),
                    (-1.0, -1.0),
                ]
                .iter()
                .map(|(x, y)| c + Vec2::new(*x, *y) * ring)
                .collect();
                let before = b.vertex_count();
                b.add_line(&points, metres_per_px * 1.5, linear(palette.text));
                owner.extend(std::iter::repeat_n(RING, b.vertex_count() - before));
            }
            let before = b.vertex_count();
            b.add_quad(corners.map(|k| c + k), [0.0; 4]);
            owner.extend(std::iter::repeat_n(fence.id.0, b.vertex_count() - before));
        }
    }
    (b, owner)
}

fn spawn_overlay(
    mut commands: Commands,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    view: Res<MapView>,
    overlay: Res<BikesOverlay>,
    material: Res<VertexColorMaterial>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut geometry: ResMut<FenceGeometry>,
) {
    if !twin.world.has_bikes() {
        return;
    }
    let bucket = zoom_bucket(view.metres_per_px);
    let (mesh, owner) = fences_mesh(&twin, &origin, &palette, bucket_scale(bucket));
    *geometry = FenceGeometry {
        vertex_fence: owner,
        bucket,
        coloured_at: None,
    };
    let m = &mut *meshes;
    commands.spawn((
        FencesMesh,
        overlay_mesh::<BikesOverlay>(m, &material, mesh, FENCES_Z, overlay.visible),
    ));
    commands.spawn((
        BikeDotsMesh,
        overlay_mesh::<BikesOverlay>(
            m,
            &material,
            MeshBuffers::default(),
            DOTS_Z,
            overlay.visible,
        ),
    ));
}

fn rebuild_on_zoom(
    view: Res<MapView>,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    mut geometry: ResMut<FenceGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    fences: Query<&Mesh2d, With<FencesMesh>>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    if bucket == geometry.bucket {
        return;
    }
    let (mesh, owner) = fences_mesh(&twin, &origin, &palette, bucket_scale(bucket));
    *geometry = FenceGeometry {
        vertex_fence: owner,
        bucket,
        coloured_at: None,
    };
    replace_meshes(&mut meshes, fences, mesh.into_mesh());
}

fn recolour_fences(
    twin: Res<Twin>,
    palette: Res<Palette>,
    mut geometry: ResMut<FenceGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    fences: Query<&Mesh2d, With<FencesMesh>>,
) {
    let minute = twin.world.now_s() / 60;
    if geometry.coloured_at == Some(minute) {
        return;
    }
    let Some(loads) = twin.world.fence_loads() else {
        return;
    };
    let by_fence: Vec<[f32; 4]> = loads
        .iter()
        .map(|f| linear(occupancy_color(f.bikes, f.capacity)))
        .collect();
    let colors = fence_vertex_colors(&geometry.vertex_fence, &by_fence, &palette);
    recolour_meshes(&mut meshes, fences, colors);
    geometry.coloured_at = Some(minute);
}

/// Per vertex of a fences mesh: its fence's colour, rings in the text colour.
pub(crate) fn fence_vertex_colors(
    vertex_fence: &[u32],
    by_fence: &[[f32; 4]],
    palette: &Palette,
) -> Vec<[f32; 4]> {
    let ring = linear(palette.text);
    vertex_fence
        .iter()
        .map(|&f| {
            if f == RING {
                ring
            } else {
                by_fence.get(f as usize).copied().unwrap_or([0.0; 4])
            }
        })
        .collect()
}

fn place_bikes(
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    view: Res<MapView>,
    mut meshes: ResMut<Assets<Mesh>>,
    dots: Query<&Mesh2d, With<BikeDotsMesh>>,
) {
    if !twin.world.has_bikes() {
        return;
    }
    let half = (1.2 * view.metres_per_px).max(1.0);
    let color = linear(Color::srgb_u8(0xff, 0xe1, 0x4d));
    let mut b = MeshBuffers::default();
    for p in twin.world.parked_bikes() {
        let c = origin.to_local(p.0);
        b.add_quad(
            [
                Vec2::new(-half, -half),
                Vec2::new(half, -half),
                Vec2::new(half, half),
                Vec2::new(-half, half),
            ]
            .map(|k| c + k),
            color,
        );
    }
    replace_meshes(&mut meshes, dots, b.into_mesh());
}
