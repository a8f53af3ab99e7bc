//! `citytwin info`.

use anyhow::Result;
use citytwin_city::CityBundle;
use citytwin_city::bundle::FeatureIssue;
use citytwin_city::roads::build::SkippedWay;
use citytwin_city::summary::CitySummary;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// Summarise a city bundle: CRS, extent, layers, road km per class, graph, grid, districts
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The city bundle written by `citytwin import`
    bundle: PathBuf,
    /// Print JSON (with every skipped and repaired feature) instead of text
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct InfoJson<'a> {
    #[serde(flatten)]
    summary: CitySummary,
    skipped: &'a [FeatureIssue],
    repaired: &'a [FeatureIssue],
    skipped_roads: &'a [SkippedWay],
}

pub fn run(args: InfoArgs) -> Result<()> {
    let bundle = CityBundle::load(&args.bundle)?;
    let summary = CitySummary::of(&bundle);
    if args.json {
        let json = InfoJson {
            summary,
            skipped: &bundle.report.skipped,
            repaired: &bundle.report.repaired,
            skipped_roads: &bundle.report.roads.skipped,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{summary}");
    }
    Ok(())
}
