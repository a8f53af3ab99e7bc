//! A SUMO demand file read apart from its network: `<trip>`s (as `randomTrips.py` writes) or
//! `<vehicle>`s with their routes (as `duarouter` writes: a `<route>` inside the vehicle, or
//! one defined before it and named by `route=`). A vehicle's route gives its first and last
//! edge only: the day routes every car itself. `<flow>`s and persons are refused, by line.

use super::{Attrs, SumoError, SumoNet, XmlFile};
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
        let mut vehicle: Option<OpenVehicle> = None;
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
                    let depart = departure(&a).map_err(fail)?;
                    trips
                        .push(a.need("id"), depart, [a.need("from"), a.need("to")], pos)
                        .map_err(fail)?;
                }
                Event::Start(e) if e.name().as_ref() == b"vehicle" => {
                    let a =
                        Attrs::of(&e, ["id", "depart", "route"]).map_err(|m| invalid(pos, m))?;
                    let named = a.get("route").map(|r| {
                        routes.get(r).cloned().ok_or_else(|| {
                            format!("route=\"{r}\": no <route> of that id before it")
                        })
                    });
                    vehicle = Some(OpenVehicle {
                        id: a.need("id").map(str::to_owned),
                        depart: departure(&a),
                        route: named,
                        at: pos,
                    });
                }
                Event::Empty(e) if e.name().as_ref() == b"vehicle" => {
                    let fail = |m: String| invalid(pos, m);
                    let a = Attrs::of(&e, ["id", "depart", "route"]).map_err(fail)?;
                    let r = a.need("route").map_err(fail)?;
                    let ends = routes.get(r).ok_or_else(|| {
                        fail(format!("route=\"{r}\": no <route> of that id before it"))
                    })?;
                    trips
                        .push(
                            a.need("id"),
                            departure(&a).map_err(fail)?,
                            [Ok(&ends.0), Ok(&ends.1)],
                            pos,
                        )
                        .map_err(fail)?;
                }
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"route" => {
                    let ends = route_ends(&e).map_err(|m| invalid(pos, m))?;
                    match vehicle.as_mut() {
                        // a vehicle's first route (of a routeDistribution, the first of its
                        // alternatives: they share their ends)
                        Some(OpenVehicle {
                            route: route @ None,
                            ..
                        }) => *route = Some(Ok(ends)),
                        Some(_) => {}
                        None => {
                            let a = Attrs::of(&e, ["id"]).map_err(|m| invalid(pos, m))?;
                            routes.insert(
                                a.need("id").map_err(|m| invalid(pos, m))?.to_owned(),
                                ends,
                            );
                        }
                    }
                }
                Event::End(e) if e.name().as_ref() == b"vehicle" => {
                    let Some(OpenVehicle {
                        id,
                        depart,
                        route,
                        at,
                    }) = vehicle.take()
                    else {
                        continue;
                    };
                    let fail = |m: String| invalid(at, m);
                    let ends = route
                        .unwrap_or_else(|| Err("<vehicle> without a route".into()))
                        .map_err(fail)?;
                    trips
                        .push(
                            id.as_deref().map_err(Clone::clone),
                            depart.map_err(fail)?,
                            [Ok(&ends.0), Ok(&ends.1)],
                            at,
                        )
                        .map_err(fail)?;
                }
                Event::Start(e) | Event::Empty(e) if REFUSED.contains(&e.name().as_ref()) => {
                    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    return Err(invalid(
                        pos,
                        format!(
                            "<{tag}> is not read: give <trip>s or <vehicle>s with routes (duarouter writes them from flows)"
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

/// Elements of a routes file that make vehicles we do not read: refused rather than left out.
const REFUSED: [&[u8]; 4] = [b"flow", b"person", b"personFlow", b"container"];

/// The `<vehicle>` being read, its errors kept until its end names its route.
struct OpenVehicle {
    id: Result<String, String>,
    depart: Result<u32, String>,
    /// Its route's first and last edge, once seen.
    route: Option<Result<(String, String), String>>,
    /// Where it starts in the file.
    at: u64,
}

fn departure<const N: usize>(a: &Attrs<'_, N>) -> Result<u32, String> {
    let depart = a.number("depart")?;
    if depart < 0.0 {
        return Err(format!("depart {depart}: expected seconds ≥ 0"));
    }
    Ok(depart as u32)
}

/// The first and last edge of a `<route edges="…">`.
fn route_ends(e: &BytesStart) -> Result<(String, String), String> {
    let a = Attrs::of(e, ["edges"])?;
    let mut edges = a.need("edges")?.split_whitespace();
    let first = edges.next().ok_or("<route> with no edges")?;
    let last = edges.last().unwrap_or(first);
    Ok((first.to_owned(), last.to_owned()))
}
