//! Where a scene's shared-bike fences come from: its own (`fences:` in the scene — a GBFS feed
//! folder or a polygon layer), else generated from its OSM POIs.

use crate::error::{Result, RunError};
use citytwin_bikes::gbfs::{read_geofencing_zones, read_station_information};
use citytwin_bikes::osm_fences::{FencePlan, fences_from_osm, plan_for};
use citytwin_bikes::{Fence, Fences, fence::capacity_of};
use citytwin_city::layer::AttrValue;
use citytwin_city::scene::Scene;
use citytwin_city::{City, FenceId};
use citytwin_gis::crs::Reprojector;
use citytwin_gis::vector::{ReadIssues, read_user_layer};
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::model::SceneModel;
use geo::{Area, Geometry, Polygon};
use std::path::Path;

/// The scene's fences with what each serves and its monitoring points (generated ones where
/// `model`'s demand estimates homes).
pub fn fence_plan(scene: &Scene, city: &City, model: &SceneModel) -> Result<FencePlan> {
    let Some(path) = &scene.fences else {
        return Ok(fences_from_osm(city, &model.params.demand.activity)?);
    };
    let fences = if path.is_dir() {
        from_gbfs(path, city)?
    } else {
        from_layer(path, city)?
    };
    if fences.is_empty() {
        return Err(RunError::bad_input(path, "no fences"));
    }
    Ok(plan_for(city, fences, &path.display().to_string()))
}

/// Stations (virtual ones with their areas, docks as circles) or, without a station list,
/// geofencing zones.
fn from_gbfs(dir: &Path, city: &City) -> Result<Fences> {
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
    let project = |lon: f64, lat: f64| to_city.coord(geo::Coord { x: lon, y: lat }).ok();
    let (stations, zones) = (
        dir.join("station_information.json"),
        dir.join("geofencing_zones.json"),
    );
    if stations.exists() {
        let list = read_station_information(&stations)?;
        let fences = Fences::from_stations(&list, &project)
            .map_err(|e| RunError::bad_input(&stations, e))?;
        return near_city(city, fences, &stations);
    }
    if zones.exists() {
        let list = read_geofencing_zones(&zones)?;
        let fences =
            Fences::from_zones(&list, &project).map_err(|e| RunError::bad_input(&zones, e))?;
        return near_city(city, fences, &zones);
    }
    Err(RunError::bad_input(
        dir,
        "expected a GBFS station_information.json or geofencing_zones.json in the folder",
    ))
}

/// Every polygon of the layer's features is a fence; `capacity` where given, else from area.
fn from_layer(path: &Path, city: &City) -> Result<Fences> {
    let mut issues = ReadIssues::default();
    let (layer, _, _) =
        read_user_layer(path, "fences", None, &city.bundle.meta.crs.id, &mut issues)?;
    for skipped in &issues.skipped {
        tracing::warn!("{}: skipped {skipped:?}", path.display());
    }
    let mut fences = Vec::new();
    for f in &layer.features {
        let polygons: Vec<Polygon<f64>> = match &f.geometry {
            Geometry::Polygon(p) => vec![p.clone()],
            Geometry::MultiPolygon(m) => m.0.clone(),
            other => {
                return Err(RunError::bad_input(
                    path,
                    format!(
                        "feature {}: a {}, expected a Polygon or MultiPolygon fence",
                        f.source_id,
                        geometry_kind(other)
                    ),
                ));
            }
        };
        let capacity = match f.attr("capacity") {
            None => None,
            Some(AttrValue::Int(n)) if *n > 0 => Some(*n as u32),
            Some(AttrValue::Real(x)) if *x >= 1.0 => Some(*x as u32),
            Some(v) => {
                return Err(RunError::bad_input(
                    path,
                    format!(
                        "feature {}: capacity {v:?}: expected a whole number of bikes ≥ 1",
                        f.source_id
                    ),
                ));
            }
        };
        let name = f
            .text("name")
            .map_or_else(|| format!("fence {}", f.source_id), str::to_string);
        let total: f64 = polygons.iter().map(|p| p.unsigned_area()).sum();
        for (k, area) in polygons.iter().enumerate() {
            // a capacity given for a multipolygon is shared in proportion to the parts' areas
            let part = capacity.map_or_else(
                || capacity_of(area),
                |c| ((f64::from(c) * area.unsigned_area() / total.max(1e-9)).round() as u32).max(1),
            );
            fences.push(Fence {
                id: FenceId(0),
                name: if polygons.len() > 1 {
                    format!("{name} #{}", k + 1)
                } else {
                    name.clone()
                },
                area: area.clone(),
                capacity: part,
                dock: false,
            });
        }
    }
    near_city(city, Fences::new(fences)?, path)
}

/// The fences, if every one lies in or near the city: Oslo's stations used to become
/// Chengdu's fences without a word (and 2 rides a day).
fn near_city(city: &City, fences: Fences, file: &Path) -> Result<Fences> {
    for f in fences.iter() {
        if let Some(centre) = fences.centre(f.id) {
            city.check_near(&format!("`{}`", f.name), centre)
                .map_err(|e| RunError::bad_input(file, e))?;
        }
    }
    Ok(fences)
}

fn geometry_kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry",
    }
}

/// The plan's fences as the GeoPackage layer `fences` (fence, name, site, capacity, area_m2,
/// monitored, source_id), to review in QGIS; an earlier file at `path` is replaced.
pub fn write_plan_gpkg(path: &Path, crs_wkt: &str, plan: &FencePlan) -> Result<()> {
    let mut gpkg = GpkgWriter::create(path, crs_wkt)?;
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
    Ok(())
}
