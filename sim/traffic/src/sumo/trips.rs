//! A SUMO demand file read apart from its network: `<trip>`s (as `randomTrips.py` writes) or
//! `<vehicle>`s with their routes (as `duarouter` writes: a `<route>` inside the vehicle, or
//! one defined before it and named by `route=`), and `<flow>`s of them spaced as SUMO spaces
//! them. A route gives its first and last edge only: the day routes every car itself. Random
//! flows and persons are refused, by line.

use super::{Attrs, SumoError, SumoNet, XmlFile, next_event};
use crate::dynamic::{Purpose, TripIds, TripSpec, by_departure};
use citytwin_city::ids::LinkId;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
        let (file, body) = XmlFile::open(path, 0..u64::MAX)?;
        let mut reader = Reader::from_reader(body);
        let invalid = |offset: u64, message: String| file.invalid(offset, message);
        let mut buf = Vec::new();
        // routes defined at the top level, by id: their first and last edges
        let mut routes: HashMap<String, (String, String)> = HashMap::new();
        // the <vehicle> or <flow> being read, until its route is known
        let mut open: Option<Departing> = None;
        let mut trips = SumoTrips {
            path: path.to_path_buf(),
            ids: TripIds::default(),
            edges: TripIds::default(),
            departure_s: Vec::new(),
            offsets: Vec::new(),
        };
        loop {
            let (pos, event) =
                next_event(&mut reader, &mut buf).map_err(|(pos, m)| invalid(pos, m))?;
            match event {
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"trip" => {
                    let fail = |m: String| invalid(pos, m);
                    let a = Attrs::of(&e, ["id", "depart", "from", "to"]).map_err(fail)?;
                    let depart = departure(&a).map_err(fail)?;
                    trips
                        .push(a.need("id"), depart, [a.need("from"), a.need("to")], pos)
                        .map_err(fail)?;
                }
                Event::Start(ref e) | Event::Empty(ref e)
                    if DEPARTING.contains(&e.name().as_ref()) =>
                {
                    let departing = Departing::of(e, pos, &routes).map_err(|m| invalid(pos, m))?;
                    if matches!(event, Event::Empty(_)) {
                        departing.into(&mut trips).map_err(|m| invalid(pos, m))?;
                    } else {
                        open = Some(departing);
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"route" => {
                    let a = Attrs::of(&e, ["id", "edges"]).map_err(|m| invalid(pos, m))?;
                    let ends = route_ends(&a).map_err(|m| invalid(pos, m))?;
                    match open.as_mut() {
                        // its first route (of a routeDistribution, the first of the
                        // alternatives: they share their ends)
                        Some(Departing {
                            route: route @ None,
                            ..
                        }) => *route = Some(ends),
                        Some(_) => {}
                        None => {
                            routes.insert(
                                a.need("id").map_err(|m| invalid(pos, m))?.to_owned(),
                                ends,
                            );
                        }
                    }
                }
                Event::End(e) if DEPARTING.contains(&e.name().as_ref()) => {
                    if let Some(departing) = open.take() {
                        let at = departing.at;
                        departing.into(&mut trips).map_err(|m| invalid(at, m))?;
                    }
                }
                Event::Start(e) | Event::Empty(e) if REFUSED.contains(&e.name().as_ref()) => {
                    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    return Err(invalid(
                        pos,
                        format!(
                            "<{tag}> is not read: a SUMO day here is of cars (<trip>, <vehicle>, <flow>)"
                        ),
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if trips.ids.is_empty() {
            return Err(invalid(
                0,
                "no <trip> or <vehicle>: not a SUMO demand file".into(),
            ));
        }
        Ok(trips)
    }

    fn push(
        &mut self,
        id: Result<&str, String>,
        depart: u32,
        [from, to]: [Result<&str, String>; 2],
        offset: u64,
    ) -> Result<(), String> {
        self.edges.push(from?);
        self.edges.push(to?);
        self.ids.push(id?);
        self.departure_s.push(depart);
        self.offsets.push(offset);
        Ok(())
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

/// Elements that make cars: one (`<vehicle>`) or many (`<flow>`).
const DEPARTING: [&[u8]; 2] = [b"vehicle", b"flow"];

/// Elements of a routes file that make travellers we do not read: refused rather than left out.
const REFUSED: [&[u8]; 4] = [b"person", b"personFlow", b"container", b"containerFlow"];

/// How long a flow without an end or a number lasts, as in SUMO.
const DAY_S: f64 = 86_400.0;

/// The most cars one `<flow>` may make (a period of a millisecond over a day would make 86
/// million).
const MOST_PER_FLOW: f64 = 1e7;

/// A `<vehicle>` or `<flow>`: its cars' ids and departures, and its route's ends.
struct Departing {
    ids: Vec<String>,
    departures: Vec<u32>,
    /// First and last edge: from `from`/`to`, a route named by `route=`, or a `<route>` inside.
    route: Option<(String, String)>,
    flow: bool,
    /// Where it starts in the file.
    at: u64,
}

impl Departing {
    fn of(
        e: &BytesStart,
        at: u64,
        routes: &HashMap<String, (String, String)>,
    ) -> Result<Departing, String> {
        let a = Attrs::of(
            e,
            [
                "id",
                "depart",
                "route",
                "from",
                "to",
                "begin",
                "end",
                "number",
                "period",
                "vehsPerHour",
                "probability",
            ],
        )?;
        let id = a.need("id")?;
        let flow = e.name().as_ref() == b"flow";
        let (ids, departures) = if flow {
            let departures = flow_departures(&a)?;
            (
                (0..departures.len()).map(|k| format!("{id}.{k}")).collect(),
                departures,
            )
        } else {
            (vec![id.to_owned()], vec![departure(&a)?])
        };
        let route = match (a.get("route"), a.get("from"), a.get("to")) {
            (Some(r), ..) => Some(
                routes
                    .get(r)
                    .cloned()
                    .ok_or_else(|| format!("route=\"{r}\": no <route> of that id before it"))?,
            ),
            (None, Some(from), Some(to)) => Some((from.to_owned(), to.to_owned())),
            _ => None,
        };
        Ok(Departing {
            ids,
            departures,
            route,
            flow,
            at,
        })
    }

    fn into(self, trips: &mut SumoTrips) -> Result<(), String> {
        let Some((from, to)) = self.route else {
            let tag = if self.flow { "flow" } else { "vehicle" };
            return Err(format!(
                "<{tag}> without a route (from and to, route=, or a <route> inside)"
            ));
        };
        for (id, depart) in self.ids.iter().zip(self.departures) {
            trips.push(Ok(id), depart, [Ok(&from), Ok(&to)], self.at)?;
        }
        Ok(())
    }
}

/// A `<flow>`'s departures, as SUMO spaces them: every `period` (or 3600 / `vehsPerHour`)
/// seconds from `begin` (default 0) until `end` (default a day later) or `number` cars, or `number`
/// cars spaced equally over [`begin`, `end`). Random flows (`probability`) are refused: they
/// would not be SUMO's cars.
fn flow_departures<const N: usize>(a: &Attrs<'_, N>) -> Result<Vec<u32>, String> {
    if a.get("probability").is_some() {
        return Err(
            "<flow probability=…> is random: not read (give period, vehsPerHour or number)".into(),
        );
    }
    let optional = |name: &str| a.get(name).map(|_| a.number(name)).transpose();
    let begin = optional("begin")?.unwrap_or(0.0);
    let end = optional("end")?;
    let number = optional("number")?;
    let period = match (optional("period")?, optional("vehsPerHour")?) {
        (Some(_), Some(_)) => return Err("<flow> with both period and vehsPerHour".into()),
        (period, None) => period,
        (None, Some(per_hour)) => Some(3600.0 / per_hour),
    };
    if begin < 0.0 || end.is_some_and(|end| end <= begin) {
        return Err(format!(
            "begin {begin}, end {}: expected 0 ≤ begin < end",
            end.unwrap_or(f64::NAN)
        ));
    }
    if number.is_some_and(|n| n < 0.0 || n.fract() != 0.0) {
        return Err("number: expected a whole number of cars".into());
    }
    let (period, count) = match (period, number) {
        (Some(p), _) if !p.is_finite() || p <= 0.0 => {
            return Err(format!("period {p} s: expected more than 0"));
        }
        (Some(p), Some(n)) => (p, n),
        (Some(p), None) => (p, ((end.unwrap_or(begin + DAY_S) - begin) / p).ceil()),
        (None, Some(n)) => match end {
            Some(end) => ((end - begin) / n.max(1.0), n),
            None => return Err("<flow number=…> needs an end or a period to space its cars".into()),
        },
        (None, None) => return Err("<flow> needs a period, vehsPerHour or number".into()),
    };
    if count > MOST_PER_FLOW {
        return Err(format!(
            "{count} cars: more than one flow may make ({MOST_PER_FLOW})"
        ));
    }
    Ok((0..count as u64)
        .map(|k| (begin + k as f64 * period) as u32)
        .collect())
}

fn departure<const N: usize>(a: &Attrs<'_, N>) -> Result<u32, String> {
    let depart = a.number("depart")?;
    if depart < 0.0 {
        return Err(format!("depart {depart}: expected seconds ≥ 0"));
    }
    Ok(depart as u32)
}

/// The first and last edge of a `<route edges="…">`.
fn route_ends(a: &Attrs<'_, 2>) -> Result<(String, String), String> {
    let mut edges = a.need("edges")?.split_whitespace();
    let first = edges.next().ok_or("<route> with no edges")?;
    let last = edges.last().unwrap_or(first);
    Ok((first.to_owned(), last.to_owned()))
}
