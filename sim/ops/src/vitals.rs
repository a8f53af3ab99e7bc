//! Vital signs: indicators per unit grid cell, per district and city-wide, each with a
//! green/amber/red level from the scene's thresholds and a bounded history.
//!
//! - **traffic index** (0–10): the share of vehicle-km now driven on congested links (below half
//!   their free-flow speed) mapped piecewise-linearly onto 0–10 by `traffic_index_breakpoints`
//!   (by default 4, 8, 11, 14 and 24 % → 2, 4, 6, 8, 10, after Beijing's traffic performance
//!   index, which maps the congested share of road-km the same way);
//! - **mean speed** of the cars there (km/h, space-mean: the mean of their links' speeds, the
//!   instantaneous vehicle-km per vehicle-hour, so a jam weighs by its cars, not by the hours
//!   a crossing would take);
//! - **bike availability**: share of fences with at least one bike; **bike overflow**: fences
//!   holding more bikes than their capacity;
//! - **AQI** (HJ 633-2012) of a station's cell, and of a district or the city from the mean of
//!   its stations' concentrations, as Chinese cities report theirs;
//! - **open cases** and **SLA compliance** (share of disposed cases disposed in time);
//! - **reading**: any sensor with thresholds of its own, in its cell.
//!
//! Cells keep [`CELL_HISTORY`] samples, districts and the city [`AREA_HISTORY`].

use crate::iaqi::HourlyConcentrations;
use crate::model::{Level, Thresholds};
use crate::ring::Ring;
use citytwin_city::grid::CellRef;
use citytwin_city::{DatastreamId, DistrictId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const CELL_HISTORY: usize = 12;
pub const AREA_HISTORY: usize = 24 * 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    TrafficIndex,
    MeanSpeed,
    BikeAvailability,
    BikeOverflow,
    Aqi,
    OpenCases,
    SlaCompliance,
    Reading(DatastreamId),
}

