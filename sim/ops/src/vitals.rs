//! Vital signs: indicators per unit grid cell, per district and city-wide, each with a
//! green/amber/red level from the scene's thresholds and a bounded history.
//!
//! - **travel time index** (TTI, 1 = free flow): how much longer driving takes now than at
//!   free flow, over the cars there — Σ cars × free-flow speed / Σ cars × speed, the
//!   instantaneous form of the vehicle-km-weighted TTI; the same index the HUD shows and
//!   summary.json's `peak_tti` reports for trips (docs/traffic.md). Thresholds follow Amap's
//!   grading of its congestion delay index: below 1.5 flowing, 1.5–2.0 slow, 2.0 and above
//!   congested;
//! - **mean speed** of the cars there (km/h, space-mean: the mean of their links' speeds, the
//!   instantaneous vehicle-km per vehicle-hour, so a jam weighs by its cars, not by the hours
//!   a crossing would take);
//! - **bike availability**: share of fences with at least one bike; **bike overflow**: fences
//!   holding more bikes than their capacity;
//! - **AQI** (HJ 633-2012) of a station's cell, and of a district or the city from the mean of
//!   its stations' concentrations, as Chinese cities report theirs;
//! - **bike governance score** (city-wide, 0–100): the operators' assessment from the
//!   governance rules so far, as the city's regulatory platform computes it
//!   (`citytwin_bikes::governance`); below 90 amber, below 80 red, the bands Chinese cities'
//!   quarterly assessments cut quotas at;
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

mod readings;
pub use readings::*;

pub const CELL_HISTORY: usize = 12;
pub const AREA_HISTORY: usize = 24 * 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    TravelTimeIndex,
    MeanSpeed,
    BikeAvailability,
    BikeOverflow,
    BikeGovernance,
    Aqi,
    OpenCases,
    SlaCompliance,
    Reading(DatastreamId),
}

impl Indicator {
    pub fn key(&self) -> String {
        match self {
            Indicator::TravelTimeIndex => "travel_time_index".into(),
            Indicator::MeanSpeed => "mean_speed_kmh".into(),
            Indicator::BikeAvailability => "bike_availability".into(),
            Indicator::BikeOverflow => "bike_overflow".into(),
            Indicator::BikeGovernance => "bike_governance_score".into(),
            Indicator::Aqi => "aqi".into(),
            Indicator::OpenCases => "open_cases".into(),
            Indicator::SlaCompliance => "sla_compliance".into(),
            Indicator::Reading(ds) => format!("reading_{ds}"),
        }
    }
}

