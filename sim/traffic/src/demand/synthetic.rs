//! A city's synthetic day of car trips: its residents' trips, sized from where they live and
//! work ([`super::activity`]), and the traffic that crosses the extract's edge
//! ([`super::external`]).
//!
//! Residents make [`DemandParams::trips_per_resident`] trips a day, [`DemandParams::car_share`]
//! of them as car drivers; [`DemandParams::scale`] multiplies every car trip (the calibrated
//! factor). Their trips are tours from home (each an outbound and a return trip):
//!
//! | share | tour | out | back |
//! |---|---|---|---|
//! | 55% | home → work | N(08:00, 80 min) | N(18:00, 75 min) |
//! | 10% | home → school | N(07:30, 25 min) | N(16:30, 30 min) |
//! | 5% | home → hospital | U(08:00, 16:00) | out + N(2 h, 30 min) |
//! | 20% | home → shops | U(10:00, 20:00) | out + N(1.5 h, 30 min) |
//! | 10% | anywhere → anywhere | U(06:00, 23:00) | out + N(2 h, 60 min) |
//!
//! The spreads put 11.8% of the day's trips in the morning peak hour (07:15–08:15) and 11.7%
//! in the evening one: urban roads carry 9–12% of their daily traffic in the peak hour (the
//! Highway Capacity Manual's K-factor). Homes are drawn by residents, work places by jobs;
//! destinations decay with distance from home (gravity model, exp(−d / decay): work and
//! hospital 3 km, school 1.2 km, shops 1.5 km, other 2.5 km). Every trip end is a random point
//! in its site, snapped to the nearest link cars may drive. See docs/demand.md.

use super::DemandError;
use super::activity::{self, Activity, ActivityParams, ActivitySources};
use super::external::{self, ExternalCounts};
use super::sites::Sites;
use crate::dynamic::{Purpose, TripSpec};
use citytwin_city::rng::SimRng;
use citytwin_city::{City, LinkId};
use serde::{Deserialize, Serialize};

/// Distance decay of destination choice (metres): a destination d metres away is
/// exp(−d / decay) times as attractive (see `Sites::draw_link_near`).
mod decay {
    pub const WORK_M: f64 = 3000.0;
    pub const SCHOOL_M: f64 = 1200.0;
    pub const HOSPITAL_M: f64 = 3000.0;
    pub const SHOPS_M: f64 = 1500.0;
    pub const OTHER_M: f64 = 2500.0;
}

/// The documented parameters of the synthetic day (docs/demand.md gives their sources); a
/// scene's model file sets them, `citytwin calibrate` fits them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemandParams {
    /// Trips a resident makes on a weekday, all modes.
    pub trips_per_resident: f64,
    /// Share of those trips driven by car (private cars, taxis, ride-hailing): one vehicle
    /// trip each.
    pub car_share: f64,
    /// Multiplies every car trip, residents' and external (the calibrated demand factor).
    pub scale: f64,
    /// Traffic crossing the extract's edge: each direction of a crossing road carries this
    /// share of its capacity for 10 hours a day ([`external`]).
    pub external_share: f64,
    /// Share of the traffic entering the extract that leaves it again by another road.
    pub through_share: f64,
    /// How residents and jobs are estimated from the map.
    pub activity: ActivityParams,
}

impl Default for DemandParams {
    fn default() -> Self {
        Self {
            trips_per_resident: 2.4,
            car_share: 0.2,
            scale: 0.5,
            external_share: 0.1,
            through_share: 0.15,
            activity: ActivityParams::default(),
        }
    }
}

impl DemandParams {
    /// One-line errors for values that make no demand.
    pub fn check(&self) -> Result<(), String> {
        let non_negative = [
            ("trips_per_resident", self.trips_per_resident),
            ("scale", self.scale),
            ("external_share", self.external_share),
        ];
        for (name, v) in non_negative {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("demand.{name}: expected a number ≥ 0, found {v}"));
            }
        }
        for (name, v) in [
            ("car_share", self.car_share),
            ("through_share", self.through_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "demand.{name}: expected a share between 0 and 1, found {v}"
                ));
            }
        }
        Ok(())
    }
}

/// Official figures for the extract that the estimate is scaled to (a scene's `population`
/// and `jobs`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CityTotals {
    pub population: Option<f64>,
    pub jobs: Option<f64>,
}

/// A synthetic day and what it was made of (the `demand.` block of summary.json).
#[derive(Clone, Debug, Default)]
pub struct CityDay {
    /// Every trip, in departure order.
    pub trips: Vec<TripSpec>,
    /// Residents' trips within the extract.
    pub resident_trips: u64,
    pub external: ExternalCounts,
    pub residents: f64,
    pub jobs: f64,
    pub sources: ActivitySources,
}

fn normal_time(rng: &mut SimRng, mean_h: f64, sd_min: f64, lo_h: f64, hi_h: f64) -> u32 {
    let h = (mean_h + rng.normal() * sd_min / 60.0).clamp(lo_h, hi_h);
    (h * 3600.0) as u32
}

fn uniform_time(rng: &mut SimRng, lo_h: f64, hi_h: f64) -> u32 {
    ((lo_h + rng.unit() * (hi_h - lo_h)) * 3600.0) as u32
}