impl Indicator {
    pub fn key(&self) -> String {
        match self {
            Indicator::TrafficIndex => "traffic_index".into(),
            Indicator::MeanSpeed => "mean_speed_kmh".into(),
            Indicator::BikeAvailability => "bike_availability".into(),
            Indicator::BikeOverflow => "bike_overflow".into(),
            Indicator::Aqi => "aqi".into(),
            Indicator::OpenCases => "open_cases".into(),
            Indicator::SlaCompliance => "sla_compliance".into(),
            Indicator::Reading(ds) => format!("reading_{ds}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Scope {
    City,
    District(DistrictId),
    Cell(CellRef),
}

/// The scene's thresholds (`vitals:` in scene.ron).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VitalsConfig {
    pub traffic_index: Thresholds,
    pub mean_speed_kmh: Thresholds,
    pub bike_availability: Thresholds,
    pub bike_overflow: Thresholds,
    pub aqi: Thresholds,
    pub open_cases: Thresholds,
    pub sla_compliance: Thresholds,
    /// Congested vehicle-km shares where the traffic index reaches 2, 4, 6, 8 and 10.
    pub traffic_index_breakpoints: [f64; 5],
    /// A grid cell gets traffic indicators only with at least this many vehicle-km on its
    /// links (a handful of cars waiting at one light is not a congested cell).
    pub min_cell_vehicle_km: f64,
}

impl VitalsConfig {
    /// Keys of the indicators whose thresholds the config sets (as in vitals.csv).
    pub const KEYS: [&'static str; 7] = [
        "traffic_index",
        "mean_speed_kmh",
        "bike_availability",
        "bike_overflow",
        "aqi",
        "open_cases",
        "sla_compliance",
    ];

    /// The thresholds of an indicator, by its key.
    pub fn thresholds_mut(&mut self, key: &str) -> Option<&mut Thresholds> {
        Some(match key {
            "traffic_index" => &mut self.traffic_index,
            "mean_speed_kmh" => &mut self.mean_speed_kmh,
            "bike_availability" => &mut self.bike_availability,
            "bike_overflow" => &mut self.bike_overflow,
            "aqi" => &mut self.aqi,
            "open_cases" => &mut self.open_cases,
            "sla_compliance" => &mut self.sla_compliance,
            _ => return None,
        })
    }
}

impl Default for VitalsConfig {
    fn default() -> Self {
        let t = |amber, red| Thresholds { amber, red };
        VitalsConfig {
            traffic_index: t(4.0, 6.0),
            mean_speed_kmh: t(25.0, 15.0),
            bike_availability: t(0.6, 0.4),
            bike_overflow: t(1.0, 5.0),
            // AQI: 101 is "lightly polluted", 201 "heavily polluted"
            aqi: t(101.0, 201.0),
            open_cases: t(20.0, 50.0),
            sla_compliance: t(0.9, 0.8),
            traffic_index_breakpoints: [0.04, 0.08, 0.11, 0.14, 0.24],
            min_cell_vehicle_km: 1.0,
        }
    }
}

impl VitalsConfig {
    pub fn thresholds(&self, indicator: Indicator) -> Option<Thresholds> {
        Some(match indicator {
            Indicator::TrafficIndex => self.traffic_index,
            Indicator::MeanSpeed => self.mean_speed_kmh,
            Indicator::BikeAvailability => self.bike_availability,
            Indicator::BikeOverflow => self.bike_overflow,
            Indicator::Aqi => self.aqi,
            Indicator::OpenCases => self.open_cases,
            Indicator::SlaCompliance => self.sla_compliance,
            Indicator::Reading(_) => return None,
        })
    }

    /// The traffic index (0–10) of a congested share of vehicle-km.
    pub fn traffic_index(&self, congested_share: f64) -> f64 {
        let mut lo = (0.0, 0.0);
        for (k, &bp) in self.traffic_index_breakpoints.iter().enumerate() {
            let hi = (bp, 2.0 * (k + 1) as f64);
            if congested_share <= hi.0 {
                let span = (hi.0 - lo.0).max(f64::EPSILON);
                return lo.1 + (hi.1 - lo.1) * (congested_share - lo.0).max(0.0) / span;
            }
            lo = hi;
        }
        10.0
    }
}

/// Where one piece of evidence lies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub district: Option<DistrictId>,
    pub cell: Option<CellRef>,
}

impl Place {
    fn scopes(&self) -> impl Iterator<Item = Scope> {
        [
            Some(Scope::City),
            self.district.map(Scope::District),
            self.cell.map(Scope::Cell),
        ]
        .into_iter()
        .flatten()
    }
}

/// A loaded car link now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkReading {
    pub place: Place,
    pub vehicles: u32,
    pub length_m: f64,
    pub speed_kmh: f64,
    /// Current over free-flow speed.
    pub speed_ratio: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FenceReading {
    pub place: Place,
    pub bikes: u32,
    pub capacity: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StationReading {
    pub place: Place,
    pub air: HourlyConcentrations,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseReading {
    pub place: Place,
    pub open: bool,
    /// Whether it met its SLA, once disposed.
    pub sla_met: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensorReading {
    pub place: Place,
    pub datastream: DatastreamId,
    pub value: f64,
    pub thresholds: Thresholds,
}

/// Everything the vital signs are computed from, at one moment.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub at_s: u32,
    pub links: Vec<LinkReading>,
    pub fences: Vec<FenceReading>,
    pub stations: Vec<StationReading>,
    pub cases: Vec<CaseReading>,
    pub readings: Vec<SensorReading>,
}

/// One indicator in one scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Vital {
    pub value: f64,
    pub level: Level,
    pub thresholds: Thresholds,
    /// (time, value), oldest first.
    pub history: Ring<(u32, f64)>,
    /// Consecutive updates at red, counting this one.
    pub red_runs: u32,
}

#[derive(Clone, Debug, Default)]
pub struct VitalSigns {
    pub config: VitalsConfig,
    pub at_s: u32,
    pub vitals: BTreeMap<(Indicator, Scope), Vital>,
}

/// Sums per scope, so that each indicator is computed in one pass over the evidence.
#[derive(Default)]
struct Sums {
    /// Cars × link length: how much traffic is there (the cell's minimum).
    vehicle_km: f64,
    cars: f64,
    /// Σ cars × speed: vehicle-km driven per hour now, in all and on congested links.
    vkt_per_h: f64,
    congested_vkt_per_h: f64,
    fences: u32,
    fences_with_bikes: u32,
    overflowing: u32,
    air: Vec<HourlyConcentrations>,
    open_cases: u32,
    disposed: u32,
    in_time: u32,
}

impl VitalSigns {
    pub fn new(config: VitalsConfig) -> VitalSigns {
        VitalSigns {
            config,
            ..VitalSigns::default()
        }
    }

    /// Recomputes every indicator from the evidence and appends to its history.
    pub fn update(&mut self, evidence: &Evidence) {
        self.at_s = evidence.at_s;
        let mut sums: BTreeMap<Scope, Sums> = BTreeMap::new();
        let mut each = |place: &Place, f: &mut dyn FnMut(&mut Sums)| {
            for scope in place.scopes() {
                f(sums.entry(scope).or_default());
            }
        };
        for l in &evidence.links {
            let cars = f64::from(l.vehicles);
            let km = cars * l.length_m / 1000.0;
            let congested = l.speed_ratio < 0.5;
            let vkt_per_h = cars * l.speed_kmh.max(0.0);
            each(&l.place, &mut |s| {
                s.vehicle_km += km;
                s.cars += cars;
                s.vkt_per_h += vkt_per_h;
                if congested {
                    s.congested_vkt_per_h += vkt_per_h;
                }
            });
        }
        for f in &evidence.fences {
            each(&f.place, &mut |s| {
                s.fences += 1;
                s.fences_with_bikes += u32::from(f.bikes > 0);
                s.overflowing += u32::from(f.bikes > f.capacity);
            });
        }
        for st in &evidence.stations {
            each(&st.place, &mut |s| s.air.push(st.air));
        }
        for c in &evidence.cases {
            each(&c.place, &mut |s| {
                s.open_cases += u32::from(c.open);
                if let Some(met) = c.sla_met {
                    s.disposed += 1;
                    s.in_time += u32::from(met);
                }
            });
        }
        let at = evidence.at_s;
        for (scope, s) in &sums {
            let enough = match scope {
                Scope::Cell(_) => s.vehicle_km >= self.config.min_cell_vehicle_km,
                _ => s.vehicle_km > 0.0,
            };
            if enough {
                // cars standing still drive no vehicle-km: a standstill is all congestion
                let share = if s.vkt_per_h > 0.0 {
                    s.congested_vkt_per_h / s.vkt_per_h
                } else {
                    1.0
                };
                let index = self.config.traffic_index(share);
                self.record(Indicator::TrafficIndex, *scope, index, at);
                self.record(Indicator::MeanSpeed, *scope, s.vkt_per_h / s.cars, at);
            }
            if s.fences > 0 {
                let share = f64::from(s.fences_with_bikes) / f64::from(s.fences);
                self.record(Indicator::BikeAvailability, *scope, share, at);
                self.record(
                    Indicator::BikeOverflow,
                    *scope,
                    f64::from(s.overflowing),
                    at,
                );
            }
            if let Some(aqi) = mean_air(&s.air).aqi() {
                self.record(Indicator::Aqi, *scope, f64::from(aqi.aqi), at);
            }
            if *scope == Scope::City || s.open_cases > 0 {
                self.record(Indicator::OpenCases, *scope, f64::from(s.open_cases), at);
            }
            if s.disposed > 0 {
                let share = f64::from(s.in_time) / f64::from(s.disposed);
                self.record(Indicator::SlaCompliance, *scope, share, at);
            }
        }
        for r in &evidence.readings {
            if let Some(cell) = r.place.cell {
                let key = (Indicator::Reading(r.datastream), Scope::Cell(cell));
                self.record_with(key, r.value, r.thresholds, at);
            }
        }
        // an indicator with no evidence this time (a cell that emptied) holds its last value
        // but is no longer red-running, so it cannot raise an alarm on stale evidence
        for v in self.vitals.values_mut() {
            if v.history.latest().is_some_and(|(t, _)| *t != at) {
                v.red_runs = 0;
            }
        }
    }

    fn record(&mut self, indicator: Indicator, scope: Scope, value: f64, at: u32) {
        if let Some(t) = self.config.thresholds(indicator) {
            self.record_with((indicator, scope), value, t, at);
        }
    }

    fn record_with(&mut self, key: (Indicator, Scope), value: f64, t: Thresholds, at: u32) {
        let capacity = match key.1 {
            Scope::Cell(_) => CELL_HISTORY,
            _ => AREA_HISTORY,
        };
        let v = self.vitals.entry(key).or_insert_with(|| Vital {
            value,
            level: Level::Green,
            thresholds: t,
            history: Ring::new(capacity),
            red_runs: 0,
        });
        v.value = value;
        v.thresholds = t;
        v.level = t.level(value);
        v.red_runs = if v.level == Level::Red {
            v.red_runs + 1
        } else {
            0
        };
        v.history.push((at, value));
    }

    pub fn get(&self, indicator: Indicator, scope: Scope) -> Option<&Vital> {
        self.vitals.get(&(indicator, scope))
    }

    /// Indicators that have just been red for `runs` updates in a row (not more, so each
    /// red spell is reported once).
    pub fn newly_red(&self, runs: u32) -> impl Iterator<Item = (&(Indicator, Scope), &Vital)> {
        self.vitals.iter().filter(move |(_, v)| v.red_runs == runs)
    }
}

/// The stations' mean concentrations, pollutant by pollutant over those that read it.
fn mean_air(stations: &[HourlyConcentrations]) -> HourlyConcentrations {
    let mean = |get: fn(&HourlyConcentrations) -> Option<f64>| {
        let values: Vec<f64> = stations.iter().filter_map(get).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    HourlyConcentrations {
        pm25_24h: mean(|a| a.pm25_24h),
        pm10_24h: mean(|a| a.pm10_24h),
        so2_1h: mean(|a| a.so2_1h),
        no2_1h: mean(|a| a.no2_1h),
        co_1h: mean(|a| a.co_1h),
        o3_1h: mean(|a| a.o3_1h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CELL: CellRef = CellRef { row: 3, col: 4 };

    fn place(d: u32) -> Place {
        Place {
            district: Some(DistrictId(d)),
            cell: Some(CELL),
        }
    }

    fn link(d: u32, vehicles: u32, speed_kmh: f64, speed_ratio: f64) -> LinkReading {
        LinkReading {
            place: place(d),
            vehicles,
            length_m: 1000.0,
            speed_kmh,
            speed_ratio,
        }
    }

    #[test]
    fn traffic_index_follows_its_breakpoints() {
        let c = VitalsConfig::default();
        assert_eq!(c.traffic_index(0.0), 0.0);
        assert!((c.traffic_index(0.02) - 1.0).abs() < 1e-12);
        assert!((c.traffic_index(0.08) - 4.0).abs() < 1e-12);
        assert!((c.traffic_index(0.19) - 9.0).abs() < 1e-12);
        assert_eq!(c.traffic_index(0.5), 10.0);
    }

    #[test]
    fn indicators_aggregate_per_cell_district_and_city() {
        let mut vs = VitalSigns::new(VitalsConfig::default());
        let evidence = Evidence {
            at_s: 300,
            // 30 cars at 20 km/h (congested) and 10 at 40 km/h drive 600 of 1,000 veh-km/h on
            // congested links: 60 % → index 10; the cell has 40 veh-km, more than the 1 it
            // needs
            links: vec![link(0, 30, 20.0, 0.4), link(1, 10, 40.0, 0.9)],
            fences: vec![
                FenceReading {
                    place: place(0),
                    bikes: 0,
                    capacity: 10,
                },
                FenceReading {
                    place: place(1),
                    bikes: 15,
                    capacity: 10,
                },
            ],
            stations: vec![StationReading {
                place: place(0),
                air: HourlyConcentrations {
                    pm25_24h: Some(80.0),
                    ..Default::default()
                },
            }],
            cases: vec![CaseReading {
                place: place(1),
                open: false,
                sla_met: Some(true),
            }],
            readings: Vec::new(),
        };
        vs.update(&evidence);
        let value = |i, s| vs.get(i, s).map(|v| v.value);
        assert_eq!(value(Indicator::TrafficIndex, Scope::City), Some(10.0));
        // 1,000 veh-km per hour driven by 40 cars (the old Σ km / Σ hours gave 22.9)
        let speed = value(Indicator::MeanSpeed, Scope::City).expect("speed");
        assert!((speed - 1000.0 / 40.0).abs() < 1e-9);
        assert_eq!(
            value(Indicator::TrafficIndex, Scope::District(DistrictId(1))),
            Some(0.0)
        );
        assert_eq!(value(Indicator::BikeAvailability, Scope::City), Some(0.5));
        assert_eq!(value(Indicator::BikeOverflow, Scope::Cell(CELL)), Some(1.0));
        assert_eq!(
            value(Indicator::Aqi, Scope::District(DistrictId(0))),
            Some(107.0)
        );
        assert_eq!(value(Indicator::Aqi, Scope::District(DistrictId(1))), None);
        assert_eq!(value(Indicator::SlaCompliance, Scope::City), Some(1.0));
        assert_eq!(value(Indicator::OpenCases, Scope::City), Some(0.0));
        let index = vs.get(Indicator::TrafficIndex, Scope::City).expect("index");
        assert_eq!(index.level, Level::Red);
        let red_index = |vs: &VitalSigns, runs| {
            vs.newly_red(runs)
                .filter(|((i, _), _)| *i == Indicator::TrafficIndex)
                .map(|((_, s), _)| *s)
                .collect::<Vec<_>>()
        };
        let everywhere = vec![
            Scope::City,
            Scope::District(DistrictId(0)),
            Scope::Cell(CELL),
        ];
        assert_eq!(red_index(&vs, 1), everywhere);

        vs.update(&Evidence {
            at_s: 600,
            ..evidence
        });
        assert!(red_index(&vs, 1).is_empty(), "a red spell is new once");
        assert_eq!(red_index(&vs, 2), everywhere);
        let history: Vec<_> = vs
            .get(Indicator::TrafficIndex, Scope::City)
            .expect("index")
            .history
            .iter()
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(history, vec![300, 600]);
    }
}
