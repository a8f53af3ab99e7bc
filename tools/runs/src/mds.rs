//! MDS out: `run --mds-policy` writes the scene's fences and governance rules (as the
//! scenario left them) as MDS 2.0 `policies.json` and `geographies.json` under `<output>/mds/`.

use crate::error::Result;
use citytwin_bikes::BikeSim;
use citytwin_bikes::mds::{PolicyInputs, policy, write_policy as write_files};
use citytwin_city::City;
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
    let extent = city.bundle.meta.extent.to_polygon();
    let inputs = PolicyInputs::of(bikes, scene, extent, start_unix_s * 1000);
    let to_lonlat = Reprojector::new(&city.bundle.meta.crs.id, "EPSG:4326")?;
    let mds = policy(&inputs, &|c| to_lonlat.coord(c).ok())?;
    write_files(&output.join("mds"), &mds)?;
    Ok(mds.not_expressible)
}
