//! Our own OSM reader, for what GDAL's OSM driver does not give: node ids (the road graph's
//! topology) and admin boundary relations whose rings the extract cut open. GDAL's driver
//! reads the rest (POIs, buildings, land use, water) — see `osm_layers`.

mod pbf;
mod xml;

use crate::error::{GisError, Result};
use citytwin_city::roads::tags::Tags;
use geo::Rect;
use std::collections::HashMap;
use std::path::Path;

/// The two OSM encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsmFormat {
    Xml,
    Pbf,
}

impl OsmFormat {
    /// Decides by name (`.osm`, `.osm.xml`, `.osm.pbf`, `.pbf`); `None` if not OSM.
    pub fn of(path: &Path) -> Option<OsmFormat> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        if name.ends_with(".pbf") {
            Some(OsmFormat::Pbf)
        } else if name.ends_with(".osm") || name.ends_with(".osm.xml") {
            Some(OsmFormat::Xml)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OsmNode {
    pub lon: f64,
    pub lat: f64,
    pub signals: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OsmWay {
    pub id: i64,
    pub nodes: Vec<i64>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OsmRelation {
    pub id: i64,
    pub tags: Tags,
    /// Way members (id, role), in order.
    pub ways: Vec<(i64, String)>,
    /// Node members (id, role): `label` and `admin_centre` anchor districts.
    pub nodes: Vec<(i64, String)>,
}

/// What the road graph and district builder need from an OSM file.
#[derive(Clone, Debug, Default)]
pub struct OsmData {
    pub nodes: HashMap<i64, OsmNode>,
    /// Ways with a `highway` tag, and untagged or `boundary` ways (possible relation members).
    pub ways: Vec<OsmWay>,
    /// Relations tagged `boundary=administrative`.
    pub admin_relations: Vec<OsmRelation>,
    /// Named `place=*` nodes (name, lon, lat): they anchor districts whose relation has no
    /// `label` member.
    pub places: Vec<(String, f64, f64)>,
    /// The file's `<bounds>` (lon/lat), if it has one.
    pub bounds: Option<Rect<f64>>,
    /// Every way in the file, kept or not.
    pub ways_in_file: usize,
}

impl OsmData {
    fn keep_way(tags: &Tags) -> bool {
        tags.is_empty() || tags.contains_key("highway") || tags.contains_key("boundary")
    }

    fn keep_relation(tags: &Tags) -> bool {
        tags.get("boundary").map(String::as_str) == Some("administrative")
    }

    fn node_is_signal(tags: &Tags) -> bool {
        tags.get("highway").map(String::as_str) == Some("traffic_signals")
    }

    /// Records a node: its position, and its name if it is a place.
    fn add_node(&mut self, id: i64, lon: f64, lat: f64, tags: &Tags) {
        let signals = Self::node_is_signal(tags);
        self.nodes.insert(id, OsmNode { lon, lat, signals });
        if let (Some(_), Some(name)) = (tags.get("place"), tags.get("name")) {
            self.places.push((name.clone(), lon, lat));
        }
    }
}

/// Reads an OSM file in either encoding.
pub fn read(path: &Path) -> Result<OsmData> {
    let format = OsmFormat::of(path).ok_or_else(|| GisError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => GisError::NotFound {
            path: path.to_path_buf(),
        },
        _ => GisError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if meta.len() == 0 {
        return Err(GisError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut data = match format {
        OsmFormat::Xml => xml::read(path)?,
        OsmFormat::Pbf => pbf::read(path)?,
    };
    // element order differs between writers: sort so both encodings give the same city
    data.ways.sort_by_key(|w| w.id);
    data.admin_relations.sort_by_key(|r| r.id);
    data.places
        .sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if data.nodes.is_empty() {
        return Err(GisError::MalformedOsm {
            path: path.to_path_buf(),
            format: if format == OsmFormat::Xml {
                "XML"
            } else {
                "PBF"
            },
            reason: "no nodes (expected <node> elements)".into(),
        });
    }
    Ok(data)
}
