//! What a comparison keeps of each finished run: its summary.json, the day's figures per link
//! and per fence, and the city-wide time series — small enough to hold for every seed.

use crate::summary::RunSummary;
use citytwin_city::LinkId;
use citytwin_sim::World;
use geo::Polygon;
use serde_json::Value;
use std::collections::BTreeMap;

/// One link's day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkDay {
    pub vehicles: f64,
    /// Space-mean speed of the cars that drove it (km/h); `None` when none did.
    pub speed_kmh: Option<f64>,
}

/// One fence's day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FenceDay {
    pub mean_bikes: f64,
    /// Samples (every 15 minutes) with an overflow alarm open.
    pub overflow_samples: f64,
    pub empty_samples: f64,
}

/// City-wide figures over the day, one sample every `SERIES_EVERY_S`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub at_s: Vec<u32>,
    pub mean_speed_kmh: Vec<f64>,
    pub vehicles: Vec<f64>,
    pub bikes_in_fences: Vec<f64>,
    pub open_bike_alarms: Vec<f64>,
    /// The city's vital signs (the scene's ops), by indicator key, at the same times (NaN
    /// where none was computed yet).
    pub vitals: BTreeMap<String, Vec<f64>>,
}

/// Time series are compared at this resolution (the bikes' sampling interval).
pub const SERIES_EVERY_S: u32 = citytwin_bikes::dockless::SAMPLE_EVERY_S;

#[derive(Clone, Debug)]
pub struct RunDigest {
    /// summary.json's figures by dotted name.
    pub figures: BTreeMap<String, f64>,
    pub links: Vec<LinkDay>,
    /// By fence key (`fence_keys`; fences may differ between baseline and variant).
    pub fences: BTreeMap<String, FenceDay>,
    pub fence_areas: BTreeMap<String, Polygon<f64>>,
    pub series: Series,
}

impl RunDigest {
    pub fn of(world: &World, summary: &RunSummary) -> RunDigest {
        let stats = &world.traffic().stats;
        let net = &world.traffic().net;
        let totals = stats.day_totals(|l| net.link(l).map_or(0.0, |link| link.length_m));
        let links = (0..net.links.len())
            .map(|l| match net.link(LinkId::from_index(l)) {
                Some(link) if stats.bin_count() > 0 => {
                    let (total, _) = totals[l];
                    LinkDay {
                        vehicles: f64::from(total.exits),
                        speed_kmh: (total.exits > 0).then(|| total.mean_speed_kmh(link.length_m)),
                    }
                }
                _ => LinkDay::default(),
            })
            .collect();
        let mut fences = BTreeMap::new();
        let mut fence_areas = BTreeMap::new();
        let mut series = Series::default();
        let history: BTreeMap<u32, (f64, f64)> = world
            .history()
            .iter()
            .map(|k| (k.at_s, (k.mean_speed_kmh, k.vehicles as f64)))
            .collect();
        if let Some(bikes) = world.bikes() {
            let samples = bikes.series();
            let n = samples.len().max(1) as f64;
            let keys = fence_keys(bikes.plan.fences.iter().map(|f| f.name.as_str()));
            for ((f, fence), key) in bikes.plan.fences.iter().enumerate().zip(keys) {
                fence_areas.insert(key.clone(), fence.area.clone());
                let mean_bikes = samples.iter().map(|s| f64::from(s.counts[f])).sum::<f64>() / n;
                let count = |open: fn(&citytwin_bikes::dockless::FenceSample, usize) -> bool| {
                    samples.iter().filter(|s| open(s, f)).count() as f64
                };
                fences.insert(
                    key,
                    FenceDay {
                        mean_bikes,
                        overflow_samples: count(|s, f| s.overflow_open[f]),
                        empty_samples: count(|s, f| s.empty_open[f]),
                    },
                );
            }
            for s in samples {
                series.at_s.push(s.at_s);
                series
                    .bikes_in_fences
                    .push(s.counts.iter().map(|c| f64::from(*c)).sum());
                let open = s.overflow_open.iter().chain(&s.empty_open).filter(|o| **o);
                series.open_bike_alarms.push(open.count() as f64);
                let (speed, vehicles) = history.get(&s.at_s).copied().unwrap_or_default();
                series.mean_speed_kmh.push(speed);
                series.vehicles.push(vehicles);
            }
        } else {
            for (&at, &(speed, vehicles)) in &history {
                if at.is_multiple_of(SERIES_EVERY_S) {
                    series.at_s.push(at);
                    series.mean_speed_kmh.push(speed);
                    series.vehicles.push(vehicles);
                }
            }
        }
        if let Some(ops) = world.ops() {
            let city: BTreeMap<(u32, &str), f64> = ops
                .vital_rows
                .iter()
                .filter(|r| r.scope == "city")
                .map(|r| ((r.at_s, r.indicator.as_str()), r.value))
                .collect();
            let keys: std::collections::BTreeSet<&str> = city.keys().map(|(_, k)| *k).collect();
            for key in keys {
                let values = series
                    .at_s
                    .iter()
                    .map(|t| city.get(&(*t, key)).copied().unwrap_or(f64::NAN))
                    .collect();
                series.vitals.insert(key.to_string(), values);
            }
        }
        RunDigest {
            figures: summary.figures(),
            links,
            fences,
            fence_areas,
            series,
        }
    }
}

