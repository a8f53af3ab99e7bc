//! The map camera: pan, zoom and rotate with mouse and keyboard, fit to the city, and smooth
//! flights (used by the wall's auto-tour). The view is a plain resource; the camera follows it.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;

#[derive(Component, Debug)]
pub struct MapCamera;

/// What the map camera looks at.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct MapView {
    /// Local metres at the centre of the screen.
    pub centre: Vec2,
    pub metres_per_px: f32,
    /// Radians, counter-clockwise; 0 = north up.
    pub rotation: f32,
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            centre: Vec2::ZERO,
            metres_per_px: 10.0,
            rotation: 0.0,
        }
    }
}

impl MapView {
    /// The view that shows the whole box (local metres) in a viewport (pixels), north up.
    pub fn fit(min: Vec2, max: Vec2, viewport: Vec2) -> MapView {
        let size = (max - min).max(Vec2::splat(1.0));
        let viewport = viewport.max(Vec2::ONE);
        MapView {
            centre: (min + max) / 2.0,
            metres_per_px: (size.x / viewport.x).max(size.y / viewport.y) * 1.05,
            rotation: 0.0,
        }
    }

    /// Zooms by `factor` (< 1 zooms in) keeping `anchor` (local metres) where it is on screen.
    pub fn zoom_about(&mut self, anchor: Vec2, factor: f32) {
        let factor = factor.clamp(0.2, 5.0);
        let scale = (self.metres_per_px * factor).clamp(MIN_METRES_PER_PX, MAX_METRES_PER_PX);
        let applied = scale / self.metres_per_px;
        self.centre = anchor + (self.centre - anchor) * applied;
        self.metres_per_px = scale;
    }

    /// Moves the view by a screen-space offset in pixels (x right, y up).
    pub fn pan_px(&mut self, delta: Vec2) {
        self.centre += Vec2::from_angle(self.rotation).rotate(delta) * self.metres_per_px;
    }

    /// A step of a flight toward `target`: `t` of the way, zoom interpolated in log space.
    pub fn toward(&self, target: &MapView, t: f32) -> MapView {
        let t = t.clamp(0.0, 1.0);
        let log =
            self.metres_per_px.ln() + (target.metres_per_px.ln() - self.metres_per_px.ln()) * t;
        MapView {
            centre: self.centre.lerp(target.centre, t),
            metres_per_px: log.exp(),
            rotation: self.rotation + (target.rotation - self.rotation) * t,
        }
    }
}

/// The part of the viewport the map is fitted into: clear of the side panels and the bottom
/// bar at 1080 lines, never less than half of it.
pub fn map_area(viewport: Vec2) -> Vec2 {
    let scale = viewport.y / 1080.0;
    (viewport - Vec2::new(960.0, 120.0) * scale).max(viewport * 0.5)
}

/// Where city coordinates land on a view of `size` pixels fitted to `extent` as at start
/// (x right, y down, pixel centres at .5): for checking snapshots against the data.
pub fn start_view_pixels(
    extent: geo::Rect<f64>,
    size: (u32, u32),
) -> impl Fn(geo::Coord<f64>) -> (f32, f32) {
    let origin = crate::geometry::LocalOrigin::centre_of(extent);
    let viewport = Vec2::new(size.0 as f32, size.1 as f32);
    let view = MapView::fit(
        origin.to_local(extent.min()),
        origin.to_local(extent.max()),
        map_area(viewport),
    );
    move |c| {
        let d = (origin.to_local(c) - view.centre) / view.metres_per_px;
        (viewport.x / 2.0 + d.x, viewport.y / 2.0 - d.y)
    }
}

/// Closest zoom: a few street widths on screen.
const MIN_METRES_PER_PX: f32 = 0.05;
/// Farthest zoom: a region far larger than any city.
const MAX_METRES_PER_PX: f32 = 500.0;

/// The city's extent in local metres, for fitting.
#[derive(Resource, Clone, Copy, Debug)]
pub struct MapExtent {
    pub min: Vec2,
    pub max: Vec2,
}

/// A flight in progress toward a view.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Flight(pub Option<MapView>);

#[derive(Debug, Default)]
pub struct MapCameraPlugin {
    /// Mouse and keyboard move the camera (off on the wall: no one is at the controls).
    pub interactive: bool,
}

impl Plugin for MapCameraPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<MapView>()
            .init_resource::<Flight>()
            .add_systems(Startup, spawn_camera)
            .add_systems(Update, (fit_when_ready, fly, follow_view).chain());
        if self.interactive {
            app.add_systems(Update, (read_keys, read_mouse).before(fly));
        }
    }
}

/// Set once the view has been fitted to the first known viewport size.
#[derive(Resource, Debug)]
struct Fitted;

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, MapCamera));
}

fn fit_when_ready(
    mut commands: Commands,
    fitted: Option<Res<Fitted>>,
    extent: Option<Res<MapExtent>>,
    camera: Single<&Camera, With<MapCamera>>,
    mut view: ResMut<MapView>,
) {
    if fitted.is_some() {
        return;
    }
    if let (Some(extent), Some(size)) = (extent, camera.logical_viewport_size()) {
        *view = MapView::fit(extent.min, extent.max, map_area(size));
        commands.insert_resource(Fitted);
    }
}

