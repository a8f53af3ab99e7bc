//! Import of the demo city (OSM XML → bundle), the whole pipeline.

use citytwin_city::roads::build::BuildOptions;
use citytwin_gis::{ImportOptions, import};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;

fn bench_import(c: &mut Criterion) {
    let options = ImportOptions {
        name: "chengdu".into(),
        osm: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/cities/chengdu/chengdu_center_2018.osm"
        )),
        layers: vec![],
        crs: None,
        assume_crs: None,
        grid_size_m: 100.0,
        grid_prefix: "510100".into(),
        district_admin_level: 6,
        roads: BuildOptions::default(),
        attribution: vec![],
    };
    c.bench_function("import chengdu demo (OSM XML, 3.4 MB)", |b| {
        b.iter(|| import(&options, &mut |_| {}).expect("the demo city imports"))
    });
}

criterion_group! {
    name = gis;
    config = Criterion::default().sample_size(10);
    targets = bench_import
}
criterion_main!(gis);
