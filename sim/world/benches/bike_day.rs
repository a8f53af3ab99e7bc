//! A whole simulated day of shared bikes on the demo city at the scale of issue 4: 100,000
//! bikes and 500,000 wished-for trips on the 302 fences generated from OSM, monitoring points
//! counting every simulated minute, alarms dispatched to crews whose trucks drive on the
//! traffic model's current travel times. One thread. Car traffic is left out so that the
//! figure is the bikes' own cost.
//! Needs the demo bundle: run `make demo` (or `citytwin import --scene scenes/chengdu/scene.ron`).

use citytwin_bikes::demand::synthetic_bike_day;
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_bikes::{BikeSim, DocklessConfig};
use citytwin_city::City;
use citytwin_sim::{World, WorldOptions};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::path::Path;
use std::time::Duration;

const BUNDLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/chengdu/city.ctb");
const FLEET: u32 = 100_000;
const TRIPS: u32 = 500_000;

fn benches(c: &mut Criterion) {
    let path = Path::new(BUNDLE);
    if !path.exists() {
        eprintln!("{BUNDLE} is missing: run `make demo` first");
        return;
    }
    let city = City::load(path).expect("bundle loads");
    let plan = fences_from_osm(&city, &Default::default()).expect("fences from OSM");
    let trips = synthetic_bike_day(&city, &plan, &Default::default(), TRIPS, 1);
    let config = DocklessConfig {
        fleet: FLEET,
        ..DocklessConfig::default()
    };
    let mut group = c.benchmark_group("bike day (demo city, 100k bikes, 500k trips)");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("routing every trip on the bike graph", |b| {
        b.iter(|| BikeSim::new(&city, plan.clone(), trips.clone(), config.clone(), 1))
    });
    let bikes = BikeSim::new(&city, plan.clone(), trips.clone(), config.clone(), 1);
    let world_with_bikes = || {
        let mut world = World::new(&city.bundle.roads, Vec::new(), WorldOptions::default())
            .expect("a world without cars");
        world.attach_bikes(bikes.clone());
        world
    };
    group.bench_function("the day: 86,400 steps", |b| {
        b.iter_batched(
            world_with_bikes,
            |mut world| {
                world.run(&mut |_| true);
                world.bikes().map(BikeSim::summary)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    let mut world = world_with_bikes();
    world.run(&mut |_| true);
    if let Some(b) = world.bikes() {
        eprintln!("{:#?}", b.summary());
    }
}

criterion_group!(bike_day, benches);
criterion_main!(bike_day);
