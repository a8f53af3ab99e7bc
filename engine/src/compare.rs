//! Split-screen compare: the baseline on the left, a scenario's variant on the right, one
//! camera moving both panes and one clock stepping both Worlds. The right pane shows the
//! variant's own traffic, cars and fences, or (key D) the difference: links coloured by the
//! change of speed against the baseline, fences by the change of occupancy.
//!
//! The base map is drawn once and seen by both pane cameras (render layer 0); the baseline's
//! overlays are moved to layer 1 (left camera only), the variant's meshes live on layer 2
//! (right camera only), and a third camera draws the HUD over the whole screen.

use crate::bikes::{FENCES_Z, fence_vertex_colors, fences_mesh, occupancy_color};
use crate::camera::{MapCamera, MapExtent, MapView};
use crate::geometry::{LocalOrigin, MeshBuffers};
use crate::hud::{AlarmPanel, HudFont, panel, text};
use crate::map::{VertexColorMaterial, bucket_scale, depth, zoom_bucket};
use crate::overlay::{OverlayPart, recolour_meshes, replace_meshes};
use crate::palette::{Palette, linear, road_rank};
use crate::traffic::{TrafficGeometry, TrafficOverlay, link_speed_color};
use crate::twin::{SimClock, Twin, TwinSet};
use crate::{bikes::BikesOverlay, vitals::VitalsOverlay};
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, RenderTarget, Viewport};
use bevy::prelude::*;
use bevy::ui::{IsDefaultUiCamera, UiTargetCamera};
use citytwin_sim::views::{CarPosition, LinkLoad};

/// The variant's city and World (its `scene_name` labels the right pane).
#[derive(Resource, Debug)]
pub struct VariantTwin(pub Twin);

/// What the right pane shows.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareView {
    pub difference: bool,
}

#[derive(Debug, Default)]
pub struct ComparePlugin {
    /// Start with the difference on the right instead of the variant.
    pub difference: bool,
}

const BASELINE_LAYER: usize = 1;
const VARIANT_LAYER: usize = 2;
/// Pixels between the panes.
const GAP_PX: u32 = 4;

#[derive(Component, Debug)]
struct VariantCamera;

#[derive(Component, Debug)]
struct UiCamera;

#[derive(Component, Debug)]
struct VariantLinks;

#[derive(Component, Debug)]
struct VariantCars;

#[derive(Component, Debug)]
struct VariantFences;

#[derive(Component, Debug)]
struct PaneTitle;

/// The variant's drawn geometry, rebuilt on zoom like the baseline's.
#[derive(Resource, Debug, Default)]
struct VariantGeometry {
    traffic: TrafficGeometry,
    vertex_fence: Vec<u32>,
    bucket: i32,
    coloured_at: Option<(u32, bool)>,
    base_loads: Vec<LinkLoad>,
    loads: Vec<LinkLoad>,
    cars: Vec<CarPosition>,
}

impl Plugin for ComparePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(CompareView {
            difference: self.difference,
        })
        .init_resource::<VariantGeometry>()
        .add_systems(PostStartup, (spawn_cameras, spawn_variant, spawn_titles))
        .add_systems(FixedUpdate, follow_baseline_clock.after(TwinSet::Step))
        .add_systems(
            Update,
            (
                share_render_target,
                split_viewports,
                keep_on_left::<TrafficOverlay>,
                keep_on_left::<BikesOverlay>,
                keep_on_left::<VitalsOverlay>,
                toggle_difference,
                hide_baseline_panels,
                hud_over_both_panes,
            ),
        )
        .add_systems(
            Update,
            (rebuild_on_zoom, colour_variant, move_variant_cars, retitle)
                .chain()
                .in_set(TwinSet::Read),
        )
        .add_systems(
            PostUpdate,
            follow_camera.before(bevy::transform::TransformSystems::Propagate),
        );
    }
}

/// The variant's clock follows the baseline's: forward step by step, and back to the start
/// of the day when the baseline jumped back.
fn follow_baseline_clock(twin: Res<Twin>, mut variant: ResMut<VariantTwin>) {
    let t = twin.world.now_s();
    let world = &mut variant.0.world;
    if world.now_s() > t {
        world.restart();
    }
    while world.now_s() < t.min(world.options().to_s) {
        world.step();
    }
}

