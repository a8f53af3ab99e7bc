//! What is read of a network file, from `<net>` to its junctions: drafts of its edges and
//! junctions, element by element; a big file is read in two parts at once, each from its own
//! place in the file, and the parts joined in the file's order.

use super::{Attrs, SumoError, XmlFile, next_event, shape};
use citytwin_city::roads::RoadClass;
use geo::{LineString, Point};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::ops::Range;
use std::path::Path;

/// Below this size a network is read on one thread: a second costs more than it saves.
pub(super) const SPLIT_FROM_BYTES: u64 = 1 << 20;
/// How far past the middle a second part's start is looked for.
const SPLIT_WINDOW_BYTES: u64 = 1 << 20;
/// Elements at the top level of `<net>`, where a part may start.
const TOP_LEVEL: [&[u8]; 4] = [b"edge ", b"tlLogic ", b"junction ", b"connection "];
/// Put before a part that starts inside `<net>`, so its reader still checks every end tag.
const INSIDE_NET: &[u8] = b"<net>";

#[derive(Default)]
pub(super) struct EdgeDraft {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) class: Option<RoadClass>,
    pub(super) shape: Option<LineString<f64>>,
    pub(super) lanes: u8,
    pub(super) speed_mps: f64,
    pub(super) length_m: f64,
    pub(super) lane_shape: Option<LineString<f64>>,
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

pub(super) fn class_for(edge: &EdgeDraft) -> RoadClass {
    edge.class.unwrap_or(match edge.speed_mps * 3.6 {
        s if s >= 70.0 => RoadClass::Trunk,
        s if s >= 45.0 => RoadClass::Secondary,
        _ => RoadClass::Tertiary,
    })
}

/// What a network file has said so far, element by element.
#[derive(Default)]
pub(super) struct NetDraft {
    pub(super) junctions: BTreeMap<String, (Point<f64>, bool)>,
    pub(super) edges: Vec<EdgeDraft>,
    /// Inside a normal edge (its lanes are the link's).
    in_edge: bool,
    /// The junction whose internal edge we are in.
    inside: Option<String>,
    /// Per junction, the lengths of the car lanes inside it, in the file's order.
    pub(super) crossing: HashMap<String, Vec<f64>>,
    pub(super) saw_net: bool,
    /// Past the junctions: the schema (net_file.xsd's `netType` sequence) puts only
    /// connections, prohibitions, roundabouts and districts after them, none of which we use.
    pub(super) past_junctions: bool,
}

impl NetDraft {
    /// The bytes `part` of the file, up to its connections; a part after the first must
    /// start at an element at the top level (see [`NetDraft::split_point`]).
    pub(super) fn read(path: &Path, part: Range<u64>) -> Result<NetDraft, SumoError> {
        let (file, body) = XmlFile::open(path, part.clone())?;
        let opened = if part.start == 0 { &[][..] } else { INSIDE_NET };
        let mut reader = Reader::from_reader(opened.chain(body));
        reader.config_mut().check_end_names = true;
        let invalid = |pos: u64, message: String| {
            let offset = (part.start + pos).saturating_sub(opened.len() as u64);
            file.invalid(offset, message)
        };
        let mut buf = Vec::new();
        let mut draft = NetDraft::default();
        loop {
            let (pos, event) =
                next_event(&mut reader, &mut buf).map_err(|(pos, m)| invalid(pos, m))?;
            if matches!(event, Event::Eof) {
                break;
            }
            draft.element(&event).map_err(|m| invalid(pos, m))?;
            if draft.past_junctions {
                break;
            }
        }
        Ok(draft)
    }

    /// Where a second reader may start: the first element at the top level (an edge, a
    /// traffic light's logic, a junction or a connection) from three eighths into a file big
    /// enough for two readers to pay. What is read is about the first three quarters of a
    /// netconvert network (then come the connections), so three eighths halves it.
    /// `None`: one reader.
    pub(super) fn split_point(path: &Path) -> Result<Option<u64>, SumoError> {
        let file = XmlFile { path };
        let size = std::fs::metadata(path).map_err(|e| file.io(e))?.len();
        if size < SPLIT_FROM_BYTES || file.is_gzip()? {
            return Ok(None);
        }
        let from = size / 8 * 3;
        let (_, mut source) = XmlFile::open(path, from..from + SPLIT_WINDOW_BYTES)?;
        let mut window = Vec::new();
        source.read_to_end(&mut window).map_err(|e| file.io(e))?;
        Ok(top_level_element(&window).map(|at| from + at as u64))
    }

    /// The next part of the file joined after this one.
    pub(super) fn then(mut self, next: NetDraft) -> NetDraft {
        // as one reader would: a junction given twice keeps the later
        self.junctions.extend(next.junctions);
        self.edges.extend(next.edges);
        for (junction, lengths) in next.crossing {
            self.crossing.entry(junction).or_default().extend(lengths);
        }
        self.past_junctions = next.past_junctions;
        self
    }

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
        // a lane's shape only for its edge's first car lane, and inside a junction its length
        // alone: the others are not decoded (a name that is no key: "" is never looked up)
        let first_lane = self.in_edge && self.edges.last().is_some_and(|e| e.lanes == 0);
        let speed = if self.in_edge { "speed" } else { "" };
        let lane_shape = if first_lane { "shape" } else { "" };
        let a = Attrs::of(e, ["allow", "disallow", speed, "length", lane_shape])?;
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
            self.crossing
                .entry(junction.clone())
                .or_default()
                .push(length);
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

/// Where the first element at the top level of `<net>` starts in `bytes`.
pub(super) fn top_level_element(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find(|&i| {
        bytes[i] == b'<'
            && TOP_LEVEL
                .iter()
                .any(|name| bytes[i + 1..].starts_with(name))
    })
}
