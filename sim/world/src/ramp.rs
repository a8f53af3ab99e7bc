//! The colour ramps a figure is shown in, wherever it is seen: the wall, its split screen and
//! the comparison report's pictures. Plain sRGB, so the core stays free of any renderer.

/// A colour ramp: stops (value → sRGB), linear in sRGB between them and flat beyond the
/// ends. Every ramp the wall, its split screen and the comparison report colour by is one of
/// the constants below, so a colour means the same thing wherever it is seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ramp(pub &'static [(f32, [u8; 3])]);

impl Ramp {
    /// sRGB components (0..=1) at `x`; NaN reads as the ramp's lowest value.
    pub fn srgb(&self, x: f32) -> [f32; 3] {
        let stops = self.0;
        let (lo, hi) = (stops[0].0, stops[stops.len() - 1].0);
        let x = if x.is_nan() { lo } else { x.clamp(lo, hi) };
        let i = stops.partition_point(|s| s.0 < x).clamp(1, stops.len() - 1);
        let ((x0, a), (x1, b)) = (stops[i - 1], stops[i]);
        let t = ((x - x0) / (x1 - x0).max(1e-6)).clamp(0.0, 1.0);
        [0, 1, 2].map(|k| (f32::from(a[k]) + (f32::from(b[k]) - f32::from(a[k])) * t) / 255.0)
    }

    /// 8-bit sRGB at `x`, for pictures drawn outside the engine.
    pub fn rgb_u8(&self, x: f32) -> [u8; 3] {
        self.srgb(x).map(|v| (v * 255.0).round() as u8)
    }
}

/// Speed over free-flow speed: red (jammed) through amber to green (free), the colours
/// traffic maps use.
pub const SPEED: Ramp = Ramp(&[
    (0.2, [0xd7, 0x19, 0x1c]),
    (0.45, [0xfd, 0x8d, 0x3c]),
    (0.7, [0xff, 0xd8, 0x3a]),
    (0.9, [0x1a, 0xd1, 0x6b]),
]);

/// A speed change as a share (variant − baseline): red slower, grey the same, blue faster.
pub const SPEED_CHANGE: Ramp = Ramp(&[
    (-0.4, [0xe0, 0x2a, 0x2a]),
    (-0.1, [0xf0, 0x8c, 0x3c]),
    (0.0, [0x50, 0x58, 0x66]),
    (0.1, [0x5c, 0xa8, 0xf0]),
    (0.4, [0x2a, 0x5c, 0xe0]),
]);

/// A change in a fence's bikes as a share of its capacity: orange fewer, grey the same,
/// green more.
pub const OCCUPANCY_CHANGE: Ramp = Ramp(&[
    (-0.5, [0xff, 0x8a, 0x00]),
    (0.0, [0x50, 0x58, 0x66]),
    (0.5, [0x2e, 0xd1, 0x7a]),
]);
