//! The city's vital signs (key V): grid cells at amber or red shaded on the map, open cases as
//! markers (red once past their SLA), and a panel of the city-wide indicators with their
//! green/amber/red level. Drawn from the World's ops picture; nothing here without a scene's
//! ops file.

use crate::camera::{MapCamera, MapView};
use crate::geometry::{LocalOrigin, MeshBuffers};
use crate::hud::{HudFont, panel, text};
use crate::map::{VertexColorMaterial, bucket_scale, depth, zoom_bucket};
use crate::overlay::{OverlayPart, OverlaySwitch, overlay_mesh, replace_meshes, toggle_overlay};
use crate::palette::{Palette, linear};
use crate::twin::{Twin, TwinSet, clock_text};
use bevy::prelude::*;
use citytwin_sim::ops::OpsPicture;
use citytwin_sim::ops::{CaseState, Level};

#[derive(Debug, Default)]
pub struct VitalsOverlayPlugin {
    pub hidden: bool,
}

#[derive(Resource, Debug, Clone, Copy)]
pub struct VitalsOverlay {
    pub visible: bool,
}

impl OverlaySwitch for VitalsOverlay {
    const KEY: KeyCode = KeyCode::KeyV;
    fn visible(&self) -> bool {
        self.visible
    }
    fn set_visible(&mut self, visible: bool) {
        self.visible = visible;
    }
}

#[derive(Component, Debug)]
struct VitalsMesh;

/// One row of the panel: a level swatch and its label.
#[derive(Component, Debug)]
struct VitalRow(usize);
#[derive(Component, Debug)]
struct VitalLabel(usize);
#[derive(Component, Debug)]
struct VitalSwatch(usize);
#[derive(Component, Debug)]
struct VitalsTitle;

/// The ops picture, taken again only when it can have changed: vital signs change every five
/// simulated minutes, cases by the minute.
#[derive(Resource, Debug, Default)]
struct Picture {
    /// (vital signs update, minute) it was taken at.
    taken: Option<(u32, u32)>,
    picture: OpsPicture,
}

/// The picture and zoom bucket the mesh was last built for.
#[derive(Resource, Debug, Default)]
struct Drawn(Option<((u32, u32), i32)>);

/// Indicator rows the panel holds (the city has 7, plus sensors with thresholds).
const ROWS: usize = 10;
/// Case markers' side in pixels.
const CASE_PX: f32 = 9.0;
/// Sensor markers' side in pixels.
const SENSOR_PX: f32 = 8.0;
/// Between the base map's districts and the traffic overlay: shading under the roads' colours.
const CELLS_Z: f32 = depth::DISTRICTS + 0.5;

/// An open case by its state: waiting for a crew, a crew on the way, being handled.
pub fn case_color(state: CaseState) -> Color {
    match state {
        CaseState::Dispatched => Color::srgb_u8(0x6f, 0xa8, 0xff),
        CaseState::InProgress => Color::srgb_u8(0x4f, 0xe0, 0xd0),
        _ => Color::srgb_u8(0xc9, 0xa8, 0xff),
    }
}

pub fn level_color(level: Level) -> Color {
    match level {
        Level::Green => Color::srgb_u8(0x1a, 0xd1, 0x6b),
        Level::Amber => Color::srgb_u8(0xff, 0xb0, 0x20),
        Level::Red => Color::srgb_u8(0xff, 0x3b, 0x3b),
    }
}

impl Plugin for VitalsOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(VitalsOverlay {
            visible: !self.hidden,
        })
        .init_resource::<Drawn>()
        .init_resource::<Picture>()
        .add_systems(PostStartup, spawn_overlay)
        .add_systems(
            Update,
            (
                toggle_overlay::<VitalsOverlay>,
                take_picture,
                redraw,
                update_panel,
            )
                .chain()
                .in_set(TwinSet::Read),
        );
    }
}

fn take_picture(twin: Res<Twin>, overlay: Res<VitalsOverlay>, mut picture: ResMut<Picture>) {
    let Some(vitals_at_s) = twin.world.vitals_at_s() else {
        return;
    };
    let taken = (vitals_at_s, twin.world.now_s() / 60);
    if overlay.visible && picture.taken != Some(taken) {
        *picture = Picture {
            taken: Some(taken),
            picture: twin.world.vitals_picture().unwrap_or_default(),
        };
    }
}

