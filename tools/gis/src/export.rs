//! `citytwin export`: every layer, the road graph and the grid as one GeoPackage for QGIS.

use crate::error::{GdalContext, Result};
use citytwin_city::roads::RoadNetwork;
use citytwin_city::{AttrValue, CityBundle, FieldKind, Layer};
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{Feature, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal};
use gdal::{Dataset, DriverManager};
use geo::Geometry;
use std::collections::BTreeMap;
use std::path::Path;

/// A value for one exported field. Text written to an `OFTDateTime` field is parsed by GDAL
/// (`YYYY-MM-DDTHH:MM:SS`).
#[derive(Debug)]
pub enum Value<'a> {
    Int(i64),
    Real(f64),
    Text(&'a str),
    /// Text made for its row (a row built on one thread and written on another).
    OwnedText(String),
    Null,
}

pub use gdal::vector::OGRFieldType as FieldType;
pub use gdal::vector::OGRwkbGeometryType as GeometryType;

/// What was written, per layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub layers: Vec<(String, usize)>,
}

fn ogr_type(kind: FieldKind) -> OGRFieldType::Type {
    match kind {
        FieldKind::Int => OGRFieldType::OFTInteger64,
        FieldKind::Real => OGRFieldType::OFTReal,
        FieldKind::Text => OGRFieldType::OFTString,
    }
}

/// The most specific geometry type all features share (`wkbUnknown` when they differ).
fn geometry_type<'a>(geoms: impl Iterator<Item = &'a Geometry<f64>>) -> OGRwkbGeometryType::Type {
    use OGRwkbGeometryType::*;
    let mut ty = None;
    for g in geoms {
        let t = match g {
            Geometry::Point(_) => wkbPoint,
            Geometry::LineString(_) | Geometry::Line(_) => wkbLineString,
            Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => wkbPolygon,
            Geometry::MultiPoint(_) => wkbMultiPoint,
            Geometry::MultiLineString(_) => wkbMultiLineString,
            Geometry::MultiPolygon(_) => wkbMultiPolygon,
            Geometry::GeometryCollection(_) => wkbGeometryCollection,
        };
        ty = match ty {
            None => Some(t),
            Some(prev) if prev == t => Some(t),
            // single and multi parts of one kind share the multi type
            Some(prev) if multi(prev).is_some() && multi(prev) == multi(t) => multi(t),
            _ => return wkbUnknown,
        };
    }
    ty.unwrap_or(wkbUnknown)
}

/// The multi type of a point, line or polygon type.
fn multi(t: OGRwkbGeometryType::Type) -> Option<OGRwkbGeometryType::Type> {
    use OGRwkbGeometryType::*;
    [
        (wkbPoint, wkbMultiPoint),
        (wkbLineString, wkbMultiLineString),
        (wkbPolygon, wkbMultiPolygon),
    ]
    .into_iter()
    .find(|(single, many)| t == *single || t == *many)
    .map(|(_, many)| many)
}

/// Wraps a single part in its multi type where the layer is a multi layer.
fn promote(g: &Geometry<f64>, ty: OGRwkbGeometryType::Type) -> Geometry<f64> {
    use OGRwkbGeometryType::*;
    match (g, ty) {
        (Geometry::Polygon(p), t) if t == wkbMultiPolygon => {
            Geometry::MultiPolygon(vec![p.clone()].into())
        }
        (Geometry::LineString(l), t) if t == wkbMultiLineString => {
            Geometry::MultiLineString(geo::MultiLineString::new(vec![l.clone()]))
        }
        (Geometry::Point(p), t) if t == wkbMultiPoint => Geometry::MultiPoint(vec![*p].into()),
        _ => g.clone(),
    }
}

/// A GeoPackage being written: built beside its final path and renamed into place by
/// [`GpkgWriter::finish`], so a reader never sees half a file.
pub struct GpkgWriter {
    dataset: Dataset,
    srs: SpatialRef,
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
}

