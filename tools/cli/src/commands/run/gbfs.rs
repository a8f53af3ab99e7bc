//! GBFS out: the simulated bike system written as GBFS 2.3 and/or 3.0 feed sets at chosen
//! simulated times, so that GBFS tools (trip planners, validators, dashboards) read citytwin
//! as if it were a live system.

use super::clock;
use anyhow::{Context, Result};
use citytwin_bikes::gbfs::simulated::snapshot;
use citytwin_bikes::gbfs::{GbfsSystem, GbfsVersion, write_feeds};
use citytwin_city::calendar::Date;
use citytwin_gis::crs::Reprojector;
use citytwin_sim::World;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct GbfsArgs {
    /// Write the bike system as GBFS feeds at this simulated time (HH:MM; repeat for more):
    /// <output>/gbfs/<HHMM>/<version>/gbfs.json and the feeds it lists
    #[arg(long = "gbfs-at", value_parser = super::parse_clock)]
    pub at: Vec<u32>,
    /// GBFS versions to write (2.3, 3.0; repeat for both)
    #[arg(long = "gbfs-version", default_value = "3.0")]
    pub versions: Vec<GbfsVersion>,
    /// Where the feeds will be served from (gbfs.json lists <url>/<feed>.json); by default
    /// the folder they are written to, as a file:// URL
    #[arg(long = "gbfs-url")]
    pub url: Option<String>,
}

/// Writes the feed sets as the simulated clock reaches each asked-for time.
pub struct GbfsPublisher {
    times: Vec<u32>,
    versions: Vec<GbfsVersion>,
    dir: PathBuf,
    url: Option<String>,
    system: GbfsSystem,
    midnight_unix: i64,
    to_lonlat: Reprojector,
    /// The feed sets written so far.
    pub written: Vec<PathBuf>,
}

impl GbfsPublisher {
    /// `None` when no time is asked for.
    pub fn new(
        args: &GbfsArgs,
        output: &Path,
        scene_name: &str,
        timezone: &str,
        utc_offset_s: i32,
        date: Date,
        crs: &str,
    ) -> Result<Option<GbfsPublisher>> {
        if args.at.is_empty() {
            return Ok(None);
        }
        let mut times = args.at.clone();
        times.sort_unstable();
        times.dedup();
        let mut versions = args.versions.clone();
        versions.dedup();
        let system_id: String = scene_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        Ok(Some(GbfsPublisher {
            times,
            versions,
            dir: output.join("gbfs"),
            url: args.url.clone(),
            system: GbfsSystem {
                system_id: format!("citytwin_{}", system_id.trim_matches('_')),
                name: format!("{scene_name} shared bikes (citytwin simulation)"),
                language: "en".into(),
                timezone: timezone.into(),
                utc_offset_s,
                feed_contact_email: "citytwin@example.org".into(),
                base_url: String::new(),
            },
            midnight_unix: date.days_since_epoch() * 86_400 - i64::from(utc_offset_s),
            to_lonlat: Reprojector::new(crs, "EPSG:4326")?,
            written: Vec::new(),
        }))
    }

    /// Writes the feed sets due at the World's time (called every simulated minute).
    pub fn at_minute(&mut self, world: &World) -> Result<()> {
        let now = world.now_s();
        if !self.times.contains(&now) {
            return Ok(());
        }
        let Some(bikes) = &world.bikes else {
            anyhow::bail!(
                "--gbfs-at {}: the run has no shared bikes (--bike-fleet 0)",
                clock(now)
            );
        };
        let project = |c| self.to_lonlat.coord(c).ok();
        for &version in &self.versions {
            let dir = self
                .dir
                .join(format!("{:02}{:02}", now / 3600, now / 60 % 60))
                .join(version.as_str());
            let mut system = self.system.clone();
            system.base_url = match &self.url {
                Some(url) => format!(
                    "{}/{}/",
                    url.trim_end_matches('/'),
                    relative(&dir, &self.dir)
                ),
                None => format!("file://{}/", absolute(&dir).display()),
            };
            let feeds = snapshot(
                bikes,
                system,
                self.midnight_unix + i64::from(now),
                60,
                &project,
            )
            .with_context(|| format!("GBFS at {}", clock(now)))?;
            write_feeds(&dir, version, &feeds)?;
            self.written.push(dir);
        }
        Ok(())
    }
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn relative(dir: &Path, base: &Path) -> String {
    dir.strip_prefix(base)
        .unwrap_or(dir)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
