//! The scale bar and the north arrow.

use super::{HudText, NorthArrow, ScaleBar};
use crate::camera::MapView;
use bevy::prelude::*;

/// A round distance for the scale bar: 1, 2 or 5 × 10ⁿ metres, at most `max_m`.
pub fn nice_distance(max_m: f32) -> f32 {
    let p = 10f32.powf(max_m.max(1.0).log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&d| d <= max_m)
        .unwrap_or(p)
}

pub(super) fn update_scale_and_north(
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