impl std::fmt::Debug for GpkgWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpkgWriter")
            .field("path", &self.path)
            .finish()
    }
}

impl GpkgWriter {
    /// Starts a GeoPackage at `path` (replaced when finished) in the CRS given as WKT.
    pub fn create(path: &Path, crs_wkt: &str) -> Result<GpkgWriter> {
        // GDAL would write a GeoPackage under any name; QGIS and ogr2ogr go by the extension
        if path.extension().and_then(|e| e.to_str()) != Some("gpkg") {
            return Err(crate::GisError::NotGpkg {
                path: path.to_path_buf(),
            });
        }
        crate::route_gdal_messages();
        let tmp = path.with_extension("partial.gpkg");
        let _ = std::fs::remove_file(&tmp);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| crate::GisError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let driver =
            DriverManager::get_driver_by_name("GPKG").at(path, "loading the GeoPackage driver")?;
        let page_cache = ThreadConfig::page_cache();
        let dataset = driver
            .create_vector_only(&tmp)
            .at(path, "creating the GeoPackage")?;
        drop(page_cache);
        let mut srs = SpatialRef::from_wkt(crs_wkt).at(path, "reading the city CRS")?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        Ok(GpkgWriter {
            dataset,
            srs,
            path: path.to_path_buf(),
            tmp,
        })
    }

    /// Closes the file and moves it into place.
    pub fn finish(self) -> Result<()> {
        let path = self.path;
        self.dataset.close().at(&path, "closing the GeoPackage")?;
        std::fs::rename(&self.tmp, &path).map_err(|source| crate::GisError::Io {
            path: path.clone(),
            source,
        })
    }

    /// Writes one layer in one transaction.
    pub fn layer<'g, I>(
        &mut self,
        name: &str,
        fields: &[(&str, OGRFieldType::Type)],
        ty: OGRwkbGeometryType::Type,
        rows: I,
    ) -> Result<usize>
    where
        I: Iterator<Item = (Geometry<f64>, Vec<Value<'g>>)>,
    {
        let path = self.path.as_path();
        let what = format!("writing layer `{name}`");
        let _index_after_rows = ThreadConfig::index_after_rows();
        let mut txn = self.dataset.start_transaction().at(path, &what)?;
        let mut count = 0;
        {
            let layer = txn
                .create_layer(LayerOptions {
                    name,
                    srs: Some(&self.srs),
                    ty,
                    options: Some(&["SPATIAL_INDEX=YES"]),
                })
                .at(path, &what)?;
            layer.create_defn_fields(fields).at(path, &what)?;
            for (geometry, values) in rows {
                let mut feature = Feature::new(layer.defn()).at(path, &what)?;
                feature
                    .set_geometry(geometry.to_gdal().at(path, &what)?)
                    .at(path, &what)?;
                for (i, value) in values.iter().enumerate() {
                    match value {
                        Value::Int(v) => feature.set_field_integer64(i, *v),
                        Value::Real(v) => feature.set_field_double(i, *v),
                        Value::Text(v) => feature.set_field_string(i, v),
                        Value::OwnedText(v) => feature.set_field_string(i, v),
                        Value::Null => feature.set_field_null(i),
                    }
                    .at(path, &what)?;
                }
                feature.create(&layer).at(path, &what)?;
                count += 1;
            }
        }
        txn.commit().at(path, &what)?;
        Ok(count)
    }

    /// Writes a bundle layer; one of mixed geometry kinds (OSM `water` holds lakes and
    /// rivers, `buildings` the odd node) is split, one GeoPackage layer per kind, because
    /// QGIS and most tools take a layer of "Unknown" geometry badly: the largest kind keeps
    /// the name, the others get `_points`, `_lines`, `_polygons` or `_collections`.
    /// Returns each written layer's name and feature count.
    fn feature_layer(&mut self, layer: &Layer) -> Result<Vec<(String, usize)>> {
        let mut fields: Vec<(&str, OGRFieldType::Type)> =
            vec![("source_id", OGRFieldType::OFTString)];
        fields.extend(
            layer
                .fields
                .iter()
                .map(|f| (f.name.as_str(), ogr_type(f.kind))),
        );
        let mut by_kind: BTreeMap<GeometryKind, Vec<&citytwin_city::Feature>> = BTreeMap::new();
        for f in &layer.features {
            by_kind.entry(kind(&f.geometry)).or_default().push(f);
        }
        let largest = by_kind
            .iter()
            .max_by_key(|(k, features)| (features.len(), std::cmp::Reverse(**k)))
            .map(|(k, _)| *k);
        let mut written = Vec::new();
        for (k, features) in &by_kind {
            let name = if Some(*k) == largest {
                layer.name.clone()
            } else {
                format!("{}_{}", layer.name, k.suffix())
            };
            let ty = geometry_type(features.iter().map(|f| &f.geometry));
            let rows = features.iter().map(|f| {
                let mut values = vec![Value::Text(f.source_id.as_str())];
                values.extend(layer.fields.iter().map(|def| match f.attrs.get(&def.name) {
                    Some(AttrValue::Int(v)) => Value::Int(*v),
                    Some(AttrValue::Real(v)) => Value::Real(*v),
                    Some(AttrValue::Text(v)) => Value::Text(v.as_str()),
                    None => Value::Null,
                }));
                (promote(&f.geometry, ty), values)
            });
            let n = self.layer(&name, &fields, ty, rows)?;
            written.push((name, n));
        }
        if by_kind.is_empty() {
            let none = std::iter::empty::<(Geometry<f64>, Vec<Value>)>();
            let n = self.layer(&layer.name, &fields, OGRwkbGeometryType::wkbUnknown, none)?;
            written.push((layer.name.clone(), n));
        }
        Ok(written)
    }
}

