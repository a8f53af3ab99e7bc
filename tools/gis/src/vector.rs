//! Reading any vector layer GDAL opens: attributes kept, geometry validated (repaired where
//! safe, else skipped with a reason), reprojected into the city CRS.

use crate::crs::Reprojector;
use crate::error::{GdalContext, GisError, Result};
use citytwin_city::bundle::FeatureIssue;
use citytwin_city::{AttrValue, FieldDef, FieldKind};
use gdal::cpl::CslStringList;
use gdal::vector::{FieldValue, LayerAccess, OGRFieldType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use std::collections::BTreeMap;
use std::path::Path;

/// A feature as read: its source id, attributes and geometry already in the city CRS.
#[derive(Debug)]
pub struct CleanFeature {
    pub source_id: String,
    pub attrs: BTreeMap<String, AttrValue>,
    pub geometry: geo::Geometry<f64>,
}

/// Repairs and skips seen while reading, for the import report.
#[derive(Debug, Default)]
pub struct ReadIssues {
    pub skipped: Vec<FeatureIssue>,
    pub repaired: Vec<FeatureIssue>,
}

/// Opens a vector dataset read-only, with driver open options.
pub fn open_vector(path: &Path, open_options: &[&str]) -> Result<Dataset> {
    if !path.exists() {
        return Err(GisError::NotFound {
            path: path.to_path_buf(),
        });
    }
    if std::fs::metadata(path)
        .map(|m| m.is_file() && m.len() == 0)
        .unwrap_or(false)
    {
        return Err(GisError::Empty {
            path: path.to_path_buf(),
        });
    }
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: (!open_options.is_empty()).then_some(open_options),
            ..Default::default()
        },
    )
    .map_err(|_| GisError::UnknownFormat {
        path: path.to_path_buf(),
    })
}

/// The layer's CRS as a string PROJ accepts (`EPSG:xxxx` where GDAL can tell, else WKT).
pub fn layer_crs(layer: &gdal::vector::Layer) -> Option<String> {
    let srs = layer.spatial_ref()?;
    if let (Some(auth), Ok(code)) = (srs.auth_name(), srs.auth_code()) {
        return Some(format!("{auth}:{code}"));
    }
    srs.to_wkt().ok()
}

/// The schema of a GDAL layer in our field kinds.
pub fn schema(layer: &gdal::vector::Layer) -> Vec<FieldDef> {
    layer
        .defn()
        .fields()
        .map(|f| FieldDef {
            name: f.name(),
            kind: match f.field_type() {
                OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => FieldKind::Int,
                OGRFieldType::OFTReal => FieldKind::Real,
                _ => FieldKind::Text,
            },
        })
        .collect()
}

fn attr_value(value: FieldValue) -> AttrValue {
    match value {
        FieldValue::IntegerValue(v) => AttrValue::Int(i64::from(v)),
        FieldValue::Integer64Value(v) => AttrValue::Int(v),
        FieldValue::RealValue(v) => AttrValue::Real(v),
        FieldValue::StringValue(v) => AttrValue::Text(v),
        FieldValue::DateValue(d) => AttrValue::Text(d.to_string()),
        FieldValue::DateTimeValue(d) => AttrValue::Text(d.to_string()),
        FieldValue::IntegerListValue(v) => AttrValue::Text(format!("{v:?}")),
        FieldValue::Integer64ListValue(v) => AttrValue::Text(format!("{v:?}")),
        FieldValue::RealListValue(v) => AttrValue::Text(format!("{v:?}")),
        FieldValue::StringListValue(v) => AttrValue::Text(v.join(";")),
    }
}

/// Validates a GDAL geometry: `Ok((geometry, repaired?))` or the reason it must be skipped.
fn clean_geometry(
    g: &gdal::vector::Geometry,
) -> std::result::Result<(geo::Geometry<f64>, bool), String> {
    if g.is_empty() {
        return Err("empty geometry".into());
    }
    let (g, repaired) = if g.is_valid() {
        (g.clone(), false)
    } else {
        let fixed = g
            .make_valid(&CslStringList::new())
            .map_err(|e| format!("invalid geometry that make_valid could not repair ({e})"))?;
        let same_dimension = dimension(&fixed) == dimension(g);
        if fixed.is_empty() || !same_dimension {
            return Err(format!(
                "invalid {} geometry; repair would turn it into {}",
                g.geometry_name(),
                fixed.geometry_name()
            ));
        }
        (fixed, true)
    };
    let geo: geo::Geometry<f64> = (&g)
        .try_into()
        .map_err(|e| format!("unsupported {} geometry ({e})", g.geometry_name()))?;
    Ok((geo, repaired))
}

