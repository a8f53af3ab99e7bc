//! `citytwin fences`: a scene's parking fences and monitoring points (its own, or generated
//! from its OSM POIs), written as a GeoPackage layer to review in QGIS.

use anyhow::Result;
use citytwin_bikes::osm_fences::FenceSite;
use clap::Args;
use std::path::PathBuf;

/// Write the shared-bike parking fences of a scene: its own (`fences:` in the scene, a GBFS
/// folder or a polygon layer; docs/bikes.md), or generated from its OSM POIs:
///
/// A kerbside strip along the nearest street at each subway entrance (30 × 5 m), hospital and
/// school (24 × 4 m), shop or market (18 × 4 m) and bus stop (12 × 3 m); sites within 30 m
/// share a fence (the more important kind wins). Capacity = area / 1.5 m² per bike. The 12
/// busiest fences (POIs within 300 m, metro exits first) carry a monitoring point.
/// Writes the layer `fences` (fence, name, site, capacity, area_m2, monitored, source_id).
#[derive(Debug, Args)]
pub struct FencesArgs {
    /// Scene file (its bundle must exist: `citytwin import --scene`)
    scene: PathBuf,
    /// The GeoPackage to write
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: FencesArgs, quiet: bool) -> Result<()> {
    let (scene, city) = citytwin_runs::load_scene_city(&args.scene)?;
    let model = citytwin_sim::model::SceneModel::of(&scene, None)?;
    let plan = citytwin_runs::fence_source::fence_plan(&scene, &city, &model)?;
    citytwin_runs::fence_source::write_plan_gpkg(&args.output, &city.bundle.meta.crs.wkt, &plan)?;
    if !quiet {
        let count = |s: FenceSite| plan.sites.iter().filter(|x| **x == s).count();
        let capacity: u64 = plan.fences.iter().map(|f| u64::from(f.capacity)).sum();
        eprintln!(
            "{} fences ({} subway entrances, {} hospitals, {} schools, {} shopping, {} bus stops, {} residential blocks), room for {} bikes, {} monitoring points → {}",
            plan.fences.len(),
            count(FenceSite::SubwayEntrance),
            count(FenceSite::Hospital),
            count(FenceSite::School),
            count(FenceSite::Shopping),
            count(FenceSite::BusStop),
            count(FenceSite::Residential),
            capacity,
            plan.monitored.len(),
            args.output.display()
        );
    }
    Ok(())
}
