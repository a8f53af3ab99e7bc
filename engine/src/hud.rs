//! The heads-up display: scene and clock, KPIs, the live alarm feed, charts of the last
//! hours, a time slider, legend, north arrow, scale bar and the data credits.

use crate::camera::{MapCamera, MapView};
use crate::palette::{Palette, speed_color};
use crate::traffic::TrafficOverlay;
use crate::twin::{SimClock, Twin, TwinSet, clock_text};
use bevy::prelude::*;
use citytwin_sim::Hotspot;
use std::collections::VecDeque;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct HudPlugin {
    /// A TrueType font with CJK glyphs for street and district names; the built-in font
    /// (Latin only) when absent.
    pub font: Option<PathBuf>,
    /// Credits shown on the map (the data's licences).
    pub attribution: Vec<String>,
}

/// The font every HUD text uses.
#[derive(Resource, Clone, Debug, Default)]
pub struct HudFont(pub Handle<Font>);

#[derive(Resource, Clone, Debug)]
pub(crate) struct Attribution(String);

/// A text the HUD keeps up to date.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HudText {
    Clock,
    Status,
    Kpis,
    Alarms,
    ScaleLabel,
}

/// The top-left panel: scene, clock, status and KPIs.
#[derive(Component, Debug)]
pub(crate) struct KpiPanel;

/// The alarm feed's panel (hidden in split-screen compare: its alarms are the baseline's).
#[derive(Component, Debug)]
pub(crate) struct AlarmPanel;

#[derive(Component, Debug)]
struct SpeedBar(usize);
#[derive(Component, Debug)]
struct CarsBar(usize);
#[derive(Component, Debug)]
struct SliderFill;
/// The day as a bar: click to jump to that time.
#[derive(Component, Debug)]
struct DaySlider;
#[derive(Component, Debug)]
struct ScaleBar;
#[derive(Component, Debug)]
struct NorthArrow;

/// Alarms raised so far, newest last: a road joins the feed when one of its links becomes one
/// of the worst hotspots, and leaves the open set when none is any more.
#[derive(Resource, Debug, Default)]
pub struct AlarmFeed {
    pub lines: VecDeque<String>,
    /// Roads with an open congestion alarm.
    pub active_roads: Vec<String>,
    checked_at: Option<u32>,
}

/// Chart bars: the last three hours in five-minute bars.
const BARS: usize = 36;
const MINUTES_PER_BAR: usize = 5;
const FEED_LINES: usize = 8;
/// Hotspots that count as open congestion alarms.
pub(crate) const ALARM_HOTSPOTS: usize = 10;

impl Plugin for HudPlugin {
    fn build(&self, app: &mut App) {
        let font = self.font.clone();
        let credits = self.attribution.join(" · ");
        app.init_resource::<AlarmFeed>()
            .insert_resource(Attribution(credits))
            .add_systems(
                Startup,
                move |mut fonts: ResMut<Assets<Font>>, mut commands: Commands| {
                    load_font(font.as_deref(), &mut fonts, &mut commands)
                },
            )
            .add_systems(PostStartup, spawn_hud)
            .add_systems(Update, click_slider.before(TwinSet::Read))
            .add_systems(
                Update,
                (
                    update_alarm_feed,
                    update_texts,
                    update_charts,
                    update_scale_and_north,
                    update_slider,
                )
                    .in_set(TwinSet::Read),
            );
    }
}

fn load_font(path: Option<&std::path::Path>, fonts: &mut Assets<Font>, commands: &mut Commands) {
    let handle = match path.map(std::fs::read) {
        Some(Ok(bytes)) => fonts.add(Font::from_bytes(bytes)),
        Some(Err(e)) => {
            warn!("HUD font not loaded, street names may not show ({e})");
            Handle::default()
        }
        None => Handle::default(),
    };
    commands.insert_resource(HudFont(handle));
}

pub(crate) fn text(
    font: &HudFont,
    size: f32,
    color: Color,
    value: impl Into<String>,
) -> impl Bundle {
    (
        Text::new(value),
        // no wrapping: panels are sized for their text, and it spares a line segmenter
        TextLayout::no_wrap(),
        TextFont {
            font: font.0.clone().into(),
            font_size: bevy::text::FontSize::Px(size),
            ..default()
        },
        TextColor(color),
    )
}

/// A backed panel laid out by `node`.
pub(crate) fn panel(palette: &Palette, node: Node) -> impl Bundle {
    (node, BackgroundColor(palette.panel))
}

