//! POIs, buildings, land use and water from OSM, read by GDAL's OSM driver (which assembles
//! multipolygon relations) with citytwin's `osmconf.ini`.

use crate::crs::Reprojector;
use crate::error::{GdalContext, GisError, Result};
use crate::vector::{CleanFeature, ReadIssues, open_vector, osm_id, read_features};
use citytwin_city::layer::names;
use citytwin_city::{AttrValue, Feature, FieldDef, FieldKind, Layer};
use std::collections::BTreeMap;
use std::path::Path;

const OSMCONF: &str = include_str!("../osmconf.ini");

/// The POI categories users ask for first; anything else with `amenity`/`shop`/... is `other`.
///
/// ```
/// use std::collections::BTreeMap;
/// let tag = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
/// assert_eq!(citytwin_gis::osm_layers::poi_category(&tag("highway", "bus_stop")), Some("bus_stop"));
/// assert_eq!(citytwin_gis::osm_layers::poi_category(&tag("amenity", "cafe")), Some("other"));
/// assert_eq!(citytwin_gis::osm_layers::poi_category(&tag("highway", "crossing")), None);
/// ```
pub fn poi_category(tags: &BTreeMap<String, String>) -> Option<&'static str> {
    let get = |k: &str| tags.get(k).map(String::as_str);
    Some(
        match (
            get("highway"),
            get("railway"),
            get("amenity"),
            get("public_transport"),
        ) {
            (Some("bus_stop"), _, _, _) => "bus_stop",
            (_, Some("subway_entrance"), _, _) => "subway_entrance",
            (_, Some("station" | "halt" | "tram_stop"), _, _) | (_, _, _, Some("station")) => {
                "station"
            }
            (_, _, Some("school" | "kindergarten" | "college" | "university"), _) => "school",
            (_, _, Some("hospital" | "clinic"), _) => "hospital",
            (_, _, Some("parking" | "parking_entrance"), _) => "parking",
            (_, _, Some("bicycle_parking" | "bicycle_rental"), _) => "bicycle_parking",
            _ if ["amenity", "shop", "tourism", "leisure", "healthcare"]
                .iter()
                .any(|k| tags.contains_key(*k)) =>
            {
                "other"
            }
            _ => return None,
        },
    )
}

fn text_map(attrs: &BTreeMap<String, AttrValue>) -> BTreeMap<String, String> {
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

/// Which polygon layer a multipolygon belongs to, with its class.
fn area_class(attrs: &BTreeMap<String, AttrValue>) -> Option<(&'static str, String)> {
    let get = |k: &str| attrs.get(k).and_then(AttrValue::as_text);
    if get("building").is_some_and(|b| b != "no") {
        return Some((
            names::BUILDINGS,
            get("building").unwrap_or("yes").to_string(),
        ));
    }
    if get("natural") == Some("water")
        || get("water").is_some()
        || get("waterway") == Some("riverbank")
        || matches!(get("landuse"), Some("reservoir" | "basin"))
    {
        return Some((
            names::WATER,
            get("water")
                .or(get("waterway"))
                .unwrap_or("water")
                .to_string(),
        ));
    }
    if let Some(landuse) = get("landuse") {
        return Some((names::LANDUSE, landuse.to_string()));
    }
    match (get("leisure"), get("natural")) {
        (Some(l @ ("park" | "garden" | "pitch" | "playground" | "stadium")), _) => {
            Some((names::LANDUSE, l.to_string()))
        }
        (_, Some(n @ ("wood" | "grassland" | "scrub" | "wetland"))) => {
            Some((names::LANDUSE, n.to_string()))
        }
        _ => None,
    }
}

fn field(name: &str, kind: FieldKind) -> FieldDef {
    FieldDef {
        name: name.to_string(),
        kind,
    }
}

fn to_feature(f: CleanFeature, class: String, keep: &[&str]) -> Feature {
    let mut attrs: BTreeMap<String, AttrValue> = f
        .attrs
        .into_iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .collect();
    attrs.insert("class".into(), AttrValue::Text(class));
    Feature {
        source_id: f.source_id,
        geometry: f.geometry,
        attrs,
    }
}

/// The OSM layers (without districts), each sorted by source id.
pub fn read_osm_layers(
    path: &Path,
    reader: &Reprojector,
    issues: &mut ReadIssues,
) -> Result<Vec<Layer>> {
    let conf = std::env::temp_dir().join(format!("citytwin-osmconf-{}.ini", std::process::id()));
    std::fs::write(&conf, OSMCONF).map_err(|source| GisError::Io {
        path: conf.clone(),
        source,
    })?;
    let option = format!("CONFIG_FILE={}", conf.display());
    let dataset = open_vector(path, &[option.as_str()]);
    let _ = std::fs::remove_file(&conf);
    let source = OsmSource {
        path,
        dataset: dataset?,
        reader,
    };
    let common = [
        field("osm_id", FieldKind::Text),
        field("name", FieldKind::Text),
        field("class", FieldKind::Text),
    ];
    let mut pois = Layer::new(names::POIS, common.to_vec());
    pois.fields.push(field("category", FieldKind::Text));
    let mut buildings = Layer::new(names::BUILDINGS, common.to_vec());
    buildings
        .fields
        .push(field("building:levels", FieldKind::Text));
    buildings.fields.push(field("height", FieldKind::Text));
    let mut landuse = Layer::new(names::LANDUSE, common.to_vec());
    let mut water = Layer::new(names::WATER, common.to_vec());
    pois.features = source.pois(issues)?;
    water.features = source.rivers(issues)?;
    for (layer, feature) in source.areas(issues)? {
        match layer {
            names::BUILDINGS => buildings.features.push(feature),
            names::WATER => water.features.push(feature),
            _ => landuse.features.push(feature),
        }
    }
    let mut layers = vec![buildings, landuse, water, pois];
    for layer in &mut layers {
        layer.features.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    }
    Ok(layers)
}

/// An OSM file opened by GDAL's OSM driver with our osmconf.ini.
struct OsmSource<'a> {
    path: &'a Path,
    dataset: gdal::Dataset,
    reader: &'a Reprojector,
}

