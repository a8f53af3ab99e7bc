//! A morning of dockless shared bikes on the demo city: through `citytwin run` (reports,
//! determinism) and in process (counts stay exact, no bike is lost).

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_bikes::demand::synthetic_bike_day;
use citytwin_bikes::gbfs::{
    read_geofencing_zones, read_station_information, read_station_status, read_vehicle_status,
};
use citytwin_bikes::osm_fences::fences_from_osm;
use citytwin_bikes::{
    AlarmKind, BikeSim, BikeState, DispatchConfig, DocklessConfig, OperatorConfig, Rebalancing,
};
use citytwin_city::{City, LinkId, OperatorId};
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::demand::synthetic_day;
use citytwin_traffic::dynamic::Purpose;
use common::*;
use gdal::vector::LayerAccess;
use std::collections::BTreeSet;

/// A morning of 1000 bikes (one ride in twenty breaks its bike, so that every state is
/// seen), checked every ten minutes.
fn morning(city: &City, rebalancing: Rebalancing) -> BikeSim {
    morning_of(city, rebalancing, Vec::new())
}

fn morning_of(city: &City, rebalancing: Rebalancing, operators: Vec<OperatorConfig>) -> BikeSim {
    let plan = fences_from_osm(city, &Default::default()).unwrap();
    let trips = synthetic_bike_day(city, &plan, &Default::default(), 6000, 7);
    let config = DocklessConfig {
        fleet: 1000,
        breakdown_per_ride: 0.05,
        blacklist_every: 10,
        dispatch: DispatchConfig {
            rebalancing,
            ..DispatchConfig::default()
        },
        // riders near metro entrances as careless as elsewhere, so that monitoring points
        // there see bikes left outside
        key_area_enforcement: 0.0,
        operators,
        residents: 150_000.0,
        ..DocklessConfig::default()
    };
    let mut bikes = BikeSim::new(city, plan, trips, config, 7);
    bikes.start_at(6 * 3600);
    let mut seen = BTreeSet::new();
    // out of the World there are no road travel times: every truck trip takes ten minutes
    // and three kilometres
    let mut travel = |_: LinkId, _: LinkId| Some((600.0, 3000.0));
    while bikes.now() < 10 * 3600 {
        bikes.step(&mut travel);
        if bikes.now().is_multiple_of(600) {
            // every bike is in exactly one place, and that place is its state
            let places = bikes.places();
            let ids: Vec<u32> = places.iter().map(|(b, _)| b.0).collect();
            assert_eq!(
                ids,
                (0..1000).collect::<Vec<_>>(),
                "a bike was lost or doubled"
            );
            for (b, state) in &places {
                assert_eq!(bikes.states()[b.index()], *state, "{b}");
                seen.insert(*state);
            }
            assert_eq!(bikes.fleet_states().total(), 1000);
            let parked: Vec<_> = bikes.parked_bikes().map(|(_, p)| p).collect();
            // the kept counts equal an exact point-in-polygon recount
            let (inside, outside) = bikes.plan.fences.count(parked.iter().copied());
            let (kept, kept_outside) = bikes.counts();
            assert_eq!(kept, inside.as_slice());
            assert_eq!(kept_outside, outside as usize);
        }
    }
    // (bikes ride on trucks for minutes between samples, so that state may go unseen)
    let expected = [
        BikeState::InFence,
        BikeState::Outside,
        BikeState::Riding,
        BikeState::Broken,
    ];
    assert!(
        expected.iter().all(|s| seen.contains(s)),
        "{rebalancing:?}: {seen:?}"
    );
    bikes
}