/// Topological dimension: 0 points, 1 lines, 2 areas (mixed collections: their highest).
fn dimension(g: &gdal::vector::Geometry) -> i32 {
    use gdal_sys::OGRwkbGeometryType as W;
    let ty = gdal::vector::geometry_type_flatten(g.geometry_type());
    if ty == W::wkbPoint || ty == W::wkbMultiPoint {
        0
    } else if ty == W::wkbLineString || ty == W::wkbMultiLineString {
        1
    } else if ty == W::wkbPolygon || ty == W::wkbMultiPolygon {
        2
    } else {
        (0..g.geometry_count())
            .map(|i| dimension(&g.get_geometry(i)))
            .max()
            .unwrap_or(0)
    }
}

/// Names a feature in reports from its attributes and GDAL feature id (FID).
pub type SourceIdFn = dyn Fn(&BTreeMap<String, AttrValue>, Option<u64>) -> String;

/// Reads every feature of a layer through validation and reprojection. `keep` sees each
/// feature's attributes first, so filtered-out features cost no geometry work.
pub fn read_features(
    path: &Path,
    layer: &mut gdal::vector::Layer,
    reader: &Reprojector,
    report_as: &str,
    source_id: &SourceIdFn,
    mut keep: impl FnMut(&BTreeMap<String, AttrValue>) -> bool,
    issues: &mut ReadIssues,
) -> Result<Vec<CleanFeature>> {
    let mut out = Vec::new();
    for feature in layer.features() {
        let attrs: BTreeMap<String, AttrValue> = feature
            .fields()
            .filter_map(|(name, value)| Some((name, attr_value(value?))))
            // GDAL reports unset string fields of some drivers (OSM) as empty strings
            .filter(|(_, value)| value.as_text() != Some(""))
            .collect();
        if !keep(&attrs) {
            continue;
        }
        let source_id = source_id(&attrs, feature.fid());
        let issue = |reason: String| FeatureIssue {
            layer: report_as.to_string(),
            feature: source_id.clone(),
            reason,
        };
        let Some(geometry) = feature.geometry() else {
            issues.skipped.push(issue("no geometry".into()));
            continue;
        };
        match clean_geometry(geometry) {
            Ok((geometry, repaired)) => {
                if repaired {
                    issues
                        .repaired
                        .push(issue("invalid geometry repaired with make_valid".into()));
                }
                out.push(CleanFeature {
                    source_id,
                    attrs,
                    geometry: reader.geometry(&geometry, path)?,
                });
            }
            Err(reason) => issues.skipped.push(issue(reason)),
        }
    }
    Ok(out)
}

/// The id of a feature in a non-OSM source: its FID.
pub fn fid_id(_: &BTreeMap<String, AttrValue>, fid: Option<u64>) -> String {
    fid.map_or_else(|| "?".to_string(), |f| f.to_string())
}

/// The id of an OSM feature read by GDAL: `n…` nodes, `w…` ways, `r…` relations.
pub fn osm_id(attrs: &BTreeMap<String, AttrValue>, fid: Option<u64>, node_or_way: char) -> String {
    match (attrs.get("osm_id"), attrs.get("osm_way_id")) {
        (Some(id), _) if node_or_way == 'a' => format!("r{id}"),
        (_, Some(id)) => format!("w{id}"),
        (Some(id), _) => format!("{node_or_way}{id}"),
        _ => format!("fid{}", fid.unwrap_or_default()),
    }
}

/// Opens a user layer file and reads its first (or only) layer.
pub fn read_user_layer(
    path: &Path,
    name: &str,
    assume_crs: Option<&str>,
    city_crs: &str,
    issues: &mut ReadIssues,
) -> Result<(citytwin_city::Layer, String, String)> {
    let dataset = open_vector(path, &[])?;
    let format = dataset.driver().short_name();
    let mut layer = dataset.layer(0).at(path, "reading its first layer")?;
    let layer_name = layer.name();
    let source_crs = match (layer_crs(&layer), assume_crs) {
        (Some(crs), _) => crs,
        (None, Some(crs)) => crs.to_string(),
        (None, None) => {
            return Err(GisError::NoCrs {
                path: path.to_path_buf(),
                layer: layer_name,
            });
        }
    };
    let reader = Reprojector::new(&source_crs, city_crs)?;
    let fields = schema(&layer);
    let features = read_features(path, &mut layer, &reader, name, &fid_id, |_| true, issues)?;
    if features.is_empty() {
        return Err(GisError::EmptyLayer {
            path: path.to_path_buf(),
            layer: layer_name,
        });
    }
    let mut out = citytwin_city::Layer::new(name, fields);
    out.features = features
        .into_iter()
        .map(|f| citytwin_city::Feature {
            source_id: f.source_id,
            geometry: f.geometry,
            attrs: f.attrs,
        })
        .collect();
    Ok((out, format, source_crs))
}