/// The numeric figures of a summary.json as `block.name` → value, leaving out the `run.`
/// block (seed, wall time: facts about the run, not about the city).
pub fn kpis(summary: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    if let Value::Object(blocks) = summary {
        for (block, fields) in blocks.iter().filter(|(b, _)| b.as_str() != "run") {
            if let Value::Object(fields) = fields {
                for (name, value) in fields {
                    if let Some(v) = value.as_f64() {
                        out.insert(format!("{block}.{name}"), v);
                    }
                    // lists of named things (governance rules and operators): one figure per
                    // thing and field, `governance.Meituan.score`
                    for item in value.as_array().into_iter().flatten() {
                        let Some(key) = item.get("id").or(item.get("name")).and_then(Value::as_str)
                        else {
                            continue;
                        };
                        for (field, v) in item.as_object().into_iter().flatten() {
                            if let Some(v) = v.as_f64() {
                                out.insert(format!("{block}.{key}.{field}"), v);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// A key per fence that is the same on both sides of a comparison and never shared: its name,
/// and for the second and later fences of one name (generated fences are named after the stop
/// or street they serve) `name #2`, `name #3`… in plan order. Names alone merged such fences
/// (10 of Chengdu's 302); plan indices shift when a scenario removes a fence.
pub fn fence_keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    names
        .map(|name| {
            let n = seen.entry(name).or_default();
            *n += 1;
            if *n == 1 {
                name.to_string()
            } else {
                format!("{name} #{n}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpis_are_the_numeric_leaves_outside_run() {
        let summary = serde_json::json!({
            "traffic": {"mean_speed_kmh": 20.5, "trips": 10},
            "demand": {"source": "synthetic", "trips": 10},
            "run": {"seed": 3, "wall_seconds": 1.2},
            "governance": {"operators": [{"name": "A", "score": 90.0, "rules": []}]},
        });
        let k = kpis(&summary);
        let names: Vec<&str> = k.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "demand.trips",
                "governance.A.score",
                "traffic.mean_speed_kmh",
                "traffic.trips"
            ]
        );
        assert_eq!(k["traffic.mean_speed_kmh"], 20.5);
    }

    #[test]
    fn fences_of_one_name_get_keys_of_their_own() {
        let keys = fence_keys(["地铁站", "公交站", "地铁站", "地铁站"].into_iter());
        assert_eq!(keys, ["地铁站", "公交站", "地铁站 #2", "地铁站 #3"]);
    }
}