#[test]
fn fence_counts_stay_exact_and_every_bike_is_in_exactly_one_state() {
    let dir = scratch("bike-day");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let bikes = morning(&city, Rebalancing::Reactive);
    let s = bikes.summary();
    assert!(s.trips > 500, "{s:?}");
    assert!(s.breakdowns > 0 && s.repairs_collected > 0, "{s:?}");
    // monitoring points: bikes left outside in view raise illegal parking, blacklisted bikes
    // in view raise blacklist alarms; both become tasks, blacklisted bikes get impounded
    assert!(
        s.illegal_parking_alarms > 0 && s.blacklist_alarms > 0,
        "{s:?}"
    );
    assert!(s.impounded > 0 && s.impounded <= 100, "{s:?}");
    let kinds: BTreeSet<AlarmKind> = bikes.dispatcher.tasks.iter().map(|t| t.kind).collect();
    assert!(
        kinds.contains(&AlarmKind::IllegalParking) && kinds.contains(&AlarmKind::Blacklist),
        "{kinds:?}"
    );
    assert!(s.unmet_demand > 0 && s.illegal_parking > 0, "{s:?}");
    // alarms: every opening is counted, and empty fences have been seen at 06:00
    let opened = bikes.events.iter().filter(|e| e.opened).count() as u64;
    assert_eq!(
        opened,
        s.overflow_alarms
            + s.empty_alarms
            + s.illegal_parking_alarms
            + s.blacklist_alarms
            + s.breakdowns
    );
    assert!(s.empty_minutes > 0);
    // every alarm that found no open task on its fence became one; crews served some
    assert!(
        s.tasks > 0 && s.tasks_done > 0 && s.bikes_moved > 0,
        "{s:?}"
    );
    assert!(
        (s.truck_km - 3.0 * s.tasks_done as f64).abs()
            <= 3.0 * (s.tasks - s.tasks_done) as f64 + 1e-6
    );
    assert!(s.mean_response_s >= 600.0, "{s:?}");
    // proactive crews work from the forecast, alarms or not; without crews nobody moves bikes
    let proactive = morning(&city, Rebalancing::Proactive).summary();
    assert!(
        proactive.tasks_done > 0 && proactive.bikes_moved > 0,
        "{proactive:?}"
    );
    assert_ne!(proactive.tasks, s.tasks);
    let off = morning(&city, Rebalancing::Off).summary();
    assert_eq!(
        (off.tasks, off.bikes_moved, off.repairs_collected),
        (0, 0, 0)
    );
    assert_eq!(off.trips + off.unmet_demand, s.trips + s.unmet_demand);
}

/// Two operators share the morning: each crew works for one, tasks go to the operator whose
/// bikes are there, and the rules catch the do-nothing operator (broken bikes left for hours,
/// a fleet over the cap).
#[test]
fn operators_share_the_fleet_and_the_rules_catch_one_that_does_nothing() {
    let dir = scratch("bike-operators");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let op = |name: &str, share: f64| OperatorConfig {
        name: name.into(),
        share,
        offline_locks: 0.02,
        blacklist: None,
    };
    let operators = vec![op("A", 0.7), op("B", 0.3)];
    let bikes = morning_of(&city, Rebalancing::Reactive, operators.clone());
    let ranges: Vec<_> = bikes
        .operators()
        .map(|(o, r)| (o.name.clone(), r))
        .collect();
    assert_eq!(
        ranges,
        [("A".to_string(), 0..700), ("B".to_string(), 700..1000)]
    );
    let crews = &bikes.dispatcher.crews;
    assert_eq!(
        crews.iter().filter(|c| c.operator == OperatorId(1)).count(),
        1,
        "{crews:?}"
    );
    for t in bikes.dispatcher.tasks.iter().filter(|t| t.crew.is_some()) {
        assert_eq!(crews[t.crew.unwrap().index()].operator, t.operator, "{t:?}");
    }
    let g = bikes.governance();
    assert_eq!(g.operators.len(), 2);
    assert_eq!(
        g.operators.iter().map(|o| o.rides).sum::<u64>(),
        bikes.summary().trips - bikes.riding() as u64
    );
    let rule = |g: &citytwin_bikes::GovernanceReport, id: &str| {
        g.rules.iter().find(|r| r.id == id).cloned().unwrap()
    };
    // crews answer a lock's fault report (this morning's four crews are swamped by empty
    // fences: only part of them in time)
    let repairs = rule(&g, "broken_handled");
    assert!(repairs.checks > 0 && repairs.met_share > 0.0, "{repairs:?}");
    // 700 bikes for 150,000 residents is 4.7 per 1,000: under the cap of 5
    assert!(rule(&g, "fleet_cap").met);

    let idle = morning_of(&city, Rebalancing::Off, operators).governance();
    let idle_repairs = rule(&idle, "broken_handled");
    assert!(
        idle_repairs.breaches > 0 && !idle_repairs.met,
        "{idle_repairs:?}"
    );
    assert!(idle_repairs.met_share < repairs.met_share);
    assert!(idle.score < g.score, "{} vs {}", idle.score, g.score);
}

