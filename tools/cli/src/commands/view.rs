//! `citytwin view` (the live wall display) and `citytwin snapshot` (the same view, offscreen,
//! to a PNG). Both load the scene's city and a day of demand, run the World to the start
//! time, and hand it to the engine.

use crate::day_args::{BikeArgs, DemandArgs, parse_clock};
use crate::progress;
use anyhow::{Context, Result, bail};
use citytwin_engine::{Theme, Twin, ViewerConfig};
use citytwin_runs::{DayOptions, ViewerDay, clock};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// What both commands need to build the twin.
#[derive(Debug, Args)]
pub struct TwinArgs {
    /// Scene file, e.g. scenes/chengdu/scene.ron (its bundle must exist: `citytwin import --scene`)
    scene: PathBuf,
    /// A what-if scenario for the scene: the twin runs with its edits applied
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Split screen: the scene (baseline) on the left, this scenario's variant on the right,
    /// same seed, one camera and one clock; key D turns the right pane into the difference
    /// (roads by speed change, fences by occupancy change)
    #[arg(long)]
    compare: Option<PathBuf>,
    /// With --compare: start with the difference on the right
    #[arg(long, requires = "compare")]
    difference: bool,
    /// Random seed: demand and driver choices
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated time of day to start from (HH:MM); the day is simulated up to it first
    #[arg(long, default_value = "07:30", value_parser = parse_clock)]
    at: u32,
    /// Colours: the dark wall palette or a light one
    #[arg(long, value_enum, default_value_t = Palette::Wall)]
    palette: Palette,
    /// A TrueType font with Chinese glyphs for street and district names
    #[arg(long, default_value = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")]
    font: PathBuf,
    #[command(flatten)]
    demand: DemandArgs,
    #[command(flatten)]
    bikes: BikeArgs,
    /// Leave out the scene's operations (sensors, vital signs, cases)
    #[arg(long)]
    no_ops: bool,
    /// Simulated minutes between forecasts of the next hour, made from a copy of the running
    /// day in the background (0: no forecaster; not in split screen)
    #[arg(long, default_value_t = 5, value_name = "MINUTES")]
    forecast_every: u32,
    /// The traffic overlay's view at start: now (0) or the forecast 15, 30 or 60 minutes
    /// ahead (key H steps through them)
    #[arg(long, default_value_t = 0, value_name = "MINUTES", value_parser = parse_ahead)]
    ahead: u32,
}

fn parse_ahead(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(m) if citytwin_engine::forecast::HORIZONS.contains(&m) => Ok(m),
        _ => Err(format!(
            "expected 0, 15, 30 or 60 (minutes ahead); found {value:?}"
        )),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Palette {
    Wall,
    Light,
}

/// Open the live wall display of a scene: the map, the simulation running inside the app,
/// traffic overlay, KPIs, alarm feed and charts.
///
/// Mouse: drag to pan, wheel to zoom, right-drag to rotate, click a road to inspect it.
/// Keys: arrows/WASD pan, +/- zoom, Q/E rotate, F fit, Space pause, `.` one step,
/// 1–4 speed 1×/10×/60×/600×, [ and ] an hour back/forward, T traffic overlay, H traffic
/// now / +15 / +30 / +60 minutes (the background forecast; also the buttons), B bikes
/// overlay, V vital signs (cells at amber/red, open cases, the city's indicators; with the
/// scene's ops file), G grid cells.
/// With --wall: full screen, no cursor, and an auto-tour of the districts and the worst
/// hotspot; no input needed. With --compare SCENARIO: split screen against the scenario's
/// variant (D: the difference). Needs a display (X11); `citytwin snapshot` does not.
#[derive(Debug, Args)]
pub struct ViewArgs {
    #[command(flatten)]
    twin: TwinArgs,
    /// Wall mode: full screen, borderless, no cursor, text sized from the resolution, auto-tour
    #[arg(long)]
    wall: bool,
    /// Seconds at each auto-tour stop (with --wall)
    #[arg(long, default_value_t = 20.0)]
    tour_every: f32,
    /// Window size WIDTHxHEIGHT (ignored with --wall)
    #[arg(long, default_value = "1600x900", value_parser = parse_size)]
    size: (u32, u32),
    /// Simulated seconds per real second at start (1, 10, 60 or 600; any value works)
    #[arg(long, default_value_t = 60)]
    speed: u32,
    /// Measure this many frames, print frame-time statistics and entity counts, and exit
    #[arg(long)]
    bench_frames: Option<u32>,
}

/// Render the view of a scene at a time of day offscreen to a PNG: for reports, the README
/// and tests. Needs no display and no GPU (Mesa's software Vulkan is enough). With
/// --compare, the split screen (baseline | variant, or the difference with --difference).
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    twin: TwinArgs,
    /// Overlays to draw, comma-separated
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "traffic,bikes,vitals"
    )]
    overlay: Vec<Overlay>,
    /// Image size WIDTHxHEIGHT
    #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
    size: (u32, u32),
    /// As the wall shows it (with the auto-tour caption)
    #[arg(long)]
    wall: bool,
    /// Fail if any text runs off the screen or out of its panel (always warned about)
    #[arg(long)]
    check_text: bool,
    /// The PNG to write
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Overlay {
    /// Links coloured by speed and moving cars
    Traffic,
    /// Fences filled by occupancy, monitoring points, parked bikes
    Bikes,
    /// Grid cells at amber or red, open cases, and the city's vital signs
    Vitals,
    /// The unit grid cells
    Grid,
}

