//! MDS out: `run --mds-policy` writes the scene's fences and governance rules (as the
//! scenario left them) as MDS 2.0 `policies.json` and `geographies.json` under `<output>/mds/`.

use anyhow::{Context, Result};
use citytwin_bikes::BikeSim;
use citytwin_bikes::mds::{PolicyInputs, policy};
use citytwin_city::City;
use citytwin_city::governance::Rule;
use citytwin_gis::crs::Reprojector;
use std::path::Path;

/// Writes the two files; returns the rules MDS cannot express.
pub fn write_policy(
    output: &Path,
    scene: &str,
    city: &City,
    bikes: &BikeSim,
    start_unix_s: i64,
) -> Result<Vec<&'static str>> {
    let residents = bikes.config.residents;
    let cap = bikes.config.rules.iter().find_map(|r| match *r {
        Rule::FleetCap { per_mille } if residents > 0.0 => {
            Some((per_mille * residents / 1000.0).floor() as u32)
        }
        _ => None,
    });
    let inputs = PolicyInputs {
        scene,
        plan: &bikes.plan,
        extent: city.bundle.meta.extent.to_polygon(),
        rules: &bikes.config.rules,
        operators: bikes
            .operators()
            .map(|(o, _)| (o.name.clone(), cap))
            .collect(),
        start_ms: start_unix_s * 1000,
    };
    let to_lonlat = Reprojector::new(&city.bundle.meta.crs.id, "EPSG:4326")?;
    let project = |c| to_lonlat.coord(c).ok();
    let mds = policy(&inputs, &project)?;
    let dir = output.join("mds");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, value) in [
        ("policies.json", &mds.policies),
        ("geographies.json", &mds.geographies),
    ] {
        let path = dir.join(name);
        let partial = path.with_extension("json.partial");
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        std::fs::write(&partial, text)
            .and_then(|()| std::fs::rename(&partial, &path))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(mds.not_expressible)
}
