//! What a run writes, as a schema: every file's name, every CSV header, summary.json's key
//! paths with their JSON types, every Parquet column with its type, every GeoPackage layer
//! with its fields. Compared with tests/golden/run_outputs.txt, so that a change to what users
//! and their scripts read is a deliberate one; regenerate with CITYTWIN_REGENERATE_GOLDEN=1.

// A failed unwrap is a failed test, with the line that failed.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use gdal::vector::LayerAccess;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fmt::Write as _;
use std::path::Path;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/golden/run_outputs.txt"
);

/// `path: type` for every leaf and container of a JSON value. Arrays are described by their
/// first element, and objects keyed by data (feeds, services, districts: several entries
/// with the same members) by their first entry as `path.*`; a missing figure (null) is a
/// number, so that the schema does not depend on what a run happened to see.
fn json_keys(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    use serde_json::Value::*;
    let kind = match value {
        Null | Number(_) => "number",
        Bool(_) => "bool",
        String(_) => "string",
        Array(_) => "array",
        Object(_) => "object",
    };
    out.push(format!("{path}: {kind}"));
    let child = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match value {
        Object(map) if keyed_by_data(map) => {
            if let Some(first) = map.values().next() {
                json_keys(first, &child("*"), out);
            }
        }
        Object(map) => {
            for (k, v) in map {
                json_keys(v, &child(k), out);
            }
        }
        Array(items) => {
            if let Some(first) = items.first() {
                json_keys(first, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Several entries that are all objects with the same members: a map from names in the data.
fn keyed_by_data(map: &serde_json::Map<String, serde_json::Value>) -> bool {
    let members =
        |v: &serde_json::Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    let mut values = map.values();
    let Some(first) = values.next().and_then(members) else {
        return false;
    };
    map.len() >= 2 && values.all(|v| members(v).as_ref() == Some(&first))
}

fn describe(dir: &Path, rel: &Path, out: &mut String) {
    let path = dir.join(rel);
    let name = rel.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "csv" => {
            let text = std::fs::read_to_string(&path).unwrap();
            let _ = writeln!(out, "{name}: {}", text.lines().next().unwrap_or(""));
        }
        "json" if name == "summary.json" => {
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let mut keys = Vec::new();
            json_keys(&value, "", &mut keys);
            // the live and scenario blocks come and go with the run's options
            for k in keys.iter().skip(1) {
                let _ = writeln!(out, "{name}: {k}");
            }
        }
        "parquet" => {
            let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
            let schema = reader.metadata().file_metadata().schema_descr_ptr();
            for c in schema.columns() {
                let _ = writeln!(
                    out,
                    "{name}: {} {:?} {:?}",
                    c.name(),
                    c.physical_type(),
                    c.logical_type_ref()
                );
            }
        }
        "gpkg" => {
            let ds = gdal::Dataset::open(&path).unwrap();
            for layer in ds.layers() {
                let fields: Vec<String> = layer
                    .defn()
                    .fields()
                    .map(|f| format!("{}:{}", f.name(), f.field_type()))
                    .collect();
                let _ = writeln!(
                    out,
                    "{name}: layer {} geometry {} [{}]",
                    layer.name(),
                    layer.defn().geometry_type(),
                    fields.join(", ")
                );
            }
        }
        _ => {
            let _ = writeln!(out, "{name}");
        }
    }
}

fn files(dir: &Path, rel: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    for e in entries {
        let child = rel.join(e);
        if dir.join(&child).is_dir() {
            files(dir, &child, out);
        } else {
            out.push(child);
        }
    }
}

#[test]
fn a_runs_files_headers_keys_and_columns_are_as_documented() {
    let dir = scratch("output-schema");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    let out = dir.join("run");
    ok(&[
        "-q",
        "run",
        scene.to_str().unwrap(),
        "--from",
        "07:00",
        "--to",
        "07:30",
        "--trips",
        "3000",
        "--parquet",
        "--gbfs-at",
        "07:15",
        "--gbfs-version",
        "3.0",
        "--mds-policy",
        "-o",
        out.to_str().unwrap(),
    ]);
    let mut all = Vec::new();
    files(&out, Path::new(""), &mut all);
    let mut text = String::new();
    for rel in &all {
        describe(&out, rel, &mut text);
    }
    if std::env::var_os("CITYTWIN_REGENERATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &text).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN)
        .expect("tests/golden/run_outputs.txt (regenerate with CITYTWIN_REGENERATE_GOLDEN=1)");
    if golden != text {
        let diff: Vec<String> = golden
            .lines()
            .filter(|l| !text.lines().any(|t| t == *l))
            .map(|l| format!("- {l}"))
            .chain(
                text.lines()
                    .filter(|l| !golden.lines().any(|g| g == *l))
                    .map(|l| format!("+ {l}")),
            )
            .collect();
        panic!(
            "the run's outputs changed (regenerate with CITYTWIN_REGENERATE_GOLDEN=1 if meant):\n{}",
            diff.join("\n")
        );
    }
}
