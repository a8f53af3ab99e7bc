//! Colours and stroke widths: a dark, high-contrast wall palette and a light one.

use bevy::color::{Color, ColorToComponents, LinearRgba};
use bevy::prelude::Resource;
use citytwin_city::RoadClass;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    /// Dark background, bright data: reads from across a control room.
    #[default]
    Wall,
    Light,
}

/// Every colour the viewer draws with.
#[derive(Resource, Clone, Debug)]
pub struct Palette {
    pub theme: Theme,
    pub background: Color,
    pub water: Color,
    pub green: Color,
    pub landuse: Color,
    pub building: Color,
    pub district_line: Color,
    pub grid_line: Color,
    pub major_road: Color,
    pub minor_road: Color,
    pub path: Color,
    pub text: Color,
    pub text_dim: Color,
    pub panel: Color,
    pub car: Color,
    /// Bike crews' trucks among the cars.
    pub truck: Color,
    pub alarm: Color,
}

impl Palette {
    pub fn new(theme: Theme) -> Palette {
        match theme {
            Theme::Wall => Palette {
                theme,
                background: Color::srgb_u8(0x0b, 0x0f, 0x17),
                water: Color::srgb_u8(0x12, 0x2b, 0x45),
                green: Color::srgb_u8(0x13, 0x2a, 0x1c),
                landuse: Color::srgb_u8(0x15, 0x19, 0x22),
                building: Color::srgb_u8(0x22, 0x28, 0x33),
                district_line: Color::srgb_u8(0x8a, 0x7c, 0xff),
                grid_line: Color::srgba_u8(0x50, 0x60, 0x78, 0x60),
                major_road: Color::srgb_u8(0x5a, 0x67, 0x7d),
                minor_road: Color::srgb_u8(0x36, 0x3f, 0x4e),
                path: Color::srgb_u8(0x26, 0x2d, 0x38),
                text: Color::srgb_u8(0xe8, 0xee, 0xf6),
                text_dim: Color::srgb_u8(0x8d, 0x99, 0xab),
                panel: Color::srgba_u8(0x0b, 0x0f, 0x17, 0xd8),
                car: Color::srgb_u8(0x7f, 0xe7, 0xff),
                truck: Color::srgb_u8(0xff, 0x4f, 0xd8),
                alarm: Color::srgb_u8(0xff, 0x4d, 0x4d),
            },
            Theme::Light => Palette {
                theme,
                background: Color::srgb_u8(0xf4, 0xf1, 0xea),
                water: Color::srgb_u8(0xa9, 0xcc, 0xe8),
                green: Color::srgb_u8(0xcd, 0xe6, 0xc0),
                landuse: Color::srgb_u8(0xea, 0xe6, 0xdc),
                building: Color::srgb_u8(0xd9, 0xd0, 0xc4),
                district_line: Color::srgb_u8(0x7a, 0x4f, 0xc9),
                grid_line: Color::srgba_u8(0x80, 0x80, 0x80, 0x50),
                major_road: Color::srgb_u8(0xff, 0xff, 0xff),
                minor_road: Color::srgb_u8(0xfb, 0xfb, 0xf8),
                path: Color::srgb_u8(0xd8, 0xd2, 0xc8),
                text: Color::srgb_u8(0x1c, 0x22, 0x2b),
                text_dim: Color::srgb_u8(0x5c, 0x66, 0x73),
                panel: Color::srgba_u8(0xff, 0xff, 0xff, 0xe0),
                car: Color::srgb_u8(0x1d, 0x4e, 0xd8),
                truck: Color::srgb_u8(0xc0, 0x1f, 0x9e),
                alarm: Color::srgb_u8(0xd9, 0x1e, 0x1e),
            },
        }
    }

    /// The fill of a road class on the base map.
    pub fn road(&self, class: RoadClass) -> Color {
        match road_rank(class) {
            0..=2 => self.major_road,
            3 => self.minor_road,
            _ => self.path,
        }
    }
}

impl Default for Palette {
    fn default() -> Self {
        Palette::new(Theme::default())
    }
}

pub use citytwin_sim::ramp::{OCCUPANCY_CHANGE, Ramp, SPEED, SPEED_CHANGE};

/// `ramp` at `x` as a Bevy colour.
pub fn ramp_color(ramp: &Ramp, x: f32) -> Color {
    let [r, g, b] = ramp.srgb(x);
    Color::srgb(r, g, b)
}

/// [`SPEED`] at this speed ratio.
pub fn speed_color(ratio: f32) -> Color {
    ramp_color(&SPEED, ratio)
}

/// 0 = motorway/trunk, 1 = primary, 2 = secondary/tertiary, 3 = local streets, 4 = paths.
pub fn road_rank(class: RoadClass) -> u8 {
    use RoadClass::*;
    match class {
        Motorway | MotorwayLink | Trunk | TrunkLink => 0,
        Primary | PrimaryLink => 1,
        Secondary | SecondaryLink | Tertiary | TertiaryLink => 2,
        Unclassified | Residential | LivingStreet | Service => 3,
        Track | Pedestrian | Footway | Cycleway | Path | Steps => 4,
    }
}

/// Drawn width in metres at street scale, before the minimum on-screen width applies.
pub fn road_width_m(class: RoadClass) -> f32 {
    [22.0, 16.0, 11.0, 6.0, 2.5][road_rank(class) as usize]
}

/// The least on-screen width in pixels, so the network still reads when the whole city fits.
pub fn road_min_px(class: RoadClass) -> f32 {
    [3.0, 2.4, 1.6, 0.9, 0.5][road_rank(class) as usize]
}

pub fn linear(color: Color) -> [f32; 4] {
    LinearRgba::from(color).to_f32_array()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::color::Srgba;

    #[test]
    fn the_speed_ramp_runs_from_red_to_green_and_is_total() {
        let red = Srgba::from(speed_color(0.0));
        let green = Srgba::from(speed_color(1.0));
        assert!(red.red > 0.8 && red.green < 0.2);
        assert!(green.green > 0.7 && green.red < 0.2);
        let mid = Srgba::from(speed_color(0.6));
        assert!(
            mid.red > 0.9 && mid.green > 0.5,
            "amber in between: {mid:?}"
        );
        assert_eq!(speed_color(f32::NAN), speed_color(0.0));
    }

    #[test]
    fn ramps_hit_their_stops_and_are_flat_beyond_the_ends() {
        assert_eq!(SPEED_CHANGE.rgb_u8(0.0), [0x50, 0x58, 0x66]);
        assert_eq!(SPEED_CHANGE.rgb_u8(-9.0), [0xe0, 0x2a, 0x2a]);
        assert_eq!(OCCUPANCY_CHANGE.rgb_u8(0.25), [0x3f, 0x95, 0x70]);
        assert_eq!(SPEED.rgb_u8(1.0), SPEED.rgb_u8(0.9));
    }

    #[test]
    fn bigger_roads_are_drawn_wider() {
        assert!(road_width_m(RoadClass::Trunk) > road_width_m(RoadClass::Primary));
        assert!(road_width_m(RoadClass::Residential) > road_width_m(RoadClass::Footway));
        assert!(road_min_px(RoadClass::Primary) > road_min_px(RoadClass::Service));
    }
}