#[test]
fn a_run_with_bikes_reports_them_and_repeats_byte_for_byte() {
    let dir = scratch("bike-run");
    let scene = demo_scene(&dir);
    let blacklist = dir.join("blacklist.txt");
    std::fs::write(
        &blacklist,
        "# recalled after a brake fault\nbike3\n17\nbike250\n",
    )
    .unwrap();
    let run = |out: &str, fleet: &str| {
        let out = dir.join(out);
        let mut args = vec![
            "-q",
            "run",
            scene.to_str().unwrap(),
            "--from",
            "06:00",
            "--to",
            "09:00",
            "--trips",
            "3000",
            "--bike-fleet",
            fleet,
            "--bike-trips",
            "4000",
            "-o",
            out.to_str().unwrap(),
        ];
        if fleet != "0" {
            args.extend([
                "--blacklist",
                blacklist.to_str().unwrap(),
                "--gbfs-at",
                "08:00",
                "--gbfs-version",
                "2.3",
                "--gbfs-version",
                "3.0",
                "--gbfs-url",
                "https://bikes.example.org/gbfs",
                "--parquet",
            ]);
        }
        ok(&args);
        out
    };
    let a = run("a", "800");
    let b = run("b", "800");
    let s = summary(&a);
    for key in [
        "trips",
        "unmet_demand",
        "overflow_alarms",
        "empty_alarms",
        "illegal_parking",
        "blacklist_alarms",
        "overflow_minutes",
        "empty_minutes",
    ] {
        assert!(
            s["bikes"][key].is_u64(),
            "bikes.{key} missing: {}",
            s["bikes"]
        );
    }
    assert!(s["bikes"]["trips"].as_u64().unwrap() > 100);
    let fences = std::fs::read_to_string(a.join("fences.csv")).unwrap();
    assert!(fences.starts_with(
        "fence,time,bikes,capacity,overflow_alarm,empty_alarm,illegal_parking_alarm\n"
    ));
    // 12 samples of 15 minutes (06:00 … 08:45) for every fence
    let n = s["bikes"]["fences"].as_u64().unwrap() as usize;
    assert_eq!(fences.lines().count(), 1 + 12 * n);
    assert_eq!(
        fences,
        std::fs::read_to_string(b.join("fences.csv")).unwrap()
    );
    assert_eq!(s["bikes"], summary(&b)["bikes"]);
    let gpkg = gdal::Dataset::open(a.join("bikes.gpkg")).unwrap();
    assert_eq!(
        gpkg.layer_by_name("fences_day").unwrap().feature_count() as usize,
        n
    );
    assert!(a.join("fences.parquet").exists());
    gbfs_feeds_are_valid_and_agree_with_the_fences(&a, &b, &fences);
    // a blacklist naming a bike twice is refused with its line
    std::fs::write(&blacklist, "bike3\nbike4\n3\n").unwrap();
    let e = fails(&[
        "run",
        scene.to_str().unwrap(),
        "--blacklist",
        blacklist.to_str().unwrap(),
        "-o",
        dir.join("c").to_str().unwrap(),
    ]);
    assert!(
        e.contains("blacklist.txt:3: bike3 is listed twice (first on line 1)"),
        "{e}"
    );
    // no fleet, no bikes
    let none = run("none", "0");
    assert!(summary(&none).get("bikes").is_none());
    assert!(!none.join("fences.csv").exists());
}

