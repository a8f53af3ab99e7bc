//! Offscreen snapshots: the map camera renders into an image instead of a window, and after
//! a few frames (meshes uploaded, text laid out) the image is saved as a PNG and the app exits.
//! Works with no display and no GPU (Mesa's lavapipe Vulkan).

use crate::ViewerOutcome;
use crate::camera::MapCamera;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::text::TextLayoutInfo;
use bevy::ui::{ComputedNode, UiGlobalTransform};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct SnapshotPlugin {
    pub path: PathBuf,
    pub size: UVec2,
    pub outcome: Arc<Mutex<ViewerOutcome>>,
}

/// Frames rendered before the capture, so every mesh and glyph has reached the GPU.
const SETTLE_FRAMES: u32 = 8;

#[derive(Resource, Debug)]
struct Snapshot {
    path: PathBuf,
    size: UVec2,
    target: Handle<Image>,
    frames: u32,
    requested: bool,
    outcome: Arc<Mutex<ViewerOutcome>>,
}

impl Plugin for SnapshotPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Snapshot {
            path: self.path.clone(),
            size: self.size,
            target: Handle::default(),
            frames: 0,
            requested: false,
            outcome: self.outcome.clone(),
        })
        .add_systems(PostStartup, render_to_image)
        .add_systems(Last, capture_when_settled);
    }
}

fn render_to_image(
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut snapshot: ResMut<Snapshot>,
    camera: Single<Entity, With<MapCamera>>,
) {
    let image = Image::new_target_texture(
        snapshot.size.x.max(1),
        snapshot.size.y.max(1),
        TextureFormat::Rgba8UnormSrgb,
        None,
    );
    snapshot.target = images.add(image);
    commands
        .entity(*camera)
        .insert(RenderTarget::Image(snapshot.target.clone().into()));
}

fn capture_when_settled(
    mut commands: Commands,
    mut snapshot: ResMut<Snapshot>,
    texts: Query<(&Text, &ComputedNode, &UiGlobalTransform, &TextLayoutInfo)>,
) {
    snapshot.frames += 1;
    if snapshot.requested || snapshot.frames < SETTLE_FRAMES {
        return;
    }
    snapshot.requested = true;
    let overflows = text_overflows(&texts, snapshot.size.as_vec2());
    if let Ok(mut o) = snapshot.outcome.lock() {
        o.text_overflows = overflows;
    }
    let path = snapshot.path.clone();
    let outcome = snapshot.outcome.clone();
    commands
        .spawn(Screenshot::image(snapshot.target.clone()))
        .observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                let saved = save_png(&captured.image, &path);
                if let Ok(mut o) = outcome.lock() {
                    match saved {
                        Ok(()) => o.snapshot_written = true,
                        Err(e) => o.exit = Some(e),
                    }
                }
                exit.write(AppExit::Success);
            },
        );
}

/// Slack (px) for rounding in the layout.
const TEXT_SLACK_PX: f32 = 1.5;

/// Every visible text whose glyphs reach past the screen's edges or past the width of its own
/// node (where a panel would clip it).
fn text_overflows(
    texts: &Query<(&Text, &ComputedNode, &UiGlobalTransform, &TextLayoutInfo)>,
    screen: Vec2,
) -> Vec<(String, [f32; 4])> {
    let mut found = Vec::new();
    for (text, node, transform, layout) in texts {
        if text.0.trim().is_empty() || node.size == Vec2::ZERO {
            continue;
        }
        let (ink_min, ink_max) = ink(layout);
        let node_top_left = transform.translation - node.size / 2.0;
        let top_left = node_top_left + ink_min;
        let bottom_right = node_top_left + ink_max;
        let off_screen = top_left.x < -TEXT_SLACK_PX
            || top_left.y < -TEXT_SLACK_PX
            || bottom_right.x > screen.x + TEXT_SLACK_PX
            || bottom_right.y > screen.y + TEXT_SLACK_PX;
        let out_of_box = ink_min.x < -TEXT_SLACK_PX || ink_max.x > node.size.x + TEXT_SLACK_PX;
        if off_screen || out_of_box {
            let first = text.0.lines().next().unwrap_or_default().to_string();
            found.push((
                first,
                [top_left.x, top_left.y, bottom_right.x, bottom_right.y],
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Where a text's glyphs are drawn, in physical pixels from its node's top left (as the
/// node's size is; the layout's size is logical). The layout's size also counts the space a
/// wrapped line ends with, so a right-aligned text that wraps measured a space wider than
/// the ink it draws, and the credits were reported at every size where they wrap. A text
/// with no glyphs yet: its layout's size.
fn ink(layout: &TextLayoutInfo) -> (Vec2, Vec2) {
    let drawn = layout
        .glyphs
        .iter()
        .filter(|g| g.atlas_info.rect.width() > 0.0);
    let extents = drawn.map(|g| {
        let half = g.atlas_info.rect.size() / 2.0;
        (g.position - half, g.position + half)
    });
    extents
        .reduce(|(lo, hi), (a, b)| (lo.min(a), hi.max(b)))
        .unwrap_or((Vec2::ZERO, layout.size * layout.scale_factor))
}

/// Writes the captured frame as an RGB PNG (alpha dropped: the map is opaque).
fn save_png(image: &Image, path: &std::path::Path) -> Result<(), String> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("the captured frame cannot be converted: {e}"))?
        .to_rgb8();
    rgb.save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", path.display()))
}
