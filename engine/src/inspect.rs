//! Inspect: click a sensor, a case, a fence or a road to see what it is and how it has been:
//! the thing is outlined on the map and its recent samples listed (a sensor's last readings,
//! a case's states, 15-minute traffic bins, fence counts).

use crate::camera::MapCamera;
use crate::geometry::LocalOrigin;
use crate::hud::HudFont;
use crate::palette::Palette;
use crate::twin::{Twin, TwinSet, clock_text};
use bevy::prelude::*;
use citytwin_city::roads::Mode;
use citytwin_city::{CaseId, FenceId, LinkId, ThingId};
use geo::{Distance, Euclidean};

#[derive(Debug)]
pub struct InspectPlugin;

/// What is being inspected.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    #[default]
    Nothing,
    Link(LinkId),
    Fence(FenceId),
    Sensor(ThingId),
    Case(CaseId),
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
    *selection = pick_at(&twin, point, radius);
}

/// What lies under a click at `point`: sensors and cases first (small markers drawn on top),
/// then fences (they sit on the roads), then roads.
pub fn pick_at(twin: &Twin, point: geo::Point<f64>, radius: f64) -> Selection {
    let nearest = |candidates: &mut dyn Iterator<Item = (geo::Point<f64>, Selection)>| {
        candidates
            .map(|(p, s)| (Euclidean.distance(p, point), s))
            .filter(|(d, _)| *d <= radius)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, s)| s)
    };
    let world = &twin.world;
    let mut sensors = world
        .sensor_points()
        .map(|(id, p)| (p, Selection::Sensor(id)));
    let mut cases = world
        .open_case_points()
        .map(|(id, p)| (p, Selection::Case(id)));
    if let Some(s) = nearest(&mut sensors).or_else(|| nearest(&mut cases)) {
        return s;
    }
    match world.nearest_fence(point, radius) {
        Some(f) => Selection::Fence(f),
        None => twin
            .city
            .nearest_link(point, Mode::Car)
            .filter(|m| m.distance_m <= radius)
            .map_or(Selection::Nothing, |m| Selection::Link(m.link)),
    }
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
        Selection::Sensor(id) => sensor_report(&twin, id),
        Selection::Case(id) => case_report(&twin, id),
    };
    node.display = Display::Flex;
    if text.0 != value {
        text.0 = value;
    }
}

/// What the panel says about a link: its attributes, its state now, its recent bins.
pub fn link_report(twin: &Twin, id: LinkId) -> String {
    let link = twin.city.roads().link(id);
    let panel = twin.world.link_panel(id, RECENT_BINS);
    let mut lines = vec![
        format!("{} · {}", link.label(), link.class.as_osm()),
        format!(
            "OSM way {} · link {} · {} lane(s) · {:.0} km/h limit · {:.0} veh/h capacity · {:.0} m",
            link.osm_way_id, id.0, link.lanes, link.speed_kmh, link.capacity_vph, link.length_m
        ),
    ];
    if let Some(load) = panel.now {
        lines.push(format!(
            "now: {} cars · {:.0}% of free-flow speed · {:.0}% full{}",
            load.vehicles,
            load.speed_ratio * 100.0,
            load.fill * 100.0,
            if load.closed { " · CLOSED" } else { "" }
        ));
    }
    for bin in &panel.recent {
        lines.push(format!(
            "{}  {:>5.0} veh/h  {:>5.1} km/h",
            clock_text(bin.start_s),
            bin.flow_vph,
            bin.speed_kmh
        ));
    }
    lines.join("\n")
}

/// What the panel says about a fence: what it serves, its bikes now, its recent samples.
pub fn fence_report(twin: &Twin, id: FenceId) -> String {
    let Some(fence) = twin.world.fence_panel(id, RECENT_BINS) else {
        return String::new();
    };
    let mut lines = vec![
        fence.name.clone(),
        format!(
            "fence {} · {} · capacity {} bikes{}",
            id.0,
            fence.site,
            fence.capacity,
            if fence.monitored {
                " · monitoring point"
            } else {
                ""
            }
        ),
        format!("now: {} bikes", fence.bikes_now),
    ];
    for s in &fence.recent {
        let alarm = match (s.overflow, s.empty) {
            (true, _) => "  OVERFLOW",
            (_, true) => "  EMPTY",
            _ => "",
        };
        lines.push(format!(
            "{}  {:>4} bikes{alarm}",
            clock_text(s.at_s),
            s.bikes
        ));
    }
    lines.join("\n")
}

/// What the panel says about a sensor: what and where it is, each of its datastreams with
/// its reading now (and level, where it has thresholds) and its last readings.
pub fn sensor_report(twin: &Twin, id: ThingId) -> String {
    let Some(sensor) = twin.world.sensor_panel(id, RECENT_BINS) else {
        return String::new();
    };
    let mut lines = vec![
        sensor.name.clone(),
        format!(
            "{} · {:.5}, {:.5}",
            sensor.description, sensor.lon, sensor.lat
        ),
    ];
    for stream in &sensor.streams {
        let unit = &stream.unit;
        let now = match stream.current {
            Some((t, v, level)) => {
                let level = level.map_or(String::new(), |l| format!(" · {l:?}"));
                format!("{v:.1} {unit} at {}{level}", clock_text(t))
            }
            None => "no reading yet".to_string(),
        };
        lines.push(format!("{}: {now}", stream.name));
        for (t, v) in &stream.recent {
            lines.push(format!("  {}  {v:>8.1} {unit}", clock_text(*t)));
        }
    }
    lines.join("\n")
}

