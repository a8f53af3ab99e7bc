//! Where the HUD's panels go: one function per panel, each spawning its nodes and texts.

use super::{
    AlarmPanel, Attribution, CarsBar, DaySlider, HudFont, HudText, KpiPanel, NorthArrow, ScaleBar,
    SliderFill, SpeedBar, charts::chart_row, panel, text,
};
use crate::camera::MapCamera;
use crate::palette::{Palette, speed_color};
use crate::twin::Twin;
use bevy::prelude::*;

pub(crate) fn spawn_hud(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    twin: Res<Twin>,
    credits: Res<Attribution>,
    camera: Single<Entity, With<MapCamera>>,
) {
    let (p, f) = (&*palette, &*font);
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
    let panels = [
        kpi_panel(&mut commands, f, p, &twin.scene_name),
        alarm_panel(&mut commands, f, p),
        charts_panel(&mut commands, f, p),
        bottom_row(&mut commands, f, p, &credits.0),
        compass(&mut commands, f, p),
    ];
    commands.entity(root).add_children(&panels);
}

/// Top left: scene, clock, status, KPIs.
fn kpi_panel(commands: &mut Commands, f: &HudFont, p: &Palette, scene_name: &str) -> Entity {
    commands
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
            c.spawn(text(f, 20.0, p.text_dim, scene_name.to_string()));
            c.spawn((text(f, 56.0, p.text, "--:--"), HudText::Clock));
            c.spawn((text(f, 16.0, p.text_dim, ""), HudText::Status));
            c.spawn((text(f, 22.0, p.text, ""), HudText::Kpis));
        })
        .id()
}

/// Right: the alarm feed.
fn alarm_panel(commands: &mut Commands, f: &HudFont, p: &Palette) -> Entity {
    commands
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
        .id()
}

/// Bottom left: charts of the last three hours.
fn charts_panel(commands: &mut Commands, f: &HudFont, p: &Palette) -> Entity {
    commands
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
        .id()
}

/// Bottom: the day as a slider, the keys, the legend and credits.
fn bottom_row(commands: &mut Commands, f: &HudFont, p: &Palette, credits: &str) -> Entity {
    commands
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
                    c.spawn(text(f, 13.0, p.text_dim, credits.to_string()))
                        .insert(TextLayout::new(Justify::Right, LineBreak::WordBoundary));
                });
        })
        .id()
}

/// Bottom right above the credits: scale bar and north arrow.
fn compass(commands: &mut Commands, f: &HudFont, p: &Palette) -> Entity {
    commands
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
        .id()
}
