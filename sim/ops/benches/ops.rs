//! The two costs the operations centre pays all the time:
//! - ingestion: 10,000 datastreams, one observation each per round, decoded from their MQTT
//!   wire form (topic + JSON body) and sorted by `Feeds::ingest` — reported as observations
//!   per second (criterion's throughput);
//! - recomputing every vital sign from 10,000 sensor readings with thresholds (spread over a
//!   100 × 100 grid of cells in 10 districts), 5,000 loaded links, 1,000 fences, 50 stations
//!   and 2,000 cases.

use citytwin_city::calendar::Date;
use citytwin_city::grid::CellRef;
use citytwin_city::{DatastreamId, DistrictId, ThingId};
use citytwin_ops::catalog::Quantity;
use citytwin_ops::feeds::Feeds;
use citytwin_ops::iaqi::HourlyConcentrations;
use citytwin_ops::model::{Sensor, Source};
use citytwin_ops::vitals::{
    CaseReading, Evidence, FenceReading, LinkReading, Place, SensorReading, StationReading,
    VitalSigns, VitalsConfig,
};
use citytwin_ops::wire::{self, SimDay};
use citytwin_ops::{Datastream, Observation, Thresholds};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SENSORS: u32 = 10_000;
const DAY: SimDay = SimDay {
    date: Date {
        year: 2026,
        month: 11,
        day: 22,
    },
    utc_offset_s: 8 * 3600,
};

fn streams() -> Vec<Datastream> {
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
            thresholds: Some(Thresholds {
                amber: 75.0,
                red: 150.0,
            }),
        })
        .collect()
}

fn place(i: u32) -> Place {
    Place {
        district: Some(DistrictId(i % 10)),
        cell: Some(CellRef {
            row: (i / 100) % 100,
            col: i % 100,
        }),
    }
}

fn ingestion(c: &mut Criterion) {
    // one round: every sensor's reading for one minute, as it comes off the wire
    let rounds = 60u32;
    let messages: Vec<Vec<(String, Vec<u8>)>> = (0..rounds)
        .map(|minute| {
            (0..SENSORS)
                .map(|i| {
                    let obs = Observation {
                        datastream: DatastreamId(i),
                        phenomenon_s: 8 * 3600 + minute * 60,
                        result: f64::from(i % 300),
                    };
                    (
                        wire::topic("citytwin/bench", obs.datastream),
                        wire::encode(&obs, &DAY),
                    )
                })
                .collect()
        })
        .collect();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(u64::from(SENSORS * rounds)));
    group.sample_size(10);
    group.bench_function("decode+ingest 10k streams x 60 min", |b| {
        b.iter(|| {
            let mut feeds = Feeds::new(streams());
            let mut kept = 0u64;
            for (minute, round) in messages.iter().enumerate() {
                let now = 8 * 3600 + minute as u32 * 60;
                for (topic, body) in round {
                    let obs = wire::decode(topic, body, &DAY).expect("well-formed");
                    kept += u64::from(feeds.ingest(obs, now).is_ok_and(|v| v.kept()));
                }
            }
            assert_eq!(kept, u64::from(SENSORS * rounds), "none lost");
            black_box(feeds.len())
        })
    });
    group.finish();
}

fn vitals(c: &mut Criterion) {
    let evidence = Evidence {
        at_s: 8 * 3600,
        links: (0..5_000)
            .map(|i| LinkReading {
                place: place(i),
                vehicles: i % 40,
                length_m: 150.0,
                speed_kmh: f64::from(5 + i % 50),
                speed_ratio: f64::from(i % 10) / 10.0,
            })
            .collect(),
        fences: (0..1_000)
            .map(|i| FenceReading {
                place: place(i * 7),
                bikes: i % 30,
                capacity: 20,
            })
            .collect(),
        stations: (0..50)
            .map(|i| StationReading {
                place: place(i * 199),
                air: HourlyConcentrations {
                    pm25_24h: Some(f64::from(20 + i)),
                    pm10_24h: Some(f64::from(40 + i)),
                    so2_1h: Some(10.0),
                    no2_1h: Some(50.0),
                    co_1h: Some(1.0),
                    o3_1h: Some(80.0),
                },
            })
            .collect(),
        cases: (0..2_000)
            .map(|i| CaseReading {
                place: place(i * 3),
                open: i % 3 == 0,
                sla_met: (i % 3 != 0).then_some(i % 5 != 0),
            })
            .collect(),
        readings: (0..SENSORS)
            .map(|i| SensorReading {
                place: place(i),
                datastream: DatastreamId(i),
                value: f64::from(i % 300),
                thresholds: Thresholds {
                    amber: 75.0,
                    red: 150.0,
                },
            })
            .collect(),
        governance_score: Some(96.0),
    };
    let mut signs = VitalSigns::new(VitalsConfig::default());
    signs.update(&evidence);
    c.bench_function("vital signs: recompute all (10k sensors)", |b| {
        b.iter(|| {
            signs.update(black_box(&evidence));
            black_box(signs.vitals.len())
        })
    });
}

criterion_group!(benches, ingestion, vitals);
criterion_main!(benches);