fn spawn_cameras(mut commands: Commands, left: Single<Entity, With<MapCamera>>) {
    commands
        .entity(*left)
        .insert(RenderLayers::from_layers(&[0, BASELINE_LAYER]));
    commands.spawn((
        Camera2d,
        Camera {
            order: 1,
            ..default()
        },
        RenderLayers::from_layers(&[0, VARIANT_LAYER]),
        VariantCamera,
    ));
    // the HUD spans both panes: drawn by a camera that sees no map
    commands.spawn((
        Camera2d,
        Camera {
            order: 2,
            clear_color: ClearColorConfig::None,
            ..default()
        },
        RenderLayers::none(),
        IsDefaultUiCamera,
        UiCamera,
    ));
}

/// The other cameras render to whatever the map camera renders to (a window, or a snapshot's
/// image once the snapshot plugin has set it).
fn share_render_target(
    mut commands: Commands,
    left: Query<&RenderTarget, (With<MapCamera>, Changed<RenderTarget>)>,
    others: Query<Entity, Or<(With<VariantCamera>, With<UiCamera>)>>,
) {
    for target in &left {
        for e in &others {
            commands.entity(e).insert(target.clone());
        }
    }
}

/// Left and right halves of the target; the view is fitted to a pane once it is split.
fn split_viewports(
    extent: Option<Res<MapExtent>>,
    mut view: ResMut<MapView>,
    mut fitted: Local<bool>,
    mut left: Single<&mut Camera, With<MapCamera>>,
    mut right: Single<&mut Camera, (With<VariantCamera>, Without<MapCamera>)>,
) {
    let Some(size) = left.physical_target_size() else {
        return;
    };
    let half = size.x / 2;
    let pane = UVec2::new(half.saturating_sub(GAP_PX / 2).max(1), size.y);
    set_viewport(&mut left, UVec2::ZERO, pane);
    set_viewport(
        &mut right,
        UVec2::new(half + GAP_PX / 2, 0),
        UVec2::new(size.x.saturating_sub(half + GAP_PX / 2).max(1), size.y),
    );
    if !*fitted
        && let (Some(extent), Some(logical)) = (extent, left.logical_viewport_size())
        && logical.x < left.logical_target_size().map_or(f32::MAX, |s| s.x)
    {
        // the pane, less room for the KPI panel at the top and the legend at the bottom
        let scale = logical.y / 1080.0;
        let area = (logical - Vec2::new(40.0, 420.0) * scale).max(logical * 0.5);
        *view = MapView::fit(extent.min, extent.max, area);
        *fitted = true;
    }
}

fn set_viewport(camera: &mut Camera, position: UVec2, size: UVec2) {
    let same = camera
        .viewport
        .as_ref()
        .is_some_and(|v| v.physical_position == position && v.physical_size == size);
    if !same {
        camera.viewport = Some(Viewport {
            physical_position: position,
            physical_size: size,
            ..default()
        });
    }
}

/// The alarm feed and the vital-signs panel are the baseline's: over the variant's pane
/// they would mislead (the KPIs stay, top left, over the baseline).
fn hide_baseline_panels(
    mut panels: Query<
        &mut Visibility,
        Or<(
            With<AlarmPanel>,
            (With<Node>, With<OverlayPart<VitalsOverlay>>),
        )>,
    >,
) {
    for mut v in &mut panels {
        if *v != Visibility::Hidden {
            *v = Visibility::Hidden;
        }
    }
}

/// The HUD is laid out over the whole screen, not the left pane.
fn hud_over_both_panes(
    map: Single<Entity, With<MapCamera>>,
    ui: Single<Entity, With<UiCamera>>,
    mut targets: Query<&mut UiTargetCamera>,
) {
    for mut t in &mut targets {
        if t.0 == *map {
            t.0 = *ui;
        }
    }
}

/// The right pane looks where the left one does.
fn follow_camera(
    left: Single<(&Transform, &Projection), With<MapCamera>>,
    mut right: Single<(&mut Transform, &mut Projection), (With<VariantCamera>, Without<MapCamera>)>,
) {
    let (transform, projection) = *left;
    *right.0 = *transform;
    *right.1 = projection.clone();
}

/// The baseline's overlays are drawn on the left only.
fn keep_on_left<O: Send + Sync + 'static>(
    mut commands: Commands,
    parts: Query<Entity, (With<OverlayPart<O>>, Without<RenderLayers>)>,
) {
    for e in &parts {
        commands
            .entity(e)
            .insert(RenderLayers::layer(BASELINE_LAYER));
    }
}

fn variant_mesh(
    meshes: &mut Assets<Mesh>,
    material: &VertexColorMaterial,
    buffers: MeshBuffers,
    z: f32,
) -> impl Bundle {
    (
        Mesh2d(meshes.add(buffers.into_mesh())),
        MeshMaterial2d(material.0.clone()),
        Transform::from_xyz(0.0, 0.0, z),
        RenderLayers::layer(VARIANT_LAYER),
    )
}

