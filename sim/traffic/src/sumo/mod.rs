//! Eclipse SUMO's formats, so citytwin and SUMO can run the very same network and trips
//! (`bench/traffic_vs_sumo.sh`): a `.net.xml` road network and a `<trip>` file (as
//! `randomTrips.py` writes), either of them gzip-compressed as SUMO also reads them.
//!
//! What is read of the network: junctions (not `internal`) become nodes at their `x,y`
//! (signalised when `type="traffic_light"`); normal edges become car links with the lanes that
//! allow passenger cars, the fastest such lane's speed and length, and the edge (or first
//! lane's) shape. Capacity per lane comes from the edge `type` (`highway.primary` → our
//! primary defaults, docs/road-defaults.md), or from the speed when the edge has no type
//! (netgenerate grids): ≥ 70 km/h as trunk, ≥ 45 km/h as secondary, else tertiary. SUMO's
//! explicit `<connection>` turn permissions are not read: every outgoing edge may follow
//! every incoming one, as in our OSM networks without turn restrictions.
//!
//! SUMO cuts its edges at the junction's shape and drives the rest on internal lanes, so a
//! link here is the edge plus the mean length of the car lanes inside the junction it leads
//! to: the same trip is as long as in SUMO.

mod net_file;
mod trips;

pub use trips::SumoTrips;

use net_file::{EdgeDraft, NetDraft, class_for};

use crate::dynamic::{TripIds, TripSpec};
use citytwin_city::ids::{JunctionId, NodeId};
use citytwin_city::roads::{Junction, Modes, RoadLink, RoadNetwork, RoadNode};
use geo::{Coord, LineString, Point};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Take};
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SumoError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Hashes SUMO ids (short ASCII names from a local file) by FNV-1a: a trip's two edges are
/// looked up by name, and the standard hasher's resistance to chosen keys costs more than
/// the lookup here.
#[derive(Clone, Copy, Default)]
struct ByName;

impl std::hash::BuildHasher for ByName {
    type Hasher = Fnv1a;
    fn build_hasher(&self) -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

struct Fnv1a(u64);

impl std::hash::Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A SUMO network as a road network, with each link's SUMO edge id.
#[derive(Debug)]
pub struct SumoNet {
    pub roads: RoadNetwork,
    pub edge_ids: Vec<String>,
    /// Looked up only, never walked: its order does not reach the outputs.
    link_by_edge: HashMap<String, u32, ByName>,
}

/// A SUMO XML file read as a stream (a regional day's trips file is never held whole), whose
/// errors name its path and line.
struct XmlFile<'p> {
    path: &'p Path,
}

/// Large reads: a regional network is hundreds of megabytes.
const READ_BYTES: usize = 1 << 18;

/// The first bytes of every gzip stream (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

type Plain = BufReader<Take<File>>;

/// A file's XML as it is stored, or decompressed from gzip as SUMO reads a `.net.xml.gz`.
enum XmlBody {
    Plain(Plain),
    Gzip(BufReader<flate2::bufread::MultiGzDecoder<Plain>>),
}

impl<'p> XmlFile<'p> {
    /// The bytes `part` of the file as a stream. A part from the start is not sought, so
    /// that a pipe (`<(zcat city.net.xml.gz)`) can be read; a file (or pipe) that starts as a
    /// gzip stream is decompressed, and then only read whole (offsets are the XML's).
    fn open(path: &'p Path, part: Range<u64>) -> Result<(Self, XmlBody), SumoError> {
        let file = XmlFile { path };
        let mut source = File::open(path).map_err(|e| file.io(e))?;
        if part.start > 0 {
            source
                .seek(SeekFrom::Start(part.start))
                .map_err(|e| file.io(e))?;
        }
        let mut body = BufReader::with_capacity(READ_BYTES, source.take(part.end - part.start));
        if part.start == 0
            && body
                .fill_buf()
                .map_err(|e| file.io(e))?
                .starts_with(&GZIP_MAGIC)
        {
            let xml = flate2::bufread::MultiGzDecoder::new(body);
            return Ok((
                file,
                XmlBody::Gzip(BufReader::with_capacity(READ_BYTES, xml)),
            ));
        }
        Ok((file, XmlBody::Plain(body)))
    }

