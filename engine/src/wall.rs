//! Wall mode: nobody is at the controls, so the view tours the city by itself: the whole
//! city, then each district, with the worst congestion hotspot in between.

use crate::camera::{Flight, MapCamera, MapExtent, MapView};
use crate::geometry::LocalOrigin;
use crate::hud::HudFont;
use crate::palette::Palette;
use crate::twin::{Twin, TwinSet};
use bevy::prelude::*;
use citytwin_city::layer::names;
use geo::BoundingRect;

#[derive(Debug)]
pub struct WallPlugin {
    /// Seconds at each stop.
    pub every_s: f32,
}

/// A place the tour shows: a box in local metres.
#[derive(Clone, Debug, PartialEq)]
pub struct TourStop {
    pub name: String,
    pub min: Vec2,
    pub max: Vec2,
}

#[derive(Resource, Debug)]
pub struct AutoTour {
    pub stops: Vec<TourStop>,
    pub next: usize,
    /// Every other move goes to the worst hotspot instead of the next stop.
    hotspot_turn: bool,
    timer: Timer,
}

#[derive(Component, Debug)]
struct TourCaption;

/// Half the side of the box shown around a hotspot, in metres.
const HOTSPOT_VIEW_M: f32 = 700.0;

impl Plugin for WallPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(AutoTour {
            stops: Vec::new(),
            next: 0,
            hotspot_turn: false,
            timer: Timer::from_seconds(self.every_s.max(1.0), TimerMode::Repeating),
        })
        .add_systems(PostStartup, (plan_tour, spawn_caption))
        .add_systems(Update, (fill_monitor, advance_tour.in_set(TwinSet::Read)));
    }
}

/// The whole city, then its districts in the order of the layer.
pub fn tour_stops(twin: &Twin, origin: &LocalOrigin, extent: &MapExtent) -> Vec<TourStop> {
    let mut stops = vec![TourStop {
        name: twin.scene_name.clone(),
        min: extent.min,
        max: extent.max,
    }];
    if let Ok(layer) = twin.city.layer(names::DISTRICTS) {
        for f in &layer.features {
            let Some(rect) = f.geometry.bounding_rect() else {
                continue;
            };
            let name = f
                .text("name:en")
                .or_else(|| f.text("name"))
                .unwrap_or(&f.source_id)
                .to_string();
            stops.push(TourStop {
                name,
                min: origin.to_local(rect.min()),
                max: origin.to_local(rect.max()),
            });
        }
    }
    stops
}

/// Borderless full screen is asked of the window manager; where it cannot honour it (a bare
/// X server such as Xvfb, some kiosks) the window is sized and placed over the monitor.
fn fill_monitor(
    mut window: Query<&mut Window, With<bevy::window::PrimaryWindow>>,
    monitor: Query<&bevy::window::Monitor, With<bevy::window::PrimaryMonitor>>,
) {
    let (Ok(mut window), Ok(monitor)) = (window.single_mut(), monitor.single()) else {
        return;
    };
    let (w, h) = (monitor.physical_width, monitor.physical_height);
    if w > 0 && h > 0 && (window.physical_width(), window.physical_height()) != (w, h) {
        window.resolution.set_physical_resolution(w, h);
        window.position = bevy::window::WindowPosition::At(monitor.physical_position);
    }
}

fn plan_tour(
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    extent: Res<MapExtent>,
    mut tour: ResMut<AutoTour>,
) {
    tour.stops = tour_stops(&twin, &origin, &extent);
}

fn spawn_caption(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    twin: Res<Twin>,
    camera: Single<Entity, With<MapCamera>>,
) {
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            top: px(16),
            left: percent(38),
            padding: UiRect::axes(px(16), px(8)),
            ..default()
        },
        BackgroundColor(palette.panel),
        UiTargetCamera(*camera),
        Text::new(format!("Auto-tour · {}", twin.scene_name)),
        TextFont {
            font: font.0.clone().into(),
            font_size: bevy::text::FontSize::Px(26.0),
            ..default()
        },
        TextColor(palette.text),
        TourCaption,
    ));
}

fn advance_tour(
    time: Res<Time<Real>>,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    mut tour: ResMut<AutoTour>,
    mut flight: ResMut<Flight>,
    camera: Single<&Camera, With<MapCamera>>,
    mut caption: Query<&mut Text, With<TourCaption>>,
) {
    tour.timer.tick(time.delta());
    if !tour.timer.just_finished() || tour.stops.is_empty() {
        return;
    }
    let Some(viewport) = camera.logical_viewport_size() else {
        return;
    };
    let hotspot = if tour.hotspot_turn {
        twin.world.hotspots(1).first().map(|h| {
            let link = &twin.city.roads().links[h.link.index()];
            let mid = link.geometry.0[link.geometry.0.len() / 2];
            let c = origin.to_local(mid);
            let name = link.label();
            TourStop {
                name: format!("Worst hotspot · {name} · {:.0} km/h", h.speed_kmh),
                min: c - Vec2::splat(HOTSPOT_VIEW_M),
                max: c + Vec2::splat(HOTSPOT_VIEW_M),
            }
        })
    } else {
        None
    };
    tour.hotspot_turn = !tour.hotspot_turn;
    let stop = hotspot.unwrap_or_else(|| {
        let stop = tour.stops[tour.next % tour.stops.len()].clone();
        tour.next = (tour.next + 1) % tour.stops.len();
        stop
    });
    flight.0 = Some(MapView::fit(stop.min, stop.max, viewport));
    for mut text in &mut caption {
        text.0 = format!("Auto-tour · {}", stop.name);
    }
}
