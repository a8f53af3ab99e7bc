//! What the viewer shows of the bikes, and what its inspect panel shows of a link, a fence, a
//! sensor or a case: plain
//! structs the World fills from its models, so the viewer formats figures without reaching
//! into the traffic, bike or operations models.

use crate::World;
use citytwin_city::{CaseId, FenceId, LinkId, ThingId};
use citytwin_ops::cases::CaseState;
use citytwin_ops::model::Level;
use citytwin_traffic::dynamic::{CarPosition, LinkLoad};

/// The shared bikes now, for the wall's KPI panel.
#[derive(Clone, Debug, PartialEq)]
pub struct BikeKpis {
    pub in_fences: u32,
    pub outside: usize,
    pub riding: usize,
    pub overflow_alarms: usize,
    pub empty_alarms: usize,
    pub trips: u64,
    pub unmet_wishes: u64,
    /// The city's governance score of the operators (0–100), and each operator's.
    pub rules_score: f64,
    pub operator_scores: Vec<(String, f64)>,
}

/// A fence's bikes now against its capacity, for the map's fence colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FenceLoad {
    pub bikes: u32,
    pub capacity: u32,
}

/// A link now and in its last statistics bins.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkPanel {
    /// `None` for a link cars may not use.
    pub now: Option<LinkLoad>,
    pub recent: Vec<BinFigures>,
}

/// One statistics bin of one link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinFigures {
    pub start_s: u32,
    pub flow_vph: f64,
    /// Space-mean speed of the cars that left (0 when none did).
    pub speed_kmh: f64,
}

/// A parking fence now and at its last samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FencePanel {
    pub name: String,
    /// What it serves (a metro entrance, a bus stop…).
    pub site: &'static str,
    pub capacity: u32,
    pub monitored: bool,
    pub bikes_now: u32,
    pub recent: Vec<FenceReading>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FenceReading {
    pub at_s: u32,
    pub bikes: u32,
    pub overflow: bool,
    pub empty: bool,
}

/// A sensor: what and where it is, and each of its datastreams.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorPanel {
    pub name: String,
    pub description: String,
    pub lon: f64,
    pub lat: f64,
    pub streams: Vec<StreamPanel>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamPanel {
    pub name: String,
    pub unit: String,
    /// The reading now: when, what, and its level where the stream has thresholds.
    pub current: Option<(u32, f64, Option<Level>)>,
    /// The last readings, oldest first.
    pub recent: Vec<(u32, f64)>,
}

/// A citizen's or an alarm's case, and its states so far.
#[derive(Clone, Debug, PartialEq)]
pub struct CasePanel {
    pub id: CaseId,
    pub service_code: String,
    pub description: String,
    pub lon: f64,
    pub lat: f64,
    pub cell_code: Option<String>,
    pub due_s: u32,
    /// Past its SLA and not closed.
    pub overdue: bool,
    pub agency: Option<String>,
    /// (when, to which state, the note)
    pub history: Vec<(u32, CaseState, String)>,
}

impl World {
    /// The bikes' figures now; `None` without bikes.
    pub fn bike_kpis(&self) -> Option<BikeKpis> {
        let bikes = self.bikes()?;
        let (in_fences, outside) = bikes.counts();
        let summary = bikes.summary();
        let (overflow_alarms, empty_alarms) = bikes.open_alarms();
        let governance = bikes.governance();
        Some(BikeKpis {
            in_fences: in_fences.iter().sum(),
            outside,
            riding: bikes.riding(),
            overflow_alarms,
            empty_alarms,
            trips: summary.trips,
            unmet_wishes: summary.unmet_demand,
            rules_score: governance.score,
            operator_scores: governance
                .operators
                .iter()
                .map(|o| (o.name.clone(), o.score))
                .collect(),
        })
    }

    /// Where each car is at `at_s` (seconds, fractional between steps), for drawing.
    pub fn car_positions(&self, at_s: f64, out: &mut Vec<CarPosition>) {
        self.traffic().car_positions(at_s, out);
    }

