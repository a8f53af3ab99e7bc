//! traffic.gpkg: the car links with the day's aggregates (`link_day`), and one feature per
//! link and time bin that carried traffic (`link_bins`) with `bin_start`/`bin_end`
//! timestamps, so QGIS's temporal controller can play the day ("separate fields for start and
//! end date/time").
//!
//! A city's day is hundreds of thousands of features (Chengdu's default day: 397,871), which
//! GDAL writes on one thread, while the day itself keeps one core busy and leaves the other
//! mostly idle. So the file is written beside the day: a bin goes to the writer's thread as
//! soon as the clock has left it (its figures are final then), and what is left when the day
//! ends is its last bins, `link_day` and the spatial indexes. The features, their order and
//! their values are those of a file written after the day.

use crate::error::{Result, RunError};
use crate::reports::Network;
use citytwin_city::LinkId;
use citytwin_city::calendar::SimDay;
use citytwin_city::roads::RoadNetwork;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::World;
use citytwin_traffic::dynamic::LinkBin;
use geo::{Geometry, LineString};
use std::cell::Cell;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

const BIN_FIELDS: [(&str, FieldType::Type); 8] = [
    ("link", FieldType::OFTInteger64),
    ("bin_start", FieldType::OFTDateTime),
    ("bin_end", FieldType::OFTDateTime),
    ("flow_vph", FieldType::OFTReal),
    ("mean_speed_kmh", FieldType::OFTReal),
    ("speed_ratio", FieldType::OFTReal),
    ("density_veh_km", FieldType::OFTReal),
    ("stuck_moves", FieldType::OFTInteger64),
];

const DAY_FIELDS: [(&str, FieldType::Type); 10] = [
    ("link", FieldType::OFTInteger64),
    ("osm_way_id", FieldType::OFTInteger64),
    ("class", FieldType::OFTString),
    ("name", FieldType::OFTString),
    ("vehicles", FieldType::OFTInteger64),
    ("mean_speed_kmh", FieldType::OFTReal),
    ("speed_ratio", FieldType::OFTReal),
    ("vehicle_hours", FieldType::OFTReal),
    ("peak_density_veh_km", FieldType::OFTReal),
    ("stuck_moves", FieldType::OFTInteger64),
];

