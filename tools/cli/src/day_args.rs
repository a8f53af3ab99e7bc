//! The arguments that describe a simulated day (shared by run, compare, sweep, forecast and
//! view), and how they become the library's options; the names users type for the library's
//! settings, for its error messages.

use citytwin_bikes::gbfs::GbfsVersion;
use citytwin_bikes::{CrewShift, Rebalancing};
use citytwin_runs::gbfs::GbfsOptions;
use citytwin_runs::{BikeOptions, DayOptions, DemandOptions, Setting};
use citytwin_sim::scenario::Clock;
use citytwin_traffic::demand::ZoneKind;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// What a simulated day is made of: its window, demand, bikes and driver behaviour. Shared
/// by `run`, `compare` and `sweep`.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Start of the simulated window (HH:MM)
    #[arg(long, default_value = "00:00", value_parser = parse_clock)]
    pub from: u32,
    /// End of the simulated window (HH:MM, 24:00 for the whole day)
    #[arg(long, default_value = "24:00", value_parser = parse_clock)]
    pub to: u32,
    #[command(flatten)]
    pub demand: DemandArgs,
    #[command(flatten)]
    pub bikes: BikeArgs,
    /// Share of drivers who re-route en route every 10 minutes (0..=1; those who follow live
    /// navigation)
    #[arg(long, default_value_t = citytwin_traffic::dynamic::DEFAULT_REROUTE_SHARE)]
    pub reroute_share: f64,
    /// Seconds a car may wait at the head of a link for room downstream before it is moved on
    /// anyway (the gridlock rule, as MATSim's stuck time and SUMO's time-to-teleport)
    #[arg(long, default_value_t = DayOptions::default().stuck_time_s)]
    pub stuck_time: u32,
    /// Leave out the scene's operations (sensors, vital signs, data quality, cases)
    #[arg(long)]
    pub no_ops: bool,
    /// The model's parameters (demand, road factors), in place of the scene's `model` file:
    /// e.g. what `citytwin calibrate` wrote
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

impl SimArgs {
    /// The library's options for the day these arguments describe.
    pub fn options(&self) -> DayOptions {
        DayOptions {
            from_s: self.from,
            to_s: self.to,
            demand: self.demand.options(),
            bikes: self.bikes.options(),
            reroute_share: self.reroute_share,
            stuck_time_s: self.stuck_time,
            with_ops: !self.no_ops,
            model: self.model.clone(),
        }
    }
}

pub fn parse_clock(value: &str) -> Result<u32, String> {
    Clock::parse(value)
        .map(|c| c.0)
        .ok_or_else(|| format!("expected a time of day HH:MM (00:00 to 24:00), found {value:?}"))
}

pub fn parse_date(value: &str) -> Result<citytwin_city::calendar::Date, String> {
    value
        .parse::<citytwin_city::calendar::Date>()
        .ok()
        // feeds and GeoPackages carry Unix times: a year before 1970 is a typing error
        .filter(|d| citytwin_city::calendar::SimDay::in_zone(*d, None).is_ok())
        .ok_or_else(|| format!("expected a date YYYY-MM-DD from 1970 to 2200, found {value:?}"))
}

