//! The city model of citytwin: GIS layers in R-trees, unit grid cells, districts, the road
//! graph (petgraph) and routing, stored as a versioned serde bundle.
//!
//! Everything is in one projected, metric CRS per city. This crate knows nothing of GDAL,
//! PROJ or rendering: `citytwin-gis` fills a [`CityBundle`], and [`City`] indexes it.
//!
//! ```
//! use citytwin_city::grid::Grid;
//! use geo::{Point, Rect};
//! let grid = Grid::covering(Rect::new((0.0, 0.0), (250.0, 150.0)), 100.0, "510100");
//! assert_eq!((grid.rows, grid.cols), (2, 3));
//! let cell = grid.cell_at(Point::new(120.0, 40.0)).unwrap();
//! assert_eq!(grid.code(cell), "510100000000001");
//! ```

pub mod bundle;
pub mod calendar;
pub mod city;
pub mod governance;
pub mod grid;
pub mod ids;
pub mod layer;
pub mod memory;
pub mod rng;
pub mod roads;
pub mod ron_file;
pub mod scene;
pub mod spatial;
pub mod summary;
pub mod synthetic;

pub use bundle::{BUNDLE_VERSION, BundleError, CityBundle, CityMeta, Crs, ImportReport};
pub use city::{City, QueryError};
pub use ids::{
    BikeId, CaseId, CrewId, DatastreamId, DistrictId, FeatureId, FenceId, JunctionId, LinkId,
    NodeId, OperatorId, TaskId, ThingId,
};
pub use layer::{AttrValue, Feature, FieldDef, FieldKind, Layer};
pub use roads::{Mode, Modes, RoadClass, RoadNetwork};
