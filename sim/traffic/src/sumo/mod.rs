//! Eclipse SUMO's formats, so citytwin and SUMO can run the very same network and trips
//! (`bench/traffic_vs_sumo.sh`): a `.net.xml` road network and a `<trip>` file (as
//! `randomTrips.py` writes).
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

use crate::dynamic::{Purpose, TripIds, TripSpec, by_departure};
use citytwin_city::ids::{JunctionId, LinkId, NodeId};
use citytwin_city::roads::{Junction, Modes, RoadClass, RoadLink, RoadNetwork, RoadNode};
use geo::{Coord, LineString, Point};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
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

/// A SUMO network as a road network, with each link's SUMO edge id.
#[derive(Debug)]
pub struct SumoNet {
    pub roads: RoadNetwork,
    pub edge_ids: Vec<String>,
    /// Looked up only, never walked: its order does not reach the outputs.
    link_by_edge: HashMap<String, u32>,
}

#[derive(Default)]
struct EdgeDraft {
    id: String,
    from: String,
    to: String,
    class: Option<RoadClass>,
    shape: Option<LineString<f64>>,
    lanes: u8,
    speed_mps: f64,
    length_m: f64,
    lane_shape: Option<LineString<f64>>,
}

/// A SUMO XML file read as a stream (a regional day's trips file is never held whole), whose
/// errors name its path and line.
struct XmlFile<'p> {
    path: &'p Path,
}

