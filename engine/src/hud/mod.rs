//! The heads-up display: scene and clock, KPIs, the live alarm feed, charts of the last
//! hours, a time slider, legend, north arrow, scale bar and the data credits.

mod charts;
mod compass;
mod layout;

pub use compass::nice_distance;
pub(crate) use layout::spawn_hud;

use crate::palette::Palette;
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
pub struct CongestionAlarms {
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
pub(crate) const CONGESTION_ALARM_HOTSPOTS: usize = 10;

impl Plugin for HudPlugin {
    fn build(&self, app: &mut App) {
        let font = self.font.clone();
        let credits = self.attribution.join(" · ");
        app.init_resource::<CongestionAlarms>()
            .insert_resource(Attribution(credits))
            .add_systems(
                Startup,
                move |mut fonts: ResMut<Assets<Font>>, mut commands: Commands| {
                    load_font(font.as_deref(), &mut fonts, &mut commands)
                },
            )
            .add_systems(PostStartup, spawn_hud)
            .add_systems(Update, charts::click_slider.before(TwinSet::Read))
            .add_systems(
                Update,
                (
                    update_alarm_feed,
                    update_texts,
                    charts::update_charts,
                    compass::update_scale_and_north,
                    charts::update_slider,
                )
                    .in_set(TwinSet::Read),
            );
    }
}

fn load_font(path: Option<&std::path::Path>, fonts: &mut Assets<Font>, commands: &mut Commands) {
    let handle = match path.map(std::fs::read) {
        Some(Ok(bytes)) => fonts.add(Font::from_bytes(bytes)),
        Some(Err(e)) => {
            let path = path.map(|p| p.display().to_string()).unwrap_or_default();
            warn!(
                "{path}: font not loaded, names in Chinese will not show ({e}; scripts/setup.sh installs one)"
            );
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

fn update_alarm_feed(twin: Res<Twin>, mut feed: ResMut<CongestionAlarms>) {
    let minute = twin.world.now_s() / 60;
    if feed.checked_at == Some(minute) {
        return;
    }
    feed.checked_at = Some(minute);
    let hotspots = twin.world.hotspots(CONGESTION_ALARM_HOTSPOTS);
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

/// The most columns a place's name takes in a line of alarms ahead (a CJK character takes
/// two): a nameless fence is named by its kind and OSM id ("subway_entrance · n5017257390"),
/// and with the time ahead and what is expected the line must fit the alarm panel on a
/// 1366×768 wall (`--check-text`).
pub const PLACE_COLUMNS: usize = 22;

/// `text` cut to `columns` (wide characters counting two), ending in "…" where cut.
pub fn elide(text: &str, columns: usize) -> String {
    let width = |c: char| if u32::from(c) >= 0x2E80 { 2 } else { 1 };
    if text.chars().map(width).sum::<usize>() <= columns {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + width(c) > columns.saturating_sub(1) {
            break;
        }
        used += width(c);
        kept.push(c);
    }
    kept.trim_end().to_string() + "…"
}

fn update_texts(
    twin: Res<Twin>,
    clock: Res<SimClock>,
    feed: Res<CongestionAlarms>,
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
                if let Some(b) = twin.world.bike_kpis() {
                    kpis.push_str(&format!(
                        "\nBikes in fences  {}\nBikes outside / riding  {} / {}\nOpen bike alarms  {} ({} overflow)\nBike trips  {}  unmet {}",
                        b.in_fences,
                        b.outside,
                        b.riding,
                        b.overflow_alarms + b.empty_alarms,
                        b.overflow_alarms,
                        b.trips,
                        b.unmet_wishes
                    ));
                    let operators: Vec<String> = b
                        .operator_scores
                        .iter()
                        .map(|(name, score)| format!("{name} {score:.0}"))
                        .collect();
                    kpis.push_str(&format!(
                        "\nBike rules score  {:.0}\n{}",
                        b.rules_score,
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

#[cfg(test)]
mod tests {
    use super::elide;

    #[test]
    fn long_place_names_are_cut_to_their_columns() {
        assert_eq!(elide("人民北路", 22), "人民北路");
        assert_eq!(
            elide("subway_entrance · n5017257390", 22),
            "subway_entrance · n50…"
        );
        // wide characters count two columns each
        assert_eq!(elide("一二三四五六七八九十", 10), "一二三四…");
        assert_eq!(elide("primary (way 12)", 16), "primary (way 12)");
    }
}