/// A GDAL configuration option set on this thread while the guard lives: other threads'
/// writes keep their own setting, and the previous value comes back when it is dropped.
struct ThreadConfig {
    key: &'static str,
    previous: Option<String>,
}

impl ThreadConfig {
    fn set(key: &'static str, value: &str) -> ThreadConfig {
        let previous = gdal::config::get_thread_local_config_option(key, "")
            .ok()
            .filter(|v| !v.is_empty());
        let _ = gdal::config::set_thread_local_config_option(key, value);
        ThreadConfig { key, previous }
    }

    /// GeoPackage layers written on this thread get their spatial index built after their
    /// rows, in SQL, instead of by GDAL's background R-tree thread (its default since 3.6),
    /// which keeps a second copy of the index and competes with the writer: a Chengdu day's
    /// traffic.gpkg (400,000 features) took 5.5 s instead of 8 s on two cores, and the file
    /// holds the same index.
    fn index_after_rows() -> ThreadConfig {
        ThreadConfig::set("OGR_GPKG_ALLOW_THREADED_RTREE", "NO")
    }

    /// A GeoPackage created on this thread gets a page cache of [`PAGE_CACHE_MB`] instead of
    /// SQLite's 2 MB, unless the user set `OGR_SQLITE_CACHE`: building a 400,000-row layer's
    /// spatial index pages the table in and out of a small cache through the kernel (a
    /// Chengdu day: ~0.5 s less end to end, ~44 MB more memory; docs/benchmarks.md).
    fn page_cache() -> Option<ThreadConfig> {
        const KEY: &str = "OGR_SQLITE_CACHE";
        let users = gdal::config::get_config_option(KEY, "").unwrap_or_default();
        users
            .is_empty()
            .then(|| ThreadConfig::set(KEY, &PAGE_CACHE_MB.to_string()))
    }
}

