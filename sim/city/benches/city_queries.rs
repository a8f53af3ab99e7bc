//! Queries on the demo city: bundle load, nearest link, point in district, fastest path.
//! Needs the demo bundle: run `make demo` (or `citytwin import --scene scenes/chengdu/scene.ron`).

use citytwin_city::{City, CityBundle, Mode, NodeId};
use criterion::{Criterion, criterion_group, criterion_main};
use geo::Point;
use std::hint::black_box;
use std::path::Path;

const BUNDLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/chengdu/city.ctb");

/// Fixed, spread-out probe points over the extent (no RNG, so runs are comparable).
fn probes(city: &City, n: u32) -> Vec<Point<f64>> {
    let e = city.bundle.meta.extent;
    (0..n)
        .map(|k| {
            let (fx, fy) = (
                (f64::from(k) * 0.618_034) % 1.0,
                (f64::from(k) * 0.754_878) % 1.0,
            );
            Point::new(e.min().x + fx * e.width(), e.min().y + fy * e.height())
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let path = Path::new(BUNDLE);
    if !path.exists() {
        eprintln!("{BUNDLE} is missing: run `make demo` first");
        return;
    }
    c.bench_function("bundle load + index (demo city)", |b| {
        b.iter(|| City::new(CityBundle::load(black_box(path)).expect("bundle loads")))
    });
    let city = City::load(path).expect("bundle loads");
    let points = probes(&city, 1000);
    c.bench_function("nearest car link (1000 points)", |b| {
        b.iter(|| {
            points
                .iter()
                .filter_map(|p| city.nearest_link(*p, Mode::Car))
                .count()
        })
    });
    c.bench_function("district containing point (1000 points)", |b| {
        b.iter(|| points.iter().filter_map(|p| city.district_at(*p)).count())
    });
    let n = city.roads().nodes.len() as u32;
    let pairs: Vec<(NodeId, NodeId)> = (0..100u32)
        .map(|k| (NodeId(k * 7919 % n), NodeId(k * 104_729 % n)))
        .collect();
    c.bench_function("fastest car path (100 node pairs)", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|(a, z)| city.fastest_path(*a, *z, Mode::Car))
                .count()
        })
    });
}

criterion_group! {
    name = city;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(city);
