//! What a run is built from, as scenarios change it: the road attributes, timed link events,
//! demand factors, and the shared bikes' fences and settings.

use citytwin_bikes::{DocklessConfig, FencePlan};
use citytwin_city::City;
use citytwin_city::ids::{DistrictId, LinkId};
use citytwin_city::rng::SimRng;
use citytwin_city::roads::{Mode, RoadNetwork};
use citytwin_ops::vitals::VitalsConfig;
use citytwin_traffic::dynamic::{LinkEvent, TripSpec};
use geo::Point;

/// Everything a scenario may change before a World is built.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInputs {
    pub roads: RoadNetwork,
    /// Closures, re-openings and incidents, in the order the scenario gave them.
    pub events: Vec<LinkEvent>,
    pub demand: Vec<DemandScale>,
    pub bikes: Option<BikeInputs>,
    /// The vital signs' thresholds, when the run has operations.
    pub vitals: Option<VitalsConfig>,
    /// The day the air-quality stations replay, when the run has them.
    pub air_quality_date: Option<citytwin_city::calendar::Date>,
}

/// The shared bikes' fences and settings.
#[derive(Clone, Debug, PartialEq)]
pub struct BikeInputs {
    pub plan: FencePlan,
    /// `config.start_bias` holds one factor per fence.
    pub config: DocklessConfig,
}

impl BikeInputs {
    pub fn new(plan: FencePlan, mut config: DocklessConfig) -> BikeInputs {
        config.start_bias.resize(plan.fences.len(), 1.0);
        BikeInputs { plan, config }
    }
}

/// A factor on the car trips departing in a window and/or touching a district.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandScale {
    pub factor: f64,
    /// [from, to) in seconds after midnight; `None` for the whole day.
    pub window: Option<(u32, u32)>,
    pub district: Option<(String, DistrictId)>,
}

/// Extra copies of a scaled trip leave within this many seconds of the original, so that
/// added demand does not arrive in platoons.
const COPY_SPREAD_S: u32 = 600;

impl RunInputs {
    pub fn new(roads: RoadNetwork, bikes: Option<BikeInputs>) -> RunInputs {
        RunInputs {
            roads,
            events: Vec::new(),
            demand: Vec::new(),
            bikes,
            vitals: None,
            air_quality_date: None,
        }
    }

    /// The car trips with the demand factors applied: a trip whose factor is f is kept
    /// ⌊f⌋ times, and once more with probability f − ⌊f⌋; extra copies leave within ten
    /// minutes of it. Trips no factor touches are kept as they are and draw no random number,
    /// so a scenario without demand edits runs the very same trips.
    /// Returns the trips and, for each, the index of the trip it copies.
    pub fn scale_trips(
        &self,
        city: &City,
        trips: Vec<TripSpec>,
        seed: u64,
    ) -> (Vec<TripSpec>, Vec<usize>) {
        if self.demand.is_empty() {
            let origin = (0..trips.len()).collect();
            return (trips, origin);
        }
        let mut rng = SimRng::fork(seed, "scenario.demand");
        let district_of = |link: LinkId| -> Option<DistrictId> {
            let l = self.roads.links.get(link.index())?;
            let (a, b) = (l.geometry.0.first()?, l.geometry.0.last()?);
            city.district_at(Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0))
        };
        let mut out = Vec::with_capacity(trips.len());
        let mut origin = Vec::with_capacity(trips.len());
        for (i, trip) in trips.into_iter().enumerate() {
            let factor: f64 = self
                .demand
                .iter()
                .filter(|s| {
                    s.window
                        .is_none_or(|(from, to)| (from..to).contains(&trip.departure_s))
                })
                .filter(|s| {
                    s.district.as_ref().is_none_or(|(_, d)| {
                        district_of(trip.origin_link) == Some(*d)
                            || district_of(trip.dest_link) == Some(*d)
                    })
                })
                .map(|s| s.factor)
                .product();
            if factor == 1.0 {
                out.push(trip);
                origin.push(i);
                continue;
            }
            let whole = factor.floor();
            let copies = whole as u32 + u32::from(rng.unit() < factor - whole);
            for c in 0..copies {
                let mut copy = trip.clone();
                if c > 0 {
                    let shift = rng.below(u64::from(2 * COPY_SPREAD_S + 1)) as u32;
                    copy.departure_s = (trip.departure_s + shift).saturating_sub(COPY_SPREAD_S);
                }
                out.push(copy);
                origin.push(i);
            }
        }
        (out, origin)
    }

    /// Links cars may use, by the (edited) road attributes.
    pub fn is_car_link(&self, link: u32) -> bool {
        self.roads
            .links
            .get(link as usize)
            .is_some_and(|l| l.modes.allows(Mode::Car) && l.capacity_vph > 0.0)
    }
}