fn spawn_variant(
    mut commands: Commands,
    variant: Res<VariantTwin>,
    origin: Res<LocalOrigin>,
    view: Res<MapView>,
    palette: Res<Palette>,
    material: Res<VertexColorMaterial>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut geometry: ResMut<VariantGeometry>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    let g = &mut *geometry;
    g.bucket = bucket;
    g.traffic = TrafficGeometry::build(&variant.0, &origin, bucket_scale(bucket), bucket);
    let links = g.traffic.links_mesh();
    let (fences, owner) = fences_mesh(&variant.0, &origin, &palette, bucket_scale(bucket));
    g.vertex_fence = owner;
    let m = &mut *meshes;
    commands.spawn((
        VariantLinks,
        variant_mesh(m, &material, links, depth::TRAFFIC),
    ));
    commands.spawn((VariantFences, variant_mesh(m, &material, fences, FENCES_Z)));
    commands.spawn((
        VariantCars,
        variant_mesh(m, &material, MeshBuffers::default(), depth::CARS),
    ));
}

fn rebuild_on_zoom(
    view: Res<MapView>,
    variant: Res<VariantTwin>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    mut geometry: ResMut<VariantGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    links: Query<&Mesh2d, With<VariantLinks>>,
    fences: Query<&Mesh2d, With<VariantFences>>,
) {
    let bucket = zoom_bucket(view.metres_per_px);
    if bucket == geometry.bucket {
        return;
    }
    let g = &mut *geometry;
    g.bucket = bucket;
    g.traffic = TrafficGeometry::build(&variant.0, &origin, bucket_scale(bucket), bucket);
    replace_meshes(&mut meshes, links, g.traffic.links_mesh().into_mesh());
    let (mesh, owner) = fences_mesh(&variant.0, &origin, &palette, bucket_scale(bucket));
    g.vertex_fence = owner;
    replace_meshes(&mut meshes, fences, mesh.into_mesh());
    g.coloured_at = None;
}

fn toggle_difference(keys: Res<ButtonInput<KeyCode>>, mut view: ResMut<CompareView>) {
    if keys.just_pressed(KeyCode::KeyD) {
        view.difference = !view.difference;
    }
}

/// Speed change (variant − baseline, as shares of free-flow speed) → colour
/// ([`crate::palette::SPEED_CHANGE`]). A closed link counts as standing still.
pub fn speed_change_color(change: f32) -> Color {
    crate::palette::ramp_color(&crate::palette::SPEED_CHANGE, change)
}

/// Occupancy change (variant − baseline bikes, as a share of capacity) → colour
/// ([`crate::palette::OCCUPANCY_CHANGE`]).
pub fn occupancy_change_color(change: f32) -> Color {
    crate::palette::ramp_color(&crate::palette::OCCUPANCY_CHANGE, change)
}

/// The share of free-flow speed a link runs at (0 when closed).
fn running(load: &LinkLoad) -> f32 {
    if load.closed { 0.0 } else { load.speed_ratio }
}

fn colour_variant(
    twin: Res<Twin>,
    variant: Res<VariantTwin>,
    view: Res<CompareView>,
    palette: Res<Palette>,
    mut geometry: ResMut<VariantGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    links: Query<&Mesh2d, With<VariantLinks>>,
    fences: Query<&Mesh2d, With<VariantFences>>,
) {
    let key = (variant.0.world.now_s() / 15, view.difference);
    if geometry.coloured_at == Some(key) {
        return;
    }
    let g = &mut *geometry;
    variant.0.world.link_loads(&mut g.loads);
    twin.world.link_loads(&mut g.base_loads);
    let roads = variant.0.city.roads();
    let colors = if view.difference {
        g.traffic.vertex_colors(|l| {
            let (v, b) = (&g.loads[l as usize], g.base_loads.get(l as usize));
            let Some(b) = b else {
                return [0.0; 4];
            };
            let quiet = v.vehicles == 0 && b.vehicles == 0;
            if quiet && road_rank(roads.links[l as usize].class) > 2 {
                return [0.0; 4];
            }
            linear(speed_change_color(running(v) - running(b)))
        })
    } else {
        g.traffic
            .vertex_colors(|l| link_speed_color(&g.loads[l as usize], roads, l, &palette))
    };
    recolour_meshes(&mut meshes, links, colors);
    if let Some(loads) = variant.0.world.fence_loads() {
        let base = twin.world.fence_loads();
        let by_fence: Vec<[f32; 4]> = loads
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let color = match (view.difference, base.as_ref().and_then(|b| b.get(i))) {
                    (true, Some(was)) => occupancy_change_color(
                        (f.bikes as f32 - was.bikes as f32) / f.capacity.max(1) as f32,
                    ),
                    _ => occupancy_color(f.bikes, f.capacity),
                };
                linear(color)
            })
            .collect();
        let colors = fence_vertex_colors(&g.vertex_fence, &by_fence, &palette);
        recolour_meshes(&mut meshes, fences, colors);
    }
    g.coloured_at = Some(key);
}