/// What the panel says about a case: what was filed, where, its SLA, and its states so far.
pub fn case_report(twin: &Twin, id: CaseId) -> String {
    let Some(case) = twin.world.case_panel(id) else {
        return String::new();
    };
    let mut lines = vec![
        format!("case {} · {}", case.id.0, case.service_code),
        case.description.clone(),
        format!(
            "{:.5}, {:.5}{} · due {}{}",
            case.lon,
            case.lat,
            case.cell_code
                .as_ref()
                .map_or(String::new(), |c| format!(" · cell {c}")),
            clock_text(case.due_s),
            if case.overdue { " · OVERDUE" } else { "" }
        ),
    ];
    if let Some(agency) = &case.agency {
        lines.push(format!("team: {agency}"));
    }
    for (at_s, to, note) in &case.history {
        lines.push(format!(
            "{}  {:?}{}",
            clock_text(*at_s),
            to,
            if note.is_empty() {
                String::new()
            } else {
                format!(" · {note}")
            }
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
            if let Some(area) = twin.world.fence_area(id) {
                let points = area.exterior().0.iter().map(|c| origin.to_local(*c));
                gizmos.linestrip_2d(points, palette.alarm);
            }
        }
        Selection::Sensor(_) | Selection::Case(_) => {
            if let Some(p) = selected_point(&twin, *selection) {
                gizmos.circle_2d(origin.to_local(p.0), 30.0, palette.alarm);
            }
        }
        Selection::Nothing => {}
    }
}

fn selected_point(twin: &Twin, selection: Selection) -> Option<geo::Point<f64>> {
    match selection {
        Selection::Sensor(id) => twin.world.sensor_point(id),
        Selection::Case(id) => twin.world.case_point(id),
        _ => None,
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

    /// The grid city with loop detectors on its streets and a citizen's report at 07:00.
    fn twin_with_ops() -> Twin {
        use citytwin_ops::setup::{LoopDetectors, OpsFile};
        use citytwin_sim::ops::{OpsInputs, OpsSim, Report};
        let mut twin = crate::testing::grid_twin(300);
        let file = OpsFile {
            date: None,
            utc_offset_hours: None,
            loop_detectors: LoopDetectors {
                classes: vec!["residential".into()],
                min_length_m: 10.0,
                interval_minutes: 1,
            },
            air_quality: Vec::new(),
            air_quality_date: None,
            live: Vec::new(),
            vitals: Default::default(),
            services: Default::default(),
            reports: None,
            mqtt_prefix: "citytwin".into(),
        };
        let at = twin.city.roads().links[0].geometry.0[0];
        let inputs = OpsInputs {
            day: citytwin_city::calendar::SimDay::in_zone(
                citytwin_city::calendar::DEFAULT_DATE,
                Some("Asia/Shanghai"),
            )
            .unwrap(),
            file,
            stations: Vec::new(),
            live: Vec::new(),
            reports: vec![Report {
                at_s: 7 * 3600,
                point: at.into(),
                lon: 104.06,
                lat: 30.66,
                text: "路口堵车 traffic jam at the corner".into(),
            }],
        };
        let ops = OpsSim::new(&twin.city, inputs, None, 1);
        twin.world.attach_ops(ops);
        twin.world.advance_to(8 * 3600);
        twin
    }

    #[test]
    fn sensors_and_cases_are_picked_and_described() {
        let twin = twin_with_ops();
        let ops = twin.world.ops().unwrap();
        let thing = &ops.things()[0];
        // a click on a sensor selects it, and its report lists its readings
        let picked = pick_at(&twin, thing.location.point, 5.0);
        assert_eq!(picked, Selection::Sensor(thing.id));
        let report = sensor_report(&twin, thing.id);
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], thing.name);
        assert!(report.contains("veh/h at 0"), "{report}");
        assert!(
            lines.iter().filter(|l| l.starts_with("  0")).count() >= RECENT_BINS,
            "{report}"
        );
        // the citizen's report became a case: picked where it was filed, its states listed
        let case = ops.desk.cases().first().expect("a case from the report");
        let report = case_report(&twin, case.id);
        assert!(
            report.starts_with(&format!("case {} · ", case.id.0)),
            "{report}"
        );
        assert!(
            report.contains("07:00") && report.contains("Discovered"),
            "{report}"
        );
        // away from everything: nothing
        let far = geo::Point::new(thing.location.point.x() + 1e6, thing.location.point.y());
        assert_eq!(pick_at(&twin, far, 5.0), Selection::Nothing);
        assert_eq!(sensor_report(&twin, ThingId(9999)), "");
    }
}