pub(crate) fn spawn_hud(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    twin: Res<Twin>,
    credits: Res<Attribution>,
    camera: Single<Entity, With<MapCamera>>,
) {
    let p = &*palette;
    let f = &*font;
    let root = commands
        .spawn((
            Node {
                width: percent(100),
                height: percent(100),
                position_type: PositionType::Absolute,
                ..default()
            },
            UiTargetCamera(*camera),
        ))
        .id();
    // top left: scene, clock, status, KPIs
    let left = commands
        .spawn((
            KpiPanel,
            panel(
                p,
                Node {
                    position_type: PositionType::Absolute,
                    left: px(16),
                    top: px(16),
                    width: px(400),
                    flex_direction: FlexDirection::Column,
                    padding: UiRect::all(px(14)),
                    row_gap: px(6),
                    ..default()
                },
            ),
        ))
        .with_children(|c| {
            c.spawn(text(f, 20.0, p.text_dim, twin.scene_name.clone()));
            c.spawn((text(f, 56.0, p.text, "--:--"), HudText::Clock));
            c.spawn((text(f, 16.0, p.text_dim, ""), HudText::Status));
            c.spawn((text(f, 22.0, p.text, ""), HudText::Kpis));
        })
        .id();
    // right: the alarm feed
    let right = commands
        .spawn((
            AlarmPanel,
            panel(
                p,
                Node {
                    position_type: PositionType::Absolute,
                    right: px(16),
                    top: px(16),
                    width: px(460),
                    flex_direction: FlexDirection::Column,
                    padding: UiRect::all(px(14)),
                    row_gap: px(6),
                    ..default()
                },
            ),
        ))
        .with_children(|c| {
            c.spawn(text(f, 20.0, p.alarm, "ALARMS · congestion"));
            c.spawn((text(f, 17.0, p.text, "none"), HudText::Alarms));
        })
        .id();
    // bottom left: charts of the last three hours
    let charts = commands
        .spawn(panel(
            p,
            Node {
                position_type: PositionType::Absolute,
                left: px(16),
                bottom: px(56),
                width: px(360),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(12)),
                row_gap: px(4),
                ..default()
            },
        ))
        .with_children(|c| {
            c.spawn(text(
                f,
                15.0,
                p.text_dim,
                "Mean speed, last 3 h (km/h, 0–50)",
            ));
            chart_row(c, SpeedBar);
            c.spawn(text(f, 15.0, p.text_dim, "Cars on the road, last 3 h"));
            chart_row(c, CarsBar);
        })
        .id();
    // bottom: the day as a slider, the legend and credits
    let bottom = commands
        .spawn((Node {
            position_type: PositionType::Absolute,
            left: px(16),
            right: px(16),
            bottom: px(12),
            height: px(34),
            flex_direction: FlexDirection::Row,
            align_items: AlignItems::Center,
            column_gap: px(16),
            ..default()
        },))
        .with_children(|c| {
            c.spawn((
                Node {
                    width: px(360),
                    height: px(10),
                    flex_shrink: 0.0,
                    ..default()
                },
                BackgroundColor(p.minor_road),
                DaySlider,
                bevy::ui::RelativeCursorPosition::default(),
            ))
            .with_child((
                Node {
                    width: percent(0),
                    height: percent(100),
                    ..default()
                },
                BackgroundColor(p.text_dim),
                SliderFill,
            ));
            c.spawn(text(
                f,
                15.0,
                p.text_dim,
                "T traffic  H ahead  B bikes  V vitals  G grid  Space pause  1–4 speed  [ ] ±1 h  F fit",
            ));
            let legend = [("free", speed_color(1.0)), ("slow", speed_color(0.55))]
                .into_iter()
                .chain([("jammed", speed_color(0.1)), ("bike crew truck", p.truck)]);
            for (label, color) in legend {
                // a swatch keeps its size when the credits crowd the row
                c.spawn((
                    Node {
                        width: px(18),
                        height: px(10),
                        flex_shrink: 0.0,
                        ..default()
                    },
                    BackgroundColor(color),
                ));
                c.spawn(text(f, 15.0, p.text_dim, label));
            }
            // the credits take what the row leaves and wrap, right-aligned, inside it
            c.spawn((Node {
                flex_grow: 1.0,
                flex_shrink: 1.0,
                min_width: px(0),
                justify_content: JustifyContent::FlexEnd,
                ..default()
            },))
                .with_children(|c| {
                    c.spawn(text(f, 13.0, p.text_dim, credits.0.clone()))
                        .insert(TextLayout::new(Justify::Right, LineBreak::WordBoundary));
                });
        })
        .id();
    // bottom right above the credits: scale bar and north arrow
    let compass = commands
        .spawn((Node {
            position_type: PositionType::Absolute,
            right: px(24),
            bottom: px(56),
            flex_direction: FlexDirection::Row,
            align_items: AlignItems::FlexEnd,
            column_gap: px(18),
            ..default()
        },))
        .with_children(|c| {
            c.spawn(Node {
                flex_direction: FlexDirection::Column,
                ..default()
            })
            .with_children(|c| {
                c.spawn((text(f, 15.0, p.text, "1 km"), HudText::ScaleLabel));
                c.spawn((
                    Node {
                        width: px(100),
                        height: px(5),
                        ..default()
                    },
                    BackgroundColor(p.text),
                    ScaleBar,
                ));
            });
            c.spawn((text(f, 26.0, p.text, "▲\nN"), NorthArrow));
        })
        .id();
    commands
        .entity(root)
        .add_children(&[left, right, charts, bottom, compass]);
}

