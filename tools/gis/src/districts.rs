//! Districts from OSM administrative boundary relations — also when the extract cut them open.
//!
//! City extracts keep only the boundary ways inside (or near) their box, so district rings are
//! rarely closed and GDAL cannot assemble them. We rebuild them instead:
//! 1. the boundary lines of every relation at the chosen `admin_level`, plus the extract's
//!    box, are noded and polygonized (GEOS, through GDAL) into faces;
//! 2. for each district, crossing one of its own lines flips "inside" ↔ "outside", so the faces
//!    fall into two parity classes (a weighted union-find over shared face edges);
//! 3. which class is inside comes from an anchor point in the box — the relation's `label` /
//!    `admin_centre` member, else a `place=*` node named like the relation — else from the
//!    choice over all districts that covers the most area exactly once;
//! 4. a district is the union of its faces. Complete rings come out whole; cut ones are closed
//!    along the box (counted as `clipped`).

use crate::crs::Reprojector;
use crate::error::{GisError, Result};
use crate::osm::{OsmData, OsmRelation};
use citytwin_city::layer::names;
use citytwin_city::{AttrValue, Feature, FieldDef, FieldKind, Layer};
use gdal::vector::ToGdal;
use geo::{
    Area, Contains, Coord, Distance, Euclidean, Geometry, InteriorPoint, LineString,
    MultiLineString, MultiPolygon, Point, Polygon, Rect, unary_union,
};
use std::collections::{BTreeMap, HashMap};

/// Boundary lines closer than this to a face edge's midpoint bound that edge (m).
const ON_LINE_M: f64 = 0.01;

/// The districts layer and how many of its districts were closed along the box.
pub fn build_districts(
    osm: &OsmData,
    admin_level: u8,
    extent: Rect<f64>,
    to_city: &Reprojector,
) -> Result<(Layer, usize)> {
    let mut layer = Layer::new(
        names::DISTRICTS,
        ["osm_id", "name", "name:en", "admin_level", "boundary"]
            .iter()
            .map(|n| FieldDef {
                name: n.to_string(),
                kind: FieldKind::Text,
            })
            .collect(),
    );
    let level = admin_level.to_string();
    let ways: HashMap<i64, &Vec<i64>> = osm.ways.iter().map(|w| (w.id, &w.nodes)).collect();
    let project = |id: &i64| -> Option<Coord<f64>> {
        let n = osm.nodes.get(id)?;
        to_city.coord(Coord { x: n.lon, y: n.lat }).ok()
    };
    let mut districts: Vec<District> = Vec::new();
    for rel in osm
        .admin_relations
        .iter()
        .filter(|r| r.tags.get("admin_level") == Some(&level))
    {
        let (lines, complete) = boundary_lines(rel, &ways, &project);
        let anchor = label_point(rel, osm, &project, to_city);
        if !lines.is_empty() {
            districts.push((rel, MultiLineString::new(lines), complete, anchor));
        }
    }
    if districts.is_empty() {
        return Ok((layer, 0));
    }

    let faces = faces_in(&districts, extent)?;
    let edges = shared_edges(&faces);
    let areas: Vec<f64> = faces.iter().map(|f| f.unsigned_area()).collect();

    // parity[d][face]: which side of district d's lines the face is on, relative to face 0
    let (parity, conflicts): (Vec<Vec<bool>>, Vec<usize>) = districts
        .iter()
        .map(|(_, lines, _, _)| face_parity(faces.len(), &edges, lines))
        .unzip();
    let orientation = choose_orientation(&districts, &faces, &parity, &areas);

    let mut clipped = 0;
    for (d, (rel, _, complete, _)) in districts.iter().enumerate() {
        let mine: Vec<&Polygon<f64>> = faces
            .iter()
            .enumerate()
            .filter(|(f, _)| parity[d][*f] == orientation[d])
            .map(|(_, p)| p)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let shape: MultiPolygon<f64> = unary_union(mine);
        if !complete {
            clipped += 1;
        }
        layer.features.push(district_feature(
            rel,
            shape,
            &level,
            *complete,
            conflicts[d],
        ));
    }
    Ok((layer, clipped))
}

/// A relation's boundary as lines in the city's CRS, and whether all of it is in the extract
/// (ways or nodes outside it cut the lines).
fn boundary_lines(
    rel: &OsmRelation,
    ways: &HashMap<i64, &Vec<i64>>,
    project: &dyn Fn(&i64) -> Option<Coord<f64>>,
) -> (Vec<LineString<f64>>, bool) {
    let mut lines = Vec::new();
    let mut complete = true;
    for (way_id, _) in &rel.ways {
        let Some(nodes) = ways.get(way_id) else {
            complete = false;
            continue;
        };
        let mut run: Vec<Coord<f64>> = Vec::new();
        for n in nodes.iter() {
            match project(n) {
                Some(c) => run.push(c),
                None => {
                    complete = false;
                    if run.len() >= 2 {
                        lines.push(LineString::from(std::mem::take(&mut run)));
                    }
                    run.clear();
                }
            }
        }
        if run.len() >= 2 {
            lines.push(LineString::from(run));
        }
    }
    (lines, complete)
}

