//! Inspect: click a fence or a road to see what it is and how it has been: the thing is
//! outlined on the map and its recent samples listed (15-minute traffic bins, fence counts).

use crate::camera::MapCamera;
use crate::geometry::LocalOrigin;
use crate::hud::HudFont;
use crate::palette::Palette;
use crate::twin::{Twin, TwinSet, clock_text};
use bevy::prelude::*;
use citytwin_city::roads::Mode;
use citytwin_city::{FenceId, LinkId};

#[derive(Debug)]
pub struct InspectPlugin;

/// What is being inspected.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    #[default]
    Nothing,
    Link(LinkId),
    Fence(FenceId),
}

#[derive(Component, Debug)]
struct InspectPanel;

/// A click selects the nearest fence, else road, within this many pixels.
const PICK_RADIUS_PX: f64 = 12.0;
/// Statistics bins listed in the panel.
const RECENT_BINS: usize = 6;

impl Plugin for InspectPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Selection>()
            .add_systems(PostStartup, spawn_panel)
            .add_systems(
                Update,
                (pick, describe_selection, outline_selection)
                    .chain()
                    .in_set(TwinSet::Read),
            );
    }
}

fn spawn_panel(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    camera: Single<Entity, With<MapCamera>>,
) {
    commands.spawn((
        Node {
            position_type: PositionType::Absolute,
            right: px(16),
            top: px(340),
            width: px(460),
            padding: UiRect::all(px(12)),
            display: Display::None,
            ..default()
        },
        BackgroundColor(palette.panel),
        UiTargetCamera(*camera),
        Text::new(""),
        TextFont {
            font: font.0.clone().into(),
            font_size: bevy::text::FontSize::Px(16.0),
            ..default()
        },
        TextColor(palette.text),
        InspectPanel,
    ));
}

/// A click is a press and release without dragging the map.
fn pick(
    buttons: Res<ButtonInput<MouseButton>>,
    window: Single<&Window>,
    camera: Single<(&Camera, &GlobalTransform, &Projection), With<MapCamera>>,
    twin: Res<Twin>,
    origin: Res<LocalOrigin>,
    mut pressed_at: Local<Option<Vec2>>,
    mut selection: ResMut<Selection>,
) {
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        *pressed_at = cursor;
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(start), Some(end)) = (pressed_at.take(), cursor) else {
        return;
    };
    if start.distance(end) > 4.0 {
        return;
    }
    let (camera, transform, projection) = *camera;
    let Ok(local) = camera.viewport_to_world_2d(transform, end) else {
        return;
    };
    let metres_per_px = match projection {
        Projection::Orthographic(o) => f64::from(o.scale),
        _ => 1.0,
    };
    let point = geo::Point::from(origin.to_city(local));
    let radius = PICK_RADIUS_PX * metres_per_px;
    // fences first: they sit on the roads
    let fence = twin
        .world
        .bikes
        .as_ref()
        .and_then(|b| b.plan.fences.nearest_within(point, radius, |_| true));
    *selection = match fence {
        Some(f) => Selection::Fence(f),
        None => twin
            .city
            .nearest_link(point, Mode::Car)
            .filter(|m| m.distance_m <= radius)
            .map_or(Selection::Nothing, |m| Selection::Link(m.link)),
    };
}

fn describe_selection(
    twin: Res<Twin>,
    selection: Res<Selection>,
    mut panel: Query<(&mut Text, &mut Node), With<InspectPanel>>,
) {
    let Ok((mut text, mut node)) = panel.single_mut() else {
        return;
    };
    let value = match *selection {
        Selection::Nothing => {
            node.display = Display::None;
            return;
        }
        Selection::Link(id) => link_report(&twin, id),
        Selection::Fence(id) => fence_report(&twin, id),
    };
    node.display = Display::Flex;
    if text.0 != value {
        text.0 = value;
    }
}

