//! A live morning against a real mosquitto, configured by `citytwin broker`, on a free loopback
//! port: observations published by `citytwin feed` and by mosquitto_pub (good, duplicate,
//! late, out of order, invalid, malformed, for no datastream), a broker restart in the middle,
//! roles enforced (a viewer's and an operator's edits never arrive, a planner's applies), an
//! unknown client refused; every acknowledged observation is accounted for in summary.json;
//! the next hour is forecast in the background and the latest forecast written.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use citytwin_live::broker::BrokerSetup;
use citytwin_live::mosquitto::{Mosquitto, free_port};
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const USERS: &str =
    "twin viewer twin-pw\ngateway operator gw-pw\nwall viewer wall-pw\nplan planner plan-pw\n";
const PREFIX: &str = "citytwin/chengdu";

fn feed(scene: &Path, dir: &Path, user: &str, rows: &str) -> std::process::Output {
    let password = format!("{}-pw", if user == "gateway" { "gw" } else { user });
    let csv = dir.join(format!("{user}-{}.csv", rows.len()));
    std::fs::write(&csv, format!("datastream,phenomenon_time,result\n{rows}")).unwrap();
    let port = std::fs::read_to_string(dir.join("port")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args([
            "feed",
            scene.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ])
        .args(["--broker", &format!("mqtt://{user}@127.0.0.1:{port}")])
        .env("CITYTWIN_MQTT_PASSWORD", password)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

fn mosquitto_pub(port: u16, user: &str, password: &str, topic: &str, message: &str) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .args(["-u", user, "-P", password, "-t", topic, "-m", message])
        .status()
        .expect("mosquitto_pub (Debian package mosquitto-clients) runs");
    assert!(status.success());
}

#[test]
fn a_live_morning_through_mosquitto_loses_nothing_acknowledged() {
    let dir = scratch("live");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    std::fs::write(dir.join("users.txt"), USERS).unwrap();
    let port = free_port().unwrap();
    std::fs::write(dir.join("port"), port.to_string()).unwrap();
    let broker_dir = dir.join("broker");
    ok(&[
        "-q",
        "broker",
        scene.to_str().unwrap(),
        "--users",
        dir.join("users.txt").to_str().unwrap(),
        "--dir",
        broker_dir.to_str().unwrap(),
        "--port",
        &port.to_string(),
    ]);
    let setup = BrokerSetup {
        dir: broker_dir.canonicalize().unwrap(),
        bind: "127.0.0.1".into(),
        port,
        prefix: PREFIX.into(),
    };
    let mut mosquitto = Mosquitto::start(&setup).unwrap();

    // the twin: 08:00 to 08:03 at six times real time (30 s), live sensors from the broker
    let out = dir.join("out");
    let mut twin = Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args([
            "run",
            scene.to_str().unwrap(),
            "--from",
            "08:00",
            "--to",
            "08:03",
        ])
        .args([
            "--trips",
            "2000",
            "--pace",
            "6",
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--live", &format!("mqtt://twin@127.0.0.1:{port}")])
        .env("CITYTWIN_MQTT_PASSWORD", "twin-pw")
        .env("RUST_LOG", "error")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = twin.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("live: subscribed") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(300))
        .expect("the twin subscribes");

    // noise meter (datastream 0, every 60 s): two good, a duplicate, a late one, an
    // impossible reading; the viewer's reading is dropped by the broker
    let gateway = feed(
        &scene,
        &dir,
        "gateway",
        "0,07:59,55\n0,08:00,60\n0,07:59,55\n0,07:30,50\n0,07:59:45,500\n",
    );
    assert!(gateway.status.success(), "{gateway:?}");
    assert!(feed(&scene, &dir, "wall", "0,07:58,70\n").status.success());
    let ds = |id: u32| format!("{PREFIX}/v1.1/Datastreams({id})/Observations");
    mosquitto_pub(port, "gateway", "gw-pw", &ds(0), "not json");
    mosquitto_pub(port, "gateway", "gw-pw", &ds(0), r#"{"result": 3}"#);
    mosquitto_pub(
        port,
        "gateway",
        "gw-pw",
        &ds(4_000_000),
        r#"{"phenomenonTime": "2025-01-06T07:59:00+08:00", "result": 3}"#,
    );
    // scenario edits: only the planner's reach the twin
    let control = format!("{PREFIX}/control/scenario");
    let close = r#"CloseRoad(road: Name("人民北路"))"#;
    mosquitto_pub(port, "wall", "wall-pw", &control, close);
    mosquitto_pub(port, "gateway", "gw-pw", &control, close);
    mosquitto_pub(port, "plan", "plan-pw", &control, close);
    mosquitto_pub(
        port,
        "plan",
        "plan-pw",
        &control,
        r#"CloseRoad(road: Name("No Such Road"))"#,
    );
    mosquitto_pub(
        port,
        "plan",
        "plan-pw",
        &control,
        "ScaleDemand(factor: 2.0)",
    );

    // the broker restarts; the PM2.5 sensor (datastream 1) publishes meanwhile: a reading,
    // then an older one (out of order)
    mosquitto.restart().unwrap();
    let pm = feed(&scene, &dir, "gateway", "1,08:00,80\n1,07:59:30,70\n");
    assert!(pm.status.success(), "{pm:?}");

    // strangers are refused at the door
    let stranger = feed(&scene, &dir, "stranger", "0,08:00,1\n");
    let err = String::from_utf8_lossy(&stranger.stderr);
    assert_eq!(stranger.status.code(), Some(1), "{err}");
    assert!(err.contains("refused the connection"), "{err}");

    let status = twin.wait().unwrap();
    let log = reader.join().unwrap();
    assert!(status.success(), "{log}");
    // the hour ahead, forecast from a copy of the live day as it ran (to the window's end)
    let forecast: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("forecast/forecast.json")).unwrap())
            .unwrap();
    assert_eq!(forecast["at"], "2025-01-06T08:00:00+08:00", "{forecast}");
    assert_eq!(forecast["until"], "2025-01-06T08:03:00+08:00", "{forecast}");
    let links = std::fs::read_to_string(out.join("forecast/forecast_links.csv")).unwrap();
    assert!(links.starts_with("link,osm_way_id,minutes_ahead,speed_kmh,flow_vph\n"));
    assert!(log.contains("forecasts of the next hour"), "{log}");
    let s = summary(&out);
    let live = &s["live"];
    assert!(live["reconnects"].as_u64().unwrap() >= 1, "{live}");
    // 5 + 2 observations acknowledged to the gateway, 3 odd messages, 3 planner's edits
    assert_eq!(live["observations"], 8, "{live}");
    assert_eq!(live["malformed"], 2, "{live}");
    let q = &s["quality"];
    assert_eq!(q["malformed"], 2);
    assert_eq!(q["unknown_datastream"], 1);
    let noise = &q["feeds"]["noise meter at 天府广场 · noise"]["received"];
    assert_eq!(noise["accepted"], 2, "{noise}");
    assert_eq!(noise["duplicate"], 1, "{noise}");
    assert_eq!(noise["late"], 1, "{noise}");
    assert_eq!(noise["invalid"], 1, "{noise}");
    let pm25 = &q["feeds"]["PM2.5 microsensor at 春熙路 · pm25"]["received"];
    assert_eq!(pm25["accepted"], 1, "{pm25}");
    assert_eq!(pm25["out_of_order"], 1, "{pm25}");

    let edits = live["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 3, "only the planner's: {live}");
    assert_eq!(edits[0]["applied"], true, "{live}");
    assert!(
        edits[0]["outcome"]
            .as_str()
            .unwrap()
            .contains("link events")
    );
    assert_eq!(edits[1]["applied"], false);
    assert!(
        edits[1]["outcome"]
            .as_str()
            .unwrap()
            .contains("No Such Road")
    );
    assert_eq!(edits[2]["applied"], false);
    assert!(edits[2]["outcome"].as_str().unwrap().contains("--scenario"));
    drop(mosquitto);
}
