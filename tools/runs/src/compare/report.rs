//! A comparison's outputs: compare.json, compare.gpkg, the plots and report.html.

use super::digest::{self, FenceDay, Series};
use super::{Finished, Side, plots};
use crate::error::Result;
use crate::options::clock;
use crate::reports::write;
use crate::scene::LoadedScenario;
use citytwin_city::City;
use citytwin_gis::{FieldType, GeometryType, GpkgWriter, Value};
use citytwin_sim::compare::{PairedDiff, paired};
use geo::{Geometry, Polygon};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A link's day on both sides, averaged over the seeds.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkDiff {
    pub base_vehicles: f64,
    pub variant_vehicles: f64,
    pub base_speed_kmh: Option<f64>,
    pub variant_speed_kmh: Option<f64>,
}

impl LinkDiff {
    pub fn speed_change(&self) -> Option<f64> {
        Some(self.variant_speed_kmh? - self.base_speed_kmh?)
    }
}

#[derive(Clone, Debug)]
pub struct FenceDiff {
    pub name: String,
    pub area: Polygon<f64>,
    /// `None` where the fence does not exist on that side.
    pub base: Option<FenceDay>,
    pub variant: Option<FenceDay>,
}

#[derive(Debug)]
pub struct Comparison {
    pub scene: String,
    pub scenario: LoadedScenario,
    pub seeds: Vec<u64>,
    pub complete: bool,
    pub kpis: BTreeMap<String, PairedDiff>,
    /// Figures some runs do not have (e.g. `bikes.*` where one side has no bikes): not
    /// compared.
    pub unpaired: Vec<String>,
    pub links: Vec<LinkDiff>,
    pub fences: Vec<FenceDiff>,
    /// Mean over the seeds, per side.
    pub base_series: Series,
    pub variant_series: Series,
}

impl Comparison {
    pub fn new(
        scene: &Path,
        scenario: &LoadedScenario,
        seeds: &[u64],
        finished: &Finished,
        complete: bool,
    ) -> Comparison {
        let side = |s: Side| -> Vec<&digest::RunDigest> {
            seeds
                .iter()
                .filter_map(|seed| finished.get(&(s, *seed)))
                .collect()
        };
        let (base, variant) = (side(Side::Baseline), side(Side::Variant));
        let kpi_sets: Vec<Vec<BTreeMap<String, f64>>> = [&base, &variant]
            .iter()
            .map(|runs| runs.iter().map(|r| r.figures.clone()).collect())
            .collect();
        let names: BTreeSet<&String> = kpi_sets.iter().flatten().flat_map(|k| k.keys()).collect();
        // a figure is compared only where every run has it: one missing on a side (no bikes
        // in the variant, no ops) is not a zero
        let (everywhere, unpaired): (Vec<&String>, Vec<&String>) = names
            .into_iter()
            .partition(|name| kpi_sets.iter().flatten().all(|k| k.contains_key(*name)));
        let kpis = everywhere
            .into_iter()
            .map(|name| {
                let values = |runs: &[BTreeMap<String, f64>]| -> Vec<f64> {
                    runs.iter().filter_map(|k| k.get(name).copied()).collect()
                };
                (
                    name.clone(),
                    paired(&values(&kpi_sets[0]), &values(&kpi_sets[1])),
                )
            })
            .collect();
        let unpaired = unpaired.into_iter().cloned().collect();
        let link_count = base.first().map_or(0, |r| r.links.len());
        let links = (0..link_count)
            .map(|l| {
                let vehicles =
                    |runs: &[&digest::RunDigest]| mean(runs.iter().map(|r| r.links[l].vehicles));
                let speed = |runs: &[&digest::RunDigest]| {
                    let v: Vec<f64> = runs.iter().filter_map(|r| r.links[l].speed_kmh).collect();
                    (!v.is_empty()).then(|| mean(v.into_iter()))
                };
                LinkDiff {
                    base_vehicles: vehicles(&base),
                    variant_vehicles: vehicles(&variant),
                    base_speed_kmh: speed(&base),
                    variant_speed_kmh: speed(&variant),
                }
            })
            .collect();
        Comparison {
            scene: scene.display().to_string(),
            scenario: scenario.clone(),
            seeds: seeds.to_vec(),
            complete,
            kpis,
            unpaired,
            links,
            fences: fence_diffs(&base, &variant),
            base_series: mean_series(&base),
            variant_series: mean_series(&variant),
        }
    }