    /// Every fence's bikes now, in fence order; `None` without bikes.
    pub fn fence_loads(&self) -> Option<Vec<FenceLoad>> {
        let bikes = self.bikes()?;
        let (counts, _) = bikes.counts();
        let fences = bikes.plan.fences.iter();
        let loads = fences.map(|f| FenceLoad {
            bikes: counts[f.id.index()],
            capacity: f.capacity,
        });
        Some(loads.collect())
    }

    /// Fence `id`'s name; `None` without bikes or such a fence.
    pub fn fence_name(&self, id: FenceId) -> Option<&str> {
        let fence = self.bikes()?.plan.fences.get(id)?;
        Some(fence.name.as_str())
    }

    /// Link `id` now and in its last `recent` bins.
    pub fn link_panel(&self, id: LinkId, recent: usize) -> LinkPanel {
        let traffic = self.traffic();
        let stats = &traffic.stats;
        let bin_s = stats.bin_s.max(1);
        let length_m = traffic.net.link(id).map_or(0.0, |l| l.length_m);
        let first = stats.bin_count().saturating_sub(recent);
        LinkPanel {
            now: traffic.link_load(id),
            recent: (first..stats.bin_count())
                .map(|b| {
                    let bin = stats.get(b, id);
                    BinFigures {
                        start_s: b as u32 * bin_s,
                        flow_vph: bin.flow_vph(bin_s),
                        speed_kmh: bin.mean_speed_kmh(length_m),
                    }
                })
                .collect(),
        }
    }

    /// Fence `id` now and at its last `recent` samples; `None` without bikes or such a fence.
    pub fn fence_panel(&self, id: FenceId, recent: usize) -> Option<FencePanel> {
        let bikes = self.bikes()?;
        let fence = bikes.plan.fences.get(id)?;
        let f = id.index();
        let series = bikes.series();
        Some(FencePanel {
            name: fence.name.clone(),
            site: bikes.plan.sites[f].as_str(),
            capacity: fence.capacity,
            monitored: bikes.plan.monitored.contains(&id),
            bikes_now: bikes.counts().0[f],
            recent: series[series.len().saturating_sub(recent)..]
                .iter()
                .map(|s| FenceReading {
                    at_s: s.at_s,
                    bikes: s.counts[f],
                    overflow: s.overflow_open[f],
                    empty: s.empty_open[f],
                })
                .collect(),
        })
    }

    /// Sensor `id` with its last `recent` readings per datastream; `None` without operations
    /// or such a sensor.
    pub fn sensor_panel(&self, id: ThingId, recent: usize) -> Option<SensorPanel> {
        let ops = self.ops()?;
        let thing = ops.things().iter().find(|t| t.id == id)?;
        let streams = thing.datastreams.iter().filter_map(|d| {
            let feed = ops.feeds.get(*d)?;
            let thresholds = feed.stream.thresholds.as_ref();
            let history = feed.history.iter().rev().take(recent);
            let mut last: Vec<(u32, f64)> = history.copied().collect();
            last.reverse();
            Some(StreamPanel {
                name: feed.stream.name.clone(),
                unit: feed.stream.quantity.unit_symbol().to_string(),
                current: feed
                    .current
                    .map(|(t, v)| (t, v, thresholds.map(|th| th.level(v)))),
                recent: last,
            })
        });
        Some(SensorPanel {
            name: thing.name.clone(),
            description: thing.description.clone(),
            lon: thing.location.lon,
            lat: thing.location.lat,
            streams: streams.collect(),
        })
    }

    /// Case `id` and its states so far; `None` without operations or such a case.
    pub fn case_panel(&self, id: CaseId) -> Option<CasePanel> {
        let ops = self.ops()?;
        let case = ops.desk.cases().iter().find(|c| c.id == id)?;
        Some(CasePanel {
            id: case.id,
            service_code: case.filing.service_code.clone(),
            description: case.filing.description.clone(),
            lon: case.filing.lon,
            lat: case.filing.lat,
            cell_code: case.filing.cell_code.clone(),
            due_s: case.expected_s,
            overdue: self.now_s() > case.expected_s && !case.state().is_closed(),
            agency: case.agency.clone(),
            history: case
                .history()
                .iter()
                .map(|c| (c.at_s, c.to, c.note.clone()))
                .collect(),
        })
    }
}