type Feature = (Geometry<f64>, Vec<Value<'static>>);

/// What the writer needs of a link to write its bins.
struct Shape {
    geometry: LineString<f64>,
    length_m: f64,
    speed_kmh: f32,
}

enum Message {
    /// A bin's busy links, and the part of it the run saw (seconds after midnight).
    Bin {
        from_s: u32,
        until_s: u32,
        links: Vec<(LinkId, LinkBin)>,
    },
    /// The day is over: its `link_day` features.
    Day(Vec<Feature>),
}

/// traffic.gpkg being written on a thread of its own (see the module's note).
#[derive(Debug)]
pub struct TrafficGpkg {
    to_writer: Option<Sender<Message>>,
    /// Bins sent so far, from midnight.
    sent: Cell<usize>,
    writer: Option<JoinHandle<Result<()>>>,
}

impl TrafficGpkg {
    /// Starts `dir`/traffic.gpkg for a day on `network`: `None` for a SUMO network, whose
    /// local coordinates have no CRS to put in a GeoPackage.
    pub fn for_day(dir: &Path, network: &Network, day: SimDay) -> Result<Option<Self>> {
        match network {
            Network::City(city) => {
                let path = dir.join("traffic.gpkg");
                Self::start(&path, &city.bundle.meta.crs.wkt, network.roads(), day).map(Some)
            }
            Network::Sumo(_) => Ok(None),
        }
    }

    /// Starts `path` (in the CRS `crs_wkt`) for a day on `roads`, on its own thread.
    pub fn start(path: &Path, crs_wkt: &str, roads: &RoadNetwork, day: SimDay) -> Result<Self> {
        let shapes: Vec<Shape> = roads
            .links
            .iter()
            .map(|link| Shape {
                geometry: link.geometry.clone(),
                length_m: link.length_m,
                speed_kmh: link.speed_kmh,
            })
            .collect();
        let (path, crs_wkt) = (path.to_path_buf(), crs_wkt.to_string());
        let (to_writer, inbox) = channel();
        let writer = std::thread::Builder::new()
            .name("traffic.gpkg".into())
            .spawn({
                let path = path.clone();
                move || write(&path, &crs_wkt, &shapes, day, inbox)
            })
            .map_err(RunError::io("starting a thread to write", path))?;
        Ok(TrafficGpkg {
            to_writer: Some(to_writer),
            sent: Cell::new(0),
            writer: Some(writer),
        })
    }

    /// Hands the writer the bins the clock has left since the last call (nothing to do
    /// most minutes).
    pub fn send_settled(&self, world: &World) {
        self.send_bins(world, world.traffic().stats.settled_bins());
    }

    fn send_bins(&self, world: &World, until_bin: usize) {
        let stats = &world.traffic().stats;
        for b in self.sent.get()..until_bin {
            // the whole bin, or the part a window starting inside it or a stop saw
            let (from_s, until_s) = world.observed_bin(b);
            let links = stats
                .links_in(b)
                .filter(|(_, bin)| !bin.is_empty())
                .map(|(l, bin)| (l, *bin))
                .collect();
            if let Some(to_writer) = &self.to_writer {
                // a writer that has stopped says why when it is joined
                let _ = to_writer.send(Message::Bin {
                    from_s,
                    until_s,
                    links,
                });
            }
        }
        self.sent.set(self.sent.get().max(until_bin));
    }

    /// Hands the writer the rest of the day (its last bins, and `link_day`) and waits for the
    /// file to be in place.
    pub fn finish(mut self, roads: &RoadNetwork, world: &World) -> Result<()> {
        self.send_bins(world, world.traffic().stats.bin_count());
        if let Some(to_writer) = self.to_writer.take() {
            let _ = to_writer.send(Message::Day(link_day(roads, world)));
        }
        match self.writer.take() {
            Some(writer) => writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Ok(()),
        }
    }
}

impl Drop for TrafficGpkg {
    /// A day that ended in an error: the writer stops at the closed channel without putting
    /// the file in place, and is waited for, so that nothing writes into a folder that is
    /// being removed.
    fn drop(&mut self) {
        self.to_writer.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer's thread: `link_bins` as the bins come, then `link_day`.
fn write(
    path: &Path,
    crs_wkt: &str,
    shapes: &[Shape],
    day: SimDay,
    inbox: Receiver<Message>,
) -> Result<()> {
    let mut gpkg = GpkgWriter::create(path, crs_wkt)?;
    let mut link_day = None;
    let bins = inbox.iter().map_while(|message| match message {
        Message::Bin {
            from_s,
            until_s,
            links,
        } => Some((from_s, until_s, links)),
        Message::Day(features) => {
            link_day = Some(features);
            None
        }
    });
    let features = bins.flat_map(|(from_s, until_s, links)| {
        let (start, end) = (utc(&day, from_s), utc(&day, until_s));
        let observed_s = until_s - from_s;
        links.into_iter().map(move |(l, bin)| {
            let shape = &shapes[l.index()];
            let speed = bin.mean_speed_kmh(shape.length_m);
            let values = vec![
                Value::Int(i64::from(l.0)),
                Value::OwnedText(start.clone()),
                Value::OwnedText(end.clone()),
                Value::Real(bin.flow_vph(observed_s)),
                Value::Real(speed),
                Value::Real(speed / f64::from(shape.speed_kmh).max(1.0)),
                Value::Real(bin.density_veh_km(shape.length_m, observed_s)),
                Value::Int(i64::from(bin.stuck)),
            ];
            (Geometry::LineString(shape.geometry.clone()), values)
        })
    });
    gpkg.layer(
        "link_bins",
        &BIN_FIELDS,
        GeometryType::wkbLineString,
        features,
    )?;
    // no day: the run failed and the channel was closed; the file is left unfinished
    let Some(link_day) = link_day else {
        return Ok(());
    };
    let link_day = link_day.into_iter();
    gpkg.layer(
        "link_day",
        &DAY_FIELDS,
        GeometryType::wkbLineString,
        link_day,
    )?;
    Ok(gpkg.finish()?)
}

/// The car links with the day's aggregates.
fn link_day(roads: &RoadNetwork, world: &World) -> Vec<Feature> {
    let totals = world
        .traffic()
        .stats
        .day_totals(|l| roads.links[l.index()].length_m);
    let car_links = roads
        .links
        .iter()
        .enumerate()
        .filter(|(l, _)| world.traffic().net.link(LinkId::from_index(*l)).is_some());
    car_links
        .map(|(l, link)| {
            let (total, peak) = totals[l];
            let speed = total.mean_speed_kmh(link.length_m);
            let values = vec![
                Value::Int(l as i64),
                Value::Int(link.osm_way_id),
                Value::Text(link.class.as_osm()),
                link.name.clone().map_or(Value::Null, Value::OwnedText),
                Value::Int(i64::from(total.exits)),
                Value::Real(speed),
                Value::Real(speed / f64::from(link.speed_kmh).max(1.0)),
                Value::Real(f64::from(total.vehicle_s) / 3600.0),
                Value::Real(peak),
                Value::Int(i64::from(total.stuck)),
            ];
            (Geometry::LineString(link.geometry.clone()), values)
        })
        .collect()
}

/// A simulated time in UTC (`…Z`), the form GeoPackage requires of its DATETIME values
/// (GDAL flags any other offset as non-conformant); readers show it in their own zone.
fn utc(day: &SimDay, sim_s: u32) -> String {
    citytwin_city::calendar::rfc3339(day.unix(sim_s), 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::calendar::DEFAULT_DATE;
    use citytwin_city::synthetic::GridCity;
    use citytwin_sim::WorldOptions;
    use citytwin_traffic::demand::synthetic::synthetic_day;

    /// Every feature of every layer, in file order, as text.
    fn features(path: &Path) -> Vec<String> {
        use gdal::vector::LayerAccess;
        let dataset = gdal::Dataset::open(path).unwrap();
        let mut out = Vec::new();
        for name in ["link_day", "link_bins"] {
            let mut layer = dataset.layer_by_name(name).unwrap();
            for f in layer.features() {
                let fields: Vec<String> = f.fields().map(|(n, v)| format!("{n}={v:?}")).collect();
                let wkt = f.geometry().unwrap().wkt().unwrap();
                out.push(format!("{name} {:?} {wkt} {}", f.fid(), fields.join(" ")));
            }
        }
        out
    }

    #[test]
    fn written_beside_the_day_it_is_the_file_written_after_it() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let city = GridCity::default().build();
        let trips = synthetic_day(&city, 20_000, 1).unwrap();
        let options = WorldOptions {
            from_s: 6 * 3600 + 600,
            to_s: 8 * 3600,
            ..WorldOptions::default()
        };
        let mut world = World::new(city.roads(), trips, options).unwrap();
        let (roads, crs) = (city.roads(), city.bundle.meta.crs.wkt.as_str());
        let day = SimDay {
            date: DEFAULT_DATE,
            utc_offset_s: 8 * 3600,
        };
        let beside = dir.join("beside.gpkg");
        let gpkg = TrafficGpkg::start(&beside, crs, roads, day).unwrap();
        // stopped inside a bin, as Ctrl-C would: the last bin is seen in part
        world.run(&mut |w| {
            gpkg.send_settled(w);
            w.now_s() < 7 * 3600 + 1200
        });
        let sent_during_the_day = gpkg.sent.get();
        assert_eq!(
            sent_during_the_day, 29,
            "06:00–07:15 in 15-minute bins from midnight"
        );
        gpkg.finish(roads, &world).unwrap();
        let after = dir.join("after.gpkg");
        TrafficGpkg::start(&after, crs, roads, day)
            .unwrap()
            .finish(roads, &world)
            .unwrap();
        let (beside, after) = (features(&beside), features(&after));
        assert!(after.iter().filter(|f| f.starts_with("link_bins")).count() > 1000);
        assert_eq!(beside, after);

        // a day that fails: the writer is stopped and waited for, and nothing is put in place
        let failed = dir.join("failed.gpkg");
        drop(TrafficGpkg::start(&failed, crs, roads, day).unwrap());
        assert!(!failed.exists());
    }
}