impl OsmSource<'_> {
    /// The features of GDAL's OSM layer `gdal_layer` that `keep` keeps, reprojected and
    /// cleaned, their ids prefixed with `prefix` (n, w or a).
    fn read(
        &self,
        gdal_layer: &str,
        layer: &str,
        prefix: char,
        keep: impl Fn(&BTreeMap<String, AttrValue>) -> bool,
        issues: &mut ReadIssues,
    ) -> Result<Vec<CleanFeature>> {
        let mut source = self
            .dataset
            .layer_by_name(gdal_layer)
            .at(self.path, &format!("reading OSM {gdal_layer}"))?;
        read_features(
            self.path,
            &mut source,
            self.reader,
            layer,
            &move |a, f| osm_id(a, f, prefix),
            keep,
            issues,
        )
    }

    /// Points with a POI category, classed by their first telling tag.
    fn pois(&self, issues: &mut ReadIssues) -> Result<Vec<Feature>> {
        let keep = |a: &BTreeMap<String, AttrValue>| poi_category(&text_map(a)).is_some();
        let found = self.read("points", names::POIS, 'n', keep, issues)?;
        let keys = [
            "amenity",
            "shop",
            "railway",
            "highway",
            "public_transport",
            "tourism",
            "leisure",
            "healthcare",
        ];
        let pois = found.into_iter().map(|f| {
            let tags = text_map(&f.attrs);
            let category = poi_category(&tags).unwrap_or("other").to_string();
            let class = keys
                .iter()
                .find_map(|k| tags.get(*k).map(|v| format!("{k}={v}")))
                .unwrap_or_default();
            let mut feature = to_feature(f, class, &["osm_id", "name"]);
            feature
                .attrs
                .insert("category".into(), AttrValue::Text(category));
            feature
        });
        Ok(pois.collect())
    }

    /// Rivers, canals and streams.
    fn rivers(&self, issues: &mut ReadIssues) -> Result<Vec<Feature>> {
        let is_river = |a: &BTreeMap<String, AttrValue>| {
            matches!(
                a.get("waterway").and_then(AttrValue::as_text),
                Some("river" | "canal" | "stream")
            )
        };
        let found = self.read("lines", names::WATER, 'w', is_river, issues)?;
        let rivers = found.into_iter().map(|f| {
            let class = f
                .attrs
                .get("waterway")
                .map(|v| v.to_string())
                .unwrap_or_default();
            to_feature(f, class, &["osm_id", "name"])
        });
        Ok(rivers.collect())
    }

    /// Buildings, land use and water areas, each with the layer it belongs in.
    fn areas(&self, issues: &mut ReadIssues) -> Result<Vec<(&'static str, Feature)>> {
        let keep = |a: &BTreeMap<String, AttrValue>| area_class(a).is_some();
        let found = self.read("multipolygons", "areas", 'a', keep, issues)?;
        let areas = found.into_iter().filter_map(|f| {
            let (layer, class) = area_class(&f.attrs)?;
            let id = f.source_id[1..].to_string();
            let mut feature = to_feature(f, class, &["name", "building:levels", "height"]);
            feature.attrs.insert("osm_id".into(), AttrValue::Text(id));
            Some((layer, feature))
        });
        Ok(areas.collect())
    }
}