    pub fn significant_count(&self) -> usize {
        self.kpis.values().filter(|d| d.significant).count()
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn fence_diffs(base: &[&digest::RunDigest], variant: &[&digest::RunDigest]) -> Vec<FenceDiff> {
    let side = |runs: &[&digest::RunDigest], name: &str| -> Option<FenceDay> {
        let days: Vec<FenceDay> = runs
            .iter()
            .filter_map(|r| r.fences.get(name).copied())
            .collect();
        (!days.is_empty()).then(|| FenceDay {
            mean_bikes: mean(days.iter().map(|d| d.mean_bikes)),
            overflow_samples: mean(days.iter().map(|d| d.overflow_samples)),
            empty_samples: mean(days.iter().map(|d| d.empty_samples)),
        })
    };
    let mut areas: BTreeMap<&String, &Polygon<f64>> = BTreeMap::new();
    for r in base
        .iter()
        .chain(variant)
        .take(1)
        .chain(variant.iter().take(1))
    {
        for (name, area) in &r.fence_areas {
            areas.entry(name).or_insert(area);
        }
    }
    areas
        .into_iter()
        .map(|(name, area)| FenceDiff {
            name: name.clone(),
            area: area.clone(),
            base: side(base, name),
            variant: side(variant, name),
        })
        .collect()
}

fn mean_series(runs: &[&digest::RunDigest]) -> Series {
    let Some(first) = runs.first() else {
        return Series::default();
    };
    let n = first.series.at_s.len();
    let column = |pick: fn(&Series) -> &Vec<f64>| -> Vec<f64> {
        (0..n)
            .map(|i| mean(runs.iter().filter_map(|r| pick(&r.series).get(i).copied())))
            .collect()
    };
    Series {
        at_s: first.series.at_s.clone(),
        mean_speed_kmh: column(|s| &s.mean_speed_kmh),
        vehicles: column(|s| &s.vehicles),
        bikes_in_fences: column(|s| &s.bikes_in_fences),
        open_bike_alarms: column(|s| &s.open_bike_alarms),
        vitals: first
            .series
            .vitals
            .keys()
            .map(|key| {
                let values = (0..n)
                    .map(|i| {
                        let seen: Vec<f64> = runs
                            .iter()
                            .filter_map(|r| r.series.vitals.get(key)?.get(i).copied())
                            .filter(|v| v.is_finite())
                            .collect();
                        // NaN where no seed had computed it yet (left out of the plot)
                        if seen.is_empty() {
                            f64::NAN
                        } else {
                            mean(seen.into_iter())
                        }
                    })
                    .collect();
                (key.clone(), values)
            })
            .collect(),
    }
}

pub fn write_all(out: &Path, city: &City, c: &Comparison, window: (u32, u32)) -> Result<()> {
    write(&out.join("compare.json"), &compare_json(c, window)?)?;
    gpkg(&out.join("compare.gpkg"), city, c)?;
    let images = match plots::draw_all(out, city, c) {
        Ok(images) => images,
        Err(e) => {
            tracing::warn!("plots not drawn: {e:#}");
            Vec::new()
        }
    };
    write(
        &out.join("report.html"),
        &super::page::html(c, window, &images, out)?,
    )?;
    Ok(())
}

fn compare_json(c: &Comparison, window: (u32, u32)) -> Result<String> {
    let s = &c.scenario.scenario;
    let kpis: serde_json::Map<String, serde_json::Value> = c
        .kpis
        .iter()
        .map(|(name, d)| -> Result<_> { Ok((name.clone(), serde_json::to_value(d)?)) })
        .collect::<Result<_>>()?;
    let json = serde_json::json!({
        "scene": c.scene,
        "scenario": {
            "file": c.scenario.path.display().to_string(),
            "name": s.name,
            "description": s.description,
            "edits": serde_json::to_value(&s.edits)?,
        },
        "seeds": c.seeds,
        "complete": c.complete,
        "window": {"from": clock(window.0), "to": clock(window.1)},
        "confidence": 0.95,
        "method": "paired differences over seeds (common random numbers), Student-t interval",
        "kpis": kpis,
        "unpaired_figures": c.unpaired,
    });
    Ok(serde_json::to_string_pretty(&json)? + "\n")
}

/// Per-link and per-fence differences, for QGIS.
fn gpkg(path: &Path, city: &City, c: &Comparison) -> Result<()> {
    use FieldType::*;
    let mut gpkg = GpkgWriter::create(path, &city.bundle.meta.crs.wkt)?;
    let real = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
    let fields = [
        ("link", OFTInteger64),
        ("osm_way_id", OFTInteger64),
        ("name", OFTString),
        ("class", OFTString),
        ("base_vehicles", OFTReal),
        ("variant_vehicles", OFTReal),
        ("vehicles_change", OFTReal),
        ("base_speed_kmh", OFTReal),
        ("variant_speed_kmh", OFTReal),
        ("speed_change_kmh", OFTReal),
    ];
    let roads = city.roads();
    let rows = c
        .links
        .iter()
        .enumerate()
        .filter(|(_, d)| d.base_vehicles > 0.0 || d.variant_vehicles > 0.0)
        .map(|(l, d)| {
            let link = &roads.links[l];
            (
                Geometry::LineString(link.geometry.clone()),
                vec![
                    Value::Int(l as i64),
                    Value::Int(link.osm_way_id),
                    link.name.as_deref().map_or(Value::Null, Value::Text),
                    Value::Text(link.class.as_osm()),
                    Value::Real(d.base_vehicles),
                    Value::Real(d.variant_vehicles),
                    Value::Real(d.variant_vehicles - d.base_vehicles),
                    real(d.base_speed_kmh),
                    real(d.variant_speed_kmh),
                    real(d.speed_change()),
                ],
            )
        });
    gpkg.layer("link_diff", &fields, GeometryType::wkbLineString, rows)?;
    let fields = [
        ("name", OFTString),
        ("in_baseline", OFTInteger),
        ("in_variant", OFTInteger),
        ("base_mean_bikes", OFTReal),
        ("variant_mean_bikes", OFTReal),
        ("mean_bikes_change", OFTReal),
        ("base_overflow_samples", OFTReal),
        ("variant_overflow_samples", OFTReal),
        ("base_empty_samples", OFTReal),
        ("variant_empty_samples", OFTReal),
    ];
    let rows = c.fences.iter().map(|f| {
        let (b, v) = (f.base.unwrap_or_default(), f.variant.unwrap_or_default());
        (
            Geometry::Polygon(f.area.clone()),
            vec![
                Value::Text(f.name.as_str()),
                Value::Int(i64::from(f.base.is_some())),
                Value::Int(i64::from(f.variant.is_some())),
                real(f.base.map(|d| d.mean_bikes)),
                real(f.variant.map(|d| d.mean_bikes)),
                Value::Real(v.mean_bikes - b.mean_bikes),
                real(f.base.map(|d| d.overflow_samples)),
                real(f.variant.map(|d| d.overflow_samples)),
                real(f.base.map(|d| d.empty_samples)),
                real(f.variant.map(|d| d.empty_samples)),
            ],
        )
    });
    gpkg.layer("fence_diff", &fields, GeometryType::wkbPolygon, rows)?;
    gpkg.finish()?;
    Ok(())
}

/// Numbers for the report's table: whole above 100, two decimals above 1, else four.
pub fn number(v: f64) -> String {
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 1.0 {
        2
    } else {
        4
    };
    format!("{v:.digits$}")
}
