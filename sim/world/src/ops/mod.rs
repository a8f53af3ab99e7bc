//! Operations in the World: the sensor layer sampled every minute, replayed series released
//! hour by hour, live observations ingested as they arrive, vital signs every five minutes,
//! data quality every hour, and the alarms of all three — plus the bikes' monitoring points
//! and citizens' reports — opened as cases on the case desk.
//!
//! Traffic vital signs read the links' state directly (as a city reads floating-car data);
//! bike vital signs read the monitoring points' counters, air quality the stations' feeds,
//! so a stale or broken feed shows in the vital signs as it would in the operations centre.

mod casework;
mod evidence;
mod picture;
mod report;
mod sensors;

pub use citytwin_ops::Level;
pub use citytwin_ops::cases::CaseState;
pub use citytwin_ops::vitals::describe;
pub use picture::{CaseMarker, CellAlert, OpsPicture, SensorMarker, VitalReading};
pub use report::{CasesSummary, OpsSummary, QualitySummary, VitalRow, VitalsSummary};

use citytwin_bikes::BikeSim;
use citytwin_bikes::alarms::AlarmKind;
use citytwin_city::grid::Grid;
use citytwin_city::layer::names;
use citytwin_city::{City, DatastreamId, LinkId, Mode};
use citytwin_ops::cases::{Filing, Origin};
use citytwin_ops::desk::{Backlog, CaseDesk};
use citytwin_ops::feeds::Feeds;
use citytwin_ops::iaqi::HourlyConcentrations;
use citytwin_ops::quality::{self, FeedFault, QualityScore};
use citytwin_ops::replay::{REPLAYED, ReplayDay};
use citytwin_ops::services::codes;
use citytwin_ops::setup::{LiveSensor, OpsFile};
use citytwin_ops::vitals::{
    CaseReading, Evidence, FenceReading, Indicator, LinkReading, Place, Scope, SensorReading,
    StationReading, VitalSigns,
};
use citytwin_ops::wire::SimDay;
use citytwin_ops::{Observation, Quantity};
use citytwin_traffic::dynamic::{LinkLoad, TrafficSim};
use geo::{Centroid, Point, Rect};
use sensors::SensorLayer;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Vital signs are recomputed this often (simulated seconds).
pub const VITALS_EVERY_S: u32 = 300;
/// Data quality is scored over periods this long.
pub const QUALITY_PERIOD_S: u32 = 3600;
/// A vital sign opens a case once it has been red for this many updates in a row.
pub const RED_UPDATES_FOR_ALARM: u32 = 3;
/// A station's reading older than this is not used for the AQI.
const AIR_MAX_AGE_S: u32 = 2 * 3600;

/// A replayed station, placed in the city.
#[derive(Clone, Debug)]
pub struct StationInput {
    pub name: String,
    pub point: Point<f64>,
    pub lon: f64,
    pub lat: f64,
    /// The day of its record it replays.
    pub replay: ReplayDay,
    /// The whole record (a PRSA file's text), so a scenario can replay another day.
    pub record: std::sync::Arc<str>,
}

impl OpsInputs {
    /// The day of their records the stations replay.
    pub fn air_quality_date(&self) -> Option<citytwin_city::calendar::Date> {
        self.stations.first().map(|s| s.replay.date)
    }