/// An indicator and its value as a person writes them on a panel: "Mean speed 24 km/h",
/// "Travel time index 1.62", "Monitored fences with bikes 85%"; `key` as in vitals.csv. The
/// bike indicators say "monitored": they come from the monitoring points' counters, not from
/// every fence (the bike alarms do), and the wall shows both.
pub fn describe(key: &str, value: f64) -> String {
    let percent = |v: f64| format!("{:.0}%", v * 100.0);
    match key {
        "travel_time_index" => format!("Travel time index {value:.2}"),
        "mean_speed_kmh" => format!("Mean speed {value:.0} km/h"),
        "bike_availability" => format!("Monitored fences with bikes {}", percent(value)),
        "bike_overflow" => format!("Monitored fences overflowing {value:.0}"),
        "bike_governance_score" => format!("Bike rules score {value:.0}"),
        "aqi" => format!("AQI {value:.0}"),
        "open_cases" => format!("Open cases {value:.0}"),
        "sla_compliance" => format!("Cases within SLA {}", percent(value)),
        other => {
            let name = other.replace('_', " ");
            let mut chars = name.chars();
            let name: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            format!("{name} {value:.1}")
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    City,
    District(DistrictId),
    Cell(CellRef),
}

/// The scene's thresholds (`vitals:` in scene.ron).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct VitalsConfig {
    pub travel_time_index: Thresholds,
    pub mean_speed_kmh: Thresholds,
    pub bike_availability: Thresholds,
    pub bike_overflow: Thresholds,
    pub bike_governance_score: Thresholds,
    pub aqi: Thresholds,
    pub open_cases: Thresholds,
    pub sla_compliance: Thresholds,
    /// A grid cell gets traffic indicators only with at least this many vehicle-km on its
    /// links (a handful of cars waiting at one light is not a congested cell).
    pub min_cell_vehicle_km: f64,
}

impl VitalsConfig {
    /// Keys of the indicators whose thresholds the config sets (as in vitals.csv).
    pub const KEYS: [&'static str; 8] = [
        "travel_time_index",
        "mean_speed_kmh",
        "bike_availability",
        "bike_overflow",
        "bike_governance_score",
        "aqi",
        "open_cases",
        "sla_compliance",
    ];

    /// Whether an indicator is better when high (speed, shares met), by its key; `None` for
    /// one the config does not know.
    pub fn better_high(key: &str) -> Option<bool> {
        match key {
            "mean_speed_kmh" | "bike_availability" | "bike_governance_score" | "sla_compliance" => {
                Some(true)
            }
            "travel_time_index" | "bike_overflow" | "aqi" | "open_cases" => Some(false),
            _ => None,
        }
    }

    /// Why `t` cannot be the thresholds of `key`: not two different finite numbers, or in the
    /// order of the other direction (red below amber for an indicator worse when high would
    /// make empty roads red).
    pub fn misordered(key: &str, t: Thresholds) -> Option<String> {
        if !(t.amber.is_finite() && t.red.is_finite() && t.amber != t.red) {
            return Some("expected two different numbers".into());
        }
        match Self::better_high(key) {
            Some(true) if t.red > t.amber => Some(format!(
                "{key} is better when high: red ({}) must be below amber ({})",
                t.red, t.amber
            )),
            Some(false) if t.red < t.amber => Some(format!(
                "{key} is worse when high: red ({}) must be above amber ({})",
                t.red, t.amber
            )),
            _ => None,
        }
    }

    /// The first indicator whose thresholds are misordered, with why.
    pub fn check(&self) -> Result<(), (String, String)> {
        let mut config = self.clone();
        for key in Self::KEYS {
            if let Some(t) = config.thresholds_mut(key).copied()
                && let Some(why) = Self::misordered(key, t)
            {
                return Err((key.to_string(), why));
            }
        }
        Ok(())
    }

    /// The thresholds of an indicator, by its key.
    pub fn thresholds_mut(&mut self, key: &str) -> Option<&mut Thresholds> {
        Some(match key {
            "travel_time_index" => &mut self.travel_time_index,
            "mean_speed_kmh" => &mut self.mean_speed_kmh,
            "bike_availability" => &mut self.bike_availability,
            "bike_overflow" => &mut self.bike_overflow,
            "bike_governance_score" => &mut self.bike_governance_score,
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
            // Amap's grading: 1.5 "slow", 2.0 "congested"
            travel_time_index: t(1.5, 2.0),
            mean_speed_kmh: t(25.0, 15.0),
            bike_availability: t(0.6, 0.4),
            bike_overflow: t(1.0, 5.0),
            bike_governance_score: t(90.0, 80.0),
            // AQI: 101 is "lightly polluted", 201 "heavily polluted"
            aqi: t(101.0, 201.0),
            open_cases: t(20.0, 50.0),
            sla_compliance: t(0.9, 0.8),
            min_cell_vehicle_km: 1.0,
        }
    }
}

impl VitalsConfig {
    pub fn thresholds(&self, indicator: Indicator) -> Option<Thresholds> {
        Some(match indicator {
            Indicator::TravelTimeIndex => self.travel_time_index,
            Indicator::MeanSpeed => self.mean_speed_kmh,
            Indicator::BikeAvailability => self.bike_availability,
            Indicator::BikeOverflow => self.bike_overflow,
            Indicator::BikeGovernance => self.bike_governance_score,
            Indicator::Aqi => self.aqi,
            Indicator::OpenCases => self.open_cases,
            Indicator::SlaCompliance => self.sla_compliance,
            Indicator::Reading(_) => return None,
        })
    }
}

/// The travel time index's two sums over the cars on the road now: TTI = Σ cars × free-flow
/// speed / Σ cars × speed (1 = free flow; docs/traffic.md). The HUD's city-wide index and the
/// vital sign of every cell, district and the city are this one computation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TtiSums {
    /// Σ cars × speed (km/h): the vehicle-km driven per hour now.
    pub speed_sum: f64,
    /// Σ cars × free-flow speed: what they would drive per hour at free flow.
    pub free_speed_sum: f64,
}

impl TtiSums {
    /// Adds `cars` on a link at `speed_kmh`, `speed_ratio` of its free-flow speed (links at a
    /// standstill, ratio 0, carry no speed to weigh by and are left out).
    pub fn add(&mut self, cars: f64, speed_kmh: f64, speed_ratio: f64) {
        if speed_ratio > 0.0 && speed_kmh > 0.0 {
            self.speed_sum += cars * speed_kmh;
            self.free_speed_sum += cars * speed_kmh / speed_ratio;
        }
    }

    /// The index; 1 with no cars moving.
    pub fn index(&self) -> f64 {
        if self.speed_sum > 0.0 {
            self.free_speed_sum / self.speed_sum
        } else {
            1.0
        }
    }
}

/// One indicator in one scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vital {
    pub value: f64,
    pub level: Level,
    pub thresholds: Thresholds,
    /// (time, value), oldest first.
    pub history: Ring<(u32, f64)>,
    /// Consecutive updates at red, counting this one.
    pub red_runs: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
    /// Σ cars × speed and Σ cars × free-flow speed (the travel time index's two sums).
    tti: TtiSums,
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
            each(&l.place, &mut |s| {
                s.vehicle_km += km;
                s.cars += cars;
                s.tti.add(cars, l.speed_kmh, l.speed_ratio);
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
                self.record(Indicator::TravelTimeIndex, *scope, s.tti.index(), at);
                self.record(Indicator::MeanSpeed, *scope, s.tti.speed_sum / s.cars, at);
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
        if let Some(score) = evidence.governance_score {
            self.record(Indicator::BikeGovernance, Scope::City, score, at);
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
    fn thresholds_in_the_wrong_order_for_their_indicator_are_refused() {
        assert_eq!(VitalsConfig::default().check(), Ok(()));
        let swapped = VitalsConfig {
            travel_time_index: Thresholds {
                amber: 2.0,
                red: 1.5,
            },
            ..VitalsConfig::default()
        };
        let (key, why) = swapped.check().unwrap_err();
        assert_eq!(key, "travel_time_index");
        assert!(why.contains("red (1.5) must be above amber (2)"), "{why}");
        let speed = VitalsConfig {
            mean_speed_kmh: Thresholds {
                amber: 15.0,
                red: 25.0,
            },
            ..VitalsConfig::default()
        };
        assert_eq!(speed.check().unwrap_err().0, "mean_speed_kmh");
    }

    #[test]
    fn indicators_read_as_a_person_writes_them() {
        assert_eq!(describe("mean_speed_kmh", 24.3), "Mean speed 24 km/h");
        assert_eq!(
            describe("travel_time_index", 1.618),
            "Travel time index 1.62"
        );
        assert_eq!(
            describe("bike_availability", 0.853),
            "Monitored fences with bikes 85%"
        );
        assert_eq!(describe("reading_3", 61.0), "Reading 3 61.0");
    }

    #[test]
    fn the_travel_time_index_weighs_links_by_their_cars() {
        let mut t = TtiSums::default();
        assert_eq!(t.index(), 1.0);
        // 30 cars at 20 km/h where 50 is free, 10 at 40 of 57.1
        t.add(30.0, 20.0, 0.4);
        t.add(10.0, 40.0, 0.7);
        t.add(5.0, 0.0, 0.0);
        assert!((t.index() - (1500.0 + 400.0 / 0.7) / 1000.0).abs() < 1e-12);
    }

    #[test]
    fn indicators_aggregate_per_cell_district_and_city() {
        let mut vs = VitalSigns::new(VitalsConfig::default());
        let evidence = Evidence {
            at_s: 300,
            // 30 cars at 20 km/h of 50 and 10 at 40 km/h of 57.1: TTI (1,500 + 571.4) / 1,000
            // = 2.07 in the city, 2.5 in district 0, 1.43 in district 1; the cell has 40
            // veh-km, more than the 1 it needs
            links: vec![link(0, 30, 20.0, 0.4), link(1, 10, 40.0, 0.7)],
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
            governance_score: Some(85.0),
        };
        vs.update(&evidence);
        let value = |i, s| vs.get(i, s).map(|v| v.value);
        // the operators' score is a city-wide indicator, amber below 90
        let score = vs
            .get(Indicator::BikeGovernance, Scope::City)
            .expect("score");
        assert_eq!((score.value, score.level), (85.0, Level::Amber));
        assert!(
            vs.get(Indicator::BikeGovernance, Scope::District(DistrictId(0)))
                .is_none()
        );
        let tti = value(Indicator::TravelTimeIndex, Scope::City).expect("tti");
        assert!(
            (tti - (1500.0 + 400.0 / 0.7) / 1000.0).abs() < 1e-9,
            "{tti}"
        );
        // 1,000 veh-km per hour driven by 40 cars (the old Σ km / Σ hours gave 22.9)
        let speed = value(Indicator::MeanSpeed, Scope::City).expect("speed");
        assert!((speed - 1000.0 / 40.0).abs() < 1e-9);
        let tti_1 = value(Indicator::TravelTimeIndex, Scope::District(DistrictId(1)));
        assert!((tti_1.expect("tti") - 1.0 / 0.7).abs() < 1e-9);
        assert_eq!(value(Indicator::BikeAvailability, Scope::City), Some(0.5));
        assert_eq!(value(Indicator::BikeOverflow, Scope::Cell(CELL)), Some(1.0));
        assert_eq!(
            value(Indicator::Aqi, Scope::District(DistrictId(0))),
            Some(107.0)
        );
        assert_eq!(value(Indicator::Aqi, Scope::District(DistrictId(1))), None);
        assert_eq!(value(Indicator::SlaCompliance, Scope::City), Some(1.0));
        assert_eq!(value(Indicator::OpenCases, Scope::City), Some(0.0));
        let index = vs
            .get(Indicator::TravelTimeIndex, Scope::City)
            .expect("index");
        assert_eq!(index.level, Level::Red);
        let red_index = |vs: &VitalSigns, runs| {
            vs.newly_red(runs)
                .filter(|((i, _), _)| *i == Indicator::TravelTimeIndex)
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
            .get(Indicator::TravelTimeIndex, Scope::City)
            .expect("index")
            .history
            .iter()
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(history, vec![300, 600]);
    }
}
