//! Offscreen snapshots: the map camera renders into an image instead of a window, and after
//! a few frames (meshes uploaded, text laid out) the image is saved as a PNG and the app exits.
//! Works with no display and no GPU (Mesa's lavapipe Vulkan).

use crate::ViewerOutcome;
use crate::camera::MapCamera;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
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

fn capture_when_settled(mut commands: Commands, mut snapshot: ResMut<Snapshot>) {
    snapshot.frames += 1;
    if snapshot.requested || snapshot.frames < SETTLE_FRAMES {
        return;
    }
    snapshot.requested = true;
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