/// Where a district's name goes: its label or admin-centre node, else the place node of its
/// name.
fn label_point(
    rel: &OsmRelation,
    osm: &OsmData,
    project: &dyn Fn(&i64) -> Option<Coord<f64>>,
    to_city: &Reprojector,
) -> Option<Point<f64>> {
    let names: Vec<&String> = ["name", "name:zh"]
        .iter()
        .filter_map(|k| rel.tags.get(*k))
        .collect();
    rel.nodes
        .iter()
        .filter(|(_, role)| role == "label" || role == "admin_centre")
        .find_map(|(id, _)| project(id).map(Point::from))
        .or_else(|| {
            osm.places
                .iter()
                .filter(|(name, _, _)| names.contains(&name))
                .find_map(|(_, lon, lat)| {
                    to_city
                        .coord(Coord { x: *lon, y: *lat })
                        .ok()
                        .map(Point::from)
                })
        })
}

fn district_feature(
    rel: &OsmRelation,
    shape: MultiPolygon<f64>,
    level: &str,
    complete: bool,
    conflicts: usize,
) -> Feature {
    let mut attrs = BTreeMap::new();
    attrs.insert("osm_id".into(), AttrValue::Text(rel.id.to_string()));
    attrs.insert("admin_level".into(), AttrValue::Text(level.to_string()));
    let boundary = match (complete, conflicts) {
        (true, _) => "complete",
        (false, 0) => "clipped to extent",
        (false, _) => {
            tracing::warn!(
                "district r{} ({}): its boundary is cut open inside the extent; its shape is approximate",
                rel.id,
                rel.tags.get("name").map_or("?", String::as_str)
            );
            "approximate: boundary open inside the extent"
        }
    };
    attrs.insert("boundary".into(), AttrValue::Text(boundary.into()));
    for key in ["name", "name:en"] {
        if let Some(v) = rel.tags.get(key) {
            attrs.insert(key.into(), AttrValue::Text(v.clone()));
        }
    }
    Feature {
        source_id: format!("r{}", rel.id),
        geometry: Geometry::MultiPolygon(shape),
        attrs,
    }
}

type District<'a> = (
    &'a OsmRelation,
    MultiLineString<f64>,
    bool,
    Option<Point<f64>>,
);

/// Polygonizes all boundary lines plus the box; keeps the faces inside the box.
fn faces_in(districts: &[District], extent: Rect<f64>) -> Result<Vec<Polygon<f64>>> {
    let gdal_err = |what: &str, e: String| GisError::Districts {
        path: "admin boundaries".into(),
        reason: format!("{what}: {e}"),
    };
    let mut all: Vec<LineString<f64>> = districts
        .iter()
        .flat_map(|(_, l, _, _)| l.0.iter().cloned())
        .collect();
    all.push(extent.to_polygon().exterior().clone());
    let lines = Geometry::MultiLineString(MultiLineString::new(all))
        .to_gdal()
        .map_err(|e| gdal_err("converting boundaries", e.to_string()))?;
    // the union of lines with themselves nodes them at every crossing
    let noded = lines
        .union(&lines)
        .ok_or_else(|| gdal_err("noding boundaries", "GEOS union failed".into()))?;
    let polygons = polygonize(&noded).map_err(|e| gdal_err("polygonizing boundaries", e))?;
    let Geometry::GeometryCollection(collection) = polygons else {
        return Ok(Vec::new());
    };
    Ok(collection
        .0
        .into_iter()
        .filter_map(|g| match g {
            Geometry::Polygon(p) => Some(p),
            _ => None,
        })
        .filter(|p| {
            p.unsigned_area() > 1.0 && p.interior_point().is_some_and(|c| extent.contains(&c))
        })
        .collect())
}

/// OGR_G_Polygonize is not wrapped by the gdal crate: call it and come back through WKB.
fn polygonize(lines: &gdal::vector::Geometry) -> std::result::Result<Geometry<f64>, String> {
    // SAFETY: `lines` owns a valid OGR geometry for the duration of the call; the result is
    // a new geometry we own, exported to a buffer of exactly OGR_G_WkbSize bytes and then freed.
    let wkb = unsafe {
        let handle = gdal_sys::OGR_G_Polygonize(lines.c_geometry());
        if handle.is_null() {
            return Err("GEOS polygonize failed".into());
        }
        let size = gdal_sys::OGR_G_WkbSize(handle) as usize;
        let mut buf = vec![0u8; size];
        let rc = gdal_sys::OGR_G_ExportToWkb(
            handle,
            gdal_sys::OGRwkbByteOrder::wkbNDR,
            buf.as_mut_ptr(),
        );
        gdal_sys::OGR_G_DestroyGeometry(handle);
        if rc != gdal_sys::OGRErr::OGRERR_NONE {
            return Err(format!("exporting polygons failed (OGR error {rc})"));
        }
        buf
    };
    let g = gdal::vector::Geometry::from_wkb(&wkb).map_err(|e| e.to_string())?;
    (&g).try_into()
        .map_err(|e: gdal::errors::GdalError| e.to_string())
}