    /// Whether the file is gzip-compressed (so a second reader cannot start inside it).
    fn is_gzip(&self) -> Result<bool, SumoError> {
        let (_, head) = XmlFile::open(self.path, 0..GZIP_MAGIC.len() as u64)?;
        Ok(matches!(head, XmlBody::Gzip(_)))
    }

    fn io(&self, source: std::io::Error) -> SumoError {
        SumoError::Io {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn invalid(&self, offset: u64, message: String) -> SumoError {
        SumoError::Invalid {
            path: self.path.to_path_buf(),
            line: line_at(self.path, offset),
            message,
        }
    }
}

impl Read for XmlBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            XmlBody::Plain(r) => r.read(buf),
            XmlBody::Gzip(r) => r.read(buf),
        }
    }
}

impl BufRead for XmlBody {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            XmlBody::Plain(r) => r.fill_buf(),
            XmlBody::Gzip(r) => r.fill_buf(),
        }
    }
    fn consume(&mut self, amount: usize) {
        match self {
            XmlBody::Plain(r) => r.consume(amount),
            XmlBody::Gzip(r) => r.consume(amount),
        }
    }
}

/// The next event of `reader` and where it starts in the XML; a document that is not well
/// formed gives its message at that place.
fn next_event<'b, R: BufRead>(
    reader: &mut Reader<R>,
    buf: &'b mut Vec<u8>,
) -> Result<(u64, Event<'b>), (u64, String)> {
    buf.clear();
    let pos = reader.buffer_position();
    match reader.read_event_into(buf) {
        Ok(event) => Ok((pos, event)),
        Err(e) => Err((pos, e.to_string())),
    }
}

/// The line of a byte offset of the XML, counted again from the file (only when there is an
/// error).
fn line_at(path: &Path, offset: u64) -> usize {
    let Ok((_, xml)) = XmlFile::open(path, 0..u64::MAX) else {
        return 1;
    };
    let mut before = xml.take(offset);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut feeds = 0;
    while let Ok(n @ 1..) = before.read(&mut chunk) {
        feeds += chunk[..n].iter().filter(|b| **b == b'\n').count();
    }
    feeds + 1
}

/// The keys of an element's attributes so far: the first sixteen (more than a SUMO element
/// has) on the stack, any others in a list.
#[derive(Default)]
struct SeenKeys<'a> {
    first: [&'a [u8]; 16],
    count: usize,
    more: Vec<&'a [u8]>,
}

impl<'a> SeenKeys<'a> {
    fn insert(&mut self, key: &'a [u8]) -> Result<(), String> {
        let seen = &self.first[..self.count.min(self.first.len())];
        if seen.contains(&key) || self.more.contains(&key) {
            let key = String::from_utf8_lossy(key);
            return Err(format!("the attribute `{key}` is given twice"));
        }
        match self.first.get_mut(self.count) {
            Some(slot) => *slot = key,
            None => self.more.push(key),
        }
        self.count += 1;
        Ok(())
    }
}

/// The attributes `names` of an element, read in one pass over it: a lane has a dozen, of
/// which we want five (values borrowed from the file unless they hold an escape).
struct Attrs<'a, const N: usize> {
    tag: &'a [u8],
    names: [&'static str; N],
    values: [Option<Cow<'a, str>>; N],
}

impl<'a, const N: usize> Attrs<'a, N> {
    fn of(e: &'a BytesStart, names: [&'static str; N]) -> Result<Self, String> {
        let mut values = [const { None }; N];
        // a key given twice is refused, as quick-xml's own check would, without the list it
        // allocates for every element
        let mut keys = SeenKeys::default();
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|err| err.to_string())?;
            keys.insert(a.key.into_inner())?;
            if let Some(i) = names.iter().position(|n| n.as_bytes() == a.key.as_ref()) {
                values[i] = Some(a.unescape_value().map_err(|err| err.to_string())?);
            }
        }
        Ok(Attrs {
            tag: e.name().into_inner(),
            names,
            values,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        let i = self.names.iter().position(|n| *n == name)?;
        self.values[i].as_deref()
    }

    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| {
            let tag = String::from_utf8_lossy(self.tag);
            format!("<{tag}> without the `{name}` attribute")
        })
    }

    fn number(&self, name: &str) -> Result<f64, String> {
        number(self.need(name)?, name)
    }
}

