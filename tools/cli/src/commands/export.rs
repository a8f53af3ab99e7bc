//! `citytwin export`.

use crate::progress;
use anyhow::Result;
use citytwin_city::CityBundle;
use clap::Args;
use std::path::PathBuf;

/// Write a city bundle as a GeoPackage (every layer, road nodes and links, grid cells)
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The city bundle written by `citytwin import`
    bundle: PathBuf,
    /// Output GeoPackage (.gpkg); replaced if it exists
    #[arg(long, short)]
    output: PathBuf,
}

pub fn run(args: ExportArgs, quiet: bool) -> Result<()> {
    let bundle = CityBundle::load(&args.bundle)?;
    let bar = progress::steps(bundle.layers.len() as u64 + 3, quiet);
    let summary = citytwin_gis::export_gpkg(&bundle, &args.output, &mut |layer| {
        bar.inc(1);
        bar.set_message(format!("writing {layer}"));
    })?;
    bar.finish_and_clear();
    if !quiet {
        let layers: Vec<String> = summary
            .layers
            .iter()
            .map(|(n, c)| format!("{n} {c}"))
            .collect();
        eprintln!("wrote {}: {}", args.output.display(), layers.join(", "));
    }
    Ok(())
}
