//! OSM XML, streamed with quick-xml.

use super::{OsmData, OsmRelation, OsmWay};
use crate::error::{GisError, Result};
use citytwin_city::roads::tags::Tags;
use geo::Rect;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::path::Path;

enum Current {
    None,
    Node {
        id: i64,
        lon: f64,
        lat: f64,
        tags: Tags,
    },
    Way(OsmWay),
    Relation(OsmRelation),
}

fn line_of(bytes: &[u8], offset: u64) -> usize {
    let end = (offset as usize).min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

pub(super) fn read(path: &Path) -> Result<OsmData> {
    let bytes = std::fs::read(path).map_err(|source| GisError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let malformed = |offset: u64, reason: String| GisError::MalformedOsm {
        path: path.to_path_buf(),
        format: "XML",
        reason: format!("line {}: {reason}", line_of(&bytes, offset)),
    };
    let mut reader = Reader::from_reader(bytes.as_slice());
    reader.config_mut().check_end_names = true;
    let mut data = OsmData::default();
    let mut current = Current::None;
    let mut depth = 0usize;
    let mut saw_osm = false;
    let mut closed_osm = false;
    let mut buf = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| malformed(pos, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty {
                    depth += 1;
                }
                if e.name().as_ref() == b"osm" {
                    saw_osm = true;
                }
                open_element(e, &mut current, &mut data).map_err(|r| malformed(pos, r))?;
                if empty {
                    finish(e.name().as_ref(), &mut current, &mut data);
                }
            }
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                if e.name().as_ref() == b"osm" {
                    closed_osm = true;
                }
                finish(e.name().as_ref(), &mut current, &mut data);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_osm {
        return Err(malformed(0, "no <osm> root element".into()));
    }
    if !closed_osm || depth > 0 {
        return Err(malformed(
            bytes.len() as u64,
            "file ends inside <osm> (truncated? expected </osm>)".into(),
        ));
    }
    Ok(data)
}

/// What an opening (or empty) element says: the bounds, a new node, way or relation, or a
/// tag, node reference or member of the current one.
fn open_element(
    e: &BytesStart,
    current: &mut Current,
    data: &mut OsmData,
) -> std::result::Result<(), String> {
    let attr = |name: &str| attribute(e, name);
    match e.name().as_ref() {
        b"bounds" => {
            let v = |k: &str| -> std::result::Result<f64, String> { parse(&attr(k)?, k) };
            data.bounds = Some(Rect::new(
                (v("minlon")?, v("minlat")?),
                (v("maxlon")?, v("maxlat")?),
            ));
        }
        b"node" => {
            let id = parse(&attr("id")?, "id")?;
            let lon: f64 = parse(&attr("lon")?, "lon")?;
            let lat: f64 = parse(&attr("lat")?, "lat")?;
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(format!("node {id}: lon/lat {lon} {lat} out of range"));
            }
            *current = Current::Node {
                id,
                lon,
                lat,
                tags: Tags::new(),
            };
        }
        b"way" => {
            *current = Current::Way(OsmWay {
                id: parse(&attr("id")?, "id")?,
                nodes: Vec::new(),
                tags: Tags::new(),
            });
        }
        b"relation" => {
            *current = Current::Relation(OsmRelation {
                id: parse(&attr("id")?, "id")?,
                tags: Tags::new(),
                ways: Vec::new(),
                nodes: Vec::new(),
            });
        }
        b"tag" => {
            let (k, v) = (attr("k")?, attr("v")?);
            match current {
                Current::Node { tags, .. } => {
                    tags.insert(k, v);
                }
                Current::Way(w) => {
                    w.tags.insert(k, v);
                }
                Current::Relation(r) => {
                    r.tags.insert(k, v);
                }
                Current::None => {}
            }
        }
        b"nd" => {
            if let Current::Way(w) = current {
                w.nodes.push(parse(&attr("ref")?, "ref")?);
            }
        }
        b"member" => {
            if let Current::Relation(r) = current {
                let id = parse(&attr("ref")?, "ref")?;
                let role = attr("role").unwrap_or_default();
                match attr("type")?.as_str() {
                    "way" => r.ways.push((id, role)),
                    "node" => r.nodes.push((id, role)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn finish(name: &[u8], current: &mut Current, data: &mut OsmData) {
    let done = matches!(
        (name, &*current),
        (b"node", Current::Node { .. })
            | (b"way", Current::Way(_))
            | (b"relation", Current::Relation(_))
    );
    if !done {
        return;
    }
    match std::mem::replace(current, Current::None) {
        Current::Node { id, lon, lat, tags } => data.add_node(id, lon, lat, &tags),
        Current::Way(w) => {
            data.ways_in_file += 1;
            if OsmData::keep_way(&w.tags) {
                data.ways.push(w);
            }
        }
        Current::Relation(r) => {
            if OsmData::keep_relation(&r.tags) {
                data.admin_relations.push(r);
            }
        }
        Current::None => {}
    }
}

fn attribute(e: &BytesStart, name: &str) -> std::result::Result<String, String> {
    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let a = e
        .try_get_attribute(name)
        .map_err(|err| format!("<{tag}>: {err}"))?
        .ok_or_else(|| format!("<{tag}> without the `{name}` attribute"))?;
    a.unescape_value()
        .map(|v| v.into_owned())
        .map_err(|err| format!("<{tag} {name}>: {err}"))
}

fn parse<T: std::str::FromStr>(value: &str, name: &str) -> std::result::Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("`{name}` = `{value}` is not a number"))
}
