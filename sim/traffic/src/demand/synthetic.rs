//! The demo city's synthetic day of car trips, generated from land use and POIs.
//!
//! Anchors: homes are residential land use and residential buildings; work places are
//! commercial, retail, industrial and office land use and buildings plus service POIs;
//! schools and hospitals are their POIs; shops are retail land use and service POIs. Areas
//! weigh by their size, a POI as a 400 m² site. Every trip end is a fresh random point in a
//! site drawn by weight, snapped to the nearest car link, so one big block's trips spread over
//! the streets around it. Destinations decay with distance from home (gravity model,
//! exp(−d / decay): work and hospital 3 km, school 1.2 km, shops 1.5 km, other 2.5 km).
//!
//! Tours (each gives an outbound and a return trip), with departure times:
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
//! Highway Capacity Manual's K-factor), where the first version's 40-minute spread put 19%.
//!
//! The default, 200,000 trips, is the demo extract's day at "hundreds of thousands": it runs
//! through without locking up, with heavy peaks (congestion index ≈ 4.2); 100,000 give about
//! the congestion Chengdu's traffic reports show (≈ 1.8). See docs/traffic.md.

use super::DemandError;
use super::sites::Sites;
use crate::dynamic::{Purpose, TripSpec};
use citytwin_city::City;
use citytwin_city::layer::names;
use citytwin_city::rng::SimRng;
use geo::{Area, Geometry};

/// Distance decay of destination choice (metres): a destination d metres away is
/// exp(−d / decay) times as attractive (see `Sites::draw_link_near`).
mod decay {
    pub const WORK_M: f64 = 3000.0;
    pub const SCHOOL_M: f64 = 1200.0;
    pub const HOSPITAL_M: f64 = 3000.0;
    pub const SHOPS_M: f64 = 1500.0;
    pub const OTHER_M: f64 = 2500.0;
}

/// A POI stands for a small site of this many m² (areas weigh by their size).
const POI_AREA_M2: f64 = 400.0;

fn collect(city: &City, layer: &str, keep: impl Fn(&str) -> bool, into: &mut Sites) {
    let Ok(layer) = city.layer(layer) else {
        return;
    };
    for f in &layer.features {
        // POIs carry a normalised `category` (school, hospital, other…) beside the raw OSM
        // `class` (amenity=school); areas carry only `class`
        let class = f.text("category").or(f.text("class")).unwrap_or("");
        if keep(class) {
            let area = f.geometry.unsigned_area().max(POI_AREA_M2);
            let shape: Geometry<f64> = f.geometry.clone();
            into.push(shape, area);
        }
    }
}

fn normal_time(rng: &mut SimRng, mean_h: f64, sd_min: f64, lo_h: f64, hi_h: f64) -> u32 {
    let h = (mean_h + rng.normal() * sd_min / 60.0).clamp(lo_h, hi_h);
    (h * 3600.0) as u32
}

fn uniform_time(rng: &mut SimRng, lo_h: f64, hi_h: f64) -> u32 {
    ((lo_h + rng.unit() * (hi_h - lo_h)) * 3600.0) as u32
}

/// `trips` car trips (rounded down to whole tours) for one day, in departure order.
pub fn synthetic_day(city: &City, trips: u32, seed: u64) -> Result<Vec<TripSpec>, DemandError> {
    let mut rng = SimRng::fork(seed, "traffic.demand");
    let (mut homes, mut work, mut schools, mut hospitals, mut shops): (
        Sites,
        Sites,
        Sites,
        Sites,
        Sites,
    ) = Default::default();
    let residential = |c: &str| {
        matches!(
            c,
            "residential" | "apartments" | "house" | "dormitory" | "detached"
        )
    };
    let workplace = |c: &str| {
        matches!(
            c,
            "commercial" | "retail" | "industrial" | "office" | "government" | "civic" | "other"
        )
    };
    collect(city, names::LANDUSE, residential, &mut homes);
    collect(city, names::BUILDINGS, residential, &mut homes);
    collect(city, names::LANDUSE, workplace, &mut work);
    collect(city, names::BUILDINGS, workplace, &mut work);
    collect(city, names::POIS, |c| c == "other", &mut work);
    collect(city, names::POIS, |c| c == "school", &mut schools);
    collect(city, names::POIS, |c| c == "hospital", &mut hospitals);
    collect(city, names::LANDUSE, |c| c == "retail", &mut shops);
    collect(city, names::POIS, |c| c == "other", &mut shops);
    if homes.is_empty() {
        return Err(DemandError::NoHomes);
    }
    let mut anywhere = Sites::default();
    for sites in [&homes, &work, &schools, &hospitals, &shops] {
        anywhere.extend(sites);
    }
    let mut out = Vec::with_capacity(trips as usize);
    for _ in 0..trips / 2 {
        let u = rng.unit();
        let home = homes
            .draw_link(city, &mut rng)
            .ok_or(DemandError::NoHomes)?;
        let (purpose, from, to, out_s, back_s) = if u < 0.55 {
            let w = work
                .draw_link_near(city, &mut rng, home, decay::WORK_M)
                .or_else(|| anywhere.draw_link(city, &mut rng))
                .ok_or(DemandError::NoRoads)?;
            let out_s = normal_time(&mut rng, 8.0, 80.0, 5.0, 11.0);
            (
                Purpose::Work,
                home,
                w,
                out_s,
                normal_time(&mut rng, 18.0, 75.0, 15.0, 23.0),
            )
        } else if u < 0.65 && !schools.is_empty() {
            let s = schools
                .draw_link_near(city, &mut rng, home, decay::SCHOOL_M)
                .ok_or(DemandError::NoRoads)?;
            let out_s = normal_time(&mut rng, 7.5, 25.0, 6.5, 9.0);
            (
                Purpose::School,
                home,
                s,
                out_s,
                normal_time(&mut rng, 16.5, 30.0, 15.0, 19.0),
            )
        } else if u < 0.70 && !hospitals.is_empty() {
            let h = hospitals
                .draw_link_near(city, &mut rng, home, decay::HOSPITAL_M)
                .ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(&mut rng, 8.0, 16.0);
            let stay = normal_time(&mut rng, 2.0, 30.0, 0.5, 5.0);
            (Purpose::Hospital, home, h, out_s, out_s + stay)
        } else if u < 0.90 && !shops.is_empty() {
            let s = shops
                .draw_link_near(city, &mut rng, home, decay::SHOPS_M)
                .ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(&mut rng, 10.0, 20.0);
            let stay = normal_time(&mut rng, 1.5, 30.0, 0.25, 4.0);
            (Purpose::Shopping, home, s, out_s, out_s + stay)
        } else {
            let a = anywhere
                .draw_link(city, &mut rng)
                .ok_or(DemandError::NoRoads)?;
            let b = anywhere
                .draw_link_near(city, &mut rng, a, decay::OTHER_M)
                .ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(&mut rng, 6.0, 23.0);
            let stay = normal_time(&mut rng, 2.0, 60.0, 0.25, 6.0);
            (Purpose::Other, a, b, out_s, out_s + stay)
        };
        out.push(TripSpec {
            origin_link: from,
            dest_link: to,
            departure_s: out_s,
            purpose,
        });
        // the return leg; after midnight it belongs to another day
        if back_s < 86_400 {
            out.push(TripSpec {
                origin_link: to,
                dest_link: from,
                departure_s: back_s.max(out_s + 600),
                purpose: Purpose::Home,
            });
        }
    }
    out.sort_by_key(|t| t.departure_s);
    Ok(out)
}
