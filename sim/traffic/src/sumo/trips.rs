//! A SUMO `<trip>` file (as `randomTrips.py` writes), read apart from its network.

use super::{Attrs, SumoError, SumoNet, XmlFile};
use crate::dynamic::{Purpose, TripIds, TripSpec, by_departure};
use citytwin_city::ids::LinkId;
use quick_xml::Reader;
use quick_xml::events::Event;
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