/// Runs one of the project's schema checkers (`scripts/validate_gbfs.py` or `validate_mds.py`,
/// with the official schemas kept under `tests/fixtures`) on output folders; panics with
/// what it printed unless every folder is valid.
fn assert_valid(script: &str, schemas: &str, folders: &[std::path::PathBuf]) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/scripts/{script}"))
        .arg(format!("{root}/tests/fixtures/{schemas}"))
        .args(folders)
        .output()
        .expect("python3 with jsonschema and yaml (scripts/setup.sh installs them)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The 08:00 feeds: valid against the official GBFS schemas (both versions), byte-identical
/// between runs, and saying what fences.csv says at 08:00.
fn gbfs_feeds_are_valid_and_agree_with_the_fences(
    a: &std::path::Path,
    b: &std::path::Path,
    fences_csv: &str,
) {
    let feeds = |run: &std::path::Path, v: &str| run.join("gbfs/0800").join(v);
    assert_valid(
        "validate_gbfs.py",
        "gbfs-json-schema",
        &[feeds(a, "2.3"), feeds(a, "3.0")],
    );
    for v in ["2.3", "3.0"] {
        for f in std::fs::read_dir(feeds(a, v)).unwrap() {
            let f = f.unwrap().path();
            let twin = feeds(b, v).join(f.file_name().unwrap());
            assert_eq!(
                std::fs::read(&f).unwrap(),
                std::fs::read(twin).unwrap(),
                "{f:?}"
            );
        }
    }
    // bikes per fence at 08:00 on the scene's day in fences.csv
    let at_eight: Vec<u32> = fences_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == "2025-01-06T08:00:00+08:00")
        .map(|f| f[2].parse().unwrap())
        .collect();
    let v3 = feeds(a, "3.0");
    let stations = read_station_information(&v3.join("station_information.json")).unwrap();
    let status = read_station_status(&v3.join("station_status.json")).unwrap();
    let vehicles = read_vehicle_status(&v3.join("vehicle_status.json")).unwrap();
    assert_eq!(stations.len(), at_eight.len());
    let zones = read_geofencing_zones(&v3.join("geofencing_zones.json")).unwrap();
    assert_eq!(zones.len(), at_eight.len());
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(v3.join("station_status.json")).unwrap())
            .unwrap();
    for (i, st) in status.iter().enumerate() {
        assert_eq!(st.id, format!("fence{i}"));
        let disabled = raw["data"]["stations"][i]["num_vehicles_disabled"]
            .as_u64()
            .unwrap();
        assert_eq!(
            st.bikes_available + disabled as u32,
            at_eight[i],
            "{}",
            st.id
        );
        // the vehicles listed at a station are its bikes, available and disabled
        let listed = vehicles
            .iter()
            .filter(|v| v.station_id.as_deref() == Some(st.id.as_str()))
            .count();
        assert_eq!(listed as u32, at_eight[i], "{}", st.id);
    }
    // 2.3 lists the same bikes under the same rotating ids
    let v2 = read_vehicle_status(&feeds(a, "2.3").join("free_bike_status.json")).unwrap();
    assert_eq!(v2, vehicles);
}

