//! One second of the queue model on a loaded 40×40 two-way grid (200 m blocks, 2 lanes,
//! 10,000 trips departing over 20 minutes), measured after 15 simulated minutes of loading.
//! Also prints the model's memory per simulated vehicle.

use citytwin_city::LinkId;
use citytwin_city::rng::SimRng;
use citytwin_traffic::dynamic::signals::Signals;
use citytwin_traffic::dynamic::{
    Purpose, QueueLink, QueueNetwork, TrafficConfig, TrafficSim, TripSpec,
};
use criterion::{Criterion, criterion_group, criterion_main};

const SIDE: u32 = 40;

fn grid() -> QueueNetwork {
    QueueNetwork::grid(SIDE, |from, to| QueueLink {
        from,
        to,
        length_m: 200.0,
        free_flow_s: 14,
        capacity_vps: 2.0 * 1000.0 / 3600.0,
        storage: (2.0 * 200.0 / 7.5) as u32,
        lanes: 2,
        inner: false,
    })
}

fn loaded_sim() -> TrafficSim {
    let net = grid();
    let mut rng = SimRng::seed(1);
    let links = net.links.len() as u64;
    let trips: Vec<TripSpec> = (0..10_000)
        .map(|_| TripSpec {
            origin_link: LinkId(rng.below(links) as u32),
            dest_link: LinkId(rng.below(links) as u32),
            departure_s: rng.below(1200) as u32,
            purpose: Purpose::Other,
        })
        .collect();
    let mut sim = TrafficSim::new(
        net,
        Signals::default(),
        trips,
        Vec::new(),
        TrafficConfig::default(),
        1,
    );
    sim.run_until(900, &mut |_| true);
    sim
}

fn bench_step(c: &mut Criterion) {
    let mut sim = loaded_sim();
    let on = sim.counts().on_links;
    eprintln!(
        "queue_step: {on} cars on {} links; model memory {} bytes, {:.0} bytes per trip",
        sim.net.links.len(),
        sim.memory_bytes(),
        sim.memory_bytes() as f64 / sim.trips().len() as f64
    );
    c.bench_function(
        "queue model: one simulated second, 40×40 grid, loaded",
        |b| {
            b.iter(|| {
                if sim.now() >= 1800 {
                    sim = loaded_sim();
                }
                sim.step();
            });
        },
    );
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