/// What the panel says about a link: its attributes, its state now, its recent bins.
pub fn link_report(twin: &Twin, id: LinkId) -> String {
    let link = twin.city.roads().link(id);
    let mut loads = Vec::new();
    twin.world.link_loads(&mut loads);
    let mut lines = vec![
        format!("{} · {}", crate::hud::road_label(link), link.class.as_osm()),
        format!(
            "OSM way {} · link {} · {} lane(s) · {:.0} km/h limit · {:.0} veh/h capacity · {:.0} m",
            link.osm_way_id, id.0, link.lanes, link.speed_kmh, link.capacity_vph, link.length_m
        ),
    ];
    if let Some(load) = loads.get(id.index()) {
        lines.push(format!(
            "now: {} cars · {:.0}% of free-flow speed · {:.0}% full{}",
            load.vehicles,
            load.speed_ratio * 100.0,
            load.fill * 100.0,
            if load.closed { " · CLOSED" } else { "" }
        ));
    }
    let stats = &twin.world.traffic.stats;
    let bin_s = stats.bin_s.max(1);
    let recent = stats.bins.len().saturating_sub(RECENT_BINS);
    for (b, bins) in stats.bins.iter().enumerate().skip(recent) {
        if let Some(bin) = bins.get(id.index()) {
            lines.push(format!(
                "{}  {:>5.0} veh/h  {:>5.1} km/h",
                clock_text(b as u32 * bin_s),
                bin.flow_vph(bin_s),
                bin.mean_speed_kmh(link.length_m)
            ));
        }
    }
    lines.join("\n")
}

/// What the panel says about a fence: what it serves, its bikes now, its recent samples.
pub fn fence_report(twin: &Twin, id: FenceId) -> String {
    let Some(bikes) = &twin.world.bikes else {
        return String::new();
    };
    let Some(fence) = bikes.plan.fences.get(id) else {
        return String::new();
    };
    let (counts, _) = bikes.counts();
    let monitored = bikes.plan.monitored.contains(&id);
    let mut lines = vec![
        fence.name.clone(),
        format!(
            "fence {} · {} · capacity {} bikes{}",
            id.0,
            bikes.plan.sites[id.index()].as_str(),
            fence.capacity,
            if monitored {
                " · monitoring point"
            } else {
                ""
            }
        ),
        format!("now: {} bikes", counts[id.index()]),
    ];
    let series = bikes.series();
    for s in &series[series.len().saturating_sub(RECENT_BINS)..] {
        let alarm = match (s.overflow_open[id.index()], s.empty_open[id.index()]) {
            (true, _) => "  OVERFLOW",
            (_, true) => "  EMPTY",
            _ => "",
        };
        lines.push(format!(
            "{}  {:>4} bikes{alarm}",
            clock_text(s.at_s),
            s.counts[id.index()]
        ));
    }
    lines.join("\n")
}

fn outline_selection(
    twin: Res<Twin>,
    selection: Res<Selection>,
    origin: Res<LocalOrigin>,
    palette: Res<Palette>,
    mut gizmos: Gizmos,
) {
    match *selection {
        Selection::Link(id) => {
            let link = twin.city.roads().link(id);
            let points = link.geometry.0.iter().map(|c| origin.to_local(*c));
            gizmos.linestrip_2d(points, palette.text);
        }
        Selection::Fence(id) => {
            let fence = twin
                .world
                .bikes
                .as_ref()
                .and_then(|b| b.plan.fences.get(id));
            if let Some(f) = fence {
                let points = f.area.exterior().0.iter().map(|c| origin.to_local(*c));
                gizmos.linestrip_2d(points, palette.alarm);
            }
        }
        Selection::Nothing => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_report_names_the_road_and_lists_its_recent_bins() {
        let mut twin = crate::testing::grid_twin(300);
        twin.world.advance_to(8 * 3600);
        let report = link_report(&twin, LinkId(0));
        let lines: Vec<&str> = report.lines().collect();
        assert!(lines[0].starts_with("测试路 · residential"), "{report}");
        assert!(
            lines[1].contains("lane(s)") && lines[2].starts_with("now: "),
            "{report}"
        );
        // the last six 15-minute bins the model has booked, each "HH:MM  flow  speed"
        assert_eq!(lines.len(), 3 + RECENT_BINS);
        assert!(
            lines[3..]
                .iter()
                .all(|l| l.as_bytes()[2] == b':' && l.ends_with("km/h")),
            "{report}"
        );
        // no bikes in this World: a fence report is empty, not a panic
        assert_eq!(fence_report(&twin, FenceId(0)), "");
    }
}
