//! Helpers shared by the end-to-end tests: run the real binary in a scratch directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

pub const DEMO_OSM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/cities/chengdu/chengdu_center_2018.osm"
);

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("citytwin-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn citytwin(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_citytwin"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("the citytwin binary runs")
}

/// Runs and insists on success, returning stdout.
pub fn ok(args: &[&str]) -> String {
    let out = citytwin(args);
    assert!(
        out.status.success(),
        "citytwin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs, expects failure with exit code 1 and no panic, returns the one `error: ` line.
pub fn fails(args: &[&str]) -> String {
    let out = citytwin(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "citytwin {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(lines[0].starts_with("error: "));
    lines[0].to_string()
}

/// Imports an OSM file into `dir/name.ctb`.
pub fn import(osm: &Path, dir: &Path, name: &str) -> PathBuf {
    let bundle = dir.join(format!("{name}.ctb"));
    ok(&[
        "-q",
        "import",
        osm.to_str().unwrap(),
        "-o",
        bundle.to_str().unwrap(),
        "--grid-prefix",
        "510100",
    ]);
    bundle
}

/// A scene for the demo city whose bundle is imported into `dir`.
pub fn demo_scene(dir: &Path) -> PathBuf {
    let scene = dir.join("scene.ron");
    std::fs::write(
        &scene,
        format!(
            "(name: \"test\", osm: {DEMO_OSM:?}, bundle: \"city.ctb\", crs: Some(\"EPSG:32648\"), grid_prefix: \"510100\")"
        ),
    )
    .unwrap();
    ok(&["-q", "import", "--scene", scene.to_str().unwrap()]);
    scene
}

/// A run's summary.json.
pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

pub const DEMO_OPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenes/chengdu/ops.ron");

/// The demo city imported into `dir`, with a scene that uses `ops`.
pub fn scene_with_ops(dir: &Path, ops: &Path) -> PathBuf {
    scene_with(dir, &format!("ops: {ops:?}"))
}

/// The demo city imported into `dir`, with a scene that has one more field (`name: value`).
pub fn scene_with(dir: &Path, field: &str) -> PathBuf {
    let scene = demo_scene(dir);
    let text = std::fs::read_to_string(&scene).unwrap();
    let text = text.trim_end().trim_end_matches(')').to_string() + &format!(", {field})");
    std::fs::write(&scene, text).unwrap();
    scene
}
