//! GBFS out: the simulated bike system written as GBFS 2.3 and/or 3.0 feed sets at chosen
//! simulated times, so that GBFS tools (trip planners, validators, dashboards) read citytwin
//! as if it were a live system.

use crate::error::{Result, RunError, Setting};
use citytwin_bikes::gbfs::simulated::snapshot;
use citytwin_bikes::gbfs::{GbfsSystem, GbfsVersion, check_feed_url, write_feeds};
use citytwin_city::OperatorId;
use citytwin_gis::crs::Reprojector;
use citytwin_ops::wire::SimDay;
use citytwin_sim::World;
use std::path::{Path, PathBuf};

/// Which feed sets a run writes; by default none, in GBFS 3.0 when times are asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct GbfsOptions {
    /// Simulated times (seconds since midnight) to write the feeds at.
    pub at: Vec<u32>,
    pub versions: Vec<GbfsVersion>,
    /// Where the feeds will be served from; `None`: the folder they are written to.
    pub url: Option<String>,
}

impl GbfsOptions {
    /// Refuses a time the day never reaches: its feeds would be missing without a word.
    pub fn check(&self, day: &crate::DayOptions) -> crate::Result<()> {
        for &t in &self.at {
            day.check_in_window(crate::Setting::GbfsAt, t, day.from_s..=day.to_s)?;
        }
        Ok(())
    }
}

/// Writes the feed sets as the simulated clock reaches each asked-for time.
pub struct GbfsPublisher {
    /// Times not written yet, in order.
    due: Vec<u32>,
    versions: Vec<GbfsVersion>,
    dir: PathBuf,
    /// Where the feeds will be read from: `dir`, or where a staged output folder moves it.
    served_dir: PathBuf,
    url: Option<String>,
    system: GbfsSystem,
    day: SimDay,
    to_lonlat: Reprojector,
}

impl Default for GbfsOptions {
    fn default() -> GbfsOptions {
        GbfsOptions {
            at: Vec::new(),
            versions: vec![GbfsVersion::V3_0],
            url: None,
        }
    }
}

impl std::fmt::Debug for GbfsPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GbfsPublisher")
            .field("due", &self.due)
            .field("versions", &self.versions)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl GbfsPublisher {
    /// `None` when no time is asked for.
    pub fn new(
        args: &GbfsOptions,
        output: &Path,
        scene_name: &str,
        timezone: &str,
        day: SimDay,
        crs: &str,
    ) -> Result<Option<GbfsPublisher>> {
        if args.at.is_empty() {
            return Ok(None);
        }
        if let Some(url) = &args.url {
            check_feed_url(url).map_err(|why| RunError::setting(Setting::GbfsUrl, url, why))?;
        }
        let mut due = args.at.clone();
        due.sort_unstable();
        due.dedup();
        let mut versions = args.versions.clone();
        versions.sort_unstable();
        versions.dedup();
        let system_id = slug(scene_name);
        Ok(Some(GbfsPublisher {
            due,
            versions,
            dir: output.join("gbfs"),
            served_dir: output.join("gbfs"),
            url: args.url.clone(),
            system: GbfsSystem {
                system_id: format!("citytwin_{system_id}"),
                name: format!("{scene_name} shared bikes (citytwin simulation)"),
                language: "en".into(),
                timezone: timezone.into(),
                utc_offset_s: day.utc_offset_s,
                feed_contact_email: "citytwin@example.org".into(),
                base_url: String::new(),
            },
            day,
            to_lonlat: Reprojector::new(crs, "EPSG:4326")?,
        }))
    }

    /// Writes the feed sets due at the World's time (called every simulated minute).
    pub fn at_minute(&mut self, world: &World) -> Result<()> {
        let now = world.now_s();
        if self.due.first() != Some(&now) {
            return Ok(());
        }
        self.due.remove(0);
        let Some(bikes) = world.bikes() else {
            return Err(RunError::NoBikes {
                asked_for: "GBFS feeds",
                at: Some(now),
            });
        };
        let project = |c| self.to_lonlat.coord(c).ok();
        let time = format!("{:02}{:02}", now / 3600, now / 60 % 60);
        let names: Vec<String> = bikes.operators().map(|(o, _)| o.name.clone()).collect();
        // names fit for folders and ids, distinct even where the names are not in ASCII
        let mut operators: Vec<String> = Vec::new();
        for (op, name) in names.iter().enumerate() {
            let s = slug(name);
            operators.push(if s.is_empty() || operators.contains(&s) {
                format!("{s}operator{op}")
            } else {
                s
            });
        }
        // one operator: the city's one system; several: each publishes its own feeds
        let publishers: Vec<(Option<OperatorId>, String)> = if operators.len() == 1 {
            vec![(None, time.clone())]
        } else {
            (0..operators.len())
                .map(|op| {
                    let folder = format!("{time}/{}", operators[op]);
                    (Some(OperatorId::from_index(op)), folder)
                })
                .collect()
        };
        for (operator, folder) in publishers {
            let mut system = self.system.clone();
            if let Some(op) = operator {
                let (slug, name) = (&operators[op.index()], &names[op.index()]);
                system.system_id = format!("{}_{slug}", system.system_id);
                system.name = format!("{name}: {}", system.name);
            }
            let mut feeds = snapshot(
                bikes,
                operator,
                system,
                self.day.midnight_unix() + i64::from(now),
                60,
                &project,
            )
            .map_err(|source| RunError::GbfsAt { at: now, source })?;
            for &version in &self.versions {
                let dir = self.dir.join(&folder).join(version.as_str());
                feeds.system.base_url = match &self.url {
                    Some(url) => format!("{}/{folder}/{version}/", url.trim_end_matches('/')),
                    None => {
                        let served = self.served_dir.join(&folder).join(version.as_str());
                        format!("file://{}/", absolute(&served).display())
                    }
                };
                write_feeds(&dir, version, &feeds)?;
            }
        }
        Ok(())
    }

    /// The output folder the feeds end up in when it is not the one they are written to (a
    /// staged folder moved into place): the default URLs name where they will be read.
    pub fn served_from(&mut self, output: &Path) {
        self.served_dir = output.join("gbfs");
    }

    /// Asked-for times the run never reached (outside its window, or stopped before).
    pub fn missed(&self) -> &[u32] {
        &self.due
    }
}

/// "Chengdu (centre)" as "chengdu_centre": a name fit for ids and folders.
fn slug(name: &str) -> String {
    let text: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    text.trim_matches('_').to_string()
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}
