//! The HUD's charts of the last three hours and the day slider.

use super::{BARS, CarsBar, DaySlider, MINUTES_PER_BAR, SliderFill, SpeedBar};
use crate::palette::{Palette, speed_color};
use crate::twin::{SimClock, Twin};
use bevy::prelude::*;

pub(super) fn chart_row<B: Component>(c: &mut ChildSpawnerCommands, marker: impl Fn(usize) -> B) {
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

pub(super) fn update_charts(
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

pub(super) fn click_slider(
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
            let o = &twin.world.options();
            let share = f64::from((at.x + 0.5).clamp(0.0, 1.0));
            clock.jump_to = Some(o.from_s + (f64::from(o.to_s - o.from_s) * share) as u32);
        }
    }
}

pub(super) fn update_slider(twin: Res<Twin>, mut fill: Query<&mut Node, With<SliderFill>>) {
    let o = &twin.world.options();
    let share = f64::from(twin.world.now_s().saturating_sub(o.from_s))
        / f64::from((o.to_s - o.from_s).max(1));
    for mut node in &mut fill {
        node.width = percent((share * 100.0) as f32);
    }
}
