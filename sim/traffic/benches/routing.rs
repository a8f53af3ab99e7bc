//! Routing on the demo city's car network: building and customizing the contraction
//! hierarchy, and 1000 fastest routes by it and by landmark A* on the same congested times.
//! Needs the demo bundle: run `make demo` (or `citytwin import --scene scenes/chengdu/scene.ron`).
//! Also customizing on a regional 180 × 180 grid (issue 22's regional day), on the rayon
//! pool's threads (`RAYON_NUM_THREADS=1` for one).

use citytwin_city::rng::SimRng;
use citytwin_city::{City, LinkId};
use citytwin_traffic::dynamic::cch::Cch;
use citytwin_traffic::dynamic::router::Router;
use citytwin_traffic::dynamic::{QueueLink, QueueNetwork};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;

const BUNDLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/chengdu/city.ctb");

/// Costs that change at every customization, as the day's refreshes do (the same costs again
/// are not customized anew): congested and free-flow in turn.
struct ChangingCosts {
    costs: [Vec<f64>; 2],
    turn: usize,
}

/// A congested metric: every link 1–4× its free-flow time.
fn congested(free: &[f64], rng: &mut SimRng) -> Vec<f64> {
    free.iter().map(|f| f * (1.0 + 3.0 * rng.unit())).collect()
}

impl ChangingCosts {
    fn new(congested: Vec<f64>, free: &[f64]) -> ChangingCosts {
        ChangingCosts {
            costs: [congested, free.to_vec()],
            turn: 0,
        }
    }

    fn next(&mut self) -> &[f64] {
        self.turn ^= 1;
        &self.costs[self.turn]
    }
}

fn regional(c: &mut Criterion) {
    let net = QueueNetwork::grid(180, |from, to| QueueLink {
        from,
        to,
        length_m: 300.0,
        free_flow_s: 27,
        capacity_vps: 0.5,
        storage: 40,
        lanes: 1,
        inner: false,
    });
    let mut cch = Cch::new(&net);
    let free = net.free_flow_times();
    let mut costs = ChangingCosts::new(congested(&free, &mut SimRng::seed(7)), &free);
    c.bench_function("contraction hierarchy: customize (180 × 180 grid)", |b| {
        b.iter(|| cch.customize(costs.next()))
    });
}

fn benches(c: &mut Criterion) {
    regional(c);
    let path = Path::new(BUNDLE);
    if !path.exists() {
        eprintln!("{BUNDLE} is missing: run `make demo` first");
        return;
    }
    let city = City::load(path).expect("bundle loads");
    let net = QueueNetwork::new(city.roads());
    let free = net.free_flow_times();
    let mut rng = SimRng::seed(7);
    let cost = congested(&free, &mut rng);
    let car_links: Vec<LinkId> = (0..net.links.len())
        .map(LinkId::from_index)
        .filter(|&l| net.link(l).is_some())
        .collect();
    let pairs: Vec<(LinkId, LinkId)> = (0..1000)
        .map(|_| {
            let pick = |rng: &mut SimRng| car_links[rng.below(car_links.len() as u64) as usize];
            (pick(&mut rng), pick(&mut rng))
        })
        .collect();
    eprintln!(
        "routing: {} nodes, {} car links, {} hierarchy edges",
        net.node_count,
        car_links.len(),
        Cch::new(&net).edge_count()
    );
    c.bench_function("contraction hierarchy: build (demo city)", |b| {
        b.iter(|| Cch::new(&net))
    });
    let mut cch = Cch::new(&net);
    let mut costs = ChangingCosts::new(cost.clone(), &free);
    c.bench_function("contraction hierarchy: customize (demo city)", |b| {
        b.iter(|| cch.customize(costs.next()))
    });
    cch.customize(&cost);
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
