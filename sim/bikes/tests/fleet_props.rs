//! The fleet is conserved whatever the day: on a generated grid city (no GDAL, no files), for
//! any fleet, demand, seed, breakdown rate and way of rebalancing, every bike is in exactly one
//! place at every check, the states add up to the fleet, and the fences' kept counts equal a
//! point-in-polygon recount.

#![allow(clippy::unwrap_used)]

use citytwin_bikes::demand::BikeTrip;
use citytwin_bikes::dispatch::{DispatchConfig, Rebalancing};
use citytwin_bikes::dockless::{BikeSim, DocklessConfig};
use citytwin_bikes::fence::{Fence, Fences, circle};
use citytwin_bikes::osm_fences::{FencePlan, FenceSite};
use citytwin_city::rng::SimRng;
use citytwin_city::synthetic::GridCity;
use citytwin_city::{City, FenceId, LinkId};
use geo::{Coord, Point};
use proptest::prelude::*;

/// A fence of 12 bikes at every other crossing of the grid (200 m apart at 250 m spacing:
/// every fourth a metro entrance, monitored).
fn plan(city: &City) -> FencePlan {
    let e = city.bundle.meta.extent;
    let mut fences = Vec::new();
    let mut sites = Vec::new();
    for i in (0..9).step_by(2) {
        for j in (0..9).step_by(2) {
            let centre = Coord {
                x: e.min().x + 250.0 * f64::from(i),
                y: e.min().y + 250.0 * f64::from(j),
            };
            fences.push(Fence {
                id: FenceId(0),
                name: format!("fence {i}-{j}"),
                area: circle(centre, 12.0),
                capacity: 12,
                dock: false,
            });
            sites.push(if (i + j) % 4 == 0 {
                FenceSite::SubwayEntrance
            } else {
                FenceSite::Residential
            });
        }
    }
    let monitored = (0..sites.len())
        .filter(|&f| sites[f] == FenceSite::SubwayEntrance)
        .map(FenceId::from_index)
        .collect();
    FencePlan {
        fences: Fences::new(fences).unwrap(),
        sources: vec!["test grid".into(); sites.len()],
        sites,
        monitored,
    }
}

/// `n` rides between random fences (or points beside them), 06:00–10:00, in time order.
fn rides(plan: &FencePlan, n: u32, seed: u64) -> Vec<BikeTrip> {
    let mut rng = SimRng::seed(seed);
    let centres: Vec<Point<f64>> = plan
        .fences
        .iter()
        .map(|f| plan.fences.centre(f.id).unwrap())
        .collect();
    let pick = |rng: &mut SimRng| {
        let c = centres[rng.below(centres.len() as u64) as usize];
        // a third of riders leave their bike beside the fence, not in it
        let off = if rng.unit() < 0.33 { 40.0 } else { 0.0 };
        Point::new(c.x() + off, c.y())
    };
    let mut trips: Vec<BikeTrip> = (0..n)
        .map(|_| BikeTrip {
            depart_s: 6 * 3600 + rng.below(4 * 3600) as u32,
            from: pick(&mut rng),
            to: pick(&mut rng),
        })
        .collect();
    trips.sort_by_key(|t| t.depart_s);
    trips
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_bike_is_in_exactly_one_place_all_morning(
        fleet in 20u32..300,
        trips in 50u32..1500,
        seed in 0u64..1000,
        breakdown in 0.0f64..0.1,
        proactive in any::<bool>(),
    ) {
        let city = GridCity::default().build();
        let plan = plan(&city);
        let demand = rides(&plan, trips, seed);
        let config = DocklessConfig {
            fleet,
            breakdown_per_ride: breakdown,
            blacklist_every: 7,
            dispatch: DispatchConfig {
                rebalancing: if proactive { Rebalancing::Proactive } else { Rebalancing::Reactive },
                ..DispatchConfig::default()
            },
            residents: 20_000.0,
            ..DocklessConfig::default()
        };
        let mut bikes = BikeSim::new(&city, plan, demand, config, seed);
        bikes.start_at(6 * 3600);
        let mut travel = |_: LinkId, _: LinkId| Some((300.0, 1500.0));
        let mut seen = std::collections::BTreeSet::new();
        while bikes.now() < 10 * 3600 {
            bikes.step(&mut travel);
            if !bikes.now().is_multiple_of(300) {
                continue;
            }
            let ids: Vec<u32> = bikes.places().iter().map(|(b, _)| b.0).collect();
            prop_assert_eq!(ids, (0..fleet).collect::<Vec<_>>(), "a bike lost or doubled");
            for (b, state) in bikes.places() {
                prop_assert_eq!(bikes.states()[b.index()], state);
                seen.insert(state);
            }
            prop_assert_eq!(bikes.fleet_states().total(), fleet);
            let parked: Vec<_> = bikes.parked_bikes().map(|(_, p)| p).collect();
            let (inside, outside) = bikes.plan.fences.count(parked.iter().copied());
            let (kept, kept_outside) = bikes.counts();
            prop_assert_eq!(kept, inside.as_slice());
            prop_assert_eq!(kept_outside, outside as usize);
        }
        // the morning did move bikes about
        let s = bikes.summary();
        prop_assert!(s.trips > 0 && seen.len() >= 2, "{} rides, states {:?}", s.trips, seen);
    }
}