impl<'p> XmlFile<'p> {
    fn open(path: &'p Path) -> Result<(Self, Reader<BufReader<File>>), SumoError> {
        let file = File::open(path).map_err(|source| SumoError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // large reads: a regional network is hundreds of megabytes
        let file = BufReader::with_capacity(1 << 18, file);
        Ok((XmlFile { path }, Reader::from_reader(file)))
    }

    fn invalid(&self, offset: u64, message: String) -> SumoError {
        SumoError::Invalid {
            path: self.path.to_path_buf(),
            line: line_at(self.path, offset),
            message,
        }
    }
}

/// The line of a byte offset, counted again from the file (only when there is an error).
fn line_at(path: &Path, offset: u64) -> usize {
    let Ok(file) = File::open(path) else {
        return 1;
    };
    let mut before = BufReader::new(file).take(offset);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut feeds = 0;
    while let Ok(n @ 1..) = before.read(&mut chunk) {
        feeds += chunk[..n].iter().filter(|b| **b == b'\n').count();
    }
    feeds + 1
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
        for a in e.attributes() {
            let a = a.map_err(|err| err.to_string())?;
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

fn allows_cars<const N: usize>(lane: &Attrs<N>) -> bool {
    // most lanes list a dozen classes: the words are looked at only where one may be there
    let has = |list: &str| {
        (list.contains("passenger") || list.contains("all"))
            && list
                .split_whitespace()
                .any(|c| c == "passenger" || c == "all")
    };
    if let Some(allow) = lane.get("allow") {
        return has(allow);
    }
    !lane.get("disallow").is_some_and(has)
}

fn class_for(edge: &EdgeDraft) -> RoadClass {
    edge.class.unwrap_or(match edge.speed_mps * 3.6 {
        s if s >= 70.0 => RoadClass::Trunk,
        s if s >= 45.0 => RoadClass::Secondary,
        _ => RoadClass::Tertiary,
    })
}

/// What a network file has said so far, element by element.
#[derive(Default)]
struct NetDraft {
    junctions: BTreeMap<String, (Point<f64>, bool)>,
    edges: Vec<EdgeDraft>,
    /// Inside a normal edge (its lanes are the link's).
    in_edge: bool,
    /// The junction whose internal edge we are in, and per junction (Σ lane length, lanes).
    inside: Option<String>,
    crossing: HashMap<String, (f64, u32)>,
    saw_net: bool,
    /// Past the junctions: the schema (net_file.xsd's `netType` sequence) puts only
    /// connections, prohibitions, roundabouts and districts after them, none of which we use.
    past_junctions: bool,
}

impl NetDraft {
    fn edge(&mut self, e: &BytesStart, opened: bool) -> Result<(), String> {
        let a = Attrs::of(e, ["function", "id", "from", "to", "type", "shape"])?;
        let function = a.get("function");
        self.in_edge = function.is_none_or(|f| f == "normal") && opened;
        // internal edges are `:<junction>_<index>`
        self.inside = (function == Some("internal") && opened)
            .then(|| a.need("id"))
            .transpose()?
            .and_then(|id| Some(id.strip_prefix(':')?.rsplit_once('_')?.0.to_owned()));
        if self.in_edge {
            let class = a
                .get("type")
                .and_then(|t| RoadClass::from_osm(t.trim_start_matches("highway.")));
            self.edges.push(EdgeDraft {
                id: a.need("id")?.to_owned(),
                from: a.need("from")?.to_owned(),
                to: a.need("to")?.to_owned(),
                class,
                shape: a.get("shape").map(shape).transpose()?,
                ..EdgeDraft::default()
            });
        }
        Ok(())
    }

    fn lane(&mut self, e: &BytesStart) -> Result<(), String> {
        if !(self.in_edge || self.inside.is_some()) {
            return Ok(());
        }
        let a = Attrs::of(e, ["allow", "disallow", "speed", "length", "shape"])?;
        if !allows_cars(&a) {
            return Ok(());
        }
        if self.in_edge {
            let Some(edge) = self.edges.last_mut() else {
                return Ok(());
            };
            edge.lanes += 1;
            edge.speed_mps = edge.speed_mps.max(a.number("speed")?);
            edge.length_m = edge.length_m.max(a.number("length")?);
            if edge.lane_shape.is_none() {
                edge.lane_shape = Some(shape(a.need("shape")?)?);
            }
        } else if let Some(junction) = &self.inside {
            let length = a.number("length")?;
            let sum = self.crossing.entry(junction.clone()).or_default();
            sum.0 += length;
            sum.1 += 1;
        }
        Ok(())
    }

    fn junction(&mut self, e: &BytesStart) -> Result<(), String> {
        let a = Attrs::of(e, ["type", "x", "y", "id"])?;
        let kind = a.need("type")?;
        if kind != "internal" {
            let at = (
                Point::new(a.number("x")?, a.number("y")?),
                kind == "traffic_light",
            );
            self.junctions.insert(a.need("id")?.to_owned(), at);
        }
        Ok(())
    }

    fn element(&mut self, event: &Event) -> Result<(), String> {
        let e = match event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::End(e) => {
                if e.name().as_ref() == b"edge" {
                    self.in_edge = false;
                    self.inside = None;
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        match e.name().as_ref() {
            b"net" => self.saw_net = true,
            b"edge" => self.edge(e, matches!(event, Event::Start(_)))?,
            b"lane" => self.lane(e)?,
            b"junction" => self.junction(e)?,
            b"connection" | b"prohibition" | b"roundabout" | b"taz" => self.past_junctions = true,
            _ => {}
        }
        Ok(())
    }
}

impl SumoNet {
    pub fn read(path: &Path) -> Result<SumoNet, SumoError> {
        let (file, mut reader) = XmlFile::open(path)?;
        let invalid = |offset: u64, message: String| file.invalid(offset, message);
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        let mut draft = NetDraft::default();
        loop {
            buf.clear();
            let pos = reader.buffer_position();
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| invalid(pos, e.to_string()))?;
            if matches!(event, Event::Eof) {
                break;
            }
            draft.element(&event).map_err(|m| invalid(pos, m))?;
            if draft.past_junctions {
                break;
            }
        }
        if !draft.saw_net {
            return Err(invalid(0, "not a SUMO network: no <net> element".into()));
        }
        let crossing_m = draft
            .crossing
            .into_iter()
            .map(|(j, (sum, n))| (j, sum / f64::from(n.max(1))))
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
        let mut node_of = HashMap::with_capacity(junctions.len());
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
        let mut link_by_edge = HashMap::with_capacity(edges.len());
        for edge in edges.into_iter().filter(|e| e.lanes > 0) {
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
                .clone()
                .or(edge.lane_shape.clone())
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

/// A SUMO trips file read without its network (so both can be read at once): each trip's id,
/// departure and edges as written, placed on a network by [`SumoTrips::on`].
#[derive(Debug)]
pub struct SumoTrips {
    path: PathBuf,
    ids: TripIds,
    /// Trip k's `from` edge at 2k, its `to` edge at 2k + 1.
    edges: TripIds,
    departure_s: Vec<u32>,
    /// Where each trip is in the file, for an error's line.
    offsets: Vec<u64>,
}

impl SumoTrips {
    pub fn read(path: &Path) -> Result<SumoTrips, SumoError> {
        let (file, mut reader) = XmlFile::open(path)?;
        let invalid = |offset: u64, message: String| file.invalid(offset, message);
        let mut buf = Vec::new();
        let mut trips = SumoTrips {
            path: path.to_path_buf(),
            ids: TripIds::default(),
            edges: TripIds::default(),
            departure_s: Vec::new(),
            offsets: Vec::new(),
        };
        loop {
            buf.clear();
            let pos = reader.buffer_position();
            match reader
                .read_event_into(&mut buf)
                .map_err(|e| invalid(pos, e.to_string()))?
            {
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"trip" => {
                    let fail = |m: String| invalid(pos, m);
                    let a = Attrs::of(&e, ["id", "depart", "from", "to"]).map_err(fail)?;
                    let depart = a.number("depart").map_err(fail)?;
                    if depart < 0.0 {
                        return Err(fail(format!("depart {depart}: expected seconds ≥ 0")));
                    }
                    trips.edges.push(a.need("from").map_err(fail)?);
                    trips.edges.push(a.need("to").map_err(fail)?);
                    trips.ids.push(a.need("id").map_err(fail)?);
                    trips.departure_s.push(depart as u32);
                    trips.offsets.push(pos);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(trips)
    }

    /// The trips on `net`'s links, by departure (ties in file order), with their ids in the
    /// same order; an edge the network has no car link for is an error at its trip's line.
    pub fn on(self, net: &SumoNet) -> Result<(Vec<TripSpec>, TripIds), SumoError> {
        let file = XmlFile { path: &self.path };
        let mut trips = Vec::with_capacity(self.departure_s.len());
        for (k, (&departure_s, &offset)) in self.departure_s.iter().zip(&self.offsets).enumerate() {
            let link = |name: &str, at: usize| -> Result<LinkId, SumoError> {
                let edge = self.edges.get(at).unwrap_or_default();
                net.link_by_edge
                    .get(edge)
                    .map(|&l| LinkId(l))
                    .ok_or_else(|| {
                        let message = format!("{name}=\"{edge}\": not a car edge of the network");
                        file.invalid(offset, message)
                    })
            };
            trips.push(TripSpec {
                origin_link: link("from", 2 * k)?,
                dest_link: link("to", 2 * k + 1)?,
                departure_s,
                purpose: Purpose::Other,
            });
        }
        Ok(by_departure(trips, self.ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn scratch(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("citytwin-sumo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reading_stops_at_the_connections_which_the_schema_puts_after_all_it_uses() {
        let connections = r#"    <connection from="AB" to="BC" fromLane="0" toLane="0" dir="s" state="M"/>
    <junction id="D" type="priority" x="300.00" y="0.00" incLanes="" intLanes=""/>
</net>
"#;
        let with = NET.replace("</net>\n", connections);
        assert!(
            with.contains("<connection"),
            "the test network ends as expected"
        );
        let net = SumoNet::read(&scratch("c.net.xml", &with)).unwrap();
        // a junction after the connections breaks the schema's order: it is not read
        assert_eq!(net.roads.nodes.len(), 3);
        assert_eq!(net.edge_ids, ["AB", "BC"]);
    }

    #[test]
    fn reads_edges_lanes_signals_and_trips() {
        let net = SumoNet::read(&scratch("n.net.xml", NET)).unwrap();
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
        let (specs, ids) = net.read_trips(&scratch("t.xml", trips)).unwrap();
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
            .read_trips(&scratch("bad.xml", bad))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("bad.xml:2: to=\"XY\": not a car edge of the network"),
            "{e}"
        );
    }
}
