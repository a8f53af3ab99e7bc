//! Routing on the demo city's car network: building and customizing the contraction
//! hierarchy, and 1000 fastest routes by it and by landmark A* on the same congested times.
//! Needs the demo bundle: run `make demo` (or `citytwin import --scene scenes/chengdu/scene.ron`).

use citytwin_city::City;
use citytwin_city::rng::SimRng;
use citytwin_traffic::dynamic::QueueNetwork;
use citytwin_traffic::dynamic::cch::Cch;
use citytwin_traffic::dynamic::router::Router;
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;

const BUNDLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/chengdu/city.ctb");

fn benches(c: &mut Criterion) {
    let path = Path::new(BUNDLE);
    if !path.exists() {
        eprintln!("{BUNDLE} is missing: run `make demo` first");
        return;
    }
    let city = City::load(path).expect("bundle loads");
    let net = QueueNetwork::new(city.roads());
    let free = net.free_flow_times();
    // a congested metric: every link 1–4× its free-flow time
    let mut rng = SimRng::seed(7);
    let cost: Vec<f64> = free.iter().map(|f| f * (1.0 + 3.0 * rng.unit())).collect();
    let car_links: Vec<u32> = (0..net.links.len() as u32)
        .filter(|&l| net.link(l).is_some())
        .collect();
    let pairs: Vec<(u32, u32)> = (0..1000)
        .map(|_| {
            let pick = |rng: &mut SimRng| car_links[rng.below(car_links.len() as u64) as usize];
            (pick(&mut rng), pick(&mut rng))
        })
        .collect();
    eprintln!(
        "routing: {} nodes, {} car links",
        net.node_count,
        car_links.len()
    );
    c.bench_function("contraction hierarchy: build (demo city)", |b| {
        b.iter(|| Cch::new(&net))
    });
    let mut cch = Cch::new(&net);
    c.bench_function("contraction hierarchy: customize (demo city)", |b| {
        b.iter(|| cch.customize(&cost))
    });
    let mut route = Vec::new();
    c.bench_function("contraction hierarchy: 1000 routes (demo city)", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|&(a, z)| cch.route(&net, a, z, &mut route))
                .count()
        })
    });
    let mut router = Router::new(&net, &free);
    c.bench_function("landmark A*: 1000 routes (demo city)", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter_map(|&(a, z)| router.route(&net, &cost, a, z, &mut route))
                .count()
        })
    });
}

criterion_group!(routing, benches);
criterion_main!(routing);
