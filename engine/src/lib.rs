//! citytwin-engine: the Bevy plugins that draw the live twin for the operations-center wall.
//!
//! One plugin per concern: [`map::MapPlugin`] (base map), [`camera::MapCameraPlugin`] (pan,
//! zoom, rotate, flights), [`twin::SimClockPlugin`] (the World stepped in `FixedUpdate`),
//! [`traffic::TrafficOverlayPlugin`], [`bikes::BikesOverlayPlugin`],
//! [`vitals::VitalsOverlayPlugin`], [`hud::HudPlugin`], [`inspect::InspectPlugin`],
//! [`wall::WallPlugin`] (kiosk mode and auto-tour), [`snapshot::SnapshotPlugin`] (offscreen PNG),
//! [`forecast::ForecastPlugin`] (the hour ahead, in the background) and
//! [`bench::FrameBenchPlugin`] (frame-time statistics). The engine reads the World through
//! its plain views and changes it only through the clock's commands.

// Bevy systems name their resources and queries as parameters; long lists and nested query
// filters are the idiom, not a smell (Bevy's own crates allow both).
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

pub mod bench;
pub mod bikes;
pub mod camera;
pub mod compare;
pub mod forecast;
pub mod geometry;
pub mod hud;
pub mod inspect;
pub mod map;
pub mod overlay;
pub mod palette;
pub mod runtime_dir;
pub mod snapshot;
#[cfg(test)]
mod testing;
pub mod traffic;
pub mod twin;
pub mod vitals;
pub mod wall;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::window::{CursorOptions, ExitCondition, MonitorSelection, WindowMode, WindowResolution};
use bevy::winit::WinitPlugin;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use bench::FrameStats;
pub use palette::Theme;
pub use runtime_dir::RuntimeDir;
pub use twin::Twin;

/// Everything the viewer can be asked for on the command line.
#[derive(Clone, Debug)]
pub struct ViewerConfig {
    pub theme: Theme,
    /// Kiosk mode: full screen, borderless, no cursor, auto-tour, no input needed.
    pub wall: bool,
    /// Window size (ignored full screen) or snapshot size, in pixels.
    pub size: UVec2,
    /// Render one frame offscreen to this PNG and exit, instead of opening a window.
    pub snapshot: Option<PathBuf>,
    pub show_traffic: bool,
    pub show_bikes: bool,
    pub show_vitals: bool,
    pub show_grid: bool,
    /// Simulated seconds per real second at start.
    pub speed: u32,
    pub paused: bool,
    /// Measure this many frames, print their statistics and exit.
    pub bench_frames: Option<u32>,
    /// Seconds between the wall's auto-tour stops.
    pub tour_every_s: f32,
    /// A font with CJK glyphs for names (see `hud::HudPlugin::font`).
    pub font: Option<PathBuf>,
    pub attribution: Vec<String>,
    /// Simulated minutes between forecasts of the next hour; `None`: no forecaster.
    pub forecast_every_min: Option<u32>,
    /// The traffic overlay's view at start: now (0) or 15, 30 or 60 minutes ahead.
    pub minutes_ahead: u32,
}

impl Default for ViewerConfig {
    fn default() -> Self {
        ViewerConfig {
            theme: Theme::Wall,
            wall: false,
            size: UVec2::new(1600, 900),
            snapshot: None,
            show_traffic: true,
            show_bikes: true,
            show_vitals: true,
            show_grid: false,
            speed: 60,
            paused: false,
            bench_frames: None,
            tour_every_s: 20.0,
            font: None,
            attribution: Vec::new(),
            forecast_every_min: Some(5),
            minutes_ahead: 0,
        }
    }
}

/// What a finished viewer run reports back.
#[derive(Debug, Default)]
pub struct ViewerOutcome {
    pub frame_stats: Option<FrameStats>,
    pub snapshot_written: bool,
    pub exit: Option<String>,
    /// Text that a snapshot found running off the screen or out of its box: the text's first
    /// line and its bounds (x0, y0, x1, y1 in pixels).
    pub text_overflows: Vec<(String, [f32; 4])>,
}