/// Where the day's trips come from: the scene's synthetic day, an OD matrix or a trip list.
#[derive(Debug, Clone, Args)]
pub struct DemandArgs {
    /// Car trips in the synthetic day (when neither --od nor --trip-list is given); without
    /// it, the city's own: its residents' trips and the traffic crossing its edge, from the
    /// scene's model (docs/demand.md)
    #[arg(long)]
    pub trips: Option<u32>,
    /// OD matrix between zones: TNTP `*_trips.tntp` (zones by number) or CSV origin,destination,trips
    #[arg(long, conflicts_with = "trip_list")]
    pub od: Option<PathBuf>,
    /// What the OD matrix's zones are
    #[arg(long, value_enum, default_value_t = Zones::Districts, requires = "od")]
    pub zones: Zones,
    /// Multiply every OD entry by this factor
    #[arg(long, default_value_t = DemandOptions::default().od_scale, requires = "od")]
    pub od_scale: f64,
    /// Departure-time profile for the OD matrix: CSV hour,share (default: a typical weekday)
    #[arg(long, requires = "od")]
    pub profile: Option<PathBuf>,
    /// Trip list CSV: id,depart,from_lon,from_lat,to_lon,to_lat (or from_node,to_node: OSM node ids)
    #[arg(long)]
    pub trip_list: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Zones {
    /// The city's districts (TNTP zone k = the k-th district that `citytwin info` lists)
    Districts,
    /// The city's grid cells (TNTP zone k = the k-th cell row by row from the south-west)
    Grid,
}

impl From<Zones> for ZoneKind {
    fn from(z: Zones) -> ZoneKind {
        match z {
            Zones::Districts => ZoneKind::Districts,
            Zones::Grid => ZoneKind::Grid,
        }
    }
}

impl DemandArgs {
    pub fn options(&self) -> DemandOptions {
        DemandOptions {
            trips: self.trips,
            od: self.od.clone(),
            zones: self.zones.into(),
            od_scale: self.od_scale,
            profile: self.profile.clone(),
            trip_list: self.trip_list.clone(),
        }
    }
}

/// Shared bikes on the scene's generated fences (docs/bikes.md).
#[derive(Debug, Clone, Args)]
pub struct BikeArgs {
    /// Bikes in the dockless fleet (0: no shared bikes); without it, the city's own: its
    /// residents × the model's fleet per 1,000 residents (docs/bikes.md)
    #[arg(long)]
    pub bike_fleet: Option<u32>,
    /// Shared-bike trips wished for in the day (metro last mile, bus feeder, schools, shops);
    /// without it, the fleet × the model's rides per bike
    #[arg(long)]
    pub bike_trips: Option<u32>,
    /// Bike trips from a CSV instead of the synthetic day, in the car trip list's format:
    /// depart,from_lon,from_lat,to_lon,to_lat (or from_node,to_node: OSM node ids)
    #[arg(long)]
    pub bike_trip_list: Option<PathBuf>,
    /// Operator crews, each with a truck, that alarms are dispatched to; without it, one per
    /// the model's bikes per crew (300) of the fleet
    #[arg(long)]
    pub crews: Option<u32>,
    /// Crews on duty in a window instead of --crews, as CREWS@HH:MM-HH:MM (e.g. 8@17:00-20:00
    /// doubles four crews at the evening peak); repeat for more shifts
    #[arg(long = "crew-shift", value_parser = parse_shift)]
    pub crew_shifts: Vec<CrewShift>,
    /// Bikes a truck carries
    #[arg(long, default_value_t = BikeOptions::default().truck_capacity, value_parser = clap::value_parser!(u32).range(1..))]
    pub truck_capacity: u32,
    /// How trucks are sent: to keep fences within a target range from the demand forecast
    /// (proactive, as Chinese operators schedule their vans), on alarms only (reactive), or
    /// not at all (off: the do-nothing baseline)
    #[arg(long, value_enum, default_value_t = Strategy::Proactive)]
    pub rebalancing: Strategy,
    /// The operator's blacklist: one bike id per line (bike42 or 42, # comments); by
    /// default every 100th bike
    #[arg(long)]
    pub blacklist: Option<PathBuf>,
    /// Chance that a ride leaves its bike broken (0..=1)
    #[arg(long, default_value_t = BikeOptions::default().breakdown_rate)]
    pub breakdown_rate: f64,
}

fn parse_shift(text: &str) -> Result<CrewShift, String> {
    let bad = || format!("expected CREWS@HH:MM-HH:MM (e.g. 8@17:00-20:00), found {text:?}");
    let (crews, window) = text.split_once('@').ok_or_else(bad)?;
    let (from, to) = window.split_once('-').ok_or_else(bad)?;
    let crews = crews.trim().parse().map_err(|_| bad())?;
    let (from_s, to_s) = (parse_clock(from)?, parse_clock(to)?);
    if to_s <= from_s {
        return Err(format!("{text:?}: the shift ends before it starts"));
    }
    Ok(CrewShift {
        crews,
        from_s,
        to_s,
    })
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Strategy {
    Reactive,
    Proactive,
    Off,
}

impl From<Strategy> for Rebalancing {
    fn from(s: Strategy) -> Rebalancing {
        match s {
            Strategy::Reactive => Rebalancing::Reactive,
            Strategy::Proactive => Rebalancing::Proactive,
            Strategy::Off => Rebalancing::Off,
        }
    }
}

impl BikeArgs {
    pub fn options(&self) -> BikeOptions {
        BikeOptions {
            fleet: self.bike_fleet,
            wishes: self.bike_trips,
            trip_list: self.bike_trip_list.clone(),
            crews: self.crews,
            crew_shifts: self.crew_shifts.clone(),
            truck_capacity: self.truck_capacity,
            rebalancing: self.rebalancing.into(),
            blacklist: self.blacklist.clone(),
            breakdown_rate: self.breakdown_rate,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct GbfsArgs {
    /// Write the bike system as GBFS feeds at this simulated time (HH:MM; repeat for more):
    /// <output>/gbfs/<HHMM>/<version>/gbfs.json and the feeds it lists; with several
    /// operators each publishes its own, <output>/gbfs/<HHMM>/<operator>/<version>/
    #[arg(long = "gbfs-at", value_parser = parse_clock)]
    pub at: Vec<u32>,
    /// GBFS versions to write (2.3, 3.0; repeat for both)
    #[arg(long = "gbfs-version", default_value = "3.0")]
    pub versions: Vec<GbfsVersion>,
    /// Where the feeds will be served from (gbfs.json lists <url>/<feed>.json); by default
    /// the folder they are written to, as a file:// URL
    #[arg(long = "gbfs-url")]
    pub url: Option<String>,
}

impl GbfsArgs {
    pub fn options(&self) -> GbfsOptions {
        GbfsOptions {
            at: self.at.clone(),
            versions: self.versions.clone(),
            url: self.url.clone(),
        }
    }
}

/// The flag a library setting is given by.
pub fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::RerouteShare => "--reroute-share",
        Setting::OdScale => "--od-scale",
        Setting::Window => "--from/--to",
        Setting::Date => "--date",
        Setting::BikeFleet => "--bike-fleet",
        Setting::Crews => "--crews",
        Setting::CrewShift => "--crew-shift",
        Setting::BreakdownRate => "--breakdown-rate",
        Setting::GbfsUrl => "--gbfs-url",
        Setting::GbfsAt => "--gbfs-at",
        Setting::ForecastAt => "--at",
        Setting::Iterations => "--iterations",
        Setting::ReplanShare => "--replan-share",
        Setting::TargetGap => "--target-gap",
        Setting::Pace => "--pace",
        Setting::StopAt => "--checkpoint-at",
        Setting::AssignGap => "--gap",
    }
}
