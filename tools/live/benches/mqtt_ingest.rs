//! Sustained ingestion through a real broker: a gateway publishes 100,000 observations of
//! 10,000 sensors (QoS 1) to mosquitto on a loopback port while the twin's subscription
//! (persistent session, manual acks) takes them, decodes them and sorts them with
//! `Feeds::ingest`, the World's one ingestion path, acknowledging each once held. Each
//! iteration is timed from the first publish until the last observation is held; criterion
//! reports observations per second. Needs mosquitto (scripts/setup.sh installs it).

use citytwin_city::calendar::Date;
use citytwin_city::{DatastreamId, ThingId};
use citytwin_live::broker::{BrokerSetup, User};
use citytwin_live::mosquitto::{Mosquitto, free_port};
use citytwin_live::{Endpoint, LiveFeed, Message, Publisher};
use citytwin_ops::catalog::Quantity;
use citytwin_ops::feeds::Feeds;
use citytwin_ops::model::{Sensor, Source};
use citytwin_ops::wire::SimDay;
use citytwin_ops::{Datastream, Observation};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

const SENSORS: u32 = 10_000;
const ROUNDS: u32 = 10;
const PREFIX: &str = "bench/city";
const DAY: SimDay = SimDay {
    date: Date {
        year: 2026,
        month: 11,
        day: 22,
    },
    utc_offset_s: 8 * 3600,
};

fn feeds() -> Feeds {
    Feeds::new(
        (0..SENSORS)
            .map(|i| Datastream {
                id: DatastreamId(i),
                name: format!("sensor {i}"),
                thing: ThingId(i),
                sensor: Sensor {
                    name: "bench".into(),
                    description: "bench".into(),
                },
                quantity: Quantity::Pm25,
                source: Source::Live,
                interval_s: 60,
                thresholds: None,
            })
            .collect(),
    )
}

fn ingestion(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("citytwin-bench-mqtt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let setup = BrokerSetup {
        dir: dir.clone(),
        bind: "127.0.0.1".into(),
        port: free_port().expect("a free port"),
        prefix: PREFIX.into(),
    };
    let users = [("twin", "viewer"), ("gateway", "operator")].map(|(name, role)| User {
        name: name.into(),
        role: role.parse().expect("a role"),
        password: "bench".into(),
    });
    setup.write(&users).expect("broker configuration");
    let _broker = Mosquitto::start(&setup).expect("mosquitto starts");
    let url = |user: &str| -> Endpoint {
        format!("mqtt://{user}:bench@127.0.0.1:{}", setup.port)
            .parse()
            .expect("a broker URL")
    };
    let wait = Duration::from_secs(10);
    let total = u64::from(SENSORS * ROUNDS);
    let gateway = url("gateway");
    // each batch has phenomenon times of its own, so that a message delivered again from an
    // earlier batch (not acknowledged before a disconnection) is told apart
    let publish_all = move |batch: u32| {
        let mut p =
            Publisher::connect(&gateway, "bench-gateway", wait).expect("the gateway connects");
        for round in 0..ROUNDS {
            for s in 0..SENSORS {
                let obs = Observation {
                    datastream: DatastreamId(s),
                    phenomenon_s: batch * 600 + round * 60,
                    result: f64::from(s % 300),
                };
                p.observation(PREFIX, &obs, &DAY).expect("published");
            }
        }
        let done = p.finish(Duration::from_secs(60));
        assert_eq!(done.acknowledged, total, "{done:?}");
    };
    // takes every observation into a fresh set of feeds, acknowledging each once held
    let ingest_all = |feed: &LiveFeed, batch: u32| {
        let mut held = feeds();
        let mut got = 0;
        while got < total {
            let d = feed.next(wait).expect("observations keep coming");
            if let Message::Observation(obs) = &d.message
                && obs.phenomenon_s / 600 == batch
            {
                let verdict = held.ingest(*obs, 86_400);
                assert!(verdict.as_ref().is_ok_and(|v| v.kept()), "{verdict:?}");
                got += 1;
            }
            feed.ack(&d);
        }
        let kept: u64 = held.iter().map(|f| f.total.kept()).sum();
        assert_eq!(kept, total, "none lost");
    };
    let batches = std::cell::Cell::new(0);
    let next_batch = || {
        // a day holds 144 batches of 10 minutes
        batches.set((batches.get() + 1) % 144);
        batches.get()
    };
    let subscribe =
        || LiveFeed::subscribe(&url("twin"), "bench-twin", PREFIX, DAY, wait).expect("subscribed");

    let mut group = c.benchmark_group("mqtt");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total));
    // the gateway publishes while the twin ingests, both on this machine's cores
    group.bench_function("publish and ingest 100k observations of 10k sensors", |b| {
        let feed = subscribe();
        b.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let batch = next_batch();
                let started = Instant::now();
                let publish = publish_all.clone();
                let publisher = std::thread::spawn(move || publish(batch));
                ingest_all(&feed, batch);
                elapsed += started.elapsed();
                publisher.join().expect("the gateway finishes");
            }
            elapsed
        });
        feed.close();
    });
    // the twin's side alone: 100k observations queued by the broker while the twin was away,
    // from reconnecting until all are held
    group.bench_function("ingest 100k queued observations of 10k sensors", |b| {
        b.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let batch = next_batch();
                publish_all(batch);
                let started = Instant::now();
                let feed = subscribe();
                ingest_all(&feed, batch);
                elapsed += started.elapsed();
                feed.close();
            }
            elapsed
        });
    });
    group.finish();
}

criterion_group!(benches, ingestion);
criterion_main!(benches);
