//! `citytwin import`: OSM + extra layers → a city bundle.

use crate::crs::{Reprojector, city_crs, utm_epsg};
use crate::districts::build_districts;
use crate::error::{GisError, Result};
use crate::osm::{self, OsmData};
use crate::osm_layers::read_osm_layers;
use crate::vector::{ReadIssues, read_user_layer};
use citytwin_city::bundle::{CityMeta, ImportReport, SourceInfo};
use citytwin_city::grid::Grid;
use citytwin_city::layer::{Layer, names, union_rect};
use citytwin_city::roads::build::{
    BuildOptions, RawNode, RawWay, RoadBuildError, build_road_network,
};
use citytwin_city::spatial::LayerIndex;
use citytwin_city::{CityBundle, DistrictId};
use geo::{Coord, Rect};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

const WGS84: &str = "EPSG:4326";

/// Everything an import needs to know.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub name: String,
    pub osm: PathBuf,
    /// Extra layers: (name, file).
    pub layers: Vec<(String, PathBuf)>,
    /// Target CRS; the local UTM zone when `None`.
    pub crs: Option<String>,
    /// CRS for extra layers that declare none.
    pub assume_crs: Option<String>,
    pub grid_size_m: f64,
    pub grid_prefix: String,
    pub district_admin_level: u8,
    pub roads: BuildOptions,
    pub attribution: Vec<String>,
}

/// The steps of an import, for progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    ReadOsm,
    Roads,
    OsmLayers,
    Districts,
    UserLayer(String),
    Grid,
}

impl Stage {
    /// How many stages an import with `user_layers` extra layers goes through.
    pub fn count(user_layers: usize) -> u64 {
        5 + user_layers as u64
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::ReadOsm => f.write_str("reading OSM"),
            Stage::Roads => f.write_str("building the road graph"),
            Stage::OsmLayers => f.write_str("reading POIs, buildings, land use, water (GDAL)"),
            Stage::Districts => f.write_str("building districts"),
            Stage::UserLayer(name) => write!(f, "reading layer `{name}`"),
            Stage::Grid => f.write_str("generating grid cells"),
        }
    }
}

fn osm_centre(osm: &OsmData) -> Coord<f64> {
    if let Some(b) = osm.bounds {
        return b.center();
    }
    let n = osm.nodes.len() as f64;
    let (sx, sy) = osm
        .nodes
        .values()
        .fold((0.0, 0.0), |(x, y), p| (x + p.lon, y + p.lat));
    Coord {
        x: sx / n,
        y: sy / n,
    }
}

/// Runs the whole import. `progress` hears of each stage as it starts.
pub fn import(options: &ImportOptions, progress: &mut dyn FnMut(Stage)) -> Result<CityBundle> {
    crate::route_gdal_messages();
    let path = &options.osm;
    check_options(options)?;

    progress(Stage::ReadOsm);
    let osm = osm::read(path)?;
    let centre = osm_centre(&osm);
    let crs_id = options
        .crs
        .clone()
        .unwrap_or_else(|| format!("EPSG:{}", utm_epsg(centre.x, centre.y)));
    let crs = city_crs(&crs_id)?;
    let to_city = Reprojector::new(WGS84, &crs_id)?;

    progress(Stage::Roads);
    let (raw_nodes, raw_ways) = raw_roads(&osm, &to_city, path)?;
    let bounds = match osm.bounds {
        Some(b) => Some(to_city.rect(b).map_err(|reason| GisError::Reproject {
            path: path.clone(),
            from: WGS84.into(),
            x: b.min().x,
            y: b.min().y,
            reason,
        })?),
        None => None,
    };
    let road_options = BuildOptions {
        extent: bounds.or(options.roads.extent),
        ..options.roads
    };
    let (roads, road_report) = build_road_network(&raw_ways, &raw_nodes, &road_options).map_err(
        |RoadBuildError::NoRoads { .. }| GisError::NoRoads {
            path: path.clone(),
            reason: format!(
                "{} ways read, none with a routable highway=* tag (expected a road layer)",
                osm.ways_in_file
            ),
        },
    )?;

    progress(Stage::OsmLayers);
    let mut issues = ReadIssues::default();
    let mut layers = read_osm_layers(path, &to_city, &mut issues)?;

    // without OSM bounds, the roads' own extent: complete multipolygons (a district's
    // boundary, a park) reach far beyond what the extract is about
    let data_extent = roads
        .nodes
        .iter()
        .map(|n| Rect::new(n.point.0, n.point.0))
        .reduce(union_rect)
        .expect("a city with roads has an extent");
    let extent = bounds.unwrap_or(data_extent);

    progress(Stage::Districts);
    let (districts, districts_clipped) =
        build_districts(&osm, options.district_admin_level, extent, &to_city)?;
    layers.push(districts);

    let sources = user_layers(options, &crs_id, extent, &mut layers, &mut issues, progress)?;

    progress(Stage::Grid);
    let grid = unit_grid(extent, options, &layers)?;

    let back = Reprojector::new(&crs_id, WGS84)?;
    let extent_lonlat = back.rect(extent).map_err(|reason| GisError::BadCrs {
        crs: crs_id.clone(),
        reason,
    })?;
    Ok(CityBundle {
        meta: CityMeta {
            name: options.name.clone(),
            crs,
            extent,
            extent_lonlat,
            sources,
            attribution: attribution(&options.attribution),
            written_by: format!("citytwin {}", env!("CARGO_PKG_VERSION")),
        },
        layers,
        roads,
        grid,
        report: ImportReport {
            skipped: issues.skipped,
            repaired: issues.repaired,
            roads: road_report,
            districts_clipped,
        },
    })
}