fn parse_size(value: &str) -> Result<(u32, u32), String> {
    let parsed = value
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if (64..=8192).contains(&w) && (64..=8192).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "expected WIDTHxHEIGHT in pixels (64 to 8192), e.g. 1920x1080; found {value:?}"
        )),
    }
}

/// The variant of a split screen, and whether its pane starts on the difference.
type Variant = Option<(Twin, bool)>;

/// The twin (with `--scenario`), the variant to compare it with (with `--compare`), and the
/// data credits.
fn load_twins(args: &TwinArgs, quiet: bool) -> Result<(Twin, Variant, Vec<String>)> {
    let (twin, attribution) = load_twin(args, args.scenario.as_deref(), quiet)?;
    let variant = match &args.compare {
        Some(path) => Some((load_twin(args, Some(path), quiet)?.0, args.difference)),
        None => None,
    };
    Ok((twin, variant, attribution))
}

fn load_twin(args: &TwinArgs, scenario: Option<&Path>, quiet: bool) -> Result<(Twin, Vec<String>)> {
    let options = DayOptions {
        demand: args.demand.options(),
        bikes: args.bikes.options(),
        with_ops: !args.no_ops,
        ..DayOptions::default()
    };
    let bar = progress::steps(u64::from(args.at), quiet);
    bar.set_message(format!("simulating up to {}", clock(args.at)));
    let day = ViewerDay::load(
        &args.scene,
        scenario,
        &options,
        args.seed,
        args.at,
        &mut |t| bar.set_position(u64::from(t)),
    )?;
    bar.finish_and_clear();
    let twin = Twin {
        city: day.city,
        world: day.world,
        scene_name: day.name,
    };
    Ok((twin, day.attribution))
}

/// Refused before the day is simulated up to the start time.
fn check_forecast_args(args: &TwinArgs) -> Result<()> {
    if args.forecast_every == 0 && args.ahead > 0 {
        bail!(
            "--ahead {} needs the forecaster: drop --forecast-every 0",
            args.ahead
        );
    }
    if args.compare.is_some() && args.ahead > 0 {
        bail!("--ahead is not available in split screen (--compare): each pane shows its day now");
    }
    Ok(())
}

fn base_config(args: &TwinArgs, attribution: Vec<String>) -> ViewerConfig {
    ViewerConfig {
        theme: match args.palette {
            Palette::Wall => Theme::Wall,
            Palette::Light => Theme::Light,
        },
        font: Some(args.font.clone()),
        attribution,
        forecast_every_min: (args.forecast_every > 0).then_some(args.forecast_every),
        minutes_ahead: args.ahead,
        ..ViewerConfig::default()
    }
}

pub fn view(args: ViewArgs, quiet: bool) -> Result<()> {
    check_forecast_args(&args.twin)?;
    let (twin, variant, attribution) = load_twins(&args.twin, quiet)?;
    let config = ViewerConfig {
        wall: args.wall,
        tour_every_s: args.tour_every,
        size: args.size.into(),
        speed: args.speed.max(1),
        bench_frames: args.bench_frames,
        ..base_config(&args.twin, attribution)
    };
    let outcome = citytwin_engine::run(twin, variant, &config);
    if let Some(e) = outcome.exit {
        bail!("{e}");
    }
    if let Some(stats) = outcome.frame_stats {
        println!("{stats}");
    }
    Ok(())
}

pub fn snapshot(args: SnapshotArgs, quiet: bool) -> Result<()> {
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    check_forecast_args(&args.twin)?;
    let (twin, variant, attribution) = load_twins(&args.twin, quiet)?;
    let at = twin.world.now_s();
    let config = ViewerConfig {
        size: args.size.into(),
        snapshot: Some(args.output.clone()),
        show_traffic: args.overlay.contains(&Overlay::Traffic),
        show_bikes: args.overlay.contains(&Overlay::Bikes),
        show_vitals: args.overlay.contains(&Overlay::Vitals),
        show_grid: args.overlay.contains(&Overlay::Grid),
        wall: args.wall,
        paused: true,
        ..base_config(&args.twin, attribution)
    };
    let outcome = citytwin_engine::run(twin, variant, &config);
    if let Some(e) = outcome.exit {
        bail!("snapshot not written: {e}");
    }
    if !outcome.snapshot_written {
        bail!(
            "{}: snapshot not written (no frame was captured; is a Vulkan driver installed? scripts/setup.sh installs Mesa's)",
            args.output.display()
        );
    }
    for (text, [x0, y0, x1, y1]) in &outcome.text_overflows {
        tracing::warn!(
            "text runs off the screen or its panel at {}x{}: {text:?} spans ({x0:.0}, {y0:.0})–({x1:.0}, {y1:.0})",
            args.size.0,
            args.size.1
        );
    }
    if args.check_text && !outcome.text_overflows.is_empty() {
        bail!(
            "{}: {} text(s) run off the screen or their panel at {}x{}, first {:?}",
            args.output.display(),
            outcome.text_overflows.len(),
            args.size.0,
            args.size.1,
            outcome.text_overflows[0].0
        );
    }
    if !quiet {
        eprintln!(
            "snapshot of {} at {} ({}x{}) → {}",
            args.twin.scene.display(),
            clock(at),
            args.size.0,
            args.size.1,
            args.output.display()
        );
    }
    Ok(())
}
