//! An hour ahead from 08:00 on the demo city (issue 21): the fork alone, and the fork run on
//! to 09:00 with snapshots every 15 minutes. Car traffic of a synthetic day (200,000 trips,
//! about the calibrated day's); `citytwin forecast` reports the same figure with bikes and
//! operations in forecast.json `seconds` (docs/forecast.md).
//! Needs the demo bundle: run `make demo` (or `citytwin import --scene scenes/chengdu/scene.ron`).

use citytwin_city::City;
use citytwin_sim::forecast::run_ahead;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::demand::synthetic::synthetic_day;
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;
use std::time::Duration;

const BUNDLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/chengdu/city.ctb");

fn benches(c: &mut Criterion) {
    let path = Path::new(BUNDLE);
    if !path.exists() {
        eprintln!("{BUNDLE} is missing: run `make demo` first");
        return;
    }
    let city = City::load(path).expect("bundle loads");
    let trips = synthetic_day(&city, 200_000, 1).expect("a synthetic day");
    let mut world =
        World::new(city.roads(), trips, WorldOptions::default()).expect("the day's World");
    world.advance_to(8 * 3600);
    let mut group = c.benchmark_group("forecast from 08:00 (demo city, 200k trips)");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("fork", |b| b.iter(|| world.fork()));
    group.bench_function("fork and run 60 minutes ahead", |b| {
        b.iter(|| run_ahead(&world, 3600))
    });
    group.finish();
}

criterion_group!(forecast, benches);
criterion_main!(forecast);