fn vitals_mesh(picture: &OpsPicture, origin: &LocalOrigin, metres_per_px: f32) -> MeshBuffers {
    let mut b = MeshBuffers::default();
    for cell in &picture.cells {
        let mut c = level_color(cell.level).to_linear();
        c.alpha = 0.45;
        let (min, max) = (
            origin.to_local(cell.rect.min()),
            origin.to_local(cell.rect.max()),
        );
        b.add_quad(
            [
                Vec2::new(min.x, min.y),
                Vec2::new(max.x, min.y),
                Vec2::new(max.x, max.y),
                Vec2::new(min.x, max.y),
            ],
            c.to_f32_array(),
        );
    }
    // sensors: triangles, coloured by their worst reading that has thresholds
    let side = SENSOR_PX * metres_per_px;
    for sensor in &picture.sensors {
        let at = origin.to_local(sensor.point.0);
        let color = sensor
            .level
            .map_or(Color::srgb_u8(0xb8, 0xc4, 0xd6), level_color);
        b.add_triangle(
            [
                at + Vec2::new(0.0, side * 0.6),
                at + Vec2::new(side * 0.5, -side * 0.4),
                at + Vec2::new(-side * 0.5, -side * 0.4),
            ],
            linear(color),
        );
    }
    let half = CASE_PX * metres_per_px / 2.0;
    for case in &picture.open_cases {
        let at = origin.to_local(case.point.0);
        let color = if case.overdue {
            level_color(Level::Red)
        } else {
            case_color(case.state)
        };
        // a diamond, so cases do not read as fences
        b.add_quad(
            [
                at + Vec2::new(0.0, -half),
                at + Vec2::new(half, 0.0),
                at + Vec2::new(0.0, half),
                at + Vec2::new(-half, 0.0),
            ],
            linear(color),
        );
    }
    b
}

fn spawn_overlay(
    mut commands: Commands,
    twin: Res<Twin>,
    font: Res<HudFont>,
    palette: Res<Palette>,
    overlay: Res<VitalsOverlay>,
    material: Res<VertexColorMaterial>,
    mut meshes: ResMut<Assets<Mesh>>,
    camera: Single<Entity, With<MapCamera>>,
) {
    if !twin.world.has_ops() {
        return;
    }
    commands.spawn((
        VitalsMesh,
        overlay_mesh::<VitalsOverlay>(
            &mut meshes,
            &material,
            MeshBuffers::default(),
            CELLS_Z,
            overlay.visible,
        ),
    ));
    let (p, f) = (&*palette, &*font);
    commands
        .spawn((
            panel(
                p,
                Node {
                    position_type: PositionType::Absolute,
                    right: px(16),
                    bottom: px(110),
                    width: px(460),
                    flex_direction: FlexDirection::Column,
                    padding: UiRect::all(px(14)),
                    row_gap: px(4),
                    ..default()
                },
            ),
            crate::overlay::visibility(overlay.visible),
            OverlayPart::<VitalsOverlay>::default(),
            UiTargetCamera(*camera),
        ))
        .with_children(|c| {
            c.spawn((text(f, 20.0, p.text_dim, "VITAL SIGNS"), VitalsTitle));
            for i in 0..ROWS {
                c.spawn((
                    Node {
                        flex_direction: FlexDirection::Row,
                        align_items: AlignItems::Center,
                        column_gap: px(10),
                        display: Display::None,
                        ..default()
                    },
                    VitalRow(i),
                ))
                .with_children(|row| {
                    row.spawn((
                        Node {
                            width: px(12),
                            height: px(12),
                            ..default()
                        },
                        BackgroundColor(level_color(Level::Green)),
                        VitalSwatch(i),
                    ));
                    row.spawn((text(f, 17.0, p.text, ""), VitalLabel(i)));
                });
            }
        });
}

fn redraw(
    picture: Res<Picture>,
    origin: Res<LocalOrigin>,
    view: Res<MapView>,
    mut drawn: ResMut<Drawn>,
    mut meshes: ResMut<Assets<Mesh>>,
    mesh: Query<&Mesh2d, With<VitalsMesh>>,
) {
    let Some(taken) = picture.taken else {
        return;
    };
    let bucket = zoom_bucket(view.metres_per_px);
    if drawn.0 == Some((taken, bucket)) {
        return;
    }
    drawn.0 = Some((taken, bucket));
    let buffers = vitals_mesh(&picture.picture, &origin, bucket_scale(bucket));
    replace_meshes(&mut meshes, mesh, buffers.into_mesh());
}

fn update_panel(
    picture: Res<Picture>,
    mut title: Query<&mut Text, With<VitalsTitle>>,
    mut rows: Query<(&VitalRow, &mut Node)>,
    mut labels: Query<(&VitalLabel, &mut Text), Without<VitalsTitle>>,
    mut swatches: Query<(&VitalSwatch, &mut BackgroundColor)>,
) {
    if !picture.is_changed() || picture.taken.is_none() {
        return;
    }
    let picture = &picture.picture;
    let heading = format!(
        "VITAL SIGNS · {}\n{} red cells · {} open cases",
        &clock_text(picture.at_s)[..5],
        picture
            .cells
            .iter()
            .filter(|c| c.level == Level::Red)
            .count(),
        // the open-cases row's figure, of the same update as every other row (the markers
        // on the map are the cases open this very minute)
        picture
            .city
            .iter()
            .find(|r| r.indicator == "open_cases")
            .map_or(picture.open_cases.len(), |r| r.value.round() as usize)
    );
    for mut t in &mut title {
        t.0.clone_from(&heading);
    }
    for (row, mut node) in &mut rows {
        node.display = if picture.city.get(row.0).is_some() {
            Display::Flex
        } else {
            Display::None
        };
    }
    for (label, mut text) in &mut labels {
        if let Some(r) = picture.city.get(label.0) {
            text.0 = citytwin_sim::ops::describe(&r.indicator, r.value);
        }
    }
    for (swatch, mut color) in &mut swatches {
        if let Some(r) = picture.city.get(swatch.0) {
            color.0 = level_color(r.level);
        }
    }
}
