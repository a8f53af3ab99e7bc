//! OSM PBF, read with the osmpbf crate.

use super::{OsmData, OsmRelation, OsmWay};
use crate::error::{GisError, Result};
use citytwin_city::roads::tags::Tags;
use osmpbf::{Element, ElementReader, RelMemberType};
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
    let reader = ElementReader::from_path(path).map_err(|e| malformed(e.to_string()))?;
    let mut data = OsmData::default();
    reader
        .for_each(|element| match element {
            Element::Node(n) => data.add_node(n.id(), n.lon(), n.lat(), &tags(n.tags())),
            Element::DenseNode(n) => data.add_node(n.id(), n.lon(), n.lat(), &tags(n.tags())),
            Element::Way(w) => {
                data.ways_in_file += 1;
                let t = tags(w.tags());
                if OsmData::keep_way(&t) {
                    data.ways.push(OsmWay { id: w.id(), nodes: w.refs().collect(), tags: t });
                }
            }
            Element::Relation(r) => {
                let t = tags(r.tags());
                if OsmData::keep_relation(&t) {
                    let mut rel = OsmRelation { id: r.id(), tags: t, ways: Vec::new(), nodes: Vec::new() };
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