    /// Every station replays `date` of its record instead; an error names the station whose
    /// record has no such day.
    pub fn replay_air_quality(
        &mut self,
        date: citytwin_city::calendar::Date,
    ) -> Result<(), String> {
        for s in &mut self.stations {
            if s.replay.date != date {
                s.replay = ReplayDay::from_csv(&s.record, date)
                    .map_err(|e| format!("air-quality station {}: {e}", s.name))?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct LiveInput {
    pub sensor: LiveSensor,
    pub point: Point<f64>,
}

/// A citizen's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub at_s: u32,
    pub point: Point<f64>,
    pub lon: f64,
    pub lat: f64,
    pub text: String,
}

/// The ops file with its files read and its places projected (by the caller, who has PROJ).
#[derive(Clone, Debug)]
pub struct OpsInputs {
    pub file: OpsFile,
    pub day: SimDay,
    pub stations: Vec<StationInput>,
    pub live: Vec<LiveInput>,
    /// In time order.
    pub reports: Vec<Report>,
}

/// One period's data-quality scores, one per datastream.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityPeriod {
    pub from_s: u32,
    pub to_s: u32,
    pub scores: Vec<QualityScore>,
}

/// Linear map between the city CRS and WGS84 over the city's extent, for the lon/lat that
/// Open311 cases publish (a few metres off at most over a city-sized UTM extent).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct LonLat {
    extent: Rect<f64>,
    lonlat: Rect<f64>,
}

impl LonLat {
    fn of(&self, p: Point<f64>) -> (f64, f64) {
        let (e, l) = (self.extent, self.lonlat);
        let fx = (p.x() - e.min().x) / e.width().max(f64::EPSILON);
        let fy = (p.y() - e.min().y) / e.height().max(f64::EPSILON);
        (l.min().x + fx * l.width(), l.min().y + fy * l.height())
    }
}

pub(crate) fn place_of(city: &City, p: Point<f64>) -> Place {
    Place {
        district: city.district_at(p),
        cell: city.cell_at(p),
    }
}

/// A fence as cases and vital signs see it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct FenceSite {
    place: Place,
    centre: Point<f64>,
    link: Option<LinkId>,
    capacity: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpsSim {
    pub day: SimDay,
    /// Topic prefix of the city's live feeds (`citytwin_ops::wire`).
    pub mqtt_prefix: String,
    layer: SensorLayer,
    pub feeds: Feeds,
    pub vitals: VitalSigns,
    pub desk: CaseDesk,
    case_places: Vec<Place>,
    link_places: Vec<Option<Place>>,
    /// Every fence of the bikes, by fence id.
    fences: Vec<FenceSite>,
    /// The car link nearest each grid cell's centre (row-major), where crews go for a cell.
    cell_links: Vec<Option<LinkId>>,
    /// Citizens' reports with the car link nearest each.
    reports: Vec<(Report, Option<LinkId>)>,
    next_report: usize,
    /// Live observations waiting to be ingested, with their arrival times.
    live: VecDeque<(u32, Observation)>,
    pub quality: Vec<QualityPeriod>,
    pub vital_rows: Vec<VitalRow>,
    pub backlog: Vec<Backlog>,
    /// Feed faults seen, by kind.
    pub faults: Vec<(u32, DatastreamId, FeedFault)>,
    /// Live messages that could not be decoded (counted by the feed client).
    pub malformed: u64,
    bike_events_seen: usize,
    grid: Grid,
    district_names: Vec<String>,
    lonlat: LonLat,
    period_start: u32,
    started: bool,
}

impl OpsSim {
    /// The ops of a city: sensors on `roads`' watched links, counters at the monitored
    /// fences of `bikes` (if any), the stations and live sensors of `inputs`.
    pub fn new(city: &City, inputs: OpsInputs, bikes: Option<&BikeSim>, seed: u64) -> OpsSim {
        let meta = &city.bundle.meta;
        let lonlat = LonLat {
            extent: meta.extent,
            lonlat: meta.extent_lonlat,
        };
        let fences = bikes.map(|b| (&b.plan.fences, b.plan.monitored.as_slice()));
        let layer = SensorLayer::build(city, &inputs, fences, &|p| lonlat.of(p));
        let feeds = Feeds::new(layer.streams.clone());
        let link_places = city
            .roads()
            .links
            .iter()
            .map(|l| {
                (l.capacity_vph > 0.0)
                    .then(|| l.geometry.centroid().map(|c| place_of(city, c)))
                    .flatten()
            })
            .collect();
        let car_link = |p: Point<f64>| city.nearest_link(p, Mode::Car).map(|m| m.link);
        let fences = bikes
            .map(|b| {
                b.plan
                    .fences
                    .iter()
                    .map(|f| {
                        let centre = b.plan.fences.centre(f.id).unwrap_or(Point::new(0.0, 0.0));
                        FenceSite {
                            place: place_of(city, centre),
                            centre,
                            link: car_link(centre),
                            capacity: f.capacity,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let grid = &city.bundle.grid;
        let cell_links = grid.cells().map(|c| car_link(grid.centre(c))).collect();
        let reports = inputs
            .reports
            .into_iter()
            .map(|r| {
                let link = car_link(r.point);
                (r, link)
            })
            .collect();
        let e = city.bundle.meta.extent;
        let catalog = inputs.file.catalog(e.width() * e.height() / 1e6);
        let crew_links = crew_bases(city, &catalog);
        let district_names = city.bundle.district_names();
        OpsSim {
            day: inputs.day,
            mqtt_prefix: inputs.file.mqtt_prefix.clone(),
            feeds,
            vitals: VitalSigns::new(inputs.file.vitals.clone()),
            desk: CaseDesk::new(catalog, &crew_links, seed),
            case_places: Vec::new(),
            link_places,
            fences,
            cell_links,
            reports,
            next_report: 0,
            live: VecDeque::new(),
            quality: Vec::new(),
            vital_rows: Vec::new(),
            backlog: Vec::new(),
            faults: Vec::new(),
            malformed: 0,
            bike_events_seen: 0,
            grid: city.bundle.grid.clone(),
            district_names,
            lonlat,
            period_start: 0,
            started: false,
            layer,
        }
    }

    /// The car links with a loop detector, in link order.
    pub fn detector_links(&self) -> Vec<citytwin_city::LinkId> {
        let mut links: Vec<_> = self.layer.detectors.iter().map(|d| d.link).collect();
        links.sort();
        links.dedup();
        links
    }

    pub fn things(&self) -> &[citytwin_ops::Thing] {
        &self.layer.things
    }

    /// Queues a live observation that arrived at `arrival_s` (simulated time).
    pub fn push_live(&mut self, arrival_s: u32, obs: Observation) {
        self.live.push_back((arrival_s, obs));
    }

    /// One simulated minute at `now`: sample, ingest, raise alarms, move cases.
    pub fn minute(
        &mut self,
        now: u32,
        traffic: &TrafficSim,
        loads: &[LinkLoad],
        bikes: Option<&BikeSim>,
        travel: &mut citytwin_ops::desk::TravelTime<'_>,
    ) {
        if !self.started {
            self.start(now);
        }
        while let Some((arrival, obs)) = self.live.front().copied() {
            if arrival > now {
                break;
            }
            self.live.pop_front();
            let _ = self.feeds.ingest(obs, arrival);
        }
        if now.is_multiple_of(self.layer.interval_s) {
            self.sample_detectors(now, traffic, loads);
        }
        if let Some(b) = bikes {
            self.sample_counters(now, b);
            self.open_bike_cases(now, b);
        }
        if now.is_multiple_of(3600) && now > 0 {
            self.release_replay_hour(now / 3600 - 1);
        }
        self.open_report_cases(now);
        if now.is_multiple_of(VITALS_EVERY_S) {
            let score = bikes.map(|b| b.governance().score);
            self.update_vitals(now, traffic, loads, score);
        }
        if now >= self.period_start + QUALITY_PERIOD_S {
            self.close_quality_period(now);
        }
        self.desk.step(now, travel);
    }

    /// The hours of replayed record before the run starts arrive as they would have.
    fn start(&mut self, now: u32) {
        self.started = true;
        // periods are whole clock hours, so an hourly feed's hour falls in one period
        self.period_start = now - now % QUALITY_PERIOD_S;
        for hour in 0..now / 3600 {
            self.release_replay_hour(hour);
        }
    }

    fn release_replay_hour(&mut self, hour: u32) {
        let release = (hour + 1) * 3600;
        for s in &self.layer.stations {
            let Some(values) = s.replay.values.get(hour as usize) else {
                continue;
            };
            for (k, v) in values.iter().enumerate() {
                if let Some(result) = v {
                    let obs = Observation {
                        datastream: s.streams[k],
                        phenomenon_s: hour * 3600,
                        result: *result,
                    };
                    let _ = self.feeds.ingest(obs, release);
                }
            }
        }
    }

    fn sample_detectors(&mut self, now: u32, traffic: &TrafficSim, loads: &[LinkLoad]) {
        // effective length a car occupies on a loop at standstill (jam spacing)
        const JAM_SPACING_M: f64 = 7.5;
        for d in &self.layer.detectors {
            let (Some(load), Some(spec)) = (loads.get(d.link.index()), traffic.net.link(d.link))
            else {
                continue;
            };
            if load.closed {
                continue;
            }
            let ratio = f64::from(load.speed_ratio).max(1e-3);
            let speed = spec.length_m / (f64::from(spec.free_flow_s.max(1)) / ratio) * 3.6;
            let density = f64::from(load.vehicles) / (d.length_m / 1000.0);
            let occupancy = (f64::from(load.vehicles) * JAM_SPACING_M
                / (d.length_m * f64::from(d.lanes))
                * 100.0)
                .min(100.0);
            for (stream, result) in [
                (d.flow, (density * speed).min(4000.0)),
                (d.speed, speed),
                (d.occupancy, occupancy),
            ] {
                let obs = Observation {
                    datastream: stream,
                    phenomenon_s: now,
                    result,
                };
                let _ = self.feeds.ingest(obs, now);
            }
        }
    }

    fn sample_counters(&mut self, now: u32, bikes: &BikeSim) {
        if !now.is_multiple_of(60) {
            return;
        }
        let (counts, _) = bikes.counts();
        for c in &self.layer.counters {
            let obs = Observation {
                datastream: c.stream,
                phenomenon_s: now,
                result: f64::from(counts.get(c.fence.index()).copied().unwrap_or(0)),
            };
            let _ = self.feeds.ingest(obs, now);
        }
    }

    /// The summary of everything so far, for `summary.json`.
    pub fn summary(&self, now: u32) -> OpsSummary {
        report::summary(self, now)
    }
}

/// Where each team's crews start: spread over the districts (crew k of a team at the car
/// link nearest the centroid of the k-th district, round robin), or at the city's centre.
fn crew_bases(city: &City, catalog: &citytwin_ops::services::ServiceCatalog) -> Vec<Vec<LinkId>> {
    let mut centres: Vec<Point<f64>> = city
        .layer(names::DISTRICTS)
        .map(|l| {
            l.features
                .iter()
                .filter_map(|f| f.geometry.centroid())
                .collect()
        })
        .unwrap_or_default();
    if centres.is_empty() {
        centres.push(city.bundle.meta.extent.center().into());
    }
    let links: Vec<Option<LinkId>> = centres
        .iter()
        .map(|c| city.nearest_link(*c, Mode::Car).map(|m| m.link))
        .collect();
    catalog
        .teams
        .iter()
        .map(|t| {
            (0..t.crews as usize)
                .filter_map(|k| links[k % links.len()])
                .collect()
        })
        .collect()
}