impl Drop for ThreadConfig {
    fn drop(&mut self) {
        let _ = match &self.previous {
            Some(v) => gdal::config::set_thread_local_config_option(self.key, v),
            None => gdal::config::clear_thread_local_config_option(self.key),
        };
    }
}

/// SQLite's page cache for a GeoPackage being written, MB ([`ThreadConfig::page_cache`]).
const PAGE_CACHE_MB: u32 = 32;

/// What a geometry is, whatever its parts: GeoPackage layers hold one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum GeometryKind {
    Polygons,
    Lines,
    Points,
    Collections,
}

impl GeometryKind {
    fn suffix(self) -> &'static str {
        match self {
            GeometryKind::Polygons => "polygons",
            GeometryKind::Lines => "lines",
            GeometryKind::Points => "points",
            GeometryKind::Collections => "collections",
        }
    }
}

fn kind(g: &Geometry<f64>) -> GeometryKind {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => GeometryKind::Points,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
            GeometryKind::Lines
        }
        Geometry::Polygon(_)
        | Geometry::MultiPolygon(_)
        | Geometry::Rect(_)
        | Geometry::Triangle(_) => GeometryKind::Polygons,
        Geometry::GeometryCollection(_) => GeometryKind::Collections,
    }
}

/// Writes the GeoPackage next to `path` and renames it into place when complete.
pub fn export_gpkg(
    bundle: &CityBundle,
    path: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<ExportSummary> {
    let mut writer = GpkgWriter::create(path, &bundle.meta.crs.wkt)?;
    let mut summary = ExportSummary { layers: Vec::new() };
    for layer in &bundle.layers {
        progress(&layer.name);
        summary.layers.extend(writer.feature_layer(layer)?);
    }
    progress("road_nodes");
    let n = road_nodes(&mut writer, &bundle.roads)?;
    summary.layers.push(("road_nodes".into(), n));
    progress("road_links");
    let n = road_links(&mut writer, &bundle.roads)?;
    summary.layers.push(("road_links".into(), n));
    progress("grid_cells");
    let n = grid_cells(&mut writer, bundle)?;
    summary.layers.push(("grid_cells".into(), n));
    writer.finish()?;
    Ok(summary)
}

fn road_nodes(writer: &mut GpkgWriter, roads: &RoadNetwork) -> Result<usize> {
    use OGRFieldType::*;
    let nodes = roads.node_ids().map(|id| {
        let n = roads.node(id);
        (
            Geometry::Point(n.point),
            vec![
                Value::Int(i64::from(id.0)),
                Value::Int(n.osm_id),
                Value::Int(i64::from(n.junction.0)),
                Value::Int(i64::from(n.signals)),
                Value::Int(i64::from(n.level)),
            ],
        )
    });
    let fields = [
        ("id", OFTInteger64),
        ("osm_id", OFTInteger64),
        ("junction", OFTInteger64),
        ("signals", OFTInteger),
        ("level", OFTInteger),
    ];
    writer.layer("road_nodes", &fields, OGRwkbGeometryType::wkbPoint, nodes)
}

fn road_links(writer: &mut GpkgWriter, roads: &RoadNetwork) -> Result<usize> {
    use OGRFieldType::*;
    let modes: Vec<String> = roads.links.iter().map(|l| l.modes.describe()).collect();
    let links = roads.link_ids().map(|id| {
        let l = roads.link(id);
        (
            Geometry::LineString(l.geometry.clone()),
            vec![
                Value::Int(i64::from(id.0)),
                Value::Int(l.osm_way_id),
                Value::Int(i64::from(l.from.0)),
                Value::Int(i64::from(l.to.0)),
                Value::Text(l.class.as_osm()),
                l.name.as_deref().map_or(Value::Null, Value::Text),
                Value::Int(i64::from(l.lanes)),
                Value::Real(f64::from(l.speed_kmh)),
                Value::Real(f64::from(l.capacity_vph)),
                Value::Text(modes[id.index()].as_str()),
                Value::Int(i64::from(l.oneway)),
                Value::Int(i64::from(l.internal)),
                Value::Real(l.length_m),
            ],
        )
    });
    let fields = [
        ("id", OFTInteger64),
        ("osm_way_id", OFTInteger64),
        ("from_node", OFTInteger64),
        ("to_node", OFTInteger64),
        ("class", OFTString),
        ("name", OFTString),
        ("lanes", OFTInteger),
        ("speed_kmh", OFTReal),
        ("capacity_vph", OFTReal),
        ("modes", OFTString),
        ("oneway", OFTInteger),
        ("internal", OFTInteger),
        ("length_m", OFTReal),
    ];
    let kind = OGRwkbGeometryType::wkbLineString;
    writer.layer("road_links", &fields, kind, links)
}

fn grid_cells(writer: &mut GpkgWriter, bundle: &CityBundle) -> Result<usize> {
    use OGRFieldType::*;
    let grid = &bundle.grid;
    let district_names = bundle.district_names();
    let codes: Vec<String> = grid.cells().map(|c| grid.code(c)).collect();
    let cells = grid.cells().zip(&codes).map(|(c, code)| {
        (
            Geometry::Polygon(grid.polygon(c)),
            vec![
                Value::Text(code.as_str()),
                Value::Int(i64::from(c.row)),
                Value::Int(i64::from(c.col)),
                grid.district(c).map_or(Value::Null, |d| {
                    Value::Text(district_names[d.index()].as_str())
                }),
            ],
        )
    });
    let fields = [
        ("code", OFTString),
        ("row", OFTInteger),
        ("col", OFTInteger),
        ("district", OFTString),
    ];
    writer.layer("grid_cells", &fields, OGRwkbGeometryType::wkbPolygon, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_geopackage_needs_its_extension() {
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("layer.shp");
        let e = GpkgWriter::create(&path, "EPSG:32648").err().unwrap();
        assert!(matches!(e, crate::GisError::NotGpkg { .. }), "{e}");
        assert!(
            e.to_string()
                .ends_with(".shp: expected a .gpkg file name for the GeoPackage")
        );
        assert!(!path.exists());
    }

    /// SQLite's page cache of a writer's connection, in KiB.
    fn cache_kib(writer: &GpkgWriter) -> i64 {
        let mut pages = writer
            .dataset
            .execute_sql(
                "PRAGMA cache_size",
                None,
                gdal::vector::sql::Dialect::DEFAULT,
            )
            .unwrap()
            .unwrap();
        let row = pages.features().next().unwrap();
        let size = row.field_as_integer64(0).unwrap().unwrap();
        // SQLite: negative is KiB, positive is pages
        if size < 0 { -size } else { size * 4 }
    }

    #[test]
    fn a_geopackage_being_written_gets_its_page_cache_unless_the_user_set_one() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let utm = SpatialRef::from_epsg(32648).unwrap().to_wkt().unwrap();
        let ours = GpkgWriter::create(&dir.join("ours.gpkg"), &utm).unwrap();
        assert_eq!(cache_kib(&ours), i64::from(PAGE_CACHE_MB) * 1024);
        ours.finish().unwrap();
        // a process-wide setting (as `OGR_SQLITE_CACHE=8` in the environment) is left alone
        gdal::config::set_config_option("OGR_SQLITE_CACHE", "8").unwrap();
        let users = GpkgWriter::create(&dir.join("users.gpkg"), &utm);
        gdal::config::clear_config_option("OGR_SQLITE_CACHE").unwrap();
        let users = users.unwrap();
        assert_eq!(cache_kib(&users), 8 * 1024);
        users.finish().unwrap();
        // nothing lingers on this thread
        let left = gdal::config::get_thread_local_config_option("OGR_SQLITE_CACHE", "").unwrap();
        assert_eq!(left, "");
    }
}