/// The city's day: residents' tours and external trips sized by `params` (or, with
/// `total_trips`, rescaled together to that many trips).
pub fn city_day(
    city: &City,
    params: &DemandParams,
    totals: CityTotals,
    total_trips: Option<u32>,
    seed: u64,
) -> Result<CityDay, DemandError> {
    params.check().map_err(DemandError::Params)?;
    if let Some(n) = total_trips {
        super::check_day_size("trips", f64::from(n))?;
    }
    let mut activity = scaled_activity(city, params, totals);
    let stations = citytwin_city::roads::edge_stations(city.roads(), city.bundle.meta.extent);
    let resident_trips =
        activity.residents * params.trips_per_resident * params.car_share * params.scale;
    let external_trips = external::daily_trips(&stations, params);
    let factor = match total_trips {
        Some(n) if resident_trips + external_trips > 0.0 => {
            f64::from(n) / (resident_trips + external_trips)
        }
        _ => 1.0,
    };
    // a scene's population or demand scale can ask for more than any city drives
    super::check_day_size(
        "the scene's demand (population × trips per resident × car share × scale)",
        (resident_trips + external_trips) * factor,
    )?;
    if activity.homes.is_empty() {
        // streets of shops and nothing else: people live above them
        let work = activity.work.clone();
        activity.homes.extend(&work);
    }
    if activity.homes.is_empty() && stations.is_empty() {
        return Err(DemandError::NoHomes);
    }
    let mut rng = SimRng::fork(seed, "traffic.demand");
    let mut trips = Vec::new();
    let tours = (resident_trips * factor / 2.0).round() as u64;
    if !activity.homes.is_empty() {
        resident_tours(city, &activity, tours, &mut rng, &mut trips)?;
    }
    let resident_count = trips.len() as u64;
    let external = external::trips(city, &stations, &activity, params, factor, seed, &mut trips)?;
    trips.sort_by_key(|t| t.departure_s);
    Ok(CityDay {
        trips,
        resident_trips: resident_count,
        external,
        residents: activity.residents,
        jobs: activity.jobs,
        sources: activity.sources,
    })
}

/// The map's estimate of residents and jobs, scaled to the scene's official figures.
fn scaled_activity(city: &City, params: &DemandParams, totals: CityTotals) -> Activity {
    let mut activity = activity::estimate(city, &params.activity);
    activity.scale_to(totals.population, totals.jobs);
    activity
}

/// The city's residents: the map's estimate, scaled to the scene's `population` if it has one.
pub fn residents(city: &City, params: &DemandParams, totals: CityTotals) -> f64 {
    scaled_activity(city, params, totals).residents
}

/// `trips` car trips (about half of them tours' returns) on the default parameters: the
/// resident/external mix of an uncalibrated city, rescaled to `trips` (tests and benches).
pub fn synthetic_day(city: &City, trips: u32, seed: u64) -> Result<Vec<TripSpec>, DemandError> {
    city_day(
        city,
        &DemandParams::default(),
        CityTotals::default(),
        Some(trips),
        seed,
    )
    .map(|d| d.trips)
}

fn resident_tours(
    city: &City,
    a: &Activity,
    tours: u64,
    rng: &mut SimRng,
    out: &mut Vec<TripSpec>,
) -> Result<(), DemandError> {
    let mut anywhere = Sites::default();
    for sites in [&a.homes, &a.work, &a.schools, &a.hospitals, &a.shops] {
        anywhere.extend(sites);
    }
    for _ in 0..tours {
        let u = rng.unit();
        let home = a.homes.draw_link(city, rng).ok_or(DemandError::NoRoads)?;
        // a destination among `sites`, decaying with distance from home
        let near_home = |sites: &Sites, decay_m: f64, rng: &mut SimRng| {
            sites
                .draw_link_near(city, rng, home, decay_m)
                .ok_or(DemandError::NoRoads)
        };
        let (purpose, from, to, out_s, back_s) = if u < 0.55 && !a.work.is_empty() {
            let w = near_home(&a.work, decay::WORK_M, rng)?;
            let out_s = normal_time(rng, 8.0, 80.0, 5.0, 11.0);
            let back_s = normal_time(rng, 18.0, 75.0, 15.0, 23.0);
            (Purpose::Work, home, w, out_s, back_s)
        } else if u < 0.65 && !a.schools.is_empty() {
            let s = near_home(&a.schools, decay::SCHOOL_M, rng)?;
            let out_s = normal_time(rng, 7.5, 25.0, 6.5, 9.0);
            let back_s = normal_time(rng, 16.5, 30.0, 15.0, 19.0);
            (Purpose::School, home, s, out_s, back_s)
        } else if u < 0.70 && !a.hospitals.is_empty() {
            let h = near_home(&a.hospitals, decay::HOSPITAL_M, rng)?;
            let out_s = uniform_time(rng, 8.0, 16.0);
            let stay = normal_time(rng, 2.0, 30.0, 0.5, 5.0);
            (Purpose::Hospital, home, h, out_s, out_s + stay)
        } else if u < 0.90 && !a.shops.is_empty() {
            let s = near_home(&a.shops, decay::SHOPS_M, rng)?;
            let out_s = uniform_time(rng, 10.0, 20.0);
            let stay = normal_time(rng, 1.5, 30.0, 0.25, 4.0);
            (Purpose::Shopping, home, s, out_s, out_s + stay)
        } else {
            let from = anywhere.draw_link(city, rng).ok_or(DemandError::NoRoads)?;
            let to = anywhere
                .draw_link_near(city, rng, from, decay::OTHER_M)
                .ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(rng, 6.0, 23.0);
            let stay = normal_time(rng, 2.0, 60.0, 0.25, 6.0);
            (Purpose::Other, from, to, out_s, out_s + stay)
        };
        out.push(TripSpec {
            origin_link: LinkId(from),
            dest_link: LinkId(to),
            departure_s: out_s,
            purpose,
        });
        // the return leg; after midnight it belongs to another day
        if back_s < 86_400 {
            out.push(TripSpec {
                origin_link: LinkId(to),
                dest_link: LinkId(from),
                departure_s: back_s.max(out_s + 600),
                purpose: Purpose::Home,
            });
        }
    }
    Ok(())
}