fn read_keys(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    extent: Option<Res<MapExtent>>,
    camera: Single<&Camera, With<MapCamera>>,
    mut view: ResMut<MapView>,
    mut flight: ResMut<Flight>,
) {
    let dt = time.delta_secs();
    let mut pan = Vec2::ZERO;
    for (keys_for, dir) in [
        ([KeyCode::ArrowLeft, KeyCode::KeyA], Vec2::NEG_X),
        ([KeyCode::ArrowRight, KeyCode::KeyD], Vec2::X),
        ([KeyCode::ArrowUp, KeyCode::KeyW], Vec2::Y),
        ([KeyCode::ArrowDown, KeyCode::KeyS], Vec2::NEG_Y),
    ] {
        if keys.any_pressed(keys_for) {
            pan += dir;
        }
    }
    if pan != Vec2::ZERO {
        flight.0 = None;
        view.pan_px(pan * 600.0 * dt);
    }
    let centre = view.centre;
    if keys.any_pressed([KeyCode::Equal, KeyCode::NumpadAdd]) {
        view.zoom_about(centre, 1.0 - 1.5 * dt);
    }
    if keys.any_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]) {
        view.zoom_about(centre, 1.0 + 1.5 * dt);
    }
    if keys.pressed(KeyCode::KeyQ) {
        view.rotation += dt;
    }
    if keys.pressed(KeyCode::KeyE) {
        view.rotation -= dt;
    }
    if keys.any_just_pressed([KeyCode::KeyF, KeyCode::Home])
        && let (Some(extent), Some(size)) = (extent, camera.logical_viewport_size())
    {
        flight.0 = Some(MapView::fit(extent.min, extent.max, map_area(size)));
    }
}

fn read_mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    window: Single<&Window>,
    camera: Single<(&Camera, &GlobalTransform), With<MapCamera>>,
    mut view: ResMut<MapView>,
    mut flight: ResMut<Flight>,
) {
    let (camera, transform) = *camera;
    if buttons.pressed(MouseButton::Left) && motion.delta != Vec2::ZERO {
        flight.0 = None;
        // screen y grows downward
        view.pan_px(Vec2::new(-motion.delta.x, motion.delta.y));
    }
    if buttons.pressed(MouseButton::Right) && motion.delta.x != 0.0 {
        view.rotation += motion.delta.x * 0.005;
    }
    if scroll.delta.y != 0.0 {
        flight.0 = None;
        let notches = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
        };
        let anchor = window
            .cursor_position()
            .and_then(|c| camera.viewport_to_world_2d(transform, c).ok())
            .unwrap_or(view.centre);
        view.zoom_about(anchor, 0.85f32.powf(notches));
    }
}

fn fly(time: Res<Time>, mut flight: ResMut<Flight>, mut view: ResMut<MapView>) {
    let Some(target) = flight.0 else {
        return;
    };
    let t = 1.0 - (-3.0 * time.delta_secs()).exp();
    let next = view.toward(&target, t);
    let close = next.centre.distance(target.centre) < target.metres_per_px
        && (next.metres_per_px / target.metres_per_px - 1.0).abs() < 0.01;
    if close {
        *view = target;
        flight.0 = None;
    } else {
        *view = next;
    }
}

fn follow_view(
    view: Res<MapView>,
    camera: Single<(&mut Transform, &mut Projection), With<MapCamera>>,
) {
    let (mut transform, mut projection) = camera.into_inner();
    transform.translation = view.centre.extend(transform.translation.z);
    transform.rotation = Quat::from_rotation_z(view.rotation);
    if let Projection::Orthographic(ortho) = &mut *projection {
        ortho.scale = view.metres_per_px;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_shows_the_whole_box() {
        let v = MapView::fit(
            Vec2::new(-5000.0, -2000.0),
            Vec2::new(5000.0, 2000.0),
            Vec2::new(1000.0, 1000.0),
        );
        assert_eq!(v.centre, Vec2::ZERO);
        assert!(v.metres_per_px * 1000.0 >= 10_000.0);
        assert!(v.metres_per_px < 11.0);
    }

    #[test]
    fn zooming_keeps_the_anchor_in_place() {
        let mut v = MapView {
            centre: Vec2::new(100.0, 50.0),
            metres_per_px: 2.0,
            rotation: 0.0,
        };
        let anchor = Vec2::new(300.0, -50.0);
        let before = (anchor - v.centre) / v.metres_per_px;
        v.zoom_about(anchor, 0.5);
        let after = (anchor - v.centre) / v.metres_per_px;
        assert!((before - after).length() < 1e-3);
        assert_eq!(v.metres_per_px, 1.0);
    }

    #[test]
    fn a_flight_ends_at_its_target() {
        let from = MapView::default();
        let to = MapView {
            centre: Vec2::new(4000.0, 1000.0),
            metres_per_px: 1.0,
            rotation: 0.0,
        };
        assert_eq!(from.toward(&to, 1.0), MapView { ..to });
        let half = from.toward(&to, 0.5);
        assert!((half.metres_per_px - 10f32.sqrt()).abs() < 1e-3);
    }
}
