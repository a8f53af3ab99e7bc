//! `citytwin import`.

use crate::progress;
use anyhow::{Context, Result, bail};
use citytwin_city::roads::build::BuildOptions;
use citytwin_city::scene::Scene;
use citytwin_city::summary::CitySummary;
use citytwin_gis::{ImportOptions, Stage};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Read OSM (.osm / .osm.pbf) and extra GIS layers, write a city bundle
#[derive(Debug, Args)]
#[command(
    long_about = "Reads an OpenStreetMap extract (.osm XML or .osm.pbf) and any extra \
vector layers GDAL reads (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, ...), reprojects them \
into one metric CRS (the local UTM zone unless --crs), validates geometries (repairing what is \
safe, skipping and reporting the rest), builds the road graph, districts and unit grid cells, \
and writes a city bundle.\n\nEither give a scene (--scene scenes/chengdu/scene.ron), whose \
settings the other options override, or an OSM file and -o."
)]
pub struct ImportArgs {
    /// OpenStreetMap extract (.osm or .osm.pbf); taken from the scene when --scene is given
    osm: Option<PathBuf>,
    /// Scene file (RON) naming the OSM file, the output bundle and import settings
    #[arg(long)]
    scene: Option<PathBuf>,
    /// Output bundle (default: the scene's `bundle`)
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Extra layer as NAME=FILE (e.g. fences=zones.gpkg); repeatable; attributes are kept
    #[arg(long = "layer", value_name = "NAME=FILE")]
    layers: Vec<String>,
    /// City CRS, e.g. EPSG:32648 (default: the UTM zone at the data's centre)
    #[arg(long)]
    crs: Option<String>,
    /// CRS of extra layers whose files declare none (an error otherwise)
    #[arg(long, value_name = "CRS")]
    assume_crs: Option<String>,
    /// Size of the unit grid cells, in metres (default 100)
    #[arg(long, value_name = "METRES")]
    grid_size: Option<f64>,
    /// Administrative division code (GB/T 2260) prefixing grid cell codes
    #[arg(long, value_name = "CODE")]
    grid_prefix: Option<String>,
    /// OSM admin_level of the districts (default 6: Chinese urban districts)
    #[arg(long, value_name = "LEVEL")]
    district_level: Option<u8>,
    /// Join junction nodes linked by car links at most this long into one controlled junction
    #[arg(long, value_name = "METRES", default_value_t = BuildOptions::default().junction_join_m)]
    junction_join: f64,
    /// City name (default: the scene's, else the file name)
    #[arg(long)]
    name: Option<String>,
}

/// "chengdu" for chengdu.osm.pbf: a city named after its extract.
fn name_of(osm: &std::path::Path) -> String {
    osm.file_name()
        .and_then(|n| n.to_string_lossy().split('.').next().map(str::to_string))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "city".into())
}

fn options(args: &ImportArgs) -> Result<(ImportOptions, PathBuf)> {
    let scene = args
        .scene
        .as_deref()
        .map(Scene::load)
        .transpose()
        .context("reading the scene")?;
    let osm = match (&args.osm, &scene) {
        (Some(path), _) => path.clone(),
        (None, Some(scene)) => scene.osm.clone(),
        (None, None) => bail!("no input: give an OSM file or --scene (see citytwin import --help)"),
    };
    let output = match (&args.output, &scene) {
        (Some(path), _) => path.clone(),
        (None, Some(scene)) => scene.bundle.clone(),
        (None, None) => bail!("no output: give -o city.ctb or --scene"),
    };
    let mut layers: Vec<(String, PathBuf)> = scene
        .as_ref()
        .map(|s| {
            s.layers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    for spec in &args.layers {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--layer {spec}: expected NAME=FILE, e.g. fences=zones.gpkg");
        };
        if name.is_empty() || file.is_empty() {
            bail!("--layer {spec}: expected NAME=FILE with both parts non-empty");
        }
        layers.push((name.to_string(), PathBuf::from(file)));
    }
    let name = args
        .name
        .clone()
        .or_else(|| scene.as_ref().map(|s| s.name.clone()))
        .unwrap_or_else(|| name_of(&osm));
    let grid_size_m = args
        .grid_size
        .or(scene.as_ref().map(|s| s.grid_size_m))
        .unwrap_or(100.0);
    // China's unit grid cells are about 100 m; below 10 m a city has hundreds of millions
    if !(10.0..=10_000.0).contains(&grid_size_m) {
        bail!("--grid-size {grid_size_m}: expected 10 to 10000 metres");
    }
    let grid_prefix = args
        .grid_prefix
        .clone()
        .or_else(|| scene.as_ref().map(|s| s.grid_prefix.clone()))
        .unwrap_or_default();
    // a GB/T 2260 division code: digits (a comma would break every CSV the cells appear in)
    if grid_prefix.len() > 12 || !grid_prefix.chars().all(|c| c.is_ascii_digit()) {
        bail!(
            "--grid-prefix {grid_prefix:?}: expected up to 12 digits (a GB/T 2260 code, e.g. 510100)"
        );
    }
    if !(0.0..=100.0).contains(&args.junction_join) {
        bail!(
            "--junction-join {}: expected 0 to 100 metres",
            args.junction_join
        );
    }
    Ok((
        ImportOptions {
            name,
            osm,
            layers,
            crs: args
                .crs
                .clone()
                .or_else(|| scene.as_ref().and_then(|s| s.crs.clone())),
            assume_crs: args.assume_crs.clone(),
            grid_size_m,
            grid_prefix,
            district_admin_level: args
                .district_level
                .or(scene.as_ref().map(|s| s.district_admin_level))
                .unwrap_or(6),
            roads: BuildOptions {
                junction_join_m: args.junction_join,
                infer_signals: scene.as_ref().is_none_or(|s| s.infer_signals),
                ..BuildOptions::default()
            },
            attribution: scene.map(|s| s.attribution).unwrap_or_default(),
        },
        output,
    ))
}

pub fn run(args: ImportArgs, quiet: bool) -> Result<()> {
    let (options, output) = options(&args)?;
    let started = Instant::now();
    let bar = progress::steps(Stage::count(options.layers.len()), quiet);
    let bundle = citytwin_gis::import(&options, &mut |stage| {
        if bar.position() > 0 || bar.message() != "" {
            bar.inc(1);
        }
        tracing::info!("{stage}");
        bar.set_message(stage.to_string());
    })
    .map_err(|e| match e {
        // the library says what is missing; the command line says how to give it
        citytwin_gis::GisError::NoCrs { .. } => anyhow::anyhow!("{e} (--assume-crs EPSG:xxxx)"),
        citytwin_gis::GisError::BadLayerSpec { .. } => anyhow::anyhow!("--layer: {e}"),
        e => e.into(),
    })?;
    bundle.save(&output)?;
    bar.finish_and_clear();
    if !quiet {
        let summary = CitySummary::of(&bundle);
        eprintln!("{summary}");
        let (skipped, more) = bundle.report.skipped_lines(20);
        for line in skipped {
            eprintln!("{line}");
        }
        if more > 0 {
            eprintln!("  ... and {more} more (citytwin info --json lists all)");
        }
        eprintln!(
            "imported {} in {:.2} s → {}",
            options.osm.display(),
            started.elapsed().as_secs_f64(),
            output.display()
        );
    }
    Ok(())
}
