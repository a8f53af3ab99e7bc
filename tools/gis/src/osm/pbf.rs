//! OSM PBF, read with the osmpbf crate.

use super::{OsmData, OsmRelation, OsmWay};
use crate::error::{GisError, Result};
use citytwin_city::roads::tags::Tags;
use geo::Rect;
use osmpbf::{BlobDecode, BlobReader, Element, ElementReader, RelMemberType};
use std::path::Path;

fn tags<'a>(iter: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
    iter.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub(super) fn read(path: &Path) -> Result<OsmData> {
    let malformed = |reason: String| GisError::MalformedOsm {
        path: path.to_path_buf(),
        format: "PBF",
        reason,
    };
    let mut data = OsmData::default();
    // the header block carries the extract's box, as <bounds> does in XML
    let mut blobs = BlobReader::from_path(path).map_err(|e| malformed(e.to_string()))?;
    if let Some(blob) = blobs.next() {
        let blob = blob.map_err(|e| malformed(e.to_string()))?;
        if let BlobDecode::OsmHeader(header) =
            blob.decode().map_err(|e| malformed(e.to_string()))?
        {
            // nanodegrees → the same 7-decimal values an XML <bounds> holds
            let deg = |v: f64| (v * 1e7).round() / 1e7;
            data.bounds = header
                .bbox()
                .map(|b| Rect::new((deg(b.left), deg(b.bottom)), (deg(b.right), deg(b.top))));
        }
    }
    let reader = ElementReader::from_path(path).map_err(|e| malformed(e.to_string()))?;
    reader
        .for_each(|element| match element {
            // decimicro degrees ÷ 1e7 is the same correctly rounded f64 as the XML's decimals
            Element::Node(n) => data.add_node(
                n.id(),
                f64::from(n.decimicro_lon()) / 1e7,
                f64::from(n.decimicro_lat()) / 1e7,
                &tags(n.tags()),
            ),
            Element::DenseNode(n) => data.add_node(
                n.id(),
                f64::from(n.decimicro_lon()) / 1e7,
                f64::from(n.decimicro_lat()) / 1e7,
                &tags(n.tags()),
            ),
            Element::Way(w) => {
                data.ways_in_file += 1;
                let t = tags(w.tags());
                if OsmData::keep_way(&t) {
                    data.ways.push(OsmWay {
                        id: w.id(),
                        nodes: w.refs().collect(),
                        tags: t,
                    });
                }
            }
            Element::Relation(r) => {
                let t = tags(r.tags());
                if OsmData::keep_relation(&t) {
                    let mut rel = OsmRelation {
                        id: r.id(),
                        tags: t,
                        ways: Vec::new(),
                        nodes: Vec::new(),
                    };
                    for m in r.members() {
                        let role = m.role().unwrap_or_default().to_string();
                        match m.member_type {
                            RelMemberType::Way => rel.ways.push((m.member_id, role)),
                            RelMemberType::Node => rel.nodes.push((m.member_id, role)),
                            RelMemberType::Relation => {}
                        }
                    }
                    data.admin_relations.push(rel);
                }
            }
        })
        .map_err(|e| malformed(e.to_string()))?;
    Ok(data)
}