#[test]
fn bike_trips_from_a_trip_list() {
    let dir = scratch("bike-trip-list");
    let scene = demo_scene(&dir);
    let list = dir.join("bike_trips.csv");
    let mut csv = String::from("id,depart,from_lon,from_lat,to_lon,to_lat\n");
    // forty riders leaving Tianfu Square for the east between 07:00 and 07:39, and one at 11:00
    for i in 0..40 {
        csv += &format!("r{i},07:{i:02},104.0657,30.6574,104.0790,30.6610\n");
    }
    csv += "late,11:00,104.0657,30.6574,104.0790,30.6610\n";
    std::fs::write(&list, &csv).unwrap();
    let out = dir.join("run");
    let run = |list: &std::path::Path, out: &std::path::Path| {
        citytwin(&[
            "-q",
            "run",
            scene.to_str().unwrap(),
            "--from",
            "06:00",
            "--to",
            "09:00",
            "--trips",
            "500",
            "--bike-fleet",
            "400",
            "--bike-trip-list",
            list.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    assert!(run(&list, &out).status.success());
    let s = summary(&out);
    // the 40 riders in the window wished, the 11:00 one did not (yet)
    let wished =
        s["bikes"]["trips"].as_u64().unwrap() + s["bikes"]["unmet_demand"].as_u64().unwrap();
    assert_eq!(wished, 40, "{}", s["bikes"]);
    assert!(s["bikes"]["trips"].as_u64().unwrap() > 0);
    // a rider far outside the city is a one-line error naming the line
    csv += "lost,08:00,104.0657,30.6574,105.5,31.5\n";
    std::fs::write(&list, &csv).unwrap();
    let e = run(&list, &dir.join("bad"));
    assert!(!e.status.success());
    let e = String::from_utf8_lossy(&e.stderr);
    assert!(
        e.contains("bike_trips.csv:43: to: more than 1000 m from any road bikes may use"),
        "{e}"
    );
}

#[test]
fn crews_trucks_drive_in_the_traffic_and_their_tasks_start_when_they_arrive() {
    let dir = scratch("bike-trucks");
    demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    let cars = synthetic_day(&city, 20_000, 3).unwrap();
    let options = WorldOptions {
        seed: 3,
        from_s: 6 * 3600,
        to_s: 10 * 3600,
        ..WorldOptions::default()
    };
    let mut world = World::new(city.roads(), cars, options).unwrap();
    let cars_planned = world.traffic().trips().len();
    let plan = fences_from_osm(&city, &Default::default()).unwrap();
    let trips = synthetic_bike_day(&city, &plan, &Default::default(), 6000, 3);
    let config = DocklessConfig {
        fleet: 1000,
        ..DocklessConfig::default()
    };
    world.attach_bikes(BikeSim::new(&city, plan, trips, config, 3));
    world.run(&mut |_| true);
    let bikes = world.bikes().unwrap();
    let traffic = &world.traffic();
    // every truck sent is a service trip added to the traffic, after the planned cars
    let service: Vec<usize> = (0..traffic.trips().len())
        .filter(|&t| traffic.trips()[t].purpose == Purpose::Service)
        .collect();
    assert!(service.iter().all(|&t| t >= cars_planned));
    let sent: Vec<_> = bikes
        .dispatcher
        .tasks
        .iter()
        .filter(|t| t.crew.is_some())
        .collect();
    assert!(sent.len() > 10, "{} trucks sent", sent.len());
    assert_eq!(service.len(), sent.len());
    // tasks start when their truck arrived in the traffic model, not when it was estimated
    let mut arrivals: Vec<u32> = service
        .iter()
        .filter_map(|&t| traffic.records[t].arrival_s)
        .collect();
    let mut started: Vec<u32> = sent.iter().filter_map(|t| t.arrive_s).collect();
    arrivals.sort_unstable();
    started.sort_unstable();
    assert_eq!(arrivals, started);
    // truck-km are the metres the trucks drove (and the estimates of those still driving)
    let driven: f64 = service
        .iter()
        .filter(|&&t| traffic.records[t].arrival_s.is_some())
        .map(|&t| traffic.records[t].length_m)
        .sum::<f64>()
        + sent
            .iter()
            .filter(|t| t.arrive_s.is_none())
            .map(|t| t.estimated_m)
            .sum::<f64>();
    let km = bikes.summary().truck_km;
    assert!((km - driven / 1000.0).abs() < 1e-6, "{km} km vs {driven} m");
}

/// A scene with two operators and its own rules: summary.json assesses each, each publishes
/// valid GBFS feeds of its own bikes, and a bad rules block is one line naming the field.
#[test]
fn operators_publish_their_own_feeds_and_are_assessed_by_the_scenes_rules() {
    let dir = scratch("bike-governance-run");
    let scene = scene_with(
        &dir,
        "rules: [FleetCap(per_mille: 0.5), BrokenHandled(within_h: 2.0)], \
         operators: [(name: \"Meituan\", share: 0.6), (name: \"青桔\", share: 0.4)]",
    );
    let out = dir.join("out");
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "06:00",
        "--to",
        "08:05",
        "--trips",
        "2000",
        "--bike-fleet",
        "1000",
        "--bike-trips",
        "3000",
        "--gbfs-at",
        "08:00",
        "--mds-policy",
        "-o",
        out.to_str().unwrap(),
    ]);
    let g = &summary(&out)["governance"];
    let ids: Vec<&str> = g["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fleet_cap", "broken_handled"]);
    let ops = g["operators"].as_array().unwrap();
    let fleets: Vec<u64> = ops.iter().map(|o| o["fleet"].as_u64().unwrap()).collect();
    assert_eq!(fleets, [600, 400]);
    assert_eq!(ops[1]["name"], "青桔");
    // a cap of 0.5 bikes per 1,000 residents is broken by both: the score says so
    assert_eq!(g["rules"][0]["breaches"], 2, "{g}");
    assert!(g["score"].as_f64().unwrap() <= 50.0, "{g}");
    // each operator's own feeds: valid, and its bikes only
    let folders = [
        out.join("gbfs/0800/meituan/3.0"),
        out.join("gbfs/0800/operator1/3.0"),
    ];
    assert_valid("validate_gbfs.py", "gbfs-json-schema", &folders);
    // without --gbfs-url, gbfs.json lists the feeds where they are once the run is over
    let listed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folders[0].join("gbfs.json")).unwrap()).unwrap();
    let feeds = listed["data"]["feeds"].as_array().unwrap();
    assert!(!feeds.is_empty(), "{listed}");
    for feed in feeds {
        let url = feed["url"].as_str().unwrap();
        let path = url.strip_prefix("file://").unwrap();
        assert!(std::path::Path::new(path).is_file(), "{url} is not a file");
    }
    let parked: Vec<usize> = folders
        .iter()
        .map(|f| {
            read_vehicle_status(&f.join("vehicle_status.json"))
                .unwrap()
                .len()
        })
        .collect();
    assert!(
        parked[0] > parked[1] && parked[0] <= 600 && parked[1] <= 400,
        "{parked:?}"
    );
    let in_stations: u32 = read_station_status(&folders[1].join("station_status.json"))
        .unwrap()
        .iter()
        .map(|s| s.bikes_available)
        .sum();
    assert!(in_stations as usize <= parked[1]);
    mds_policy_is_valid_and_has_the_gbfs_zones(&out, &folders[0]);

    for (field, expected) in [
        (
            "rules: [FleetCap(per_mille: -1.0)]",
            "rules[0] (fleet_cap): per_mille",
        ),
        ("rules: [Helmets(share: 1.0)]", "Helmets"),
        (
            "operators: [(name: \"A\", share: 1.0), (name: \"A\", share: 1.0)]",
            "operators[1].name",
        ),
    ] {
        let bad = dir.join("bad");
        std::fs::create_dir_all(&bad).unwrap();
        let text = std::fs::read_to_string(dir.join("scene.ron")).unwrap();
        let start = text.find(", rules:").unwrap();
        let path = bad.join("scene.ron");
        std::fs::write(&path, format!("{}, {field})", &text[..start])).unwrap();
        let e = fails(&[
            "run",
            path.to_str().unwrap(),
            "-o",
            bad.join("o").to_str().unwrap(),
        ]);
        assert!(
            e.contains("scene.ron") && e.contains(expected),
            "{field}: {e}"
        );
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
}