/// Options refused before anything is read: settings out of range, a user layer
/// named like a built-in one or like another.
fn check_options(options: &ImportOptions) -> Result<()> {
    options.check_settings()?;
    for (name, _) in &options.layers {
        if names::OSM_LAYERS.contains(&name.as_str())
            || options.layers.iter().filter(|(n, _)| n == name).count() > 1
        {
            return Err(GisError::BadLayerSpec {
                spec: name.clone(),
                reason: format!(
                    "layer name `{name}` is already taken (built-in layers: {})",
                    names::OSM_LAYERS.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The scene's own vector layers, read into the city's CRS beside the OSM ones; every
/// layer's source, the extract first.
fn user_layers(
    options: &ImportOptions,
    crs_id: &str,
    extent: Rect<f64>,
    layers: &mut Vec<Layer>,
    issues: &mut ReadIssues,
    progress: &mut dyn FnMut(Stage),
) -> Result<Vec<SourceInfo>> {
    let path = &options.osm;
    let mut sources = vec![SourceInfo {
        layer: "osm".into(),
        path: path.display().to_string(),
        format: match osm::OsmFormat::of(path) {
            Some(osm::OsmFormat::Pbf) => "OSM PBF".into(),
            _ => "OSM XML".into(),
        },
        source_crs: WGS84.into(),
    }];
    for (name, file) in &options.layers {
        progress(Stage::UserLayer(name.clone()));
        let (layer, format, source_crs) =
            read_user_layer(file, name, options.assume_crs.as_deref(), crs_id, issues)?;
        check_layer_near(&layer, extent, file, &source_crs)?;
        sources.push(SourceInfo {
            layer: name.clone(),
            path: file.display().to_string(),
            format,
            source_crs,
        });
        layers.push(layer);
    }

    Ok(sources)
}

/// The road-tagged ways of the extract and their nodes, projected into the city's CRS.
fn raw_roads(
    osm: &OsmData,
    to_city: &Reprojector,
    path: &Path,
) -> Result<(HashMap<i64, RawNode>, Vec<RawWay>)> {
    let mut raw_nodes: HashMap<i64, RawNode> = HashMap::new();
    let mut raw_ways = Vec::new();
    for way in osm.ways.iter().filter(|w| w.tags.contains_key("highway")) {
        for id in &way.nodes {
            if raw_nodes.contains_key(id) {
                continue;
            }
            if let Some(n) = osm.nodes.get(id) {
                let coord = to_city
                    .coord(Coord { x: n.lon, y: n.lat })
                    .map_err(|reason| GisError::Reproject {
                        path: path.to_path_buf(),
                        from: WGS84.into(),
                        x: n.lon,
                        y: n.lat,
                        reason,
                    })?;
                raw_nodes.insert(
                    *id,
                    RawNode {
                        coord,
                        signals: n.signals,
                    },
                );
            }
        }
        raw_ways.push(RawWay {
            osm_id: way.id,
            nodes: way.nodes.clone(),
            tags: way.tags.clone(),
        });
    }
    Ok((raw_nodes, raw_ways))
}

/// The unit grid cells over `extent`, each with the district its centre lies in.
fn unit_grid(extent: Rect<f64>, options: &ImportOptions, layers: &[Layer]) -> Result<Grid> {
    Grid::check_size(extent, options.grid_size_m).map_err(|reason| GisError::Grid {
        size_m: options.grid_size_m,
        width_km: extent.width() / 1000.0,
        height_km: extent.height() / 1000.0,
        reason,
    })?;
    let mut grid = Grid::covering(extent, options.grid_size_m, &options.grid_prefix);
    let district_index = LayerIndex::new(
        layers
            .iter()
            .find(|l| l.name == names::DISTRICTS)
            .expect("the districts layer is built before the grid"),
    );
    let cells: Vec<_> = grid.cells().collect();
    for cell in cells {
        let district = district_index
            .containing(grid.centre(cell))
            .first()
            .map(|f| DistrictId(f.0));
        grid.set_district(cell, district);
    }

    Ok(grid)
}

/// OpenStreetMap's credit first, then the scene's own (without repeating it).
fn attribution(extra: &[String]) -> Vec<String> {
    let mut attribution = vec!["© OpenStreetMap contributors, ODbL 1.0".to_string()];
    attribution.extend(
        extra
            .iter()
            .filter(|a| !attribution.contains(a))
            .cloned()
            .collect::<Vec<_>>(),
    );
    attribution
}

/// Every feature of a user layer must lie in or near the city: a layer whose declared CRS is
/// wrong lands thousands of kilometres away, and used to be taken without a word.
fn check_layer_near(
    layer: &citytwin_city::Layer,
    extent: geo::Rect<f64>,
    path: &std::path::Path,
    crs: &str,
) -> Result<()> {
    use geo::BoundingRect;
    for f in &layer.features {
        let Some(b) = f.geometry.bounding_rect() else {
            continue;
        };
        // the feature's point nearest the extent: the extent's centre, clamped into its box
        let c = extent.center();
        let nearest = geo::Point::new(
            c.x.clamp(b.min().x, b.max().x),
            c.y.clamp(b.min().y, b.max().y),
        );
        if let Err(reason) = citytwin_city::city::check_near(extent, "it", nearest) {
            return Err(GisError::FarAway {
                path: path.to_path_buf(),
                layer: layer.name.clone(),
                feature: f.source_id.clone(),
                crs: crs.to_string(),
                reason,
            });
        }
    }
    Ok(())
}
