//! The sensor layer of a World: virtual loop detectors on the watched car links, virtual bike
//! counters at the fences with a monitoring point, replayed air-quality stations and live
//! sensors from the scene's ops file, each a SensorThings `Thing` with its `Datastream`s.

use super::{OpsInputs, StationInput, place_of};
use citytwin_city::{City, DatastreamId, FenceId, LinkId, Mode, ThingId};
use citytwin_ops::model::{Location, Sensor, Source};
use citytwin_ops::replay::{REPLAYED, ReplayDay};
use citytwin_ops::setup::LoopDetectors;
use citytwin_ops::vitals::Place;
use citytwin_ops::{Datastream, Quantity, Thing, Thresholds};
use geo::{Centroid, Point};
use serde::{Deserialize, Serialize};

/// A loop detector: its link and its three datastreams.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Detector {
    pub link: LinkId,
    pub length_m: f64,
    pub lanes: u8,
    pub flow: DatastreamId,
    pub speed: DatastreamId,
    pub occupancy: DatastreamId,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Counter {
    pub fence: FenceId,
    pub stream: DatastreamId,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Station {
    pub replay: ReplayDay,
    /// In the order of [`REPLAYED`].
    pub streams: Vec<DatastreamId>,
    pub thing: ThingId,
}

/// Everything the sensor layer is made of.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SensorLayer {
    pub things: Vec<Thing>,
    pub streams: Vec<Datastream>,
    /// Where each thing is, for the vital signs, and the car link crews drive to.
    pub places: Vec<Place>,
    pub links: Vec<Option<LinkId>>,
    pub detectors: Vec<Detector>,
    pub counters: Vec<Counter>,
    pub stations: Vec<Station>,
    pub interval_s: u32,
}

/// A thing before it is added: name, what it is, where.
struct NewThing<'a> {
    name: String,
    description: &'a str,
    point: Point<f64>,
    lonlat: (f64, f64),
}

impl SensorLayer {
    fn add_thing(&mut self, city: &City, t: NewThing<'_>) -> ThingId {
        let id = ThingId::from_index(self.things.len());
        let place = place_of(city, t.point);
        self.things.push(Thing {
            id,
            name: t.name,
            description: t.description.to_string(),
            location: Location {
                lon: t.lonlat.0,
                lat: t.lonlat.1,
                point: t.point,
                cell: place.cell,
                district: place.district,
            },
            datastreams: Vec::new(),
        });
        self.places.push(place);
        self.links
            .push(city.nearest_link(t.point, Mode::Car).map(|m| m.link));
        id
    }

    fn add_stream(
        &mut self,
        thing: ThingId,
        quantity: Quantity,
        source: Source,
        interval_s: u32,
        thresholds: Option<Thresholds>,
    ) -> DatastreamId {
        let id = DatastreamId::from_index(self.streams.len());
        let t = &mut self.things[thing.index()];
        t.datastreams.push(id);
        self.streams.push(Datastream {
            id,
            name: format!("{} · {}", t.name, quantity.key()),
            thing,
            sensor: Sensor {
                name: t.name.clone(),
                description: t.description.clone(),
            },
            quantity,
            source,
            interval_s,
            thresholds,
        });
        id
    }

    pub fn build(
        city: &City,
        inputs: &OpsInputs,
        fences: Option<(&citytwin_bikes::fence::Fences, &[FenceId])>,
        lonlat: &dyn Fn(Point<f64>) -> (f64, f64),
    ) -> SensorLayer {
        let mut layer = SensorLayer::default();
        // live sensors first: their datastream ids are their positions in the ops file's
        // `live:` list, whatever else the run has, so publishers can rely on them
        for s in &inputs.live {
            let thing = layer.add_thing(
                city,
                NewThing {
                    name: s.sensor.name.clone(),
                    description: "live sensor (MQTT)",
                    point: s.point,
                    lonlat: (s.sensor.lon, s.sensor.lat),
                },
            );
            layer.add_stream(
                thing,
                s.sensor.quantity.clone(),
                Source::Live,
                s.sensor.interval_s,
                s.sensor.thresholds,
            );
        }
        layer.add_loop_detectors(city, &inputs.file.loop_detectors, lonlat);
        if let Some((fences, monitored)) = fences {
            layer.add_bike_counters(city, fences, monitored, lonlat);
        }
        layer.add_stations(city, &inputs.stations);
        layer
    }

    /// A virtual loop detector on every long enough link of the watched classes.
    fn add_loop_detectors(
        &mut self,
        city: &City,
        detect: &LoopDetectors,
        lonlat: &dyn Fn(Point<f64>) -> (f64, f64),
    ) {
        self.interval_s = detect.interval_minutes * 60;
        let roads = city.roads();
        for (l, link) in roads.links.iter().enumerate() {
            let watched = detect.classes.iter().any(|c| c == link.class.as_osm());
            if !watched || link.capacity_vph <= 0.0 || link.length_m < detect.min_length_m {
                continue;
            }
            let Some(mid) = link.geometry.centroid() else {
                continue;
            };
            let road = link.name.as_deref().unwrap_or("unnamed road");
            let thing = self.add_thing(
                city,
                NewThing {
                    name: format!("loop detector on {road} (link {l})"),
                    description: "inductive loop detector (virtual: samples the simulation)",
                    point: mid,
                    lonlat: lonlat(mid),
                },
            );
            let every = self.interval_s;
            let mut stream = |q| self.add_stream(thing, q, Source::Virtual, every, None);
            let (flow, speed, occupancy) = (
                stream(Quantity::TrafficFlow),
                stream(Quantity::TrafficSpeed),
                stream(Quantity::Occupancy),
            );
            self.detectors.push(Detector {
                link: LinkId::from_index(l),
                length_m: link.length_m,
                lanes: link.lanes.max(1),
                flow,
                speed,
                occupancy,
            });
        }
    }

    /// A virtual counter of parked bikes at each monitored fence.
    fn add_bike_counters(
        &mut self,
        city: &City,
        fences: &citytwin_bikes::fence::Fences,
        monitored: &[FenceId],
        lonlat: &dyn Fn(Point<f64>) -> (f64, f64),
    ) {
        for &f in monitored {
            let (Some(fence), Some(centre)) = (fences.get(f), fences.centre(f)) else {
                continue;
            };
            let thing = self.add_thing(
                city,
                NewThing {
                    name: format!("bike counter at {}", fence.name),
                    description: "monitoring point counting parked bikes (virtual)",
                    point: centre,
                    lonlat: lonlat(centre),
                },
            );
            let stream = self.add_stream(thing, Quantity::BikesParked, Source::Virtual, 60, None);
            self.counters.push(Counter { fence: f, stream });
        }
    }

    /// The replayed air-quality stations, a stream per pollutant.
    fn add_stations(&mut self, city: &City, stations: &[StationInput]) {
        for s in stations {
            let thing = self.add_thing(
                city,
                NewThing {
                    name: s.name.clone(),
                    description: "air-quality station (replayed record)",
                    point: s.point,
                    lonlat: (s.lon, s.lat),
                },
            );
            let origin = format!(
                "{} station, {} (UCI Beijing Multi-Site Air-Quality, CC BY 4.0)",
                s.replay.station, s.replay.date
            );
            let streams = REPLAYED
                .iter()
                .map(|q| {
                    let source = Source::Replay {
                        origin: origin.clone(),
                    };
                    self.add_stream(thing, q.clone(), source, 3600, None)
                })
                .collect();
            self.stations.push(Station {
                replay: s.replay.clone(),
                streams,
                thing,
            });
        }
    }
}