/// MDS 2.0 Policy and Geographies: valid against the official models, a fleet-cap policy per
/// operator and the city's repair rule, and the same fences as GBFS's geofencing zones.
fn mds_policy_is_valid_and_has_the_gbfs_zones(run: &std::path::Path, gbfs: &std::path::Path) {
    let mds = run.join("mds");
    assert_valid(
        "validate_mds.py",
        "mds-openapi/models",
        std::slice::from_ref(&mds),
    );
    let read = |p: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let policies = read(mds.join("policies.json"));
    let names: Vec<&str> = policies["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "test: bike parking and repairs",
            "test: fleet cap of Meituan",
            "test: fleet cap of 青桔"
        ]
    );
    let repair = &policies["policies"][0]["rules"][0];
    assert_eq!(
        (repair["rule_type"].as_str(), repair["maximum"].as_i64()),
        (Some("time"), Some(120))
    );
    let geographies = read(mds.join("geographies.json"));
    let fences = geographies["geographies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "test: parking fences")
        .unwrap();
    let zones = read(gbfs.join("geofencing_zones.json"));
    let zone_features = zones["data"]["geofencing_zones"]["features"]
        .as_array()
        .unwrap();
    let fence_features = fences["geography_json"]["features"].as_array().unwrap();
    assert_eq!(fence_features.len(), zone_features.len());
    for (f, z) in fence_features.iter().zip(zone_features) {
        assert_eq!(f["geometry"], z["geometry"]);
        assert_eq!(f["properties"]["name"], z["properties"]["name"][0]["text"]);
    }
}