/// The variant's cars, or none while the difference is shown.
fn move_variant_cars(
    variant: Res<VariantTwin>,
    clock: Res<SimClock>,
    view: Res<MapView>,
    compare: Res<CompareView>,
    palette: Res<Palette>,
    mut geometry: ResMut<VariantGeometry>,
    mut meshes: ResMut<Assets<Mesh>>,
    cars: Query<&Mesh2d, With<VariantCars>>,
) {
    let g = &mut *geometry;
    let mut positions = std::mem::take(&mut g.cars);
    positions.clear();
    if !compare.difference {
        let at = f64::from(variant.0.world.now_s()) - 1.0 + clock.carry;
        variant.0.world.car_positions(at, &mut positions);
    }
    let b = g
        .traffic
        .car_marks(&positions, view.metres_per_px, &palette);
    g.cars = positions;
    replace_meshes(&mut meshes, cars, b.into_mesh());
}

/// A title over each pane, and the difference legend on the right.
fn spawn_titles(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    twin: Res<Twin>,
) {
    let (f, p) = (&*font, &*palette);
    for (left, label) in [
        (true, format!("BASELINE · {}", twin.scene_name)),
        (false, String::new()),
    ] {
        // at the top of each pane, clear of the KPI panel on the left
        let node = Node {
            position_type: PositionType::Absolute,
            top: px(16),
            left: percent(if left { 26.0 } else { 52.0 }),
            padding: UiRect::axes(px(12), px(6)),
            flex_direction: FlexDirection::Column,
            row_gap: px(4),
            ..default()
        };
        let mut title = commands.spawn(panel(p, node));
        if left {
            title.with_child(text(f, 20.0, p.text, label));
        } else {
            title.with_child((text(f, 20.0, p.text, ""), PaneTitle));
        }
    }
}

fn retitle(
    variant: Res<VariantTwin>,
    view: Res<CompareView>,
    mut titles: Query<&mut Text, With<PaneTitle>>,
) {
    if !view.is_changed() && !variant.is_added() {
        return;
    }
    let name = &variant.0.scene_name;
    let label = if view.difference {
        format!(
            "DIFFERENCE · variant − baseline (D)\n{name}\nroads: red slower · grey same · blue faster\nfences: orange fewer bikes · green more"
        )
    } else {
        format!("VARIANT (D: difference)\n{name}")
    };
    for mut t in &mut titles {
        t.0.clone_from(&label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variant_follows_the_baseline_clock_forward_and_back() {
        let mut app = App::new();
        app.insert_resource(crate::testing::grid_twin(50))
            .insert_resource(VariantTwin(crate::testing::grid_twin(50)))
            .add_systems(Update, follow_baseline_clock);
        let step = |app: &mut App, seconds: u32| {
            let mut twin = app.world_mut().resource_mut::<Twin>();
            for _ in 0..seconds {
                twin.world.step();
            }
        };
        let now = |app: &App| {
            (
                app.world().resource::<Twin>().world.now_s(),
                app.world().resource::<VariantTwin>().0.world.now_s(),
            )
        };
        step(&mut app, 300);
        app.update();
        let (base, variant) = now(&app);
        assert_eq!(base, variant);
        // a jump back: the baseline restarts and runs to an earlier time
        app.world_mut().resource_mut::<Twin>().world.restart();
        step(&mut app, 120);
        app.update();
        let (base, variant) = now(&app);
        assert!(base < 300, "the baseline went back");
        assert_eq!(variant, base, "the variant went back with it");
    }

    #[test]
    fn change_ramps_are_grey_at_zero_and_saturate() {
        let grey = speed_change_color(0.0).to_srgba();
        assert!((grey.red - grey.blue).abs() < 0.1);
        let slower = speed_change_color(-1.0).to_srgba();
        let faster = speed_change_color(1.0).to_srgba();
        assert!(slower.red > 0.8 && slower.blue < 0.3);
        assert!(faster.blue > 0.8 && faster.red < 0.3);
        assert_eq!(speed_change_color(-5.0), speed_change_color(-0.4));
        let more = occupancy_change_color(0.5).to_srgba();
        assert!(more.green > 0.7);
    }
}
