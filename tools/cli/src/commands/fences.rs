//! `citytwin fences`: a scene's parking fences and monitoring points (its own, or generated
//! from its OSM POIs), written as a GeoPackage layer to review in QGIS.

use anyhow::{Context, Result};
use citytwin_bikes::osm_fences::FenceSite;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use clap::Args;
use geo::{Area, Geometry};
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
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&args.output);
    let mut gpkg = GpkgWriter::create(&args.output, &city.bundle.meta.crs.wkt)?;
    use FieldType::*;
    let fields = [
        ("fence", OFTInteger64),
        ("name", OFTString),
        ("site", OFTString),
        ("capacity", OFTInteger64),
        ("area_m2", OFTReal),
        ("monitored", OFTInteger),
        ("source_id", OFTString),
    ];
    let rows = plan.fences.iter().map(|f| {
        let i = f.id.index();
        (
            Geometry::Polygon(f.area.clone()),
            vec![
                Value::Int(i as i64),
                Value::Text(f.name.as_str()),
                Value::Text(plan.sites[i].as_str()),
                Value::Int(i64::from(f.capacity)),
                Value::Real(f.area.unsigned_area()),
                Value::Int(i64::from(plan.monitored.contains(&f.id))),
                Value::Text(plan.sources[i].as_str()),
            ],
        )
    });
    gpkg.layer("fences", &fields, GeometryType::wkbPolygon, rows)?;
    gpkg.finish()?;
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
