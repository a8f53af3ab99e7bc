//! The demo city's synthetic day of car trips, generated from land use and POIs.
//!
//! Anchors: homes are residential land use and residential buildings; work places are
//! commercial, retail, industrial and office land use and buildings plus service POIs;
//! schools and hospitals are their POIs; shops are retail land use and service POIs. Areas
//! weigh by their size, POIs count as one small site each. Every anchor is a random point in
//! its feature, snapped to the nearest car link.
//!
//! Tours (each gives an outbound and a return trip), with departure times:
//!
//! | share | tour | out | back |
//! |---|---|---|---|
//! | 55% | home → work | N(08:00, 40 min) | N(18:00, 60 min) |
//! | 10% | home → school | N(07:30, 15 min) | N(16:30, 30 min) |
//! | 5% | home → hospital | U(08:00, 16:00) | out + N(2 h, 30 min) |
//! | 20% | home → shops | U(10:00, 20:00) | out + N(1.5 h, 30 min) |
//! | 10% | anywhere → anywhere | U(06:00, 23:00) | out + N(2 h, 60 min) |
//!
//! The World's default, 100,000 trips, is what the demo extract's road network carries in a
//! day with heavy peaks (congestion index ≈ 5.6, 95% of trips done by midnight; see
//! docs/traffic.md). 250,000 trips — one per six of the ~1.5 million residents — locks the
//! clipped network up: it lacks the ring roads and through routes beyond its edge.

use crate::dynamic::{Purpose, TripSpec};
use citytwin_city::layer::names;
use citytwin_city::rng::SimRng;
use citytwin_city::{City, Mode};
use geo::{Area, BoundingRect, Contains, Geometry, Point};

#[derive(Debug, thiserror::Error)]
pub enum DemandError {
    #[error("the city has no residential land use or buildings to start trips from")]
    NoHomes,
    #[error("the city has no car links to put trips on")]
    NoRoads,
}

/// Sites of one kind, snapped to car links, with cumulative weights for drawing.
#[derive(Debug, Default)]
struct Anchors {
    links: Vec<u32>,
    cumulative: Vec<f64>,
}

impl Anchors {
    fn push(&mut self, link: u32, weight: f64) {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        self.links.push(link);
        self.cumulative.push(total + weight);
    }

    fn draw(&self, rng: &mut SimRng) -> Option<u32> {
        Some(self.links[rng.pick_cumulative(&self.cumulative)?])
    }

    fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

const SITES_PER_FEATURE_CAP: usize = 4;

fn random_point_in(geometry: &Geometry<f64>, rng: &mut SimRng) -> Option<Point<f64>> {
    let rect = geometry.bounding_rect()?;
    for _ in 0..20 {
        let p = Point::new(
            rect.min().x + rng.unit() * rect.width(),
            rect.min().y + rng.unit() * rect.height(),
        );
        if geometry.contains(&p) || matches!(geometry, Geometry::Point(_)) {
            return Some(p);
        }
    }
    Some(rect.center().into())
}

fn collect(
    city: &City,
    rng: &mut SimRng,
    layer: &str,
    keep: impl Fn(&str) -> bool,
    into: &mut Anchors,
) {
    let Ok(layer) = city.layer(layer) else {
        return;
    };
    for f in &layer.features {
        let class = f.text("class").or(f.text("category")).unwrap_or("");
        if !keep(class) {
            continue;
        }
        // a POI is a small site; areas weigh by size, split over a few sites
        let area = f.geometry.unsigned_area().max(400.0);
        let sites = ((area / 20_000.0).ceil() as usize).clamp(1, SITES_PER_FEATURE_CAP);
        for _ in 0..sites {
            let Some(p) = random_point_in(&f.geometry, rng) else {
                continue;
            };
            if let Some(m) = city.nearest_link(p, Mode::Car) {
                into.push(m.link.index() as u32, area / sites as f64);
            }
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
    let (mut homes, mut work, mut schools, mut hospitals, mut shops) = Default::default();
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
    collect(city, &mut rng, names::LANDUSE, residential, &mut homes);
    collect(city, &mut rng, names::BUILDINGS, residential, &mut homes);
    collect(city, &mut rng, names::LANDUSE, workplace, &mut work);
    collect(city, &mut rng, names::BUILDINGS, workplace, &mut work);
    collect(city, &mut rng, names::POIS, |c| c == "other", &mut work);
    collect(city, &mut rng, names::POIS, |c| c == "school", &mut schools);
    collect(
        city,
        &mut rng,
        names::POIS,
        |c| c == "hospital",
        &mut hospitals,
    );
    collect(
        city,
        &mut rng,
        names::LANDUSE,
        |c| c == "retail",
        &mut shops,
    );
    collect(city, &mut rng, names::POIS, |c| c == "other", &mut shops);
    if homes.is_empty() {
        return Err(DemandError::NoHomes);
    }
    let anywhere = {
        let mut all = Anchors::default();
        for a in [&homes, &work, &schools, &hospitals, &shops] {
            let mut prev = 0.0;
            for (l, c) in a.links.iter().zip(&a.cumulative) {
                all.push(*l, c - prev);
                prev = *c;
            }
        }
        all
    };
    let mut out = Vec::with_capacity(trips as usize);
    for _ in 0..trips / 2 {
        let u = rng.unit();
        let home = homes.draw(&mut rng).ok_or(DemandError::NoHomes)?;
        let (purpose, from, to, out_s, back_s) = if u < 0.55 {
            let w = work
                .draw(&mut rng)
                .or(anywhere.draw(&mut rng))
                .ok_or(DemandError::NoRoads)?;
            let out_s = normal_time(&mut rng, 8.0, 40.0, 5.0, 11.0);
            (
                Purpose::Work,
                home,
                w,
                out_s,
                normal_time(&mut rng, 18.0, 60.0, 15.0, 22.0),
            )
        } else if u < 0.65 && !schools.is_empty() {
            let s = schools.draw(&mut rng).ok_or(DemandError::NoRoads)?;
            let out_s = normal_time(&mut rng, 7.5, 15.0, 6.5, 9.0);
            (
                Purpose::School,
                home,
                s,
                out_s,
                normal_time(&mut rng, 16.5, 30.0, 15.0, 19.0),
            )
        } else if u < 0.70 && !hospitals.is_empty() {
            let h = hospitals.draw(&mut rng).ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(&mut rng, 8.0, 16.0);
            let stay = normal_time(&mut rng, 2.0, 30.0, 0.5, 5.0);
            (Purpose::Hospital, home, h, out_s, out_s + stay)
        } else if u < 0.90 && !shops.is_empty() {
            let s = shops.draw(&mut rng).ok_or(DemandError::NoRoads)?;
            let out_s = uniform_time(&mut rng, 10.0, 20.0);
            let stay = normal_time(&mut rng, 1.5, 30.0, 0.25, 4.0);
            (Purpose::Shopping, home, s, out_s, out_s + stay)
        } else {
            let a = anywhere.draw(&mut rng).ok_or(DemandError::NoRoads)?;
            let b = anywhere.draw(&mut rng).ok_or(DemandError::NoRoads)?;
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