fn chart_row<B: Component>(c: &mut ChildSpawnerCommands, marker: impl Fn(usize) -> B) {
    c.spawn(Node {
        height: px(48),
        flex_direction: FlexDirection::Row,
        align_items: AlignItems::FlexEnd,
        column_gap: px(2),
        ..default()
    })
    .with_children(|row| {
        for i in 0..BARS {
            row.spawn((
                Node {
                    width: px(7.5),
                    height: percent(0),
                    ..default()
                },
                BackgroundColor(Color::NONE),
                marker(i),
            ));
        }
    });
}

fn update_alarm_feed(twin: Res<Twin>, mut feed: ResMut<AlarmFeed>) {
    let minute = twin.world.now_s() / 60;
    if feed.checked_at == Some(minute) {
        return;
    }
    feed.checked_at = Some(minute);
    let hotspots = twin.world.hotspots(ALARM_HOTSPOTS);
    let roads = twin.city.roads();
    // one alarm per road: its links (both directions, each block) raise it once
    let mut labels: Vec<String> = Vec::new();
    for h in &hotspots {
        let label = roads.links[h.link.index()].label();
        if !feed.active_roads.contains(&label) && !labels.contains(&label) {
            feed.lines
                .push_back(alarm_line(twin.world.now_s(), h, &label));
            if feed.lines.len() > FEED_LINES {
                feed.lines.pop_front();
            }
        }
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    feed.active_roads = labels;
}

pub fn alarm_line(now_s: u32, h: &Hotspot, road: &str) -> String {
    format!(
        "{}  {} · {:.0} km/h · {} cars",
        clock_text(now_s),
        road,
        h.speed_kmh,
        h.vehicles
    )
}

fn update_texts(
    twin: Res<Twin>,
    clock: Res<SimClock>,
    feed: Res<AlarmFeed>,
    overlay: Res<TrafficOverlay>,
    mut texts: Query<(&mut Text, &HudText)>,
) {
    let k = twin.world.history().latest().copied().unwrap_or_default();
    for (mut text, field) in &mut texts {
        let value = match field {
            HudText::Clock => clock_text(twin.world.now_s()),
            HudText::Status => format!(
                "{} · {}× · traffic overlay {}",
                if clock.paused { "PAUSED" } else { "live" },
                clock.speed,
                if overlay.visible { "on" } else { "off" }
            ),
            HudText::Kpis => {
                let mut kpis = format!(
                    "Cars on the road  {}\nMean speed  {:.0} km/h\nTravel time index  {:.2}\nTrips done  {} / {}\nOpen congestion alarms  {}",
                    k.vehicles,
                    k.mean_speed_kmh,
                    k.travel_time_index,
                    k.trips_done,
                    k.trips,
                    feed.active_roads.len()
                );
                let (inbound, outbound, through) = twin.world.external_trips();
                if inbound + outbound + through > 0 {
                    kpis.push_str(&format!(
                        "\nEntering / leaving  {} / {}\nThrough the city  {}",
                        thousands(inbound),
                        thousands(outbound),
                        thousands(through)
                    ));
                }
                if let Some(bikes) = &twin.world.bikes {
                    let (in_fences, outside) = bikes.counts();
                    let parked: u32 = in_fences.iter().sum();
                    let s = bikes.summary();
                    let open = bikes.open_alarms();
                    kpis.push_str(&format!(
                        "\nBikes in fences  {parked}\nBikes outside / riding  {outside} / {}\nOpen bike alarms  {} ({} overflow)\nBike trips  {}  unmet {}",
                        bikes.riding(),
                        open.0 + open.1,
                        open.0,
                        s.trips,
                        s.unmet_demand
                    ));
                    let g = bikes.governance();
                    let operators: Vec<String> = g
                        .operators
                        .iter()
                        .map(|o| format!("{} {:.0}", o.name, o.score))
                        .collect();
                    kpis.push_str(&format!(
                        "\nBike rules score  {:.0}\n{}",
                        g.score,
                        operators.join(" · ")
                    ));
                }
                kpis
            }
            HudText::Alarms => {
                if feed.lines.is_empty() {
                    "none".to_string()
                } else {
                    feed.lines
                        .iter()
                        .rev()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
            HudText::ScaleLabel => continue,
        };
        if text.0 != value {
            text.0 = value;
        }
    }
}

/// 12,345 as "12.3k", 987 as "987".
fn thousands(n: u64) -> String {
    if n >= 1000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

/// Mean of each five-minute bar of the last three hours, oldest first (`None`: no data).
fn bar_values(twin: &Twin, pick: impl Fn(&citytwin_sim::TrafficKpis) -> f64) -> Vec<Option<f64>> {
    let samples: Vec<f64> = twin.world.history().iter().map(&pick).collect();
    let mut bars = vec![None; BARS];
    let chunks: Vec<&[f64]> = samples.rchunks(MINUTES_PER_BAR).take(BARS).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        bars[BARS - 1 - i] = Some(chunk.iter().sum::<f64>() / chunk.len() as f64);
    }
    bars
}

fn update_charts(
    twin: Res<Twin>,
    palette: Res<Palette>,
    mut speed: Query<(&mut Node, &mut BackgroundColor, &SpeedBar), Without<CarsBar>>,
    mut cars: Query<(&mut Node, &mut BackgroundColor, &CarsBar), Without<SpeedBar>>,
) {
    let speeds = bar_values(&twin, |k| k.mean_speed_kmh);
    let counts = bar_values(&twin, |k| k.vehicles as f64);
    let most = counts.iter().flatten().fold(1.0f64, |a, &b| a.max(b));
    for (mut node, mut bg, bar) in &mut speed {
        let v = speeds[bar.0];
        node.height = percent(v.map_or(0.0, |v| (v / 50.0).clamp(0.0, 1.0) * 100.0) as f32);
        bg.0 = v.map_or(Color::NONE, |v| speed_color((v / 40.0) as f32));
    }
    for (mut node, mut bg, bar) in &mut cars {
        let v = counts[bar.0];
        node.height = percent(v.map_or(0.0, |v| v / most * 100.0) as f32);
        bg.0 = if v.is_some() {
            palette.car
        } else {
            Color::NONE
        };
    }
}

fn click_slider(
    buttons: Res<ButtonInput<MouseButton>>,
    slider: Query<&bevy::ui::RelativeCursorPosition, With<DaySlider>>,
    twin: Res<Twin>,
    mut clock: ResMut<SimClock>,
) {
    if !buttons.just_pressed(MouseButton::Left) {
        return;
    }
    for cursor in &slider {
        if let (true, Some(at)) = (cursor.cursor_over, cursor.normalized) {
            let o = &twin.world.options;
            let share = f64::from((at.x + 0.5).clamp(0.0, 1.0));
            clock.jump_to = Some(o.from_s + (f64::from(o.to_s - o.from_s) * share) as u32);
        }
    }
}

fn update_slider(twin: Res<Twin>, mut fill: Query<&mut Node, With<SliderFill>>) {
    let o = &twin.world.options;
    let share = f64::from(twin.world.now_s().saturating_sub(o.from_s))
        / f64::from((o.to_s - o.from_s).max(1));
    for mut node in &mut fill {
        node.width = percent((share * 100.0) as f32);
    }
}

/// A round distance for the scale bar: 1, 2 or 5 × 10ⁿ metres, at most `max_m`.
pub fn nice_distance(max_m: f32) -> f32 {
    let p = 10f32.powf(max_m.max(1.0).log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&d| d <= max_m)
        .unwrap_or(p)
}

fn update_scale_and_north(
    view: Res<MapView>,
    mut bar: Query<&mut Node, With<ScaleBar>>,
    mut label: Query<(&mut Text, &HudText)>,
    mut north: Query<&mut UiTransform, With<NorthArrow>>,
) {
    let metres = nice_distance(view.metres_per_px * 160.0);
    for mut node in &mut bar {
        node.width = px(metres / view.metres_per_px);
    }
    for (mut text, field) in &mut label {
        if *field == HudText::ScaleLabel {
            let value = if metres >= 1000.0 {
                format!("{} km", metres / 1000.0)
            } else {
                format!("{metres} m")
            };
            if text.0 != value {
                text.0 = value;
            }
        }
    }
    for mut t in &mut north {
        t.rotation = Rot2::radians(-view.rotation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_distances_are_round() {
        assert_eq!(nice_distance(1600.0), 1000.0);
        assert_eq!(nice_distance(2400.0), 2000.0);
        assert_eq!(nice_distance(740.0), 500.0);
        assert_eq!(nice_distance(99.0), 50.0);
    }
}
