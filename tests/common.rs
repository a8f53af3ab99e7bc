//! Helpers shared by the end-to-end tests: run the real binary in a scratch directory.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

pub const DEMO_OSM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/cities/chengdu/chengdu_center_2018.osm"
);

/// A fresh directory for one test, removed when the test ends, passed or failed (a full run
/// of the suite wrote ~100 MB of days and bundles); `CITYTWIN_KEEP_SCRATCH=1` keeps it to look
/// at.
pub fn scratch(name: &str) -> Scratch {
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("citytwin-e2e-{name}-"))
        .tempdir()
        .expect("a scratch folder in the temporary directory");
    dir.disable_cleanup(std::env::var_os("CITYTWIN_KEEP_SCRATCH").is_some());
    Scratch(dir)
}

/// A test's scratch folder: a path, gone when dropped.
#[derive(Debug)]
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
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
            "(name: \"test\", osm: {DEMO_OSM:?}, bundle: \"city.ctb\", crs: Some(\"EPSG:32648\"), grid_prefix: \"510100\", timezone: Some(\"Asia/Shanghai\"))"
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
    let body = text
        .trim_end()
        .strip_suffix(')')
        .expect("a scene is one RON struct");
    let text = format!("{body}, {field})");
    std::fs::write(&scene, text).unwrap();
    scene
}

/// A town of streets only: a 1.6 km square grid of residential streets 160 m apart, crossed by
/// a primary road and a secondary one that both run past the extract's bounds.
pub fn roads_only_town(path: &Path) {
    let (lon0, lat0) = (116.40, 39.90);
    // 160 m in degrees at 39.9° N
    let (dlon, dlat) = (160.0 / 85_300.0, 160.0 / 111_000.0);
    let n = 11;
    let mut xml = String::from(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"citytwin tests\">\n",
    );
    let _ = writeln!(
        xml,
        "<bounds minlat=\"{}\" minlon=\"{}\" maxlat=\"{}\" maxlon=\"{}\"/>",
        lat0,
        lon0,
        lat0 + dlat * f64::from(n - 1),
        lon0 + dlon * f64::from(n - 1)
    );
    let id = |r: i32, c: i32| 1000 + (r + 1) * 100 + (c + 1);
    // one ring of nodes outside the bounds, where the main roads continue
    for r in -1..=n {
        for c in -1..=n {
            let _ = writeln!(
                xml,
                "<node id=\"{}\" version=\"1\" lat=\"{:.7}\" lon=\"{:.7}\"/>",
                id(r, c),
                lat0 + dlat * f64::from(r),
                lon0 + dlon * f64::from(c)
            );
        }
    }
    let mut way = 1;
    let mut add = |xml: &mut String, nodes: Vec<i32>, tags: &[(&str, &str)]| {
        let _ = writeln!(xml, "<way id=\"{way}\" version=\"1\">");
        for nd in nodes {
            let _ = writeln!(xml, "  <nd ref=\"{nd}\"/>");
        }
        for (k, v) in tags {
            let _ = writeln!(xml, "  <tag k=\"{k}\" v=\"{v}\"/>");
        }
        xml.push_str("</way>\n");
        way += 1;
    };
    let main_row = n / 2;
    for i in 0..n {
        if i == main_row {
            // the primary road runs W–E from outside to outside
            add(
                &mut xml,
                (-1..=n).map(|c| id(i, c)).collect(),
                &[
                    ("highway", "primary"),
                    ("name", "Main Road"),
                    ("lanes", "4"),
                ],
            );
            add(
                &mut xml,
                (-1..=n).map(|r| id(r, i)).collect(),
                &[("highway", "secondary"), ("name", "Cross Street")],
            );
        } else {
            add(
                &mut xml,
                (0..n).map(|c| id(i, c)).collect(),
                &[("highway", "residential")],
            );
            add(
                &mut xml,
                (0..n).map(|r| id(r, i)).collect(),
                &[("highway", "residential")],
            );
        }
    }
    xml.push_str("</osm>\n");
    std::fs::write(path, xml).unwrap();
}