/// Builds the viewer app around a twin; `run` it, or drive it frame by frame in tests.
pub fn build_app(twin: Twin, config: &ViewerConfig, outcome: Arc<Mutex<ViewerOutcome>>) -> App {
    let mut app = App::new();
    let headless = config.snapshot.is_some();
    let defaults = DefaultPlugins.set(bevy::log::LogPlugin {
        // the CLI installs its own tracing subscriber
        filter: "wgpu=error,naga=warn,bevy_render=warn".to_string(),
        ..default()
    });
    if headless {
        app.add_plugins(
            defaults
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .disable::<WinitPlugin>()
                .disable::<bevy::log::LogPlugin>(),
        )
        .add_plugins(ScheduleRunnerPlugin::run_loop(std::time::Duration::ZERO));
    } else {
        let window = Window {
            title: format!("citytwin — {}", twin.scene_name),
            resolution: WindowResolution::new(config.size.x, config.size.y),
            mode: if config.wall {
                WindowMode::BorderlessFullscreen(MonitorSelection::Primary)
            } else {
                WindowMode::Windowed
            },
            decorations: !config.wall,
            ..default()
        };
        app.add_plugins(
            defaults
                .set(WindowPlugin {
                    primary_window: Some(window),
                    primary_cursor_options: Some(CursorOptions {
                        visible: !config.wall,
                        ..default()
                    }),
                    ..default()
                })
                .disable::<bevy::log::LogPlugin>(),
        );
    }
    app.insert_resource(twin)
        .insert_resource(palette::Palette::new(config.theme))
        .configure_sets(Update, (twin::TwinSet::Read,))
        .add_plugins((
            map::MapPlugin {
                show_grid: config.show_grid,
            },
            camera::MapCameraPlugin {
                interactive: !config.wall && !headless,
            },
            twin::SimClockPlugin {
                speed: config.speed,
                paused: config.paused || headless,
            },
            traffic::TrafficOverlayPlugin {
                hidden: !config.show_traffic,
            },
            bikes::BikesOverlayPlugin {
                hidden: !config.show_bikes,
            },
            vitals::VitalsOverlayPlugin {
                hidden: !config.show_vitals,
            },
            hud::HudPlugin {
                font: config.font.clone(),
                attribution: config.attribution.clone(),
            },
        ))
        .add_systems(Update, scale_ui_to_resolution);
    if let Some(every_min) = config.forecast_every_min {
        app.add_plugins(forecast::ForecastPlugin {
            every_s: every_min.saturating_mul(60),
            minutes_ahead: config.minutes_ahead,
            blocking: headless,
            congestion_alarms: hud::CONGESTION_ALARM_HOTSPOTS,
        });
    }
    if !headless && !config.wall {
        app.add_plugins(inspect::InspectPlugin);
    }
    if config.wall {
        app.add_plugins(wall::WallPlugin {
            every_s: config.tour_every_s,
        });
    }
    if let Some(path) = &config.snapshot {
        app.add_plugins(snapshot::SnapshotPlugin {
            path: path.clone(),
            size: config.size,
            outcome: outcome.clone(),
        });
    }
    if let Some(frames) = config.bench_frames {
        app.add_plugins(bench::FrameBenchPlugin {
            frames,
            outcome: outcome.clone(),
        });
    }
    app
}

/// The viewer split in two: `twin` (the baseline) on the left, `variant` on the right, one
/// camera and one clock for both ([`compare::ComparePlugin`]).
pub fn build_compare_app(
    twin: Twin,
    variant: Twin,
    difference: bool,
    config: &ViewerConfig,
    outcome: Arc<Mutex<ViewerOutcome>>,
) -> App {
    // one forecast would colour one pane: the split screen compares two days as they run
    let config = ViewerConfig {
        forecast_every_min: None,
        minutes_ahead: 0,
        ..config.clone()
    };
    let mut app = build_app(twin, &config, outcome);
    app.insert_resource(compare::VariantTwin(variant))
        .add_plugins(compare::ComparePlugin { difference });
    app
}

/// Runs the viewer to its end (window closed, snapshot written or bench done); with a
/// variant, split-screen against it (`difference`: the right pane starts on the difference).
pub fn run(twin: Twin, variant: Option<(Twin, bool)>, config: &ViewerConfig) -> ViewerOutcome {
    let outcome = Arc::new(Mutex::new(ViewerOutcome::default()));
    let app = match variant {
        Some((variant, difference)) => {
            build_compare_app(twin, variant, difference, config, outcome.clone())
        }
        None => build_app(twin, config, outcome.clone()),
    };
    let exit = { app }.run();
    let mut done = outcome
        .lock()
        .map(|mut o| std::mem::take(&mut *o))
        .unwrap_or_default();
    if let AppExit::Error(code) = exit {
        done.exit = Some(format!("the viewer stopped with code {code}"));
    }
    done
}

/// Layout is in pixels at 1080 lines; scaled so text reads the same at any resolution (a 4K
/// wall gets everything twice as large).
fn scale_ui_to_resolution(
    camera: Query<&Camera, With<camera::MapCamera>>,
    mut scale: ResMut<UiScale>,
) {
    if let Some(size) = camera.iter().find_map(Camera::logical_viewport_size) {
        let wanted = (size.y / 1080.0).clamp(0.5, 4.0);
        if (scale.0 - wanted).abs() > 1e-3 {
            scale.0 = wanted;
        }
    }
}
