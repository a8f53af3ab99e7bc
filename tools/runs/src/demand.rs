//! The trips of a run, from the source its options name.

use crate::error::Result;
use crate::options::DemandOptions;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_traffic::demand::{
    CityDay, CityTotals, DemandParams, DepartureProfile, OdMatrix, city_day, od_trips,
    read_trip_list, resolve_trip_list,
};
use citytwin_traffic::dynamic::{TripIds, TripSpec};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TripCount {
    pub trips: usize,
    pub external: usize,
}

impl TripCount {
    fn of(trips: &[TripSpec]) -> Self {
        TripCount {
            trips: trips.len(),
            external: trips.iter().filter(|t| t.purpose.is_external()).count(),
        }
    }
}

#[derive(Debug)]
pub struct Demand {
    /// "synthetic", "od" or "trip_list"
    pub source: &'static str,
    pub file: Option<String>,
    /// The trips until the World takes them ([`Demand::hand_over`]): the run holds them once.
    pub trips: Vec<TripSpec>,
    /// How many trips the run has, and how many of them come from outside the city (counted
    /// in the window, after any scaling): set when the World takes the trips.
    pub count: TripCount,
    /// The trip list's own ids, in the order of the run's trips.
    pub ids: Option<TripIds>,
    /// What the synthetic day was made of (residents, jobs, external trips).
    pub day: Option<CityDay>,
}

pub fn build(
    args: &DemandOptions,
    seed: u64,
    city: &City,
    params: &DemandParams,
    totals: CityTotals,
) -> Result<Demand> {
    if let Some(path) = &args.trip_list {
        let list = read_trip_list(path)?;
        let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
        let project = |lon: f64, lat: f64| to_city.point(lon, lat);
        let (trips, ids) = resolve_trip_list(city, &list, &project)?;
        return Ok(Demand {
            source: "trip_list",
            file: Some(path.display().to_string()),
            count: TripCount::default(),
            trips,
            ids: Some(ids),
            day: None,
        });
    }
    if let Some(path) = &args.od {
        let od = OdMatrix::read(path)?;
        let profile = match &args.profile {
            Some(p) => DepartureProfile::read(p)?,
            None => DepartureProfile::default(),
        };
        let trips = od_trips(city, &od, args.zones, &profile, args.od_scale, seed)?;
        return Ok(Demand {
            source: "od",
            file: Some(path.display().to_string()),
            count: TripCount::default(),
            trips,
            ids: None,
            day: None,
        });
    }
    let mut day = city_day(city, params, totals, args.trips, seed)?;
    let trips = std::mem::take(&mut day.trips);
    Ok(Demand {
        source: "synthetic",
        file: None,
        count: TripCount::default(),
        trips,
        ids: None,
        day: Some(day),
    })
}

impl Demand {
    /// The trips, for the World to hold.
    pub fn hand_over(&mut self) -> Vec<TripSpec> {
        self.count = TripCount::of(&self.trips);
        std::mem::take(&mut self.trips)
    }

    /// After a scenario scaled the trips: `origin[i]` is the trip that trip `i` of the run's
    /// `trips` copies. Extra copies of a listed trip get its id with `~2`, `~3`… appended.
    pub fn follow(&mut self, origin: &[usize], trips: &[TripSpec]) {
        if let Some(ids) = &self.ids {
            let mut seen = vec![0u32; ids.len()];
            let mut copies = TripIds::with_capacity(origin.len());
            for &o in origin {
                seen[o] += 1;
                let id = ids.get(o).unwrap_or_default();
                match seen[o] {
                    1 => copies.push(id),
                    n => copies.push(&format!("{id}~{n}")),
                }
            }
            self.ids = Some(copies);
        }
        self.count = TripCount::of(trips);
    }

    /// Keeps the trips departing in `[from_s, to_s)` (with their ids).
    pub fn keep_window(&mut self, from_s: u32, to_s: u32) {
        let keep: Vec<bool> = self
            .trips
            .iter()
            .map(|t| (from_s..to_s).contains(&t.departure_s))
            .collect();
        let mut k = keep.iter();
        self.trips.retain(|_| *k.next().unwrap_or(&false));
        if let Some(ids) = &mut self.ids {
            *ids = ids.picked((0..keep.len()).filter(|&i| keep[i]));
        }
    }
}