fn number(value: &str, name: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{name}` = `{value}` is not a number"))
}

fn shape(value: &str) -> Result<LineString<f64>, String> {
    value
        .split_whitespace()
        .map(|pair| {
            let (x, y) = pair
                .split_once(',')
                .ok_or_else(|| format!("shape point `{pair}` is not x,y"))?;
            Ok(Coord {
                x: number(x, "shape x")?,
                y: number(y, "shape y")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map(LineString::new)
}

impl SumoNet {
    pub fn read(path: &Path) -> Result<SumoNet, SumoError> {
        Self::read_split(path, NetDraft::split_point(path)?)
    }

    /// Reads the network, in two parts at once where `split` is where the second starts (an
    /// element at the top level).
    fn read_split(path: &Path, split: Option<u64>) -> Result<SumoNet, SumoError> {
        let draft = match split {
            None => NetDraft::read(path, 0..u64::MAX)?,
            Some(at) => {
                let (head, tail) = rayon::join(
                    || NetDraft::read(path, 0..at),
                    || NetDraft::read(path, at..u64::MAX),
                );
                let head = head?;
                // what follows the connections is never read, errors included
                if head.past_junctions {
                    head
                } else {
                    head.then(tail?)
                }
            }
        };
        if !draft.saw_net {
            let file = XmlFile { path };
            return Err(file.invalid(0, "not a SUMO network: no <net> element".into()));
        }
        let crossing_m = draft
            .crossing
            .into_iter()
            .map(|(j, lengths)| {
                // summed in the file's order, whichever part each came from
                let sum = lengths.iter().fold(0.0, |sum, l| sum + l);
                (j, sum / lengths.len().max(1) as f64)
            })
            .collect();
        Self::assemble(path, draft.junctions, draft.edges, &crossing_m)
    }

    fn assemble(
        path: &Path,
        junctions: BTreeMap<String, (Point<f64>, bool)>,
        edges: Vec<EdgeDraft>,
        crossing_m: &HashMap<String, f64>,
    ) -> Result<SumoNet, SumoError> {
        let mut roads = RoadNetwork::default();
        // looked up only: the nodes' order is the junctions' (sorted by id)
        let mut node_of = HashMap::with_capacity_and_hasher(junctions.len(), ByName);
        for (i, (id, (point, signals))) in junctions.iter().enumerate() {
            node_of.insert(id.clone(), NodeId::from_index(i));
            roads.nodes.push(RoadNode {
                // SUMO ids are strings: the node's index stands in for an OSM id
                osm_id: i as i64,
                point: *point,
                level: 0,
                signals: *signals,
                junction: JunctionId::from_index(i),
            });
            roads.junctions.push(Junction {
                nodes: vec![NodeId::from_index(i)],
                signals: *signals,
                signals_inferred: false,
                centroid: *point,
            });
        }
        let mut edge_ids = Vec::new();
        let mut link_by_edge = HashMap::with_capacity_and_hasher(edges.len(), ByName);
        for mut edge in edges.into_iter().filter(|e| e.lanes > 0) {
            let end = |id: &str| {
                node_of.get(id).copied().ok_or_else(|| SumoError::Invalid {
                    path: path.to_path_buf(),
                    line: 0,
                    message: format!("edge {}: junction {id} is not in the network", edge.id),
                })
            };
            let (from, to) = (end(&edge.from)?, end(&edge.to)?);
            let class = class_for(&edge);
            let geometry = edge
                .shape
                .take()
                .or(edge.lane_shape.take())
                .filter(|s| s.0.len() >= 2)
                .unwrap_or_else(|| {
                    LineString::from(vec![roads.node(from).point.0, roads.node(to).point.0])
                });
            link_by_edge.insert(edge.id.clone(), roads.links.len() as u32);
            roads.links.push(RoadLink {
                // the SUMO edge id is in `edge_ids` and `name`
                osm_way_id: roads.links.len() as i64,
                from,
                to,
                class,
                name: Some(edge.id.clone()),
                lanes: edge.lanes,
                speed_kmh: (edge.speed_mps * 3.6) as f32,
                capacity_vph: class.defaults().capacity_per_lane_vph * f32::from(edge.lanes),
                modes: Modes::CAR,
                oneway: true,
                twin: None,
                internal: false,
                forward: true,
                geometry,
                length_m: (edge.length_m + crossing_m.get(&edge.to).copied().unwrap_or(0.0))
                    .max(1.0),
            });
            edge_ids.push(edge.id);
        }
        Ok(SumoNet {
            roads,
            edge_ids,
            link_by_edge,
        })
    }

    /// The `<trip id depart from to>` elements of a SUMO trips file, on this network, by
    /// departure (ties in file order), with their ids in the same order.
    pub fn read_trips(&self, path: &Path) -> Result<(Vec<TripSpec>, TripIds), SumoError> {
        SumoTrips::read(path)?.on(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::roads::RoadClass;

    const NET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<net version="1.20">
    <location netOffset="0.00,0.00" convBoundary="0,0,200,0" projParameter="!"/>
    <edge id=":B_0" function="internal"><lane id=":B_0_0" index="0" speed="13.89" length="5.00" shape="100,0 100,0"/></edge>
    <edge id="AB" from="A" to="B" priority="-1">
        <lane id="AB_0" index="0" speed="13.89" length="100.00" shape="0,-1.6 100,-1.6"/>
        <lane id="AB_1" index="1" allow="pedestrian" speed="2.00" length="100.00" shape="0,-4.8 100,-4.8"/>
    </edge>
    <edge id="BC" from="B" to="C" priority="-1" type="highway.primary">
        <lane id="BC_0" index="0" speed="16.67" length="100.00" shape="100,-1.6 200,-1.6"/>
        <lane id="BC_1" index="1" disallow="bicycle" speed="16.67" length="100.00" shape="100,-4.8 200,-4.8"/>
    </edge>
    <junction id="A" type="dead_end" x="0.00" y="0.00"/>
    <junction id="B" type="traffic_light" x="100.00" y="0.00"/>
    <junction id="C" type="dead_end" x="200.00" y="0.00"/>
    <junction id=":B_0_0" type="internal" x="100.00" y="0.00"/>
</net>
"#;

    fn scratch(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reading_stops_at_the_connections_which_the_schema_puts_after_all_it_uses() {
        let dir = tempfile::tempdir().unwrap();
        let connections = r#"    <connection from="AB" to="BC" fromLane="0" toLane="0" dir="s" state="M"/>
    <junction id="D" type="priority" x="300.00" y="0.00" incLanes="" intLanes=""/>
</net>
"#;
        let with = NET.replace("</net>\n", connections);
        assert!(
            with.contains("<connection"),
            "the test network ends as expected"
        );
        let net = SumoNet::read(&scratch(&dir, "c.net.xml", &with)).unwrap();
        // a junction after the connections breaks the schema's order: it is not read
        assert_eq!(net.roads.nodes.len(), 3);
        assert_eq!(net.edge_ids, ["AB", "BC"]);
    }

    /// Every place a second reader may start in `text`.
    fn split_points(text: &str) -> Vec<u64> {
        (0..text.len())
            .filter(|&i| net_file::top_level_element(&text.as_bytes()[i..]) == Some(0))
            .map(|i| i as u64)
            .collect()
    }

    #[test]
    fn two_readers_read_what_one_does_wherever_the_second_starts() {
        let dir = tempfile::tempdir().unwrap();
        // junction B's car lanes on two internal edges: a split may fall between them
        let second_internal = r#"<edge id=":B_1" function="internal"><lane id=":B_1_0" index="0" speed="13.89" length="3.30" shape="100,0 100,0"/></edge>
    <edge id="AB""#;
        let text = NET.replace(r#"<edge id="AB""#, second_internal);
        let path = scratch(&dir, "split.net.xml", &text);
        let read = |split| {
            let net = SumoNet::read_split(&path, split).unwrap();
            format!("{:?} {:?}", net.roads, net.edge_ids)
        };
        let one = read(None);
        assert!(
            one.contains("length_m: 104.15"),
            "B's two internal lanes: {one}"
        );
        let splits = split_points(&text);
        assert_eq!(splits.len(), 8, "every edge and junction");
        for at in splits {
            assert_eq!(read(Some(at)), one, "second reader from byte {at}");
        }
        // an error in either part names its line in the whole file
        let bad = text.replace(
            r#"speed="16.67" length="100.00" shape="100,-4.8"#,
            r#"speed="fast" length="100.00" shape="100,-4.8"#,
        );
        let path = scratch(&dir, "split_bad.net.xml", &bad);
        let one = SumoNet::read_split(&path, None).unwrap_err().to_string();
        assert!(
            one.ends_with("split_bad.net.xml:12: `speed` = `fast` is not a number"),
            "{one}"
        );
        for at in split_points(&bad) {
            let two = SumoNet::read_split(&path, Some(at))
                .unwrap_err()
                .to_string();
            assert_eq!(two, one, "second reader from byte {at}");
        }
    }

    /// SUMO's gzip-compressed files (netconvert's `.net.xml.gz`, `.rou.xml.gz`) read as the
    /// plain ones, through a pipe too, with errors on the line of the XML.
    #[test]
    fn gzip_compressed_files_read_as_the_plain_ones() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let gzip = |name: &str, text: &str| {
            let mut packed = flate2::write::GzEncoder::new(Vec::new(), Default::default());
            packed.write_all(text.as_bytes()).unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, packed.finish().unwrap()).unwrap();
            path
        };
        let shown = |net: &SumoNet| format!("{:?} {:?}", net.roads, net.edge_ids);
        let plain = SumoNet::read(&scratch(&dir, "n.net.xml", NET)).unwrap();
        // led by a comment that does not compress, past the size for two readers
        let mut noise = String::from("<!-- ");
        let mut x = 1_u64;
        while noise.len() < 3_000_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            noise.push_str(&format!("{:016x}", x));
        }
        let big = format!("{noise} -->\n{NET}");
        let packed = gzip("n.net.xml.gz", &big);
        assert!(std::fs::metadata(&packed).unwrap().len() > net_file::SPLIT_FROM_BYTES);
        assert_eq!(shown(&SumoNet::read(&packed).unwrap()), shown(&plain));
        let trips = r#"<routes><trip id="t0" depart="3" from="AB" to="BC"/></routes>"#;
        let read = |path: &Path| format!("{:?}", plain.read_trips(path).unwrap());
        assert_eq!(
            read(&gzip("t.xml.gz", trips)),
            read(&scratch(&dir, "t.xml", trips))
        );
        let bad = NET.replace(
            r#"speed="16.67" length="100.00" shape="100,-4.8"#,
            r#"speed="fast""#,
        );
        let error = |path: &Path| SumoNet::read(path).unwrap_err().to_string();
        let plain_error = error(&scratch(&dir, "bad.net.xml", &bad));
        assert!(plain_error.contains("bad.net.xml:"), "{plain_error}");
        assert_eq!(
            error(&gzip("bad.net.xml.gz", &bad)),
            plain_error.replace("bad.net.xml", "bad.net.xml.gz")
        );
    }

    /// duarouter's output: vehicles with their routes (inside, named, or as alternatives),
    /// read as the trips between their routes' ends; what is not read is refused by line.
    #[test]
    fn vehicles_with_routes_are_trips_between_their_ends() {
        let dir = tempfile::tempdir().unwrap();
        let net = SumoNet::read(&scratch(&dir, "n.net.xml", NET)).unwrap();
        let routes = r#"<routes>
    <route id="r" edges="AB BC"/>
    <vehicle id="v0" depart="4.00" type="car"><route edges="AB BC"/><stop lane="BC_0" duration="5"/></vehicle>
    <vehicle id="v1" depart="9" route="r"/>
    <vehicle id="v2" depart="12"><routeDistribution><route cost="9" probability="1" edges="AB BC"/><route edges="AB AB"/></routeDistribution></vehicle>
    <vehicle id="v3" depart="20" route="r"></vehicle>
</routes>"#;
        let trips = r#"<routes><trip id="v0" depart="4" from="AB" to="BC"/><trip id="v1" depart="9" from="AB" to="BC"/>
<trip id="v2" depart="12" from="AB" to="BC"/><trip id="v3" depart="20" from="AB" to="BC"/></routes>"#;
        let read = |name: &str, text: &str| net.read_trips(&scratch(&dir, name, text)).unwrap();
        let shown = |(specs, ids): (Vec<TripSpec>, TripIds)| format!("{specs:?} {ids:?}");
        assert_eq!(
            shown(read("r.rou.xml", routes)),
            shown(read("t.xml", trips))
        );
        let error = |text: &str| {
            net.read_trips(&scratch(&dir, "bad.rou.xml", text))
                .unwrap_err()
                .to_string()
        };
        let random = "<routes>\n<flow id=\"f\" end=\"60\" probability=\"0.1\" from=\"AB\" to=\"BC\"/>\n</routes>";
        let e = error(random);
        assert!(e.ends_with("bad.rou.xml:2: <flow probability=…> is random: not read (give period, vehsPerHour or number)"), "{e}");
        let e = error("<routes>\n\n<vehicle id=\"v\" depart=\"0\"></vehicle></routes>");
        assert!(e.ends_with("bad.rou.xml:3: <vehicle> without a route (from and to, route=, or a <route> inside)"), "{e}");
        let e = error("<routes><person id=\"p\" depart=\"0\"/></routes>");
        assert!(e.ends_with("bad.rou.xml:1: <person> is not read: a SUMO day here is of cars (<trip>, <vehicle>, <flow>)"), "{e}");
        let e = error(
            "<routes><vehicle id=\"v\" depart=\"0\" route=\"later\"/><route id=\"later\" edges=\"AB\"/></routes>",
        );
        assert!(
            e.ends_with("route=\"later\": no <route> of that id before it"),
            "{e}"
        );
        let e = error("<routes>\n</routes>");
        assert!(
            e.ends_with("bad.rou.xml:1: no <trip> or <vehicle>: not a SUMO demand file"),
            "{e}"
        );
    }

    /// Flows spaced as SUMO spaces them: by period, by vehicles per hour, or a number of cars
    /// over [begin, end), each car `flow.k`.
    #[test]
    fn flows_are_their_cars_spaced_as_sumo_spaces_them() {
        let dir = tempfile::tempdir().unwrap();
        let net = SumoNet::read(&scratch(&dir, "n.net.xml", NET)).unwrap();
        let departures = |flow: &str| {
            let text = format!("<routes><route id=\"r\" edges=\"AB BC\"/>{flow}</routes>");
            let (specs, ids) = net.read_trips(&scratch(&dir, "f.rou.xml", &text)).unwrap();
            let ids: Vec<&str> = ids.iter().collect();
            let times: Vec<u32> = specs.iter().map(|t| t.departure_s).collect();
            (ids.join(" "), times)
        };
        let by_period =
            departures(r#"<flow id="p" begin="10" end="40" period="10" from="AB" to="BC"/>"#);
        assert_eq!(by_period, ("p.0 p.1 p.2".into(), vec![10, 20, 30]));
        let per_hour = departures(r#"<flow id="h" end="3600" vehsPerHour="2" route="r"/>"#);
        assert_eq!(per_hour.1, [0, 1800]);
        let number = departures(
            r#"<flow id="n" begin="100" end="200" number="4"><route edges="AB BC"/></flow>"#,
        );
        assert_eq!(number.1, [100, 125, 150, 175]);
        let capped = departures(r#"<flow id="c" period="60" number="3" from="AB" to="BC"/>"#);
        assert_eq!(capped.1, [0, 60, 120]);
        // without an end or a number, a day from its begin (duarouter: 2,880 cars to 172,670 s)
        let open = departures(r#"<flow id="d" begin="86300" period="30" from="AB" to="BC"/>"#);
        assert_eq!((open.1.len(), open.1.last()), (2880, Some(&172_670)));
        for (flow, expected) in [
            (r#"number="5""#, "needs an end or a period"),
            (r#"end="60""#, "needs a period, vehsPerHour or number"),
            (r#"period="0""#, "period 0 s: expected more than 0"),
            (
                r#"begin="50" end="10" period="1""#,
                "expected 0 ≤ begin < end",
            ),
            (r#"period="0.000001""#, "more than one flow may make"),
            (
                r#"period="5" vehsPerHour="9""#,
                "both period and vehsPerHour",
            ),
            (r#"number="2.5" end="9""#, "a whole number of cars"),
        ] {
            let text = format!(r#"<routes><flow id="x" {flow} from="AB" to="BC"/></routes>"#);
            let path = scratch(&dir, "bad.rou.xml", &text);
            let e = net.read_trips(&path).unwrap_err().to_string();
            assert!(e.contains(expected), "{flow}: {e}");
        }
    }

    #[test]
    fn an_attribute_given_twice_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        // a key the reader wants and one it does not (both make the file ill-formed XML), and
        // repeats among more keys than the sixteen kept on the stack
        let many: String = (0..20).map(|i| format!(r#"x{i}="0" "#)).collect();
        let many_twice = format!(r#"{many}x3="1""#);
        let distinct = NET.replacen(r#"index="1""#, &many, 1);
        assert!(SumoNet::read(&scratch(&dir, "many.net.xml", &distinct)).is_ok());
        for (twice, key) in [
            (r#"speed="16.67" speed="10""#, "speed"),
            (r#"index="1" index="1""#, "index"),
            (many_twice.as_str(), "x3"),
            (&format!(r#"{many}x19="1""#), "x19"),
        ] {
            let text = NET.replacen(r#"index="1""#, twice, 1);
            let line = text.lines().position(|l| l.contains(twice)).unwrap() + 1;
            let err = SumoNet::read(&scratch(&dir, "twice.net.xml", &text))
                .expect_err("refused")
                .to_string();
            assert!(err.contains(&format!("twice.net.xml:{line}:")), "{err}");
            assert!(
                err.contains(&format!("the attribute `{key}` is given twice")),
                "{err}"
            );
        }
    }

    #[test]
    fn reads_edges_lanes_signals_and_trips() {
        let dir = tempfile::tempdir().unwrap();
        let net = SumoNet::read(&scratch(&dir, "n.net.xml", NET)).unwrap();
        assert_eq!(net.roads.nodes.len(), 3);
        assert_eq!(net.edge_ids, ["AB", "BC"]);
        let (ab, bc) = (&net.roads.links[0], &net.roads.links[1]);
        assert_eq!((ab.lanes, bc.lanes), (1, 2));
        // AB leads into junction B, whose internal car lane is 5 m long; C has none
        assert_eq!((ab.length_m, bc.length_m), (105.0, 100.0));
        assert_eq!(bc.class, RoadClass::Primary);
        assert_eq!(bc.capacity_vph, 3000.0);
        assert!((ab.speed_kmh - 50.0).abs() < 0.01);
        assert!(net.roads.junctions[1].signals);
        let trips = r#"<routes><trip id="t1" depart="7.50" from="AB" to="BC"/><trip id="t0" depart="3" from="AB" to="AB"/></routes>"#;
        let (specs, ids) = net.read_trips(&scratch(&dir, "t.xml", trips)).unwrap();
        assert_eq!(ids.iter().collect::<Vec<_>>(), ["t0", "t1"]);
        assert_eq!(
            (
                specs[1].origin_link.0,
                specs[1].dest_link.0,
                specs[1].departure_s
            ),
            (0, 1, 7)
        );
        let bad = r#"<routes>
<trip id="t1" depart="0" from="AB" to="XY"/></routes>"#;
        let e = net
            .read_trips(&scratch(&dir, "bad.xml", bad))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("bad.xml:2: to=\"XY\": not a car edge of the network"),
            "{e}"
        );
    }
}