/// Edges shared by two faces: (face a, face b, midpoint of the edge).
fn shared_edges(faces: &[Polygon<f64>]) -> Vec<(usize, usize, Point<f64>)> {
    let key = |c: Coord<f64>| ((c.x * 1000.0).round() as i64, (c.y * 1000.0).round() as i64);
    // an edge keyed by its millimetre-rounded ends, so both faces' copies of it meet
    type EdgeKey = ((i64, i64), (i64, i64));
    let mut owners: BTreeMap<EdgeKey, (usize, Point<f64>)> = BTreeMap::new();
    let mut shared = Vec::new();
    for (f, face) in faces.iter().enumerate() {
        for ring in std::iter::once(face.exterior()).chain(face.interiors()) {
            for line in ring.lines() {
                let (a, b) = (key(line.start), key(line.end));
                let k = if a < b { (a, b) } else { (b, a) };
                let mid = Point::new(
                    (line.start.x + line.end.x) / 2.0,
                    (line.start.y + line.end.y) / 2.0,
                );
                match owners.remove(&k) {
                    Some((other, _)) if other != f => shared.push((other, f, mid)),
                    Some(entry) => {
                        owners.insert(k, entry);
                    }
                    None => {
                        owners.insert(k, (f, mid));
                    }
                }
            }
        }
    }
    shared
}

/// Union-find with parity: is each face on the same side of `lines` as face 0? Also counts
/// the face edges that contradict the rest — there are none when the district's lines close
/// on themselves or on the box, and some when a cut ring ends inside the box.
fn face_parity(
    count: usize,
    edges: &[(usize, usize, Point<f64>)],
    lines: &MultiLineString<f64>,
) -> (Vec<bool>, usize) {
    let mut parent: Vec<usize> = (0..count).collect();
    let mut flip = vec![false; count]; // parity to parent
    fn find(parent: &mut [usize], flip: &mut [bool], x: usize) -> (usize, bool) {
        if parent[x] == x {
            return (x, false);
        }
        let (root, p) = find(parent, flip, parent[x]);
        flip[x] ^= p;
        parent[x] = root;
        (root, flip[x])
    }
    let mut conflicts = 0;
    let bbox = geo::BoundingRect::bounding_rect(lines);
    for (a, b, mid) in edges {
        let near = bbox.is_some_and(|r| {
            mid.x() >= r.min().x - ON_LINE_M
                && mid.x() <= r.max().x + ON_LINE_M
                && mid.y() >= r.min().y - ON_LINE_M
                && mid.y() <= r.max().y + ON_LINE_M
        });
        let crosses = near && Euclidean.distance(mid, lines) < ON_LINE_M;
        let (ra, pa) = find(&mut parent, &mut flip, *a);
        let (rb, pb) = find(&mut parent, &mut flip, *b);
        if ra != rb {
            parent[rb] = ra;
            flip[rb] = pa ^ pb ^ crosses;
        } else if pa ^ pb != crosses {
            conflicts += 1;
        }
    }
    let parity = (0..count)
        .map(|f| find(&mut parent, &mut flip, f).1)
        .collect();
    (parity, conflicts)
}

/// For each district, the parity class that is its inside.
fn choose_orientation(
    districts: &[District],
    faces: &[Polygon<f64>],
    parity: &[Vec<bool>],
    areas: &[f64],
) -> Vec<bool> {
    let mut orientation = vec![true; districts.len()];
    let mut free = Vec::new();
    for (d, (_, _, _, anchor)) in districts.iter().enumerate() {
        match anchor.and_then(|p| faces.iter().position(|f| f.contains(&p))) {
            Some(face) => orientation[d] = parity[d][face],
            None => free.push(d),
        }
    }
    // Score: area covered by exactly one district, minus area claimed twice or more.
    let score = |orientation: &[bool]| -> f64 {
        (0..faces.len())
            .map(|f| {
                let claims = (0..districts.len())
                    .filter(|d| parity[*d][f] == orientation[*d])
                    .count();
                match claims {
                    0 => 0.0,
                    1 => areas[f],
                    _ => -areas[f] * (claims - 1) as f64,
                }
            })
            .sum()
    };
    if free.len() <= 16 {
        let mut best = (f64::NEG_INFINITY, orientation.clone());
        for mask in 0u32..(1 << free.len()) {
            let mut o = orientation.clone();
            for (bit, d) in free.iter().enumerate() {
                o[*d] = mask & (1 << bit) != 0;
            }
            let s = score(&o);
            if s > best.0 {
                best = (s, o);
            }
        }
        best.1
    } else {
        // too many to enumerate: improve one district at a time until nothing changes
        loop {
            let mut improved = false;
            for d in &free {
                let before = score(&orientation);
                orientation[*d] = !orientation[*d];
                if score(&orientation) > before {
                    improved = true;
                } else {
                    orientation[*d] = !orientation[*d];
                }
            }
            if !improved {
                break orientation;
            }
        }
    }
}
