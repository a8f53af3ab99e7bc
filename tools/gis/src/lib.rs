//! The GIS edge of citytwin: GDAL and PROJ live here and nowhere else.
//!
//! - [`import::import`] reads OpenStreetMap (XML or PBF) and any vector layer GDAL opens,
//!   reprojects everything with PROJ into one metric CRS (the local UTM zone unless told
//!   otherwise), validates geometries, builds districts and grid cells, and returns a
//!   [`citytwin_city::CityBundle`].
//! - [`export::export_gpkg`] writes a bundle as a GeoPackage that QGIS opens as it is.
//!
//! OSM is read twice, on purpose: our own reader ([`osm`]) keeps node ids, which the road
//! graph's topology and the admin boundaries need; GDAL's OSM driver ([`osm_layers`]) assembles
//! multipolygons for buildings, land use and water.

pub mod crs;
pub mod districts;
pub mod error;
pub mod export;
pub mod import;
pub mod import_settings;
#[cfg(citytwin_lazy_link)]
mod lazy_link;
pub mod osm;
pub mod osm_layers;
pub mod vector;

pub use error::{GisError, Result};
pub use export::{FieldType, GeometryType, GpkgWriter, Value, export_gpkg};
pub use import::{ImportOptions, Stage, import};
pub use import_settings::{ImportOverrides, ImportSetting, parse_layer_spec};

/// Sends GDAL's own messages (e.g. GEOS "Self-intersection at ...") to `tracing` instead of
/// stderr: invalid geometries are already reported per feature in the import summary.
pub fn route_gdal_messages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        gdal::config::set_error_handler(|class, code, message| {
            tracing::debug!(target: "gdal", "GDAL {class:?} {code}: {message}");
        });
    });
}
