//! Errors of the GIS edge. Each names the file (and layer or feature) and what was expected.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GisError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: unknown format (expected .osm, .osm.pbf, or a vector file GDAL reads: .gpkg, .shp, .geojson, .fgb, ...)"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path}: empty file")]
    Empty { path: PathBuf },
    #[error("{path}: expected a .gpkg file name for the GeoPackage")]
    NotGpkg { path: PathBuf },
    #[error("{path}: malformed OSM {format}: {reason}")]
    MalformedOsm {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    #[error("{path}: no roads: {reason}")]
    NoRoads { path: PathBuf, reason: String },
    #[error(
        "{path}: layer `{layer}` has no coordinate reference system: say which one its coordinates are in"
    )]
    NoCrs { path: PathBuf, layer: String },
    #[error("{path}: layer `{layer}` has no features")]
    EmptyLayer { path: PathBuf, layer: String },
    #[error("CRS `{crs}`: {reason} (expected an identifier PROJ knows, e.g. EPSG:32648)")]
    BadCrs { crs: String, reason: String },
    #[error(
        "CRS `{crs}` is not projected in metres; the city CRS must be metric (e.g. a UTM zone)"
    )]
    NotMetric { crs: String },
    #[error("{path}: {what}: {source}")]
    Gdal {
        path: PathBuf,
        what: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("{path}: reprojection from {from} failed at ({x}, {y}): {reason}")]
    Reproject {
        path: PathBuf,
        from: String,
        x: f64,
        y: f64,
        reason: String,
    },
    #[error("{path}: building districts: {reason}")]
    Districts { path: PathBuf, reason: String },
    #[error("layer `{spec}`: {reason}")]
    BadLayerSpec { spec: String, reason: String },
    #[error("no OpenStreetMap extract to import: give one, or a scene that names one")]
    NoInput,
    #[error("nowhere to write the city bundle: give a path, or a scene that names one")]
    NoOutput,
    #[error("{} {value}: {expected}", setting.describe())]
    Setting {
        setting: crate::ImportSetting,
        value: String,
        expected: &'static str,
    },
    #[error("{path}: layer `{layer}`, feature {feature}: {reason} (the layer's CRS: {crs})")]
    FarAway {
        path: PathBuf,
        layer: String,
        feature: String,
        crs: String,
        reason: String,
    },
    #[error("{0}")]
    Bundle(#[from] citytwin_city::BundleError),
    #[error("grid of {size_m} m cells over the {width_km:.1} × {height_km:.1} km extent: {reason}")]
    Grid {
        size_m: f64,
        width_km: f64,
        height_km: f64,
        reason: String,
    },
}

pub type Result<T, E = GisError> = std::result::Result<T, E>;

/// Attaches a path and a description to GDAL errors.
pub(crate) trait GdalContext<T> {
    fn at(self, path: &std::path::Path, what: &str) -> Result<T>;
}

impl<T> GdalContext<T> for std::result::Result<T, gdal::errors::GdalError> {
    fn at(self, path: &std::path::Path, what: &str) -> Result<T> {
        self.map_err(|source| GisError::Gdal {
            path: path.to_path_buf(),
            what: what.to_string(),
            source,
        })
    }
}
