//! `run --checkpoint-at/--checkpoint-out` then `run --resume`: the resumed run's files are
//! byte for byte those of a run that never stopped; a state from other options is refused.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::Path;

fn morning(scene: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "-q", "run", "--from", "06:30", "--to", "08:00", "--trips", "20000", "--seed", "3",
    ]
    .map(String::from)
    .to_vec();
    args.insert(2, scene.display().to_string());
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

fn run(args: &[String]) -> String {
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_resumed_run_writes_what_a_straight_run_writes() {
    let dir = scratch("checkpoint");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    let state = dir.join("state.ctstate");
    let state_s = state.to_str().unwrap();
    run(&morning(&scene, &dir.join("straight"), &[]));
    run(&morning(
        &scene,
        &dir.join("first"),
        &["--checkpoint-at", "07:15", "--checkpoint-out", state_s],
    ));
    let first = summary(&dir.join("first"));
    assert_eq!(first["run"]["to_s"], 7 * 3600 + 900);
    run(&morning(
        &scene,
        &dir.join("resumed"),
        &["--resume", state_s],
    ));
    for file in [
        "trips.csv",
        "link_bins.csv",
        "vitals.csv",
        "cases.csv",
        "fences.csv",
    ] {
        assert!(
            std::fs::read(dir.join("straight").join(file)).unwrap()
                == std::fs::read(dir.join("resumed").join(file)).unwrap(),
            "{file} differs between the straight and the resumed run"
        );
    }
    // a state is tied to the options it was made with
    let other = morning(
        &scene,
        &dir.join("other"),
        &["--resume", state_s, "--crews", "1"],
    );
    let err = fails(&other.iter().skip(1).map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("taken from another World"), "{err}");
}
