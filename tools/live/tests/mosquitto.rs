//! The MQTT path against a real mosquitto on a free loopback port: roles enforced by the
//! broker, and no acknowledged observation lost across a twin's absence and broker restarts.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

use citytwin_city::DatastreamId;
use citytwin_city::calendar::Date;
use citytwin_live::broker::{BrokerSetup, User};
use citytwin_live::mosquitto::{Mosquitto, free_port};
use citytwin_live::{Endpoint, LiveError, LiveFeed, Message, Publisher};
use citytwin_ops::Observation;
use citytwin_ops::wire::SimDay;
use std::collections::BTreeSet;
use std::time::Duration;

const PREFIX: &str = "test/city";
const DAY: SimDay = SimDay {
    date: Date {
        year: 2016,
        month: 12,
        day: 18,
    },
    utc_offset_s: 8 * 3600,
};
const WAIT: Duration = Duration::from_secs(10);

/// A broker with the four roles' users, in a folder removed when the test ends.
fn broker(name: &str) -> (tempfile::TempDir, Mosquitto, u16) {
    let scratch = tempfile::Builder::new()
        .prefix(&format!("citytwin-live-{name}-"))
        .tempdir()
        .unwrap();
    let users: Vec<User> = [
        ("twin", "viewer"),
        ("gateway", "operator"),
        ("wall", "viewer"),
        ("plan", "planner"),
    ]
    .iter()
    .map(|(n, r)| User {
        name: n.to_string(),
        role: r.parse().unwrap(),
        password: format!("{n}-pw"),
    })
    .collect();
    let port = free_port().unwrap();
    let setup = BrokerSetup {
        dir: scratch.path().to_path_buf(),
        bind: "127.0.0.1".into(),
        port,
        prefix: PREFIX.into(),
    };
    setup.write(&users).unwrap();
    (scratch, Mosquitto::start(&setup).unwrap(), port)
}

fn endpoint(user: &str, port: u16) -> Endpoint {
    format!("mqtt://{user}:{user}-pw@127.0.0.1:{port}")
        .parse()
        .unwrap()
}

fn publish(user: &str, port: u16, times: impl Iterator<Item = u32>) -> u64 {
    let mut p = Publisher::connect(&endpoint(user, port), &format!("pub-{user}"), WAIT).unwrap();
    for t in times {
        let obs = Observation {
            datastream: DatastreamId(0),
            phenomenon_s: t,
            result: 40.0,
        };
        p.observation(PREFIX, &obs, &DAY).unwrap();
    }
    let done = p.finish(WAIT);
    assert_eq!(done.acknowledged, done.published, "{done:?}");
    done.acknowledged
}

/// Receives until `quiet` passes with nothing new; acks the first `ack` observations.
fn receive(feed: &LiveFeed, ack: usize) -> (Vec<u32>, usize) {
    let (mut times, mut other) = (Vec::new(), 0);
    while let Some(d) = feed.next(Duration::from_millis(1500)) {
        match &d.message {
            Message::Observation(o) => {
                times.push(o.phenomenon_s);
                if times.len() <= ack {
                    feed.ack(&d);
                }
            }
            _ => {
                other += 1;
                feed.ack(&d);
            }
        }
    }
    (times, other)
}

#[test]
fn nothing_acknowledged_is_lost_across_absence_and_restarts() {
    let (_dir, mut mosquitto, port) = broker("restart");
    let subscribe = || LiveFeed::subscribe(&endpoint("twin", port), "the-twin", PREFIX, DAY, WAIT);
    let feed = subscribe().unwrap();
    assert_eq!(publish("gateway", port, 0..500), 500);
    // the twin holds only half of them when it goes away
    let (first, _) = receive(&feed, 250);
    assert_eq!(first.len(), 500);
    feed.close();

    // the broker restarts while the twin is away, and more observations come meanwhile
    mosquitto.restart().unwrap();
    assert_eq!(publish("gateway", port, 500..1000), 500);
    mosquitto.restart().unwrap();

    let feed = subscribe().unwrap();
    // and once more with the twin connected: it reconnects by itself
    mosquitto.restart().unwrap();
    assert_eq!(publish("gateway", port, 1000..1200), 200);
    let (second, _) = receive(&feed, usize::MAX);
    assert!(feed.reconnects() >= 1);
    feed.close();

    let held: BTreeSet<u32> = first[..250].iter().chain(&second).copied().collect();
    let missing: Vec<u32> = (0..1200).filter(|t| !held.contains(t)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    drop(mosquitto);
}

#[test]
fn roles_are_enforced_by_the_broker() {
    let (_dir, mosquitto, port) = broker("roles");
    let feed =
        LiveFeed::subscribe(&endpoint("twin", port), "roles-twin", PREFIX, DAY, WAIT).unwrap();
    // a viewer's observations and edits never reach the twin; an operator's do
    publish("wall", port, 0..10);
    let mut wall = Publisher::connect(&endpoint("wall", port), "wall-edit", WAIT).unwrap();
    wall.publish(&citytwin_live::control::edits_topic(PREFIX), b"()".to_vec())
        .unwrap();
    wall.finish(WAIT);
    // an operator cannot edit the scenario, a planner can
    let mut gateway = Publisher::connect(&endpoint("gateway", port), "gw-edit", WAIT).unwrap();
    gateway
        .publish(&citytwin_live::control::edits_topic(PREFIX), b"()".to_vec())
        .unwrap();
    gateway.finish(WAIT);
    let mut plan = Publisher::connect(&endpoint("plan", port), "plan-edit", WAIT).unwrap();
    plan.publish(&citytwin_live::control::edits_topic(PREFIX), b"()".to_vec())
        .unwrap();
    plan.finish(WAIT);
    publish("gateway", port, 100..105);
    let (times, control) = receive(&feed, usize::MAX);
    assert_eq!(times, (100..105).collect::<Vec<_>>());
    assert_eq!(control, 1, "only the planner's edit arrives");

    // unknown users and wrong passwords are refused at the door
    for url in [
        format!("mqtt://stranger:x@127.0.0.1:{port}"),
        format!("mqtt://wall:wrong@127.0.0.1:{port}"),
        format!("mqtt://127.0.0.1:{port}"),
    ] {
        let e = Publisher::connect(&url.parse().unwrap(), "stranger", WAIT).unwrap_err();
        assert!(matches!(e, LiveError::Refused { .. }), "{url}: {e}");
    }
    feed.close();
    drop(mosquitto);
}
