//! The city bundle: everything an import produced, in one versioned file that loads fast.
//!
//! File layout: the 8 magic bytes `CTBUNDLE`, the format version as a little-endian `u32`, the
//! CRC-32 (IEEE) of what follows as a little-endian `u32`, then the [`CityBundle`] in postcard
//! encoding. A bundle of another version is refused with a message that says to re-import; one
//! whose bytes changed after it was written (a bad disk, a copy cut short, a byte edited) fails
//! its checksum: postcard alone accepted most single-byte corruptions as other valid values.

use crate::grid::Grid;
use crate::layer::Layer;
use crate::roads::RoadNetwork;
use crate::roads::build::RoadBuildReport;
use geo::Rect;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the bundle format this build reads and writes.
pub const BUNDLE_VERSION: u32 = 3;
/// Magic, format version and CRC-32 of the contents.
const HEADER_LEN: usize = 16;

/// Writes into a bundle's header the checksum of what follows it (bytes shorter than a
/// header are left alone).
pub fn seal(bytes: &mut [u8]) {
    if bytes.len() >= HEADER_LEN {
        let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
        bytes[12..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    }
}
const MAGIC: &[u8; 8] = b"CTBUNDLE";

/// The city's coordinate reference system: always projected and metric.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crs {
    /// e.g. `EPSG:32648`.
    pub id: String,
    /// Its WKT, so exports can write it without a lookup.
    pub wkt: String,
}

/// Where one input came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub layer: String,
    pub path: String,
    pub format: String,
    pub source_crs: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityMeta {
    pub name: String,
    pub crs: Crs,
    /// Extent in the city CRS.
    pub extent: Rect<f64>,
    /// The same extent in WGS84 lon/lat (for users and tile services).
    pub extent_lonlat: Rect<f64>,
    pub sources: Vec<SourceInfo>,
    /// Data credits, shown wherever the data is (e.g. "© OpenStreetMap contributors, ODbL").
    pub attribution: Vec<String>,
    /// The citytwin version that wrote it.
    pub written_by: String,
}

/// A feature that was repaired or skipped during import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureIssue {
    pub layer: String,
    pub feature: String,
    pub reason: String,
}

/// What the import did, kept with the city for `citytwin info`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub skipped: Vec<FeatureIssue>,
    pub repaired: Vec<FeatureIssue>,
    pub roads: RoadBuildReport,
    /// District boundaries that came from clipped relations (closed along the extent).
    pub districts_clipped: usize,
}

impl ImportReport {
    /// Lines naming the first `n` skipped features and the first `n` skipped roads, and how
    /// many more were skipped.
    pub fn skipped_lines(&self, n: usize) -> (Vec<String>, usize) {
        let features = self.skipped.iter().take(n).map(|issue| {
            format!(
                "  skipped {} {}: {}",
                issue.layer, issue.feature, issue.reason
            )
        });
        let roads = self
            .roads
            .skipped
            .iter()
            .take(n)
            .map(|way| format!("  skipped road w{}: {}", way.osm_id, way.reason));
        let lines: Vec<String> = features.chain(roads).collect();
        let more = (self.skipped.len() + self.roads.skipped.len()).saturating_sub(lines.len());
        (lines, more)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CityBundle {
    pub meta: CityMeta,
    /// Feature layers in a stable order: the OSM layers, then user layers as given.
    pub layers: Vec<Layer>,
    pub roads: RoadNetwork,
    pub grid: Grid,
    pub report: ImportReport,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a citytwin city bundle (expected it to start with `CTBUNDLE`)")]
    NotABundle { path: PathBuf },
    #[error(
        "{path}: bundle format version {found}, this citytwin reads version {expected}; re-run `citytwin import`"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: corrupt or truncated bundle ({reason})")]
    Corrupt { path: PathBuf, reason: String },
}

impl CityBundle {
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Each district's name (its OSM id where it has none), indexed by `DistrictId`.
    pub fn district_names(&self) -> Vec<String> {
        self.layer(crate::layer::names::DISTRICTS)
            .map(|l| {
                l.features
                    .iter()
                    .map(|f| f.text("name").unwrap_or(&f.source_id).to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&BUNDLE_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        postcard::to_io(self, &mut bytes).expect("writing to a Vec cannot fail");
        seal(&mut bytes);
        bytes
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<CityBundle, BundleError> {
        let path = path.to_path_buf();
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(BundleError::NotABundle { path });
        }
        let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if found != BUNDLE_VERSION {
            return Err(BundleError::Version {
                path,
                found,
                expected: BUNDLE_VERSION,
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(BundleError::Corrupt {
                path,
                reason: "cut short inside its header".into(),
            });
        }
        let stored = u32::from_le_bytes(bytes[12..HEADER_LEN].try_into().expect("4 bytes"));
        let computed = crc32fast::hash(&bytes[HEADER_LEN..]);
        if stored != computed {
            return Err(BundleError::Corrupt {
                path,
                reason: format!(
                    "checksum {computed:08x} of its contents, {stored:08x} written: the file changed after the import; re-import it"
                ),
            });
        }
        let (bundle, rest) = postcard::take_from_bytes::<CityBundle>(&bytes[HEADER_LEN..])
            .map_err(|e| BundleError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(BundleError::Corrupt {
                path,
                reason: format!("{} unexpected bytes after the city", rest.len()),
            });
        }
        Ok(bundle)
    }

    /// Writes atomically: a temporary file beside the target, then a rename.
    pub fn save(&self, path: &Path) -> Result<(), BundleError> {
        let io = |source| BundleError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("partial");
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&self.to_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    pub fn load(path: &Path) -> Result<CityBundle, BundleError> {
        let bytes = std::fs::read(path).map_err(|source| BundleError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }
}
