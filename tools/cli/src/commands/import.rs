//! `citytwin import`.

use crate::progress;
use anyhow::{Context, Result, anyhow};
use citytwin_city::roads::build::BuildOptions;
use citytwin_city::scene::Scene;
use citytwin_city::summary::CitySummary;
use citytwin_gis::{
    GisError, ImportOptions, ImportOverrides, ImportSetting, Stage, parse_layer_spec,
};
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
fn options(args: &ImportArgs) -> Result<(ImportOptions, PathBuf)> {
    let scene = args
        .scene
        .as_deref()
        .map(Scene::load)
        .transpose()
        .context("reading the scene")?;
    let mut layers = Vec::with_capacity(args.layers.len());
    for spec in &args.layers {
        layers.push(parse_layer_spec(spec).map_err(in_cli_terms)?);
    }
    let overrides = ImportOverrides {
        osm: args.osm.clone(),
        output: args.output.clone(),
        layers,
        crs: args.crs.clone(),
        assume_crs: args.assume_crs.clone(),
        grid_size_m: args.grid_size,
        grid_prefix: args.grid_prefix.clone(),
        district_admin_level: args.district_level,
        junction_join_m: Some(args.junction_join),
        name: args.name.clone(),
    };
    ImportOptions::resolve(scene.as_ref(), overrides).map_err(in_cli_terms)
}

/// The library's errors with the flags that set what they name.
fn in_cli_terms(e: GisError) -> anyhow::Error {
    match e {
        GisError::NoInput => {
            anyhow!("no input: give an OSM file or --scene (see citytwin import --help)")
        }
        GisError::NoOutput => anyhow!("no output: give -o city.ctb or --scene"),
        GisError::Setting {
            setting,
            value,
            expected,
        } => {
            let flag = match setting {
                ImportSetting::GridSize => "--grid-size",
                ImportSetting::GridPrefix => "--grid-prefix",
                ImportSetting::JunctionJoin => "--junction-join",
            };
            anyhow!("{flag} {value}: {expected}")
        }
        GisError::NoCrs { .. } => anyhow!("{e} (--assume-crs EPSG:xxxx)"),
        GisError::BadLayerSpec { .. } => anyhow!("--layer: {e}"),
        e => e.into(),
    }
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
    .map_err(in_cli_terms)?;
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
