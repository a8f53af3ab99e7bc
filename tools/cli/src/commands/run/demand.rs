//! The trips of a run, from the source the arguments name.

use super::RunArgs;
use anyhow::Result;
use citytwin_city::City;
use citytwin_gis::crs::Reprojector;
use citytwin_traffic::demand::{
    DepartureProfile, OdMatrix, od_trips, read_trip_list, resolve_trip_list, synthetic_day,
};
use citytwin_traffic::dynamic::TripSpec;
use geo::{Coord, Point};

#[derive(Debug)]
pub struct Demand {
    /// "synthetic", "od" or "trip_list"
    pub source: &'static str,
    pub file: Option<String>,
    pub trips: Vec<TripSpec>,
    /// The trip list's own ids, in the order of `trips`.
    pub ids: Option<Vec<String>>,
}

pub fn build(args: &RunArgs, city: &City) -> Result<Demand> {
    if let Some(path) = &args.trip_list {
        let list = read_trip_list(path)?;
        let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
        let project = |lon: f64, lat: f64| -> Option<Point<f64>> {
            to_city
                .coord(Coord { x: lon, y: lat })
                .ok()
                .map(Point::from)
        };
        let (trips, ids) = resolve_trip_list(city, &list, &project)?;
        return Ok(Demand {
            source: "trip_list",
            file: Some(path.display().to_string()),
            trips,
            ids: Some(ids),
        });
    }
    if let Some(path) = &args.od {
        let od = OdMatrix::read(path)?;
        let profile = match &args.profile {
            Some(p) => DepartureProfile::read(p)?,
            None => DepartureProfile::default(),
        };
        let trips = od_trips(
            city,
            &od,
            args.zones.into(),
            &profile,
            args.od_scale,
            args.seed,
        )?;
        return Ok(Demand {
            source: "od",
            file: Some(path.display().to_string()),
            trips,
            ids: None,
        });
    }
    Ok(Demand {
        source: "synthetic",
        file: None,
        trips: synthetic_day(city, args.trips, args.seed)?,
        ids: None,
    })
}

impl Demand {
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
            let mut k = keep.iter();
            ids.retain(|_| *k.next().unwrap_or(&false));
        }
    }
}
